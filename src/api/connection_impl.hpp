// The state behind a Connection handle: one origin's use of one PeerLink.
#pragma once

#include <atomic>
#include <deque>
#include <memory>
#include <optional>
#include <set>
#include <string>
#include <vector>

#include "api/core_ref.hpp"
#include "api/handler_slot.hpp"
#include "lp2p/connection.hpp"

namespace lp2p::api {

class AgentCore;
class PeerLink;
class DataChannelImpl;
class QuicTransportImpl;

class ConnectionImpl : public std::enable_shared_from_this<ConnectionImpl> {
 public:
  // Channels handed in before a data_channel handler is set wait, up to this many.
  static constexpr std::size_t kMaxUndelivered = 64;

  ConnectionImpl(CoreRef core, std::weak_ptr<PeerLink> link, std::string origin, PeerInfo peer);

  // --- any thread
  [[nodiscard]] const CoreRef& core() const { return core_; }
  [[nodiscard]] const PeerInfo& peer() const { return peer_; }
  [[nodiscard]] const std::string& origin() const { return origin_; }
  [[nodiscard]] bool is_open() const { return open_.load(); }
  Result<DataChannel> create_data_channel(const std::string& label, const DataChannelInit& init);
  void set_data_channel_handler(std::function<void(DataChannel)> handler);
  LatchedEvent<ConnectionClosed> on_close;
  // Sets on_close; if the connection ended while no handler was set, it fires now (on the loop).
  void set_close_handler(std::function<void(const ConnectionClosed&)> handler);
  void close();

  // --- loop
  // The peer opened a channel that belongs to this connection.
  void incoming(const std::shared_ptr<DataChannelImpl>& channel);
  void adopt(const std::shared_ptr<DataChannelImpl>& channel) { channels_.insert(channel); }
  void forget(const std::shared_ptr<DataChannelImpl>& channel) { channels_.erase(channel); }
  [[nodiscard]] const std::set<std::shared_ptr<DataChannelImpl>>& channels() const {
    return channels_;
  }
  // A QUIC transport opened from this connection: it closes with it.
  void adopt_transport(const std::shared_ptr<QuicTransportImpl>& transport);
  [[nodiscard]] std::shared_ptr<PeerLink> link() const { return link_.lock(); }
  // The connection ended: fires close once.
  void ended(const ConnectionClosed& why);

 private:
  CoreRef core_;
  std::weak_ptr<PeerLink> link_;
  const std::string origin_;
  const PeerInfo peer_;
  std::atomic<bool> open_{true};
  HandlerSlot<DataChannel> on_data_channel_;
  // loop
  std::set<std::shared_ptr<DataChannelImpl>> channels_;
  std::deque<std::shared_ptr<DataChannelImpl>> undelivered_;
  // The agent keeps a transport while its connection lives (the application may drop its
  // handle and keep using the streams it got); closed ones are pruned as new ones come.
  std::vector<std::shared_ptr<QuicTransportImpl>> transports_;
};

}  // namespace lp2p::api
