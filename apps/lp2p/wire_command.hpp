// `lp2p wire`: a dissector for OSP / LP2P messages. `decode` turns wire bytes into JSON Lines,
// `encode` turns that JSON back into wire bytes (message_json.hpp describes the JSON form).
//
// The run_* functions take their streams as arguments and return the process exit status, so
// that tests drive them without a process:
//   0  success (notes about non-canonical input or unknown type keys may be on `err`)
//   1  bad input (hex, JSON, CBOR, message fields) or an I/O failure; the reason is on `err`
// Usage errors (unknown options) are CLI11's and map to 2 in main.cpp.
#pragma once

#include <iosfwd>
#include <string>
#include <vector>

namespace CLI {
class App;
}  // namespace CLI

namespace lp2p::cli {

// The process's standard streams, injected.
struct Io {
  std::istream& in;
  std::ostream& out;
  std::ostream& err;
  bool in_is_terminal = false;  // stdin is a terminal: tell the user it is being read
};

struct DecodeOptions {
  // Hex text, split into several arguments or not (they are joined); empty or {"-"} reads `in`.
  // With `binary`: at most one entry, the path of a file of raw bytes ("-" or none: `in`).
  std::vector<std::string> inputs;
  bool binary = false;  // input is raw bytes rather than hex text
  bool pretty = false;  // indented JSON instead of one object per line
};

// Decodes every message of the input and writes one JSON object per message to `out`. A message
// of an unknown type is written in raw form ({"type": null, ...}) with a note on `err`. A message
// whose body fails to decode is reported on `err` and skipped, and decoding goes on with the next
// one (the framing is intact); the status is then 1. A framing error or an input that ends inside
// a message stops decoding with status 1. Messages are written as soon as they are complete.
int run_wire_decode(const DecodeOptions& options, const Io& io);

struct EncodeOptions {
  // JSON text, split into several arguments or not (they are joined); empty or {"-"} reads `in`.
  std::vector<std::string> inputs;
  bool binary = false;  // write raw bytes instead of hex text
};

// Reads a sequence of JSON values (objects, or arrays of objects), each a message, and writes the
// concatenated wire bytes: lowercase hex and a newline, or raw bytes. Nothing is written to `out`
// when any message is invalid; every invalid message is reported on `err`.
int run_wire_encode(const EncodeOptions& options, const Io& io);

// Adds the `wire` command and its `decode` / `encode` subcommands to `parent`. When one of them
// runs, its exit status is stored in `exit_code`, which must outlive `parent`'s parsing.
void add_wire_command(CLI::App& parent, const Io& io, int& exit_code);

}  // namespace lp2p::cli
