// OSP authentication of one peer on one connection (osp-brief §4), without I/O: SPAKE2 with a
// short code that one device shows (the presenter) and the person types on the other (the
// consumer).
//
// The flow (osp-brief §4.2–§4.8, REC profile):
// - start() sends auth-capabilities. Roles follow from both capabilities: the lower
//   psk-ease-of-input presents; on a tie the QUIC server presents; both 0 fails (§7 #11).
// - pair() says this side wants the peer authenticated. As presenter it runs flow A at once (once
//   the peer's capabilities are known); as consumer it sends auth-spake2-handshake
//   {psk-needs-presentation} without a public value, and the presenter answers with flow A (§4.5).
// - Without pair(), a peer's handshake is answered when Options::accept_pairing allows it.
// - The presenter (SPAKE2 Alice) draws a fresh code per attempt with max(own, peer) min bits,
//   shows it (Observer::on_show_code) and sends {psk-shown, pA}. The consumer (Bob) asks for
//   the code (on_code_needed → enter_code()), answers {psk-input, pB}. Alice sends cA; Bob checks
//   it and sends cB and auth-status; Alice checks cB and sends auth-status. Each side succeeds
//   when its own check passed and the peer's auth-status{authenticated} arrived.
// - auth-initiation-token (§4.6, §7 #17): every handshake carries Options::token, the `at` of
//   this connection's QUIC server. As server with require_token, a first handshake whose token
//   is missing or wrong is refused; any handshake whose token is present and wrong is dropped.
// - Failure of any kind (wrong code: proof-invalid; no code within user_timeout: timeout; the
//   peer's non-zero auth-status; back-off; a protocol violation) sends auth-status when it is
//   ours to report, then Observer::on_failed: the session disconnects (§4.4).
// - Brute force (auth/attempt_limiter): a presenter checks the limiter before showing a code,
//   and every presented attempt that does not end authenticated counts as a failed one, whether
//   the peer reported it, timed out, or just hung up after seeing cA.
//
// Contract: single-threaded (the session's); the observer is called synchronously and may call
// back. After on_authenticated or on_failed no more messages are sent, except that a peer which
// asks to pair again on an already-trusted session (it forgot us) is answered.
#pragma once

#include <chrono>
#include <cstdint>
#include <functional>
#include <optional>
#include <string>

#include "auth/attempt_limiter.hpp"
#include "auth/spake2.hpp"
#include "wire/messages.hpp"

namespace lp2p::osp {

class Authenticator {
 public:
  using Clock = std::chrono::steady_clock;
  using TimePoint = Clock::time_point;

  struct Options {
    std::string local_fingerprint;
    std::string peer_fingerprint;  // of the certificate the peer used on this TLS connection
    bool we_are_server = false;    // this connection's QUIC server (the advertising agent)
    wire::AuthCapabilities capabilities{50, {wire::PskInputMethod::numeric}, 20};
    // The `at` of this connection's QUIC server: ours when we are the server; the peer's TXT
    // `at` when we dialled (nullopt when unknown, e.g. dialled by address).
    std::optional<std::string> token;
    bool require_token = true;   // as server: refuse a first handshake with no or a wrong token
    bool accept_pairing = true;  // answer a pairing the peer starts
    auth::PasswordHash password_hash = auth::PasswordHash::sha256;
    std::chrono::milliseconds user_timeout{60000};  // to type the code, from the first step
    auth::AttemptLimiter* limiter = nullptr;        // the agent's; none: no limit (tests)
  };
  struct Failure {
    wire::AuthStatusResult result = wire::AuthStatusResult::unknown_error;
    std::string reason;    // for people: what happened and what to do
    bool by_peer = false;  // the peer reported it (auth-status) rather than we detecting it
    bool backoff = false;  // refused by the attempt limiter
  };
  struct Observer {
    std::function<void(std::uint64_t code, unsigned bits)> on_show_code;  // we present
    std::function<void()> on_code_needed;  // we consume: answer with enter_code()
    std::function<void()> on_authenticated;
    std::function<void(const Failure& failure)> on_failed;
  };
  using Send = std::function<void(const wire::Message& message)>;

  enum class State {
    idle,           // nothing asked yet (or waiting for the peer's capabilities)
    presenting,     // we showed a code and sent pA; waiting for pB
    wanting_code,   // we asked the presenter to present; waiting for pA
    awaiting_code,  // we have pA (or not yet) and wait for the person to type the code
    confirming,     // public values exchanged; waiting for confirmations / auth-status
    authenticated,
    failed,
  };

  Authenticator(Options options, Send send, Observer observer);

  void start(TimePoint now);
  void pair(TimePoint now);
  void on_message(const wire::Message& message, TimePoint now);
  // The code the person typed (consumer), parsed by auth::parse_psk. May come before pA.
  void enter_code(std::uint64_t code, TimePoint now);
  // The person gave up (or the application is going away).
  void cancel(TimePoint now);
  // The connection closed: an attempt in progress ends (and counts as failed if we presented).
  void on_connection_closed(TimePoint now);
  // The peer is trusted from an earlier pairing: authenticated without an exchange.
  void set_trusted();

  [[nodiscard]] std::optional<TimePoint> next_timer() const { return deadline_; }
  void on_timer(TimePoint now);

  [[nodiscard]] State state() const { return state_; }
  [[nodiscard]] bool presenter() const;  // meaningful once the peer's capabilities are known
  [[nodiscard]] const std::optional<wire::AuthCapabilities>& peer_capabilities() const {
    return peer_capabilities_;
  }

 private:
  void handle(const wire::AuthCapabilities& capabilities, TimePoint now);
  void handle(const wire::AuthSpake2Handshake& handshake, TimePoint now);
  void handle(const wire::AuthSpake2Confirmation& confirmation, TimePoint now);
  void handle(const wire::AuthStatus& status, TimePoint now);
  // Runs what pair() or a held-back handshake asked for, once the capabilities are known.
  void proceed(TimePoint now);
  void present(TimePoint now);
  void answer_presentation(TimePoint now);  // consumer: has pA and the code
  [[nodiscard]] bool token_acceptable(const wire::AuthSpake2Handshake& handshake);
  void send_handshake(wire::PskStatus status, std::optional<wire::Bytes> public_value);
  void maybe_succeed();
  // Ends the attempt: sends auth-status{result} when `report`, then on_failed.
  void fail(Failure failure, bool report, TimePoint now);
  [[nodiscard]] bool in_attempt() const;

  Options options_;
  Send send_;
  Observer observer_;
  State state_ = State::idle;
  bool trusted_ = false;  // authenticated by an earlier pairing (set_trusted)
  bool wanted_ = false;   // pair() was called
  bool seen_first_handshake_ = false;
  bool presenter_override_ = false;  // the peer asked us to present (§4.5)
  bool alice_ = false;               // our SPAKE2 role in the current attempt
  bool presented_ = false;           // this attempt showed a code (counts for the limiter)
  bool local_ok_ = false;            // our confirmation check passed
  bool peer_ok_ = false;             // the peer's auth-status{authenticated} arrived
  std::optional<wire::AuthCapabilities> peer_capabilities_;
  std::optional<wire::AuthSpake2Handshake> held_handshake_;  // arrived before the capabilities
  std::optional<wire::Bytes> peer_public_value_;             // pA, for the consumer
  std::optional<std::uint64_t> entered_code_;
  std::optional<auth::Spake2Party> party_;
  std::optional<TimePoint> deadline_;
};

std::string_view to_string(wire::AuthStatusResult result);

}  // namespace lp2p::osp
