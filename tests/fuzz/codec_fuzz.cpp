// libFuzzer target: decode() of one whole message.
//
// Properties (abort on violation):
//   - a message that decodes re-encodes canonically to bytes that decode to the same message;
//   - decode() and decode_body() agree;
//   - a message that decode() accepts is one frame for a StreamReader (decode accepts nothing the
//     stream path would reject as malformed, too deep or incomplete).
#include <cstddef>
#include <cstdint>
#include <span>
#include <vector>

#include "fuzz_check.hpp"
#include "wire/codec.hpp"
#include "wire/stream_reader.hpp"
#include "wire/varint.hpp"

extern "C" int LLVMFuzzerTestOneInput(const std::uint8_t* data, std::size_t size) {
  const std::span<const std::uint8_t> bytes(data, size);
  const auto decoded = lp2p::wire::decode(bytes);

  if (const auto key = lp2p::wire::decode_varint(bytes)) {
    const auto body = lp2p::wire::decode_body(key->value, bytes.subspan(key->length));
    LP2P_FUZZ_CHECK(body.has_value() == decoded.has_value(), bytes);
    if (body) LP2P_FUZZ_CHECK(body.value() == decoded.value(), bytes);
  }
  if (!decoded) return 0;

  lp2p::fuzz::check_round_trip(decoded.value(), bytes);

  lp2p::wire::StreamReader reader;  // default limits: 16 MiB, kMaxCborDepth
  std::size_t frames = 0;
  const auto fed = reader.feed(bytes, [&](const lp2p::wire::Frame& frame) {
    ++frames;
    LP2P_FUZZ_CHECK(frame.bytes.data() == bytes.data() && frame.bytes.size() == bytes.size(),
                    bytes);
  });
  LP2P_FUZZ_CHECK(fed.has_value(), bytes);
  LP2P_FUZZ_CHECK(frames == 1, bytes);
  LP2P_FUZZ_CHECK(reader.finish().has_value(), bytes);
  return 0;
}
