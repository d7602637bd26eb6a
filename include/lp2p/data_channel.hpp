// A data channel (LP2PDataChannel): ordered, reliable messages both ways on one QUIC stream of
// a Connection (the LP2P data-channel extension: data-channel-open-request/-response, then
// data-frames).
//
// Contract:
// - A DataChannel is a cheap shared handle; copies refer to the same channel. A default one is
//   empty (operator bool is false) and must not be used.
// - Methods are thread-safe. Handlers run on the agent's loop thread, one at a time, and may call
//   any method (including close() and send()). Setting a handler replaces the previous one.
//   An event that happened while its handler was not set yet (the application sets handlers
//   from its own thread while the agent's thread goes on) fires when the handler is set, once;
//   messages that came before on_message wait for it.
// - Events: `open` (for a channel this side created, once the peer accepted it; an incoming
//   channel is open when handed out), `message` in the order sent, `closing` when this side or
//   the peer started closing, `error` (with the reason) when the channel failed, and `close`
//   exactly once, last. A channel that closes cleanly fires no error.
// - Backpressure: send() queues the message and returns at once; buffered_amount() counts the
//   bytes queued and not yet taken by the transport. When it falls to the low threshold or
//   below, `buffered_amount_low` fires. send() refuses (would_block) beyond kMaxBufferedAmount.
// - The agent keeps the channel while it is open; dropping every handle does not close it.
#pragma once

#include <cstddef>
#include <cstdint>
#include <filesystem>
#include <functional>
#include <memory>
#include <optional>
#include <span>
#include <string>
#include <string_view>

#include "lp2p/message.hpp"
#include "lp2p/result.hpp"

namespace lp2p {

namespace api {
class DataChannelImpl;
}

struct DataChannelInit {
  std::string protocol;             // sub-protocol, "" for none
  std::optional<std::uint16_t> id;  // 0–65534; empty: the agent picks a free one
};

enum class DataChannelState { connecting, open, closing, closed };

class DataChannel {
 public:
  // The largest message (payload) one send() may carry and the peer must accept.
  static constexpr std::size_t kMaxMessageSize = std::size_t{256} << 10;
  // The most send() lets wait in the queue; beyond it send() fails with would_block.
  static constexpr std::size_t kMaxBufferedAmount = std::size_t{16} << 20;

  DataChannel() = default;
  explicit DataChannel(std::shared_ptr<api::DataChannelImpl> impl) : impl_(std::move(impl)) {}

  explicit operator bool() const { return impl_ != nullptr; }
  bool operator==(const DataChannel& other) const { return impl_ == other.impl_; }

  [[nodiscard]] const std::string& label() const;
  [[nodiscard]] const std::string& protocol() const;
  // Known from creation for incoming channels and for outgoing ones with an id in the init;
  // otherwise once the agent allocated it (before create_data_channel returns).
  [[nodiscard]] std::uint16_t id() const;
  [[nodiscard]] DataChannelState state() const;

  // Errors: closed (not open, or closing), too_large (over kMaxMessageSize), would_block
  // (kMaxBufferedAmount reached: wait for buffered_amount_low).
  Result<void> send(std::string_view text);
  Result<void> send(std::span<const std::uint8_t> bytes,
                    MessageKind kind = MessageKind::array_buffer);
  // Sends a whole file as one blob message (it must fit in kMaxMessageSize; files of any size
  // go through the transfer protocol instead).
  Result<void> send_file(const std::filesystem::path& file);
  // Starts closing: what was sent is still delivered; `closing`, then `close` once the peer
  // closed its side too.
  void close();

  [[nodiscard]] std::size_t buffered_amount() const;
  void set_buffered_amount_low_threshold(std::size_t bytes);  // default 0
  [[nodiscard]] std::size_t buffered_amount_low_threshold() const;

  void on_open(std::function<void()> handler);
  void on_message(std::function<void(const Message& message)> handler);
  void on_error(std::function<void(const Error& error)> handler);
  void on_closing(std::function<void()> handler);
  void on_close(std::function<void()> handler);
  void on_buffered_amount_low(std::function<void()> handler);

 private:
  std::shared_ptr<api::DataChannelImpl> impl_;
};

}  // namespace lp2p
