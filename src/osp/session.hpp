// One OSP session over one QUIC connection (osp-brief §2–§3), without I/O: the connection feeds
// it stream bytes and the time, and it answers through SessionIo and its observer callbacks.
//
// What it does:
// - Control messages travel one per unidirectional stream, which is then ended (§7 #12): every
//   incoming unidirectional stream is split into messages (wire::StreamReader, 64 KiB message
//   limit) and each message is routed by its type key.
// - On start() it asks for the peer's agent-info (agent-info-request) and answers the peer's
//   requests with the local agent-info; update_local_info() pushes agent-info-event.
// - Keepalive (§2.1, §7 #28): when nothing was sent for Options::keepalive_interval it sends
//   agent-status-request; it answers agent-status-request with agent-status-response. Missing
//   replies are tolerated (the QUIC idle timeout ends dead connections).
// - Before authentication only agent-info, agent-status and auth messages may flow (§2.4):
//   any other message refuses its stream with CloseCode::not_authenticated, and a bidirectional
//   stream (data channels) is refused the same way, except while the authenticator is confirming:
//   then up to kMaxEarlyBidiBytes are kept and delivered once authenticated (the peer may know
//   the outcome first and open a channel at once). After authentication bidirectional stream
//   bytes go to Observer::on_bidi_stream_data untouched.
// - Unknown type keys close the connection with 404 and a reason naming the key, except the
//   known extension keys of other stacks (1201–1204, 99001; §7 #22), whose streams are drained.
//   Malformed messages or framing close it with CloseCode::bad_message; a log line says why.
// - request-id: taken from Options::next_request_id, the agent-wide counter (§3.1).
// - Authentication (§4): an Authenticator (authenticator.hpp) runs on the session's auth
//   messages; start() sends auth-capabilities. Its success makes the session authenticated; its
//   failure closes the connection with 401 (408 on a timeout, 429 when refused by back-off) and
//   the reason; a failure the peer reported (auth-status) leaves the close to the peer, whose
//   reason says more, for kPeerCloseGrace, then closes.
//
// Contract: single-threaded (the connection's loop thread); the observer is called synchronously
// from the method that caused the event and may call back into the session. After close() was
// requested through SessionIo the session ignores further input.
#pragma once

#include <chrono>
#include <cstdint>
#include <functional>
#include <memory>
#include <optional>
#include <span>
#include <string>
#include <string_view>
#include <unordered_map>
#include <unordered_set>
#include <vector>

#include "lp2p/result.hpp"
#include "osp/authenticator.hpp"
#include "osp/codes.hpp"
#include "wire/messages.hpp"
#include "wire/stream_reader.hpp"

namespace lp2p::osp {

using Clock = std::chrono::steady_clock;
using TimePoint = Clock::time_point;

// What the session needs from its connection.
class SessionIo {
 public:
  SessionIo() = default;
  SessionIo(const SessionIo&) = delete;
  SessionIo& operator=(const SessionIo&) = delete;
  SessionIo(SessionIo&&) = delete;
  SessionIo& operator=(SessionIo&&) = delete;
  virtual ~SessionIo() = default;
  // Sends one encoded message on a new unidirectional stream and ends the stream.
  virtual void send_message(std::vector<std::uint8_t> message) = 0;
  // Refuses a stream the peer opened: STOP_SENDING, and RESET_STREAM of our half if bidirectional.
  virtual void refuse_stream(std::int64_t stream_id, CloseCode code) = 0;
  // Closes the connection with an application error code and reason phrase.
  virtual void close(CloseCode code, std::string reason) = 0;
};

class Session {
 public:
  static constexpr std::chrono::milliseconds kPeerCloseGrace{1000};
  // Bidirectional-stream bytes kept while the last confirmation is in flight (on_bidi_data).
  static constexpr std::size_t kMaxEarlyBidiBytes = std::size_t{64} << 10;

  struct Options {
    wire::AgentInfo local_info;
    std::chrono::milliseconds keepalive_interval{15000};
    std::function<std::uint64_t()> next_request_id;  // required: the agent's request-id counter
    std::size_t max_control_message = std::size_t{64} << 10;
    Authenticator::Options auth;
  };
  struct Observer {
    // The peer's agent-info (from a response or an event); `verified` is false until the peer
    // is authenticated (the UI must show it as unverified).
    std::function<void(const wire::AgentInfo& info, bool verified)> on_peer_info;
    // auth-capabilities, -spake2-handshake, -spake2-confirmation, -status: for the
    // authentication state machine (next layer). Not called for other messages.
    std::function<void(const wire::Message& message)> on_auth_message;
    // After authentication: bytes of a bidirectional stream the peer opened or we opened.
    std::function<void(std::int64_t stream_id, std::span<const std::uint8_t> bytes, bool fin)>
        on_bidi_stream_data;
    // An agent-status-response arrived: the round trip of the keepalive it answered.
    std::function<void(std::chrono::nanoseconds round_trip)> on_status_response;
    // Pairing (see Authenticator): show this code; ask the person for the code; the outcome.
    // on_authenticated is not called for set_authenticated() (an already trusted peer).
    std::function<void(std::uint64_t code, unsigned bits)> on_show_code;
    std::function<void()> on_code_needed;
    std::function<void()> on_authenticated;
    std::function<void(const Authenticator::Failure& failure)> on_auth_failed;
  };
  struct Stats {
    std::uint64_t messages_received = 0;
    std::uint64_t messages_sent = 0;
    std::uint64_t streams_refused = 0;
    std::uint64_t keepalives_sent = 0;
  };

  Session(Options options, SessionIo& io, Observer observer);

  // Sends agent-info-request. Call once, when the connection is established.
  void start(TimePoint now);

  // Bytes of a stream the peer opened (or of a bidirectional one either side opened), in order.
  // `fin` is true with the stream's last bytes (or alone, with no bytes).
  void on_stream_data(std::int64_t stream_id, bool bidirectional,
                      std::span<const std::uint8_t> bytes, bool fin, TimePoint now);
  // The peer reset a stream: its partial message is dropped.
  void on_stream_reset(std::int64_t stream_id);

  // The application sent something on this connection outside the session (data channels):
  // it counts as traffic for the keepalive timer.
  void note_sent(TimePoint now);

  // Our agent-info changed: keep it and send agent-info-event.
  void update_local_info(wire::AgentInfo info, TimePoint now);

  // The peer is trusted from an earlier pairing: authenticated from now on without an exchange.
  // If its agent-info is already known it is delivered again through on_peer_info, now with
  // verified = true.
  void set_authenticated();
  [[nodiscard]] bool authenticated() const { return authenticated_; }

  // Pairing: this side wants the peer authenticated; the code the person typed; giving up.
  void pair(TimePoint now);
  void enter_code(std::uint64_t code, TimePoint now);
  void cancel_pairing(TimePoint now);
  [[nodiscard]] const Authenticator& authenticator() const { return authenticator_; }

  // The connection closed (by either side): an attempt in progress ends.
  void on_connection_closed(TimePoint now);

  // When on_timer() must next run.
  [[nodiscard]] std::optional<TimePoint> next_timer() const;
  void on_timer(TimePoint now);

  [[nodiscard]] const std::optional<wire::AgentInfo>& peer_info() const { return peer_info_; }
  [[nodiscard]] const Stats& stats() const { return stats_; }

 private:
  void on_uni_data(std::int64_t stream_id, std::span<const std::uint8_t> bytes, bool fin,
                   TimePoint now);
  void on_bidi_data(std::int64_t stream_id, std::span<const std::uint8_t> bytes, bool fin);
  // One message read from a unidirectional stream: checks its type key, decodes and dispatches it.
  void route(std::int64_t stream_id, const wire::Frame& frame, TimePoint now);
  void dispatch(std::int64_t stream_id, const wire::Message& message, TimePoint now);
  void handle(const wire::AgentInfoRequest& request, TimePoint now);
  void handle(const wire::AgentInfoResponse& response, TimePoint now);
  void handle(const wire::AgentInfoEvent& event, TimePoint now);
  void handle(const wire::AgentStatusRequest& request, TimePoint now);
  void handle(const wire::AgentStatusResponse& response, TimePoint now);
  void deliver_peer_info(wire::AgentInfo info);
  Authenticator::Observer authenticator_observer();
  void mark_authenticated();
  // Refuses a stream the peer opened (not_authenticated) and ignores the rest of it.
  void refuse(std::int64_t stream_id, std::string_view what);
  void ignore_rest(std::int64_t stream_id) { ignored_streams_.insert(stream_id); }
  void send(const wire::Message& message, TimePoint now);
  // Closes the connection (once) and stops all further input, timers and sending.
  void fail(CloseCode code, std::string reason);
  // A malformed message or framing on a unidirectional stream: closes with bad_message.
  void fail_stream(std::int64_t stream_id, const Error& error);

  Options options_;
  SessionIo& io_;
  Observer observer_;
  bool started_ = false;
  bool authenticated_ = false;
  bool closed_ = false;
  TimePoint now_{};  // of the call being handled: the authenticator's messages are sent then
  struct PendingClose {
    TimePoint at;
    CloseCode code;
    std::string reason;
  };
  std::optional<PendingClose> peer_failure_close_;
  TimePoint last_sent_{};
  std::optional<wire::AgentInfo> peer_info_;
  std::unordered_map<std::int64_t, wire::StreamReader> readers_;  // open unidirectional streams
  // Streams whose remaining bytes are dropped (refused, or drained extension streams), until
  // their FIN or reset. At most one entry per open stream, so QUIC's stream limit bounds it.
  std::unordered_set<std::int64_t> ignored_streams_;
  // Requests we sent and still expect an answer to, request-id → sent at; the oldest are
  // forgotten beyond a small bound (replies may never come, §7 #13).
  std::unordered_map<std::uint64_t, TimePoint> pending_status_;  // agent-status-request
  std::unordered_map<std::uint64_t, TimePoint> pending_info_;    // agent-info-request
  struct EarlyBidi {
    std::int64_t stream_id;
    std::vector<std::uint8_t> bytes;
    bool fin;
  };
  std::vector<EarlyBidi> early_bidi_;  // until authenticated (then delivered) or closed
  std::size_t early_bidi_bytes_ = 0;
  Stats stats_;
  Authenticator authenticator_;  // last: its callbacks use the members above
};

}  // namespace lp2p::osp
