// The state behind a DataChannel handle. The public half (send, close, the handler setters,
// buffered_amount) may be called from any thread; the loop half (the events) is called by the
// PeerLink on the loop thread.
#pragma once

#include <atomic>
#include <deque>
#include <memory>
#include <optional>
#include <string>

#include "api/core_ref.hpp"
#include "api/handler_slot.hpp"
#include "lp2p/data_channel.hpp"

namespace lp2p::api {

class AgentCore;
class PeerLink;

class DataChannelImpl : public std::enable_shared_from_this<DataChannelImpl> {
 public:
  DataChannelImpl(CoreRef core, std::weak_ptr<PeerLink> link, std::string label,
                  std::string protocol, std::uint16_t id, DataChannelState state);

  // --- any thread
  [[nodiscard]] const std::string& label() const { return label_; }
  [[nodiscard]] const std::string& protocol() const { return protocol_; }
  [[nodiscard]] std::uint16_t id() const { return id_; }
  [[nodiscard]] DataChannelState state() const { return state_.load(); }
  Result<void> send(MessageKind kind, std::span<const std::uint8_t> payload);
  void close();
  // A message handler was set: deliver what arrived before it (on the loop).
  void release_held();
  // An event handler was set: fire the events that happened while it was missing (an `open`
  // that came before the application set on_open from its own thread), once, on the loop.
  void replay_missed();
  [[nodiscard]] std::size_t buffered_amount() const { return queued_.load() + unsent_.load(); }
  void set_low_threshold(std::size_t bytes) { low_threshold_.store(bytes); }
  [[nodiscard]] std::size_t low_threshold() const { return low_threshold_.load(); }

  HandlerSlot<> on_open;
  HandlerSlot<const Message&> on_message;
  HandlerSlot<const Error&> on_error;
  HandlerSlot<> on_closing;
  HandlerSlot<> on_close;
  HandlerSlot<> on_buffered_amount_low;

  // --- loop
  void opened();
  // A message arrived; held (not delivered) while hold(true).
  void received(Message message);
  void hold(bool held);
  [[nodiscard]] std::size_t held_bytes() const { return held_bytes_; }
  void closing();
  void failed(const Error& error);
  void closed();
  // `bytes` of queued payload went to the transport; `unsent` is what the transport has not
  // taken yet of the channel's stream.
  void taken(std::size_t bytes);
  void set_unsent(std::size_t unsent);

 private:
  void check_low();
  void deliver_held();

  CoreRef core_;
  std::weak_ptr<PeerLink> link_;
  const std::string label_;
  const std::string protocol_;
  const std::uint16_t id_;
  std::atomic<DataChannelState> state_;
  std::atomic<std::size_t> queued_{0};  // sent by the application, not yet framed
  std::atomic<std::size_t> unsent_{0};  // framed, not yet taken by QUIC
  std::atomic<std::size_t> low_threshold_{0};
  std::atomic<bool> above_low_{false};
  // loop
  bool held_ = false;
  std::deque<Message> held_messages_;
  std::size_t held_bytes_ = 0;
  bool closing_fired_ = false;
  bool closed_fired_ = false;
  bool missed_open_ = false;
  bool missed_closing_ = false;
  std::optional<Error> missed_error_;
  bool missed_close_ = false;
};

}  // namespace lp2p::api
