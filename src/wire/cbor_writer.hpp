// Canonical CBOR encoder (RFC 8949 §4.2.1: shortest heads, definite lengths) writing through
// libcbor's streaming encoder straight into a byte vector; no item tree is built.
#pragma once

#include <cstdint>
#include <span>
#include <string_view>
#include <vector>

namespace lp2p::wire {

class CborWriter {
 public:
  explicit CborWriter(std::vector<std::uint8_t>& out) : out_(out) {}

  void uint(std::uint64_t value);
  void text(std::string_view value);
  void bytes(std::span<const std::uint8_t> value);
  void bytes_head(std::size_t size);  // the head only; the caller supplies `size` bytes after it
  void array(std::size_t size);       // followed by `size` items
  void map(std::size_t size);         // followed by `size` key/value pairs

  template <class T, class F>
  void array_of(const std::vector<T>& items, F&& write_item) {
    array(items.size());
    for (const T& item : items) write_item(item);
  }

 private:
  template <class Encode>
  void head(Encode&& encode);

  std::vector<std::uint8_t>& out_;
};

}  // namespace lp2p::wire
