// One connected peer as the API sees it: the OSP session (osp::PeerSession) on the one QUIC
// connection to that peer, the data channels on it (osp::DataChannels, with a send queue per
// stream for backpressure), the Connections of the origins granted the peer, pairing through
// the consent delegate, and the inactivity timer.
//
// Routing: a channel this side opens belongs to the Connection that opened it. A channel the
// peer opens carries no origin on the wire (the LP2P extension has none), so it goes to the
// oldest open Connection of the peer; while the peer has none yet (the person is still being
// asked) it waits, bounded (kMaxWaitingChannels, kMaxWaitingBytes per channel), and is refused
// when no origin gets the peer. Recorded in docs/api.md.
//
// Threading: loop thread only.
#pragma once

#include <boost/asio/steady_timer.hpp>
#include <deque>
#include <functional>
#include <map>
#include <memory>
#include <optional>
#include <string>
#include <vector>

#include "lp2p/connection.hpp"
#include "lp2p/consent.hpp"
#include "osp/data_channels.hpp"
#include "osp/peer_session.hpp"

namespace lp2p::api {

class AgentCore;
class ConnectionImpl;
class DataChannelImpl;

class PeerLink : public osp::DataChannelIo, public std::enable_shared_from_this<PeerLink> {
 public:
  static constexpr std::size_t kMaxWaitingChannels = 64;
  // Per channel: messages that no handler took yet (waiting for a Connection or on_message).
  static constexpr std::size_t kMaxWaitingBytes = std::size_t{1} << 20;
  // How long a code to show waits for the peer's name (its agent-info).
  static constexpr std::chrono::milliseconds kNameWait{1000};
  using ReadyHandler = std::function<void(Result<void> ready)>;

  static std::shared_ptr<PeerLink> create(AgentCore& core,
                                          std::shared_ptr<osp::PeerSession> session);
  PeerLink(const PeerLink&) = delete;
  PeerLink& operator=(const PeerLink&) = delete;
  PeerLink(PeerLink&&) = delete;
  PeerLink& operator=(PeerLink&&) = delete;
  ~PeerLink() override;

  [[nodiscard]] const std::string& peer_id() const { return peer_id_; }
  [[nodiscard]] bool open() const { return open_; }
  // The peer dialed us (its Receiver-side meaning: someone connected to this device).
  [[nodiscard]] bool incoming() const { return incoming_; }
  // We dialed the OSP connection (so we dial its QUIC transports too), and where to.
  [[nodiscard]] bool dialed() const { return session_->connection().is_client(); }
  [[nodiscard]] const quic::SocketAddress& remote() const {
    return session_->connection().remote();
  }
  [[nodiscard]] bool has_connections() const { return primary_connection() != nullptr; }
  [[nodiscard]] bool is_session(const osp::PeerSession& session) const {
    return session_.get() == &session;
  }
  // Authenticated and its agent-info verified: origins may be granted it.
  [[nodiscard]] bool ready() const { return ready_; }
  [[nodiscard]] bool authenticated() const;
  [[nodiscard]] PeerInfo info() const;
  [[nodiscard]] PeerCandidate candidate() const;
  [[nodiscard]] bool peer_has_data_channels() const;

  // Pairs if needed; `handler` runs once ready (at once if it is) or with the failure.
  void when_ready(ReadyHandler handler);

  // Connections of origins.
  std::shared_ptr<ConnectionImpl> attach(const std::string& origin);
  [[nodiscard]] std::shared_ptr<ConnectionImpl> connection_of(const std::string& origin) const;
  // A Connection ended (closed here or revoked): its channels close, and the QUIC connection
  // with the last one.
  void detach(ConnectionImpl& connection, ConnectionClosed why);
  // A receiver prompt for this peer is pending / was answered (waiting channels wait for it).
  void expect_grant() { ++pending_grants_; }
  void grant_answered();

  // Channels (ConnectionImpl and DataChannelImpl call these).
  Result<std::shared_ptr<DataChannelImpl>> open_channel(ConnectionImpl& owner,
                                                        const std::string& label,
                                                        const DataChannelInit& init);
  void send(std::uint16_t channel, MessageKind kind, std::span<const std::uint8_t> payload);
  void close_channel(std::uint16_t channel);
  void note_activity();

  // Closes the QUIC connection (5139) with `why` for every Connection.
  void close(ConnectionClosed why);
  // close(), and the Connections and channels end at once (the agent is stopping).
  void close_now(ConnectionClosed why);

  // DataChannelIo
  Result<std::int64_t> open_stream() override;
  void write(std::int64_t stream_id, std::span<const std::uint8_t> bytes, bool fin) override;
  void reset(std::int64_t stream_id, std::uint64_t code) override;

 private:
  struct Outgoing {
    std::vector<std::uint8_t> bytes;  // not yet taken by QUIC, from `offset`
    std::size_t offset = 0;
    bool fin = false;
    [[nodiscard]] std::size_t size() const { return bytes.size() - offset; }
  };
  struct Channel {
    std::shared_ptr<DataChannelImpl> impl;
    std::weak_ptr<ConnectionImpl> owner;  // empty while waiting for a Connection
    std::int64_t stream_id = -1;
  };

  PeerLink(AgentCore& core, std::shared_ptr<osp::PeerSession> session);
  void start();
  osp::DataChannels::Observer channel_observer();
  void check_ready();
  void finish_ready(const Result<void>& outcome);
  void on_closed(const quic::CloseInfo& info);
  void flush(std::int64_t stream_id);
  void update_buffered(std::int64_t stream_id);
  void register_channel(std::uint16_t id, const std::shared_ptr<DataChannelImpl>& impl,
                        const std::shared_ptr<ConnectionImpl>& owner);
  void hand_out_waiting();
  void refuse_waiting(const std::string& reason);
  void fail_channel(std::uint16_t id, const std::string& reason);
  void arm_inactivity();
  void on_inactivity();
  [[nodiscard]] std::shared_ptr<ConnectionImpl> primary_connection() const;
  void show_code();
  void ask_code(std::string retry_reason);

  AgentCore& core_;
  std::shared_ptr<osp::PeerSession> session_;
  std::string peer_id_;
  osp::DataChannels channels_;
  std::map<std::uint16_t, Channel> by_id_;
  std::map<std::int64_t, std::uint16_t> stream_channels_;
  std::map<std::int64_t, Outgoing> outgoing_;
  std::vector<std::shared_ptr<ConnectionImpl>> connections_;  // oldest first
  std::vector<std::uint16_t> waiting_;                        // incoming, no Connection yet
  int pending_grants_ = 0;
  std::vector<ReadyHandler> ready_handlers_;
  bool ready_ = false;
  bool open_ = true;
  bool incoming_ = false;
  bool showing_code_ = false;  // the delegate shows or asks a code: tell it when pairing ends
  bool pairing_ = false;
  std::optional<ConnectionClosed> closing_why_;  // why we closed it, for the Connections
  boost::asio::steady_timer inactivity_;
  boost::asio::steady_timer code_timer_;
  std::optional<std::pair<std::uint64_t, unsigned>> pending_code_;  // waits for the peer's name
  std::chrono::steady_clock::time_point last_activity_;
  std::chrono::steady_clock::time_point extended_until_{};
  std::chrono::milliseconds inactivity_timeout_;
};

}  // namespace lp2p::api
