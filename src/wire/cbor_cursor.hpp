// A pull-style CBOR reader over a contiguous buffer, built on libcbor's streaming decoder
// (cbor_stream_decode): each next() decodes one head — plus the data of a definite string, handed
// out as a view into the buffer — and allocates nothing.
#pragma once

#include <cstdint>
#include <span>
#include <string_view>

#include "lp2p/result.hpp"
#include "wire/constants.hpp"

namespace lp2p::wire {

enum class CborKind : std::uint8_t {
  unsigned_int,
  negative_int,
  bytes,        // definite byte string; data is the content
  text,         // definite text string; data is the content
  bytes_start,  // indefinite byte string: definite chunks follow, then brk
  text_start,   // indefinite text string
  array,        // definite; value = number of items
  array_start,  // indefinite: items until brk
  map,          // definite; value = number of pairs
  map_start,    // indefinite: pairs until brk
  tag,          // value = tag number; one item follows
  floating,
  boolean,
  null,
  undefined,
  simple,  // any other simple value (value = its number)
  brk,     // the "break" ending an indefinite item
};

std::string_view describe(CborKind kind);  // "unsigned integer", "byte string", ...

struct CborEvent {
  CborKind kind = CborKind::null;
  std::uint64_t value = 0;  // integer value (negative_int: -1 - value), count, or tag number
  std::span<const std::uint8_t> data;
};

class CborCursor {
 public:
  explicit CborCursor(std::span<const std::uint8_t> input, unsigned max_depth = kMaxCborDepth)
      : input_(input), max_depth_(max_depth) {}

  // Decodes the next head. Errors: truncated (input ends inside it), malformed (invalid CBOR).
  Result<CborEvent> next();
  // Like next(), without moving past the head.
  Result<CborEvent> peek() {
    const std::size_t at = offset_;
    auto head = next();
    offset_ = at;
    return head;
  }
  // Skips one whole item (nested items included; the depth limit counts the enclosing levels).
  Result<void> skip();
  // Skips the rest of an item whose head `head` was just read by next().
  Result<void> skip_rest(const CborEvent& head) { return skip_rest(head, depth_); }

  // Structured readers call enter() after reading a container's head and leave() after its end,
  // so that max_depth bounds the whole nesting, skipped values included.
  Result<void> enter();
  void leave() { --depth_; }

  [[nodiscard]] bool at_end() const { return offset_ == input_.size(); }
  [[nodiscard]] std::size_t offset() const { return offset_; }

 private:
  Result<void> skip_rest(const CborEvent& head, unsigned depth);

  std::span<const std::uint8_t> input_;
  std::size_t offset_ = 0;
  unsigned max_depth_;
  unsigned depth_ = 0;
};

}  // namespace lp2p::wire
