// Splits the bytes of one QUIC stream into OSP messages (type key ‖ one CBOR item), whatever the
// chunking: feed chunks as they arrive and get each whole message as soon as its last byte is in.
//
// Contract:
// - Work is linear in the bytes fed: the reader scans each byte once (string payloads are skipped
//   by length, not examined) and never re-parses a message from its start. Bytes of a message
//   that arrive split across chunks are copied once into an internal buffer; whole messages that
//   lie within one chunk are handed out straight from that chunk, without a copy.
// - A message longer than Options::max_message_size, nested deeper than Options::max_depth, or
//   malformed at the CBOR level fails the reader: feed() returns the Error and every later call
//   returns it again (the stream's framing is lost; the caller closes the stream). Lengths
//   announced in CBOR heads are checked against the limit before anything is buffered, so a
//   2^64-byte string costs nothing.
// - Frames handed to the callback are views into the chunk or the internal buffer, valid only
//   during that callback. Decode them there (decode_body) or copy what must outlive it.
// - Not thread-safe; one reader per stream.
#pragma once

#include <cstdint>
#include <functional>
#include <optional>
#include <span>
#include <vector>

#include "lp2p/result.hpp"
#include "wire/constants.hpp"

namespace lp2p::wire {

struct Frame {
  std::uint64_t type_key = 0;
  std::span<const std::uint8_t> body;   // the CBOR item
  std::span<const std::uint8_t> bytes;  // the whole message, type key included
};

class StreamReader {
 public:
  struct Options {
    std::size_t max_message_size = kDefaultMaxMessageSize;  // type key included
    unsigned max_depth = kMaxCborDepth;
  };
  using FrameHandler = std::function<void(const Frame&)>;

  StreamReader() : StreamReader(Options{}) {}
  explicit StreamReader(Options options);

  // Consumes `chunk`, calling `on_frame` for every message it completes, in stream order.
  Result<void> feed(std::span<const std::uint8_t> chunk, const FrameHandler& on_frame);

  // To be called when the stream ends (FIN): an error when a message was left incomplete.
  [[nodiscard]] Result<void> finish() const;

  // Bytes held for a message not yet complete.
  [[nodiscard]] std::size_t buffered() const { return buffer_.size(); }
  [[nodiscard]] std::uint64_t messages_read() const { return messages_read_; }

 private:
  struct Level {
    std::uint64_t remaining = 0;  // items still to come (ignored when indefinite)
    bool indefinite = false;
    int string_major = -1;  // for an indefinite string: the major type its chunks must have
  };
  enum class Scan { need_more, progress, complete };

  Result<void> feed_direct(std::span<const std::uint8_t> chunk, const FrameHandler& on_frame);
  // Advances over `message` (which starts at the current message's first byte) from offset_.
  Result<Scan> scan(std::span<const std::uint8_t> message);
  Result<Scan> scan_head(std::span<const std::uint8_t> message);
  Result<void> push(Level level);
  bool item_done();  // true when the top-level item is complete
  void reset_message();
  Result<void> fail(Error error);

  Options options_;
  std::vector<std::uint8_t> buffer_;  // the incomplete message, from its first byte
  // Scanner state for the current message; offsets are relative to its first byte.
  std::size_t offset_ = 0;
  std::size_t body_offset_ = 0;  // where the CBOR item starts (after the type key), 0 = unknown
  std::uint64_t type_key_ = 0;
  std::uint64_t skip_ = 0;  // string bytes still to pass over
  std::vector<Level> stack_;
  std::uint64_t messages_read_ = 0;
  std::optional<Error> error_;
};

}  // namespace lp2p::wire
