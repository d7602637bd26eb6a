// QUIC variable-length integers (RFC 9000 §16): the 2 high bits of the first byte give the
// length (1, 2, 4 or 8 bytes), the rest is the big-endian value.
#pragma once

#include <cstddef>
#include <cstdint>
#include <optional>
#include <span>
#include <vector>

namespace lp2p::wire {

inline constexpr std::uint64_t kMaxVarint = (std::uint64_t{1} << 62) - 1;

// Bytes of the minimal encoding of `value`; 0 when value > kMaxVarint (not encodable).
constexpr std::size_t varint_size(std::uint64_t value) {
  if (value < (std::uint64_t{1} << 6)) return 1;
  if (value < (std::uint64_t{1} << 14)) return 2;
  if (value < (std::uint64_t{1} << 30)) return 4;
  if (value <= kMaxVarint) return 8;
  return 0;
}

// Length of a varint announced by its first byte (1, 2, 4 or 8).
constexpr std::size_t varint_length(std::uint8_t first_byte) {
  return std::size_t{1} << (first_byte >> 6);
}

// Appends the minimal encoding. Precondition: value <= kMaxVarint.
void append_varint(std::uint64_t value, std::vector<std::uint8_t>& out);

struct Varint {
  std::uint64_t value;
  std::size_t length;  // bytes consumed
};

// Decodes a varint of any valid length (non-minimal encodings included) from the start of
// `input`; nullopt when `input` ends before the varint does. Every first byte is valid.
std::optional<Varint> decode_varint(std::span<const std::uint8_t> input);

}  // namespace lp2p::wire
