// libFuzzer target: StreamReader fed in fuzzer-chosen chunks, every frame decoded and
// round-tripped.
//
// Input layout:  control ‖ chunk sizes ‖ stream
//   control      bits 0-3: how many chunk-size bytes follow (0: the whole stream in one chunk);
//                bit 4: max_message_size 256 instead of 64 KiB; bit 5: max_depth 4.
//   chunk sizes  fed cyclically; 0 feeds an empty chunk.
//
// Properties (abort on violation):
//   - chunking changes nothing: the same frames, and the same success or failure, as feeding the
//     stream in one chunk;
//   - frames tile the stream: frame i's bytes are the stream's next bytes, its body the bytes after
//     its type key, and messages_read() counts them;
//   - after an error, every later feed and finish() fail;
//   - a frame that decodes re-encodes canonically to something that decodes to the same message,
//     and decode() of the whole frame agrees with decode_body().
#include <cstddef>
#include <cstdint>
#include <span>
#include <vector>

#include "fuzz_check.hpp"
#include "wire/codec.hpp"
#include "wire/stream_reader.hpp"
#include "wire/varint.hpp"

namespace {

using lp2p::wire::Frame;
using lp2p::wire::StreamReader;

struct Run {
  std::vector<std::vector<std::uint8_t>> frames;
  bool failed = false;
  bool finished_ok = false;
};

void check_frame(const Frame& frame) {
  const auto key = lp2p::wire::decode_varint(frame.bytes);
  LP2P_FUZZ_CHECK(key.has_value(), frame.bytes);
  LP2P_FUZZ_CHECK(key->value == frame.type_key, frame.bytes);
  LP2P_FUZZ_CHECK(frame.body.data() == frame.bytes.data() + key->length, frame.bytes);
  LP2P_FUZZ_CHECK(frame.body.size() + key->length == frame.bytes.size(), frame.bytes);
  LP2P_FUZZ_CHECK(!frame.body.empty(), frame.bytes);

  const auto body = lp2p::wire::decode_body(frame.type_key, frame.body);
  const auto whole = lp2p::wire::decode(frame.bytes);
  LP2P_FUZZ_CHECK(body.has_value() == whole.has_value(), frame.bytes);
  if (!body) {
    LP2P_FUZZ_CHECK(body.error().code == whole.error().code, frame.bytes);
    return;
  }
  LP2P_FUZZ_CHECK(body.value() == whole.value(), frame.bytes);
  lp2p::fuzz::check_round_trip(body.value(), frame.bytes);
}

Run feed(std::span<const std::uint8_t> stream, std::span<const std::uint8_t> sizes,
         const StreamReader::Options& options) {
  Run run;
  StreamReader reader(options);
  std::size_t offset = 0;  // of the next frame in the stream
  const StreamReader::FrameHandler on_frame = [&](const Frame& frame) {
    const auto rest = stream.subspan(offset);
    LP2P_FUZZ_CHECK(frame.bytes.size() <= rest.size(), frame.bytes);
    LP2P_FUZZ_CHECK(std::equal(frame.bytes.begin(), frame.bytes.end(), rest.begin()), frame.bytes);
    LP2P_FUZZ_CHECK(frame.bytes.size() <= options.max_message_size, frame.bytes);
    check_frame(frame);
    offset += frame.bytes.size();
    run.frames.emplace_back(frame.bytes.begin(), frame.bytes.end());
  };

  bool any_nonzero = false;
  for (const auto s : sizes) any_nonzero = any_nonzero || s != 0;
  std::size_t at = 0;
  std::size_t next_size = 0;
  while (at < stream.size() || (at == 0 && stream.empty())) {
    std::size_t size = stream.size() - at;
    if (any_nonzero) {
      size = sizes[next_size];
      next_size = (next_size + 1) % sizes.size();
      if (size > stream.size() - at) size = stream.size() - at;
    }
    // Each chunk in its own buffer, so that a reader keeping views into old chunks is caught.
    const std::vector<std::uint8_t> chunk(stream.begin() + static_cast<std::ptrdiff_t>(at),
                                          stream.begin() + static_cast<std::ptrdiff_t>(at + size));
    const auto fed = reader.feed(chunk, on_frame);
    at += size;
    if (!fed) {
      run.failed = true;
      // Failed for good.
      const std::uint8_t probe[] = {0x0a, 0xa1, 0x00, 0x01};
      const auto again = reader.feed(probe, on_frame);
      LP2P_FUZZ_CHECK(!again.has_value(), stream);
      LP2P_FUZZ_CHECK(again.error().code == fed.error().code, stream);
      LP2P_FUZZ_CHECK(!reader.finish().has_value(), stream);
      break;
    }
    if (stream.empty()) break;
  }
  LP2P_FUZZ_CHECK(reader.messages_read() == run.frames.size(), stream);
  if (!run.failed) {
    run.finished_ok = reader.finish().has_value();
    // finish() passes exactly when the frames cover the whole stream.
    LP2P_FUZZ_CHECK(run.finished_ok == (offset == stream.size()), stream);
    LP2P_FUZZ_CHECK(reader.buffered() == stream.size() - offset, stream);
  }
  return run;
}

}  // namespace

extern "C" int LLVMFuzzerTestOneInput(const std::uint8_t* data, std::size_t size) {
  if (size == 0) return 0;
  const std::span<const std::uint8_t> input(data, size);
  const std::uint8_t control = input[0];
  const std::size_t n_sizes = control & 0x0fU;
  if (size < 1 + n_sizes) return 0;
  const auto sizes = input.subspan(1, n_sizes);
  const auto stream = input.subspan(1 + n_sizes);

  StreamReader::Options options;
  options.max_message_size = (control & 0x10U) != 0 ? 256 : 64 * 1024;
  options.max_depth = (control & 0x20U) != 0 ? 4 : lp2p::wire::kMaxCborDepth;

  const Run chunked = feed(stream, sizes, options);
  if (!sizes.empty()) {
    const Run whole = feed(stream, {}, options);
    LP2P_FUZZ_CHECK(chunked.frames == whole.frames, stream);
    LP2P_FUZZ_CHECK(chunked.failed == whole.failed, stream);
    LP2P_FUZZ_CHECK(chunked.finished_ok == whole.finished_ok, stream);
  }
  return 0;
}
