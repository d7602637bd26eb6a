#include "api/connection_impl.hpp"

#include "api/agent_core.hpp"
#include "api/data_channel_impl.hpp"
#include "api/peer_link.hpp"
#include "api/quic_transport_impl.hpp"

namespace lp2p::api {

ConnectionImpl::ConnectionImpl(CoreRef core, std::weak_ptr<PeerLink> link, std::string origin,
                               PeerInfo peer)
    : core_(std::move(core)),
      link_(std::move(link)),
      origin_(std::move(origin)),
      peer_(std::move(peer)) {}

Result<DataChannel> ConnectionImpl::create_data_channel(const std::string& label,
                                                        const DataChannelInit& init) {
  return core_.call([&]() -> Result<DataChannel> {
    auto link = link_.lock();
    if (!open_.load() || !link || !link->open()) {
      return make_error(Errc::closed, "the connection to " + peer_.name + " is closed");
    }
    auto channel = link->open_channel(*this, label, init);
    if (!channel) return std::move(channel).error();
    return DataChannel(std::move(*channel));
  });
}

void ConnectionImpl::set_data_channel_handler(std::function<void(DataChannel)> handler) {
  on_data_channel_.set(std::move(handler));
  // Channels that came before the handler: hand them over on the loop.
  core_.post([weak = weak_from_this()] {
    auto self = weak.lock();
    if (!self) return;
    while (!self->undelivered_.empty() && self->on_data_channel_.has()) {
      auto channel = std::move(self->undelivered_.front());
      self->undelivered_.pop_front();
      if (channel->state() == DataChannelState::closed) continue;
      self->on_data_channel_(DataChannel(channel));
      channel->hold(false);
    }
  });
}

void ConnectionImpl::close() {
  if (!open_.load()) return;
  core_.post([weak = weak_from_this()] {
    auto self = weak.lock();
    if (!self || !self->open_.load()) return;
    if (auto link = self->link_.lock()) {
      link->detach(*self, {ConnectionClosed::Why::closed_here, "closed by this application"});
    } else {
      self->ended({ConnectionClosed::Why::closed_here, "closed by this application"});
    }
  });
}

void ConnectionImpl::incoming(const std::shared_ptr<DataChannelImpl>& channel) {
  channels_.insert(channel);
  if (on_data_channel_.has() && undelivered_.empty()) {
    on_data_channel_(DataChannel(channel));
    channel->hold(false);  // messages that came with the open are delivered now
    return;
  }
  if (undelivered_.size() >= kMaxUndelivered) {
    channel->failed(make_error(Errc::refused, "the application does not take data channels"));
    if (auto link = link_.lock()) link->close_channel(channel->id());
    return;
  }
  undelivered_.push_back(channel);
}

void ConnectionImpl::adopt_transport(const std::shared_ptr<QuicTransportImpl>& transport) {
  std::erase_if(transports_, [](const auto& t) { return t->is_closed(); });
  transports_.push_back(transport);
}

void ConnectionImpl::ended(const ConnectionClosed& why) {
  if (!open_.exchange(false)) return;
  undelivered_.clear();
  channels_.clear();
  for (const auto& transport : transports_) transport->close_now(why.reason);
  transports_.clear();
  on_close.fire(why);
  on_data_channel_.clear();
}

void ConnectionImpl::set_close_handler(std::function<void(const ConnectionClosed&)> handler) {
  on_close.set(std::move(handler));
  core_.post([weak = weak_from_this()] {
    auto self = weak.lock();
    if (self) self->on_close.replay();
  });
}

}  // namespace lp2p::api
