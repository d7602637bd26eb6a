#include "wire/varint.hpp"

#include <algorithm>
#include <cassert>

namespace lp2p::wire {

void append_varint(std::uint64_t value, std::vector<std::uint8_t>& out) {
  assert(value <= kMaxVarint && "varint value above 2^62-1");
  value = std::min(value, kMaxVarint);  // a release build writes the largest varint, never UB
  const std::size_t size = varint_size(value);
  const std::uint64_t prefix = [size] {
    switch (size) {
      case 1:
        return std::uint64_t{0};
      case 2:
        return std::uint64_t{1};
      case 4:
        return std::uint64_t{2};
      default:
        return std::uint64_t{3};
    }
  }();
  const std::uint64_t tagged = value | (prefix << (8 * size - 2));
  for (std::size_t i = size; i-- > 0;) out.push_back(static_cast<std::uint8_t>(tagged >> (8 * i)));
}

std::optional<Varint> decode_varint(std::span<const std::uint8_t> input) {
  if (input.empty()) return std::nullopt;
  const std::size_t length = varint_length(input[0]);
  if (input.size() < length) return std::nullopt;
  std::uint64_t value = input[0] & 0x3fU;
  for (std::size_t i = 1; i < length; ++i) value = (value << 8) | input[i];
  return Varint{value, length};
}

}  // namespace lp2p::wire
