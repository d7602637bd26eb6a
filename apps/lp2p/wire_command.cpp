#include "wire_command.hpp"

#include <CLI/CLI.hpp>
#include <algorithm>
#include <cstdint>
#include <filesystem>
#include <fstream>
#include <istream>
#include <memory>
#include <ostream>
#include <span>
#include <sstream>

#include "common/hex.hpp"
#include "message_json.hpp"
#include "wire/codec.hpp"
#include "wire/stream_reader.hpp"
#include "wire/varint.hpp"

namespace lp2p::cli {
namespace {

constexpr std::size_t kChunkSize = std::size_t{64} << 10;

// ---- Input and output helpers ----

bool reads_stdin(const std::vector<std::string>& inputs) {
  return inputs.empty() || (inputs.size() == 1 && inputs.front() == "-");
}

std::string join(const std::vector<std::string>& parts) {
  std::string out;
  for (const std::string& part : parts) {
    if (!out.empty()) out += ' ';
    out += part;
  }
  return out;
}

void hint_if_terminal(const Io& io, std::string_view what) {
  if (io.in_is_terminal) {
    io.err << "lp2p wire: reading " << what << " from standard input (end it with Ctrl-D)\n";
  }
}

// The input text: the arguments joined, or all of `in`.
Result<std::string> input_text(const std::vector<std::string>& inputs, const Io& io,
                               std::string_view what) {
  if (!reads_stdin(inputs)) return join(inputs);
  hint_if_terminal(io, what);
  std::string text;
  std::vector<char> chunk(kChunkSize);
  while (io.in) {
    io.in.read(chunk.data(), static_cast<std::streamsize>(chunk.size()));
    text.append(chunk.data(), static_cast<std::size_t>(io.in.gcount()));
  }
  if (io.in.bad()) return make_error(Errc::io_error, "cannot read standard input");
  return text;
}

std::string dump(const Json& value, bool pretty) {
  // Text fields from the wire are not checked for UTF-8: show bad bytes as U+FFFD rather than
  // failing (the canonical-form note then points out that they do not round-trip).
  return value.dump(pretty ? 2 : -1, ' ', false, Json::error_handler_t::replace);
}

Result<void> flush(std::ostream& out) {
  if (!out.flush()) return make_error(Errc::io_error, "cannot write standard output");
  return {};
}

// ---- decode ----

// Why `original` (one whole message) differs from `reencoded`, for the canonical-form note.
std::string difference(const wire::Frame& original, std::span<const std::uint8_t> reencoded) {
  const std::size_t key_size = original.bytes.size() - original.body.size();
  if (key_size != wire::varint_size(original.type_key)) {
    return "the type key is not a minimal varint";
  }
  const auto mismatch = std::ranges::mismatch(original.bytes, reencoded);
  const auto at = static_cast<std::size_t>(mismatch.in1 - original.bytes.begin());
  return "the CBOR differs from byte " + std::to_string(at) +
         " on: e.g. non-minimal or indefinite lengths, key order, null values, unknown fields "
         "(dropped), text that is not UTF-8";
}

// Splits the input into messages and writes each as JSON; remembers whether any failed.
class Dissector {
 public:
  Dissector(const DecodeOptions& options, const Io& io) : options_(options), io_(io) {}

  // False when the framing failed: nothing after that point can be decoded.
  bool feed(std::span<const std::uint8_t> chunk) {
    auto fed = reader_.feed(chunk, [this](const wire::Frame& frame) { on_frame(frame); });
    if (fed) return true;
    error_at(index_ + 1, offset_) << fed.error().describe() << '\n';
    return false;
  }

  void finish() {
    auto finished = reader_.finish();
    if (finished) return;
    failed_ = true;
    io_.err << "error: the input ends inside message " << index_ + 1 << " (byte offset " << offset_
            << "): " << finished.error().describe() << '\n';
  }

  [[nodiscard]] bool failed() const { return failed_; }

 private:
  std::ostream& error_at(std::uint64_t index, std::size_t offset) {
    failed_ = true;
    return io_.err << "error: message " << index << " (byte offset " << offset << "): ";
  }

  void on_frame(const wire::Frame& frame) {
    ++index_;
    const std::size_t offset = offset_;
    offset_ += frame.bytes.size();
    if (!wire::type_name(frame.type_key)) {
      io_.err << "note: message " << index_ << " (byte offset " << offset << "): type key "
              << frame.type_key << " is not known to this build; its body is shown as raw CBOR\n";
      print(unknown_message_to_json(frame.type_key, frame.body), frame);
      return;
    }
    auto message = wire::decode_body(frame.type_key, frame.body);
    if (!message) {
      error_at(index_, offset) << message.error().describe() << '\n';
      return;
    }
    print(message_to_json(*message), frame);
  }

  // Writes `json` and checks that encoding the printed text gives back the message's bytes.
  void print(const Json& json, const wire::Frame& frame) {
    const std::string text = dump(json, options_.pretty);
    io_.out << text << '\n';
    std::vector<std::uint8_t> reencoded;
    const Json reparsed = Json::parse(text, nullptr, false);
    if (auto encoded = encode_json_message(reparsed, reencoded); !encoded) {
      io_.err << "note: message " << index_
              << " cannot be encoded back from its JSON: " << encoded.error().describe() << '\n';
      return;
    }
    if (std::ranges::equal(reencoded, frame.bytes)) return;
    io_.err << "note: message " << index_ << " is not in canonical form ("
            << difference(frame, reencoded) << "); `lp2p wire encode` of this JSON gives "
            << to_hex(reencoded) << '\n';
  }

  const DecodeOptions& options_;
  const Io& io_;
  wire::StreamReader reader_;
  std::uint64_t index_ = 0;  // messages seen so far
  std::size_t offset_ = 0;   // where the next message starts in the input
  bool failed_ = false;
};

void hint_about_file(const DecodeOptions& options, const Io& io) {
  if (options.inputs.size() != 1) return;
  const std::string& input = options.inputs.front();
  std::error_code ignored;
  if (!std::filesystem::is_regular_file(input, ignored)) return;
  io.err << "note: \"" << input << "\" is a file; decode its raw bytes with `lp2p wire decode "
         << "--binary " << input << "`, or hex text in it with `lp2p wire decode < " << input
         << "`\n";
}

int decode_hex(const DecodeOptions& options, const Io& io) {
  auto text = input_text(options.inputs, io, "hex");
  if (!text) {
    io.err << "error: " << text.error().describe() << '\n';
    return 1;
  }
  auto bytes = from_hex(*text);
  if (!bytes) {
    io.err << "error: bad hex input: " << bytes.error().message << '\n';
    hint_about_file(options, io);
    return 1;
  }
  Dissector dissector(options, io);
  if (dissector.feed(*bytes)) dissector.finish();
  return dissector.failed() ? 1 : 0;
}

// Feeds `in` to `dissector` chunk by chunk, so that messages are printed as they arrive.
Result<void> feed_stream(std::istream& in, Dissector& dissector) {
  std::vector<char> chunk(kChunkSize);
  while (in) {
    in.read(chunk.data(), static_cast<std::streamsize>(chunk.size()));
    const auto size = static_cast<std::size_t>(in.gcount());
    if (size == 0) break;
    const std::span bytes(reinterpret_cast<const std::uint8_t*>(chunk.data()), size);
    if (!dissector.feed(bytes)) return {};
  }
  if (in.bad()) return make_error(Errc::io_error, "read failed");
  dissector.finish();
  return {};
}

int decode_binary(const DecodeOptions& options, const Io& io) {
  if (options.inputs.size() > 1) {
    io.err << "error: --binary reads one FILE (or standard input), not " << options.inputs.size()
           << " arguments\n";
    return 1;
  }
  std::ifstream file;
  std::istream* in = &io.in;
  if (reads_stdin(options.inputs)) {
    hint_if_terminal(io, "raw bytes");
  } else {
    file.open(options.inputs.front(), std::ios::binary);
    if (!file) {
      io.err << "error: cannot open \"" << options.inputs.front() << "\"\n";
      return 1;
    }
    in = &file;
  }
  Dissector dissector(options, io);
  if (auto fed = feed_stream(*in, dissector); !fed) {
    io.err << "error: " << fed.error().describe() << '\n';
    return 1;
  }
  return dissector.failed() ? 1 : 0;
}

// ---- encode ----

// "syntax error while parsing ..." out of nlohmann's "[json.exception...] parse error at line
// 1, column 5: syntax error while parsing ...", whose position is relative to the value.
std::string parse_error_detail(const std::string& what) {
  const auto column = what.find("column ");
  const auto colon = what.find(": ", column == std::string::npos ? 0 : column);
  return colon == std::string::npos ? what : what.substr(colon + 2);
}

std::string line_and_column(const std::string& text, std::size_t offset) {
  offset = std::min(offset, text.size());
  const auto begin = text.begin();
  const auto end = begin + static_cast<std::ptrdiff_t>(offset);
  const auto line = std::count(begin, end, '\n') + 1;
  const auto line_start = text.rfind('\n', offset == 0 ? 0 : offset - 1);
  const std::size_t column =
      line_start == std::string::npos || offset == 0 ? offset + 1 : offset - line_start;
  return "line " + std::to_string(line) + ", column " + std::to_string(column);
}

// Every JSON value in `text`, one after another; arrays contribute their elements.
Result<std::vector<Json>> parse_messages(const std::string& text) {
  std::istringstream in(text);
  std::vector<Json> messages;
  while (true) {
    in >> std::ws;
    if (in.peek() == std::istringstream::traits_type::eof()) break;
    const auto start = static_cast<std::size_t>(std::streamoff(in.tellg()));
    Json value;
    try {
      in >> value;
    } catch (const Json::parse_error& e) {
      const std::size_t at = start + (e.byte > 0 ? e.byte - 1 : 0);
      return make_error(Errc::invalid_argument, "invalid JSON at " + line_and_column(text, at) +
                                                    ": " + parse_error_detail(e.what()));
    }
    if (value.is_array()) {
      for (Json& element : value) messages.push_back(std::move(element));
    } else {
      messages.push_back(std::move(value));
    }
  }
  return messages;
}

Result<void> write_bytes(std::span<const std::uint8_t> bytes, bool binary, std::ostream& out) {
  if (binary) {
    out.write(reinterpret_cast<const char*>(bytes.data()),
              static_cast<std::streamsize>(bytes.size()));
  } else {
    out << to_hex(bytes) << '\n';
  }
  return flush(out);
}

// ---- Help texts ----

std::string type_list() {
  std::string out = "Message types (type key):\n ";
  std::size_t line_length = 1;
  for (const std::string_view name : known_type_names()) {
    const auto key = static_cast<std::uint64_t>(*wire::type_key_from_name(name));
    const std::string entry = " " + std::string(name) + " (" + std::to_string(key) + "),";
    if (line_length + entry.size() > 90) {
      out += "\n ";
      line_length = 1;
    }
    out += entry;
    line_length += entry.size();
  }
  out.pop_back();  // the last comma
  return out + "\n";
}

std::string wire_footer() {
  return R"(
A message is what an OSP agent writes to a QUIC stream: a type key, written as a QUIC
variable-length integer (RFC 9000, section 16), followed by exactly one CBOR item (RFC 8949):
a map with the integer keys of the CDDL. Messages follow each other with no length prefix.

As JSON, one object per message:
  {"type":"agent-info-request","type-key":10,"fields":{"request-id":1}}
Field names are the CDDL names. Enum values are CDDL names ("qr-code", "authenticated",
"success"...) or numbers; byte strings are hex; a data-frame with encoding "string" shows its
payload as "payload-text". A message whose type key this build does not know is kept raw, and
encodes back verbatim:
  {"type":null,"type-key":99001,"cbor":"a0"}

)" + type_list() +
         R"(
Examples:
  lp2p wire decode 0aa10001
  lp2p wire decode 43e9 a3 00 18 32 01 81 00 02 14        (spaces, ':' and 0x are fine)
  echo '{"type":"auth-status","fields":{"result":"authenticated"}}' | lp2p wire encode
  lp2p wire decode 43e9a30018320181000214 43eca10000 | lp2p wire encode    (round trip)
  lp2p wire encode --binary < messages.jsonl > stream.bin
  lp2p wire decode --binary stream.bin --pretty)";
}

constexpr const char* kDecodeFooter = R"(
Input: hex text as arguments or on standard input, or raw bytes with --binary (standard input
or FILE). It may hold several messages one after another.
Output: one JSON object per message and per line (JSON Lines), or indented objects with
--pretty; `lp2p wire encode` accepts both.
Notes on standard error (the exit status stays 0): type keys this build does not know (shown
raw), and messages not in canonical form, with the bytes `lp2p wire encode` gives instead.
Exit status 1: bad hex; a message that fails to decode (reported with its number and byte
offset, then skipped); malformed CBOR; input that ends inside a message.

Examples:
  lp2p wire decode 0aa10001
  lp2p wire decode 444da4000301000264636861740360 --pretty
  lp2p wire decode < capture.hex
  lp2p wire decode --binary stream.bin)";

constexpr const char* kEncodeFooter = R"(
Input: JSON as arguments or on standard input: objects one per line (as `decode` prints them),
indented objects one after another, or arrays of objects. "type" names the message (or
"type-key" gives its number) and "fields" holds its fields by CDDL name;
{"type-key":N,"cbor":"<hex>"} gives a body verbatim (exactly one CBOR item).
Output: the messages' bytes, concatenated, as hex and a newline, or raw with --binary.
Exit status 1, with nothing written, when a message is invalid: unknown field (the valid ones
are listed), value of the wrong JSON type, missing required field, unknown enum name.

Examples:
  lp2p wire encode '{"type":"agent-info-request","fields":{"request-id":1}}'
  echo '{"type":"data-frame","fields":{"encoding-id":"string","payload-text":"hello"}}' | lp2p wire encode
  lp2p wire decode 0aa10001 0ca10002 | lp2p wire encode)";

}  // namespace

int run_wire_decode(const DecodeOptions& options, const Io& io) {
  const int status = options.binary ? decode_binary(options, io) : decode_hex(options, io);
  if (auto flushed = flush(io.out); !flushed) {
    io.err << "error: " << flushed.error().describe() << '\n';
    return 1;
  }
  return status;
}

int run_wire_encode(const EncodeOptions& options, const Io& io) {
  auto text = input_text(options.inputs, io, "JSON");
  if (!text) {
    io.err << "error: " << text.error().describe() << '\n';
    return 1;
  }
  auto messages = parse_messages(*text);
  if (!messages) {
    io.err << "error: " << messages.error().describe() << '\n';
    return 1;
  }
  std::vector<std::uint8_t> bytes;
  bool failed = false;
  for (std::size_t i = 0; i < messages->size(); ++i) {
    if (auto encoded = encode_json_message((*messages)[i], bytes); !encoded) {
      io.err << "error: message " << i + 1 << ": " << encoded.error().describe() << '\n';
      failed = true;
    }
  }
  if (failed) return 1;
  if (auto written = write_bytes(bytes, options.binary, io.out); !written) {
    io.err << "error: " << written.error().describe() << '\n';
    return 1;
  }
  return 0;
}

void add_wire_command(CLI::App& parent, const Io& io, int& exit_code) {
  CLI::App* wire =
      parent.add_subcommand("wire", "Decode and encode OSP / LP2P wire messages (a dissector)");
  wire->footer(wire_footer());
  wire->require_subcommand(1);

  auto decode = std::make_shared<DecodeOptions>();
  CLI::App* decode_command =
      wire->add_subcommand("decode", "Wire bytes (hex, or raw with --binary) to JSON");
  decode_command
      ->add_option("input", decode->inputs,
                   "Hex text (spaces, ':' and 0x allowed; arguments are joined); '-' or none: "
                   "standard input. With --binary: a FILE of raw bytes")
      ->type_name("HEX|FILE");
  decode_command->add_flag("-b,--binary", decode->binary, "The input is raw bytes, not hex text");
  decode_command->add_flag("-p,--pretty", decode->pretty, "Indent the JSON");
  decode_command->footer(kDecodeFooter);
  decode_command->callback([decode, io, &exit_code] { exit_code = run_wire_decode(*decode, io); });

  auto encode = std::make_shared<EncodeOptions>();
  CLI::App* encode_command =
      wire->add_subcommand("encode", "JSON messages to wire bytes (hex, or raw with --binary)");
  encode_command
      ->add_option("json", encode->inputs,
                   "JSON messages (arguments are joined); '-' or none: standard input")
      ->type_name("JSON");
  encode_command->add_flag("-b,--binary", encode->binary, "Write raw bytes instead of hex text");
  encode_command->footer(kEncodeFooter);
  encode_command->callback([encode, io, &exit_code] { exit_code = run_wire_encode(*encode, io); });
}

}  // namespace lp2p::cli
