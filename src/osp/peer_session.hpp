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
#include <span>

#include "osp/session.hpp"
#include "quic/connection.hpp"

namespace lp2p::osp {

class PeerSession : public SessionIo, public std::enable_shared_from_this<PeerSession> {
 public:
  struct Events {
    std::function<void(const wire::AgentInfo& info, bool verified)> on_peer_info;
    std::function<void(const quic::CloseInfo& info)> on_closed;
    std::function<void(std::chrono::nanoseconds round_trip)> on_keepalive;  // status answered
    // Pairing, as Session::Observer's.
    std::function<void(std::uint64_t code, unsigned bits)> on_show_code;
    std::function<void()> on_code_needed;
    std::function<void()> on_authenticated;
    std::function<void(const Authenticator::Failure& failure)> on_auth_failed;
    // Bidirectional streams (data channels), after authentication: bytes in order (fin with the
    // last), the peer resetting its half or stopping ours, and room back on a stream whose write
    // took less than offered. The application's events only.
    std::function<void(std::int64_t stream, std::span<const std::uint8_t> bytes, bool fin)>
        on_bidi_stream_data;
    std::function<void(std::int64_t stream, std::uint64_t code)> on_bidi_stream_reset;
    std::function<void(std::int64_t stream)> on_stream_writable;
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
  // The application's events; the owner's (the LocalAgent's bookkeeping) run first.
  void set_events(Events events) { events_ = std::move(events); }
  void set_owner_events(Events events) { owner_events_ = std::move(events); }
  [[nodiscard]] Events& events() { return events_; }

  // Pairing (Session::pair, enter_code, cancel_pairing) with the loop's clock.
  void pair();
  void enter_code(std::uint64_t code);
  void cancel_pairing();

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
  Events owner_events_;
  Events events_;
  boost::asio::steady_timer timer_;
  std::shared_ptr<PeerSession> self_;  // while the connection is open
  bool open_ = true;
};

}  // namespace lp2p::osp
