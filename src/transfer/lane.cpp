#include "transfer/lane.hpp"

#include <algorithm>
#include <array>

#include "wire/varint.hpp"

namespace lp2p::transfer {
namespace {

constexpr std::size_t kMaxHead = std::size_t{3} * 8;  // three varints of at most 8 bytes

struct Parsed {
  SegmentHead head;
  std::size_t length = 0;  // bytes of the head
};

// The head at the start of `bytes`, or nullopt when it is not complete yet.
std::optional<Parsed> parse_head(std::span<const std::uint8_t> bytes) {
  std::array<std::uint64_t, 3> values{};
  std::size_t at = 0;
  for (std::uint64_t& value : values) {
    auto v = wire::decode_varint(bytes.subspan(at));
    if (!v) return std::nullopt;
    value = v->value;
    at += v->length;
  }
  return Parsed{{values[0], values[1], values[2]}, at};
}

}  // namespace

void append_segment_head(std::uint64_t index, std::uint64_t offset, std::uint64_t length,
                         std::vector<std::uint8_t>& out) {
  wire::append_varint(index, out);
  wire::append_varint(offset, out);
  wire::append_varint(length, out);
}

Result<void> LaneReader::fail(Error error) {
  failed_ = error;
  return error;
}

Result<void> LaneReader::read_head(std::span<const std::uint8_t>& bytes) {
  std::optional<Parsed> parsed;
  if (head_.empty()) {
    parsed = parse_head(bytes);
    if (parsed) {
      bytes = bytes.subspan(parsed->length);
    } else {
      head_.assign(bytes.begin(), bytes.end());
      bytes = {};
      return {};
    }
  } else {
    // Complete a split head a byte at a time: at most kMaxHead bytes are ever buffered.
    while (!parsed && !bytes.empty()) {
      head_.push_back(bytes.front());
      bytes = bytes.subspan(1);
      parsed = parse_head(head_);
      if (!parsed && head_.size() >= kMaxHead) {
        return fail(make_error(Errc::malformed, "lane: a segment head longer than 24 bytes"));
      }
    }
    if (!parsed) return {};
    head_.clear();
  }
  if (parsed->head.length == 0) {
    // An empty segment (an empty file) begins and ends at once.
    if (auto r = handlers_.begin(parsed->head); !r) return fail(r.error());
    if (auto r = handlers_.end(); !r) return fail(r.error());
    return {};
  }
  remaining_ = parsed->head.length;
  if (auto r = handlers_.begin(parsed->head); !r) return fail(r.error());
  return {};
}

Result<void> LaneReader::feed(std::span<const std::uint8_t> bytes) {
  if (failed_) return *failed_;
  while (!bytes.empty()) {
    if (remaining_ == 0) {
      LP2P_TRY(read_head(bytes));
      continue;
    }
    const std::size_t take =
        static_cast<std::size_t>(std::min<std::uint64_t>(remaining_, bytes.size()));
    if (auto r = handlers_.data(bytes.first(take)); !r) return fail(r.error());
    remaining_ -= take;
    bytes = bytes.subspan(take);
    if (remaining_ == 0) {
      if (auto r = handlers_.end(); !r) return fail(r.error());
    }
  }
  return {};
}

Result<void> LaneReader::finish() {
  if (failed_) return *failed_;
  if (in_segment()) {
    return fail(make_error(Errc::truncated, "lane: the stream ended inside a segment"));
  }
  return {};
}

}  // namespace lp2p::transfer
