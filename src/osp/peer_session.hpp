// An OSP session (session.hpp) running on a QUIC connection: the I/O half. It feeds the
// connection's stream events and the clock into the session, carries the session's messages out
// (one unidirectional stream each), and runs its keepalive timer.
//
// Contract: lives on the agent's event-loop thread; events run there. The session keeps itself
// alive while its connection is open; on_closed fires once.
#pragma once

#include <boost/asio/io_context.hpp>
#include <boost/asio/steady_timer.hpp>
#include <functional>
#include <memory>

#include "osp/session.hpp"
#include "quic/connection.hpp"

namespace lp2p::osp {

class PeerSession : public SessionIo, public std::enable_shared_from_this<PeerSession> {
 public:
  struct Events {
    std::function<void(const wire::AgentInfo& info, bool verified)> on_peer_info;
    std::function<void(const wire::Message& message)> on_auth_message;
    std::function<void(const quic::CloseInfo& info)> on_closed;
    std::function<void(std::chrono::nanoseconds round_trip)> on_keepalive;  // status answered
  };

  // Takes over the connection's handlers and starts the session (agent-info-request).
  static std::shared_ptr<PeerSession> start(boost::asio::io_context& io,
                                            std::shared_ptr<quic::Connection> connection,
                                            Session::Options options, Events events);
  PeerSession(const PeerSession&) = delete;
  PeerSession& operator=(const PeerSession&) = delete;
  PeerSession(PeerSession&&) = delete;
  PeerSession& operator=(PeerSession&&) = delete;
  ~PeerSession() override = default;

  [[nodiscard]] Session& session() { return session_; }
  [[nodiscard]] const Session& session() const { return session_; }
  [[nodiscard]] quic::Connection& connection() { return *connection_; }
  [[nodiscard]] bool open() const { return open_; }
  void set_events(Events events) { events_ = std::move(events); }

  // SessionIo
  void send_message(std::vector<std::uint8_t> message) override;
  void refuse_stream(std::int64_t stream_id, CloseCode code) override;
  void close(CloseCode code, std::string reason) override;

 private:
  PeerSession(boost::asio::io_context& io, std::shared_ptr<quic::Connection> connection,
              Session::Options options);
  Session::Observer observer();
  void arm_timer();

  std::shared_ptr<quic::Connection> connection_;
  Session session_;
  Events events_;
  boost::asio::steady_timer timer_;
  std::shared_ptr<PeerSession> self_;  // while the connection is open
  bool open_ = true;
};

}  // namespace lp2p::osp
