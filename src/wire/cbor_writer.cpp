#include "wire/cbor_writer.hpp"

#include <cbor.h>

#include <array>
#include <cassert>

namespace lp2p::wire {

template <class Encode>
void CborWriter::head(Encode&& encode) {
  std::array<unsigned char, 9> buffer{};  // the longest CBOR head: 1 + 8 bytes
  const std::size_t written = encode(buffer.data(), buffer.size());
  assert(written > 0);
  out_.insert(out_.end(), buffer.begin(), buffer.begin() + static_cast<std::ptrdiff_t>(written));
}

void CborWriter::uint(std::uint64_t value) {
  head([value](unsigned char* b, std::size_t n) { return cbor_encode_uint(value, b, n); });
}

void CborWriter::text(std::string_view value) {
  head([&](unsigned char* b, std::size_t n) {
    return cbor_encode_string_start(value.size(), b, n);
  });
  out_.insert(out_.end(), value.begin(), value.end());
}

void CborWriter::bytes(std::span<const std::uint8_t> value) {
  bytes_head(value.size());
  out_.insert(out_.end(), value.begin(), value.end());
}

void CborWriter::bytes_head(std::size_t size) {
  head(
      [size](unsigned char* b, std::size_t n) { return cbor_encode_bytestring_start(size, b, n); });
}

void CborWriter::array(std::size_t size) {
  head([size](unsigned char* b, std::size_t n) { return cbor_encode_array_start(size, b, n); });
}

void CborWriter::map(std::size_t size) {
  head([size](unsigned char* b, std::size_t n) { return cbor_encode_map_start(size, b, n); });
}

}  // namespace lp2p::wire
