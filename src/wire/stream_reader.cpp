#include "wire/stream_reader.hpp"

#include <algorithm>
#include <cstdint>
#include <string>

#include "wire/varint.hpp"

namespace lp2p::wire {
namespace {

constexpr std::uint8_t kBreak = 0xff;
constexpr int kMajorBytes = 2;
constexpr int kMajorText = 3;
constexpr int kMajorArray = 4;
constexpr int kMajorMap = 5;
constexpr int kMajorTag = 6;
constexpr int kMajorSimple = 7;

std::string at(std::size_t offset) {
  return " at message offset " + std::to_string(offset);
}

}  // namespace

StreamReader::StreamReader(Options options) : options_(options) {}

Result<void> StreamReader::fail(Error error) {
  error_ = error;
  return error;
}

void StreamReader::reset_message() {
  offset_ = 0;
  body_offset_ = 0;
  type_key_ = 0;
  skip_ = 0;
  stack_.clear();
}

Result<void> StreamReader::feed(std::span<const std::uint8_t> chunk, const FrameHandler& on_frame) {
  if (error_) return *error_;
  if (!buffer_.empty()) {
    // A message is pending: copy from the chunk only what it still needs (its string bytes,
    // known from skip_, or a few bytes for the next heads), so that the messages after it are
    // handed out from the chunk itself.
    std::size_t used = 0;
    while (used < chunk.size()) {
      const std::size_t want = std::max<std::size_t>(
          64, static_cast<std::size_t>(std::min<std::uint64_t>(skip_, SIZE_MAX)));
      const std::size_t take = std::min(want, chunk.size() - used);
      buffer_.insert(buffer_.end(), chunk.begin() + static_cast<std::ptrdiff_t>(used),
                     chunk.begin() + static_cast<std::ptrdiff_t>(used + take));
      used += take;
      auto state = scan(buffer_);
      if (!state) return fail(std::move(state).error());
      if (*state == Scan::need_more) continue;
      used -= buffer_.size() - offset_;  // bytes after the message's end stay in the chunk
      const auto bytes = std::span<const std::uint8_t>(buffer_).first(offset_);
      ++messages_read_;
      on_frame(Frame{type_key_, bytes.subspan(body_offset_), bytes});
      buffer_.clear();
      reset_message();
      return feed_direct(chunk.subspan(used), on_frame);
    }
    return {};
  }
  return feed_direct(chunk, on_frame);
}

Result<void> StreamReader::feed_direct(std::span<const std::uint8_t> chunk,
                                       const FrameHandler& on_frame) {
  std::size_t start = 0;
  while (start < chunk.size()) {
    auto state = scan(chunk.subspan(start));
    if (!state) return fail(std::move(state).error());
    if (*state == Scan::need_more) break;
    const auto bytes = chunk.subspan(start, offset_);
    ++messages_read_;
    on_frame(Frame{type_key_, bytes.subspan(body_offset_), bytes});
    start += offset_;
    reset_message();
  }
  // The start of an incomplete message waits for the next chunk; its scan state is kept, with
  // offsets relative to its first byte, so scanning resumes where it stopped.
  buffer_.assign(chunk.begin() + static_cast<std::ptrdiff_t>(start), chunk.end());
  return {};
}

Result<void> StreamReader::finish() const {
  if (error_) return *error_;
  if (!buffer_.empty()) {
    return make_error(Errc::truncated, "stream ended inside a message (" +
                                           std::to_string(buffer_.size()) +
                                           " bytes of it received)");
  }
  return {};
}

Result<StreamReader::Scan> StreamReader::scan(std::span<const std::uint8_t> message) {
  if (body_offset_ == 0) {
    const auto key = decode_varint(message);
    if (!key) return Scan::need_more;
    type_key_ = key->value;
    body_offset_ = offset_ = key->length;
  }
  for (;;) {
    if (skip_ > 0) {
      const std::size_t available = message.size() - offset_;
      const std::size_t step = skip_ < available ? static_cast<std::size_t>(skip_) : available;
      offset_ += step;
      skip_ -= step;
      if (skip_ > 0) return Scan::need_more;
      if (item_done()) return Scan::complete;
      continue;
    }
    auto state = scan_head(message);
    if (!state || *state != Scan::progress) return state;
  }
}

// Consumes the CBOR head at offset_: need_more (nothing consumed) when it is not all there yet,
// complete when it ends the message's item, progress otherwise.
Result<StreamReader::Scan> StreamReader::scan_head(std::span<const std::uint8_t> message) {
  if (offset_ >= message.size()) return Scan::need_more;
  const std::uint8_t initial = message[offset_];
  const int major = initial >> 5;
  const unsigned info = initial & 0x1fU;
  const std::size_t head_offset = offset_;

  if (info >= 28 && info <= 30) {
    return make_error(Errc::malformed, "reserved CBOR additional information " +
                                           std::to_string(info) + at(head_offset));
  }
  std::size_t argument_size = 0;
  if (info >= 24 && info <= 27) argument_size = std::size_t{1} << (info - 24);
  if (message.size() - offset_ < 1 + argument_size) return Scan::need_more;
  std::uint64_t argument = info < 24 ? info : 0;
  for (std::size_t i = 0; i < argument_size; ++i)
    argument = (argument << 8) | message[offset_ + 1 + i];
  const bool indefinite = info == 31;
  offset_ += 1 + argument_size;

  if (offset_ > options_.max_message_size) {
    return make_error(Errc::too_large, "message longer than the limit of " +
                                           std::to_string(options_.max_message_size) + " bytes");
  }
  const std::uint64_t budget =
      options_.max_message_size - offset_;  // bytes the message may still use

  // Inside an indefinite string only definite chunks of the same major type (or a break) may come.
  if (!stack_.empty() && stack_.back().string_major >= 0 && initial != kBreak &&
      (major != stack_.back().string_major || indefinite)) {
    return make_error(Errc::malformed,
                      "bad chunk in an indefinite-length string" + at(head_offset));
  }

  switch (major) {
    case 0:
    case 1:
      if (indefinite) return make_error(Errc::malformed, "indefinite integer" + at(head_offset));
      break;
    case kMajorBytes:
    case kMajorText:
      if (indefinite) {
        LP2P_TRY(push(Level{0, true, major}));
        return Scan::progress;
      }
      if (argument > budget) {
        return make_error(Errc::too_large,
                          "string of " + std::to_string(argument) + " bytes" + at(head_offset) +
                              " exceeds the message size limit of " +
                              std::to_string(options_.max_message_size) + " bytes");
      }
      skip_ = argument;
      if (skip_ > 0) return Scan::progress;
      break;
    case kMajorArray:
    case kMajorMap: {
      if (indefinite) {
        LP2P_TRY(push(Level{0, true, -1}));
        return Scan::progress;
      }
      // Each item takes at least a byte: a count beyond the budget can never complete.
      const std::uint64_t per_entry = major == kMajorMap ? 2 : 1;
      if (argument > budget / per_entry) {
        return make_error(Errc::too_large, "container of " + std::to_string(argument) + " entries" +
                                               at(head_offset) + " exceeds the message size limit");
      }
      if (argument == 0) break;
      LP2P_TRY(push(Level{argument * per_entry, false, -1}));
      return Scan::progress;
    }
    case kMajorTag:
      if (indefinite) return make_error(Errc::malformed, "indefinite tag" + at(head_offset));
      LP2P_TRY(push(Level{1, false, -1}));
      return Scan::progress;
    case kMajorSimple:
      if (info == 24 && argument < 32) {  // RFC 8949 §3.3: not well-formed
        return make_error(Errc::malformed, "two-byte simple value below 32" + at(head_offset));
      }
      if (indefinite) {  // break
        if (stack_.empty() || !stack_.back().indefinite) {
          return make_error(Errc::malformed,
                            "CBOR break outside an indefinite-length item" + at(head_offset));
        }
        stack_.pop_back();  // the indefinite item is whole: it counts as one item of its parent
      }
      break;
    default:
      break;
  }
  return item_done() ? Scan::complete : Scan::progress;
}

Result<void> StreamReader::push(Level level) {
  if (stack_.size() >= options_.max_depth) {
    return make_error(Errc::too_deep,
                      "CBOR nested deeper than " + std::to_string(options_.max_depth) + " levels");
  }
  stack_.push_back(level);
  return {};
}

bool StreamReader::item_done() {
  while (!stack_.empty()) {
    Level& top = stack_.back();
    if (top.indefinite) return false;
    if (--top.remaining > 0) return false;
    stack_.pop_back();
  }
  return true;
}

}  // namespace lp2p::wire
