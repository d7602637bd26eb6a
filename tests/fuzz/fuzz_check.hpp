// Shared by the fuzz targets: a property check that aborts (so libFuzzer records a crash) and the
// decode → encode → decode round-trip property.
#pragma once

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

}  // namespace lp2p::fuzz
