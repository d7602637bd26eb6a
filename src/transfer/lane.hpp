// A lane: one unidirectional QUIC stream that carries file contents (docs/transfer.md, "Lanes").
// It holds segments back to back until its FIN; a segment is
//   varint index ‖ varint offset ‖ varint length ‖ `length` bytes
// — the bytes [offset, offset + length) of file `index` of the offer. LaneReader splits a lane's
// bytes into segments whatever the chunking (sans-I/O: feed what arrives).
#pragma once

#include <cstdint>
#include <functional>
#include <optional>
#include <span>
#include <vector>

#include "lp2p/result.hpp"

namespace lp2p::transfer {

void append_segment_head(std::uint64_t index, std::uint64_t offset, std::uint64_t length,
                         std::vector<std::uint8_t>& out);

struct SegmentHead {
  std::uint64_t index = 0;
  std::uint64_t offset = 0;
  std::uint64_t length = 0;
};

class LaneReader {
 public:
  // Each returns an error to stop the lane (feed returns it, and every later call).
  struct Handlers {
    std::function<Result<void>(const SegmentHead& head)> begin;
    std::function<Result<void>(std::span<const std::uint8_t> bytes)> data;
    std::function<Result<void>()> end;  // the segment's last byte was handed to `data`
  };

  explicit LaneReader(Handlers handlers) : handlers_(std::move(handlers)) {}

  Result<void> feed(std::span<const std::uint8_t> bytes);
  // The lane ended (FIN): an error if it stopped inside a segment or its head.
  Result<void> finish();

  [[nodiscard]] bool in_segment() const { return remaining_ > 0 || !head_.empty(); }

 private:
  Result<void> fail(Error error);
  Result<void> read_head(std::span<const std::uint8_t>& bytes);

  Handlers handlers_;
  std::vector<std::uint8_t> head_;  // a head split across feeds
  std::uint64_t remaining_ = 0;     // bytes of the current segment still to come
  std::optional<Error> failed_;
};

}  // namespace lp2p::transfer
