#include "api/data_channel_impl.hpp"

#include "api/agent_core.hpp"
#include "api/peer_link.hpp"

namespace lp2p::api {

DataChannelImpl::DataChannelImpl(CoreRef core, std::weak_ptr<PeerLink> link, std::string label,
                                 std::string protocol, std::uint16_t id, DataChannelState state)
    : core_(std::move(core)),
      link_(std::move(link)),
      label_(std::move(label)),
      protocol_(std::move(protocol)),
      id_(id),
      state_(state) {}

Result<void> DataChannelImpl::send(MessageKind kind, std::span<const std::uint8_t> payload) {
  if (state_.load() != DataChannelState::open) {
    return make_error(Errc::closed, "data channel \"" + label_ + "\" is not open");
  }
  if (payload.size() > DataChannel::kMaxMessageSize) {
    return make_error(Errc::too_large, "a message of " + std::to_string(payload.size()) +
                                           " bytes is over the limit of " +
                                           std::to_string(DataChannel::kMaxMessageSize));
  }
  const std::size_t before = queued_.fetch_add(payload.size());
  const std::size_t total = before + payload.size() + unsent_.load();
  if (total > DataChannel::kMaxBufferedAmount) {
    queued_.fetch_sub(payload.size());
    return make_error(Errc::would_block, "the channel's send queue is full (" +
                                             std::to_string(total - payload.size()) +
                                             " bytes): wait for buffered_amount_low");
  }
  if (total > low_threshold_.load()) above_low_.store(true);
  if (core_.on_loop()) {
    if (auto link = link_.lock()) link->send(id_, kind, payload);
    return {};
  }
  std::vector<std::uint8_t> copy(payload.begin(), payload.end());
  const bool posted = core_.post([link = link_, id = id_, kind, copy = std::move(copy)] {
    if (auto l = link.lock()) l->send(id, kind, copy);
  });
  if (!posted) return make_error(Errc::closed, "the agent stopped");
  return {};
}

void DataChannelImpl::close() {
  auto expected = DataChannelState::open;
  if (!state_.compare_exchange_strong(expected, DataChannelState::closing)) {
    expected = DataChannelState::connecting;
    if (!state_.compare_exchange_strong(expected, DataChannelState::closing)) return;
  }
  core_.post([link = link_, id = id_] {
    if (auto l = link.lock()) l->close_channel(id);
  });
}

void DataChannelImpl::opened() {
  auto expected = DataChannelState::connecting;
  if (state_.compare_exchange_strong(expected, DataChannelState::open)) {
    missed_open_ = !on_open();
  }
}

void DataChannelImpl::received(Message message) {
  if (closed_fired_) return;
  if (held_ || !on_message.has()) {
    // Nobody listens yet (the channel waits for its Connection, or for on_message to be set
    // in the data_channel handler's aftermath): keep it, in order.
    held_bytes_ += message.size();
    held_messages_.push_back(std::move(message));
    return;
  }
  on_message(message);
}

void DataChannelImpl::release_held() {
  if (core_.on_loop()) return deliver_held();
  core_.post([weak = weak_from_this()] {
    if (auto self = weak.lock()) self->deliver_held();
  });
}

void DataChannelImpl::hold(bool held) {
  held_ = held;
  deliver_held();
}

void DataChannelImpl::deliver_held() {
  while (!held_messages_.empty() && !held_ && on_message.has() && !closed_fired_) {
    Message message = std::move(held_messages_.front());
    held_messages_.pop_front();
    held_bytes_ -= message.size();
    on_message(message);
  }
}

void DataChannelImpl::closing() {
  if (closing_fired_ || closed_fired_) return;
  closing_fired_ = true;
  state_.store(DataChannelState::closing);
  missed_closing_ = !on_closing();
}

void DataChannelImpl::failed(const Error& error) {
  if (closed_fired_) return;
  state_.store(DataChannelState::closing);
  if (!on_error(error)) missed_error_ = error;
}

void DataChannelImpl::closed() {
  if (closed_fired_) return;
  // Messages that arrived before the end are still the application's.
  held_ = false;
  deliver_held();
  closed_fired_ = true;
  state_.store(DataChannelState::closed);
  held_messages_.clear();
  held_bytes_ = 0;
  queued_.store(0);
  unsent_.store(0);
  missed_close_ = !on_close();
  // The handlers may hold handles of this channel: drop them to break the cycles.
  on_open.clear();
  on_message.clear();
  on_error.clear();
  on_closing.clear();
  on_close.clear();
  on_buffered_amount_low.clear();
}

void DataChannelImpl::replay_missed() {
  const auto replay = [](DataChannelImpl& self) {
    if (self.missed_open_ && self.on_open()) self.missed_open_ = false;
    if (self.missed_closing_ && self.on_closing()) self.missed_closing_ = false;
    if (self.missed_error_ && self.on_error(*self.missed_error_)) self.missed_error_.reset();
    if (self.missed_close_ && self.on_close()) {
      self.missed_close_ = false;
      self.on_close.clear();
    }
  };
  if (core_.on_loop()) return replay(*this);
  core_.post([weak = weak_from_this(), replay] {
    if (auto self = weak.lock()) replay(*self);
  });
}

void DataChannelImpl::taken(std::size_t bytes) {
  queued_.fetch_sub(std::min(bytes, queued_.load()));
  check_low();
}

void DataChannelImpl::set_unsent(std::size_t unsent) {
  unsent_.store(unsent);
  check_low();
}

void DataChannelImpl::check_low() {
  if (buffered_amount() > low_threshold_.load()) return;
  if (above_low_.exchange(false) && !closed_fired_) on_buffered_amount_low();
}

}  // namespace lp2p::api
