// Shared by the fuzz targets: a property check that aborts (so libFuzzer records a crash) and the
// decode → encode → decode round-trip property.
#pragma once

#include <algorithm>
#include <cstdio>
#include <cstdlib>
#include <span>
#include <vector>

#include "common/hex.hpp"
#include "lp2p/result.hpp"
#include "wire/codec.hpp"
#include "wire/messages.hpp"

namespace lp2p::fuzz {

[[noreturn]] inline void fail(const char* what, std::span<const std::uint8_t> bytes) {
  const auto shown = bytes.first(bytes.size() < 256 ? bytes.size() : 256);
  std::fprintf(stderr, "property violated: %s\n  bytes: %s%s\n", what, to_hex(shown).c_str(),
               shown.size() < bytes.size() ? "..." : "");
  std::abort();
}

#define LP2P_FUZZ_CHECK(condition, bytes)                    \
  do {                                                       \
    if (!(condition)) ::lp2p::fuzz::fail(#condition, bytes); \
  } while (false)

// Whatever decodes re-encodes to bytes that decode to the same message, and that encoding is a
// fixed point (canonical). `message_bytes` is only for the report.
inline void check_round_trip(const wire::Message& message,
                             std::span<const std::uint8_t> message_bytes) {
  const std::vector<std::uint8_t> encoded = wire::encode(message);
  const auto again = wire::decode(encoded);
  LP2P_FUZZ_CHECK(again.has_value(), message_bytes);
  LP2P_FUZZ_CHECK(again.value() == message, message_bytes);
  LP2P_FUZZ_CHECK(wire::encode(again.value()) == encoded, message_bytes);
  LP2P_FUZZ_CHECK(wire::type_key_of(again.value()) == wire::type_key_of(message), message_bytes);
}

// A stream chunk of a fuzz record whose length comes in one of four 2-bit `form`s: 0 one length
// byte, 1 two (big-endian), 2 the rest of the input, 3 empty; cut at the end of the input.
// Reads from input[at], advances `at` past it, and returns a copy in its own buffer, so that code
// keeping views into an old chunk is caught.
inline std::vector<std::uint8_t> take_chunk(unsigned form, std::span<const std::uint8_t> input,
                                            std::size_t& at) {
  auto next_byte = [&]() -> std::size_t { return at < input.size() ? input[at++] : 0; };
  std::size_t length = 0;
  switch (form & 0x3U) {
    case 0:
      length = next_byte();
      break;
    case 1:
      length = next_byte() << 8U;
      length |= next_byte();
      break;
    case 2:
      length = input.size() - at;
      break;
    default:
      break;
  }
  length = std::min(length, input.size() - at);
  std::vector<std::uint8_t> chunk(input.begin() + static_cast<std::ptrdiff_t>(at),
                                  input.begin() + static_cast<std::ptrdiff_t>(at + length));
  at += length;
  return chunk;
}

}  // namespace lp2p::fuzz
