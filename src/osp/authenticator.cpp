#include "osp/authenticator.hpp"

#include <spdlog/spdlog.h>

#include <algorithm>
#include <type_traits>
#include <utility>
#include <variant>

#include "auth/psk_code.hpp"

namespace lp2p::osp {
namespace {

using wire::AuthStatusResult;
using wire::PskStatus;

std::string seconds_text(std::chrono::milliseconds duration) {
  return std::to_string((duration.count() + 999) / 1000) + " s";
}

}  // namespace

std::string_view to_string(AuthStatusResult result) {
  switch (result) {
    case AuthStatusResult::authenticated:
      return "authenticated";
    case AuthStatusResult::unknown_error:
      return "unknown-error";
    case AuthStatusResult::timeout:
      return "timeout";
    case AuthStatusResult::secret_unknown:
      return "secret-unknown";
    case AuthStatusResult::validation_took_too_long:
      return "validation-took-too-long";
    case AuthStatusResult::proof_invalid:
      return "proof-invalid";
  }
  return "unknown auth-status result";
}

Authenticator::Authenticator(Options options, Send send, Observer observer)
    : options_(std::move(options)), send_(std::move(send)), observer_(std::move(observer)) {}

void Authenticator::start(TimePoint /*now*/) {
  send_(options_.capabilities);
}

bool Authenticator::presenter() const {
  if (presenter_override_) return true;
  if (!peer_capabilities_) return false;
  const auto own = options_.capabilities.psk_ease_of_input;
  const auto peer = peer_capabilities_->psk_ease_of_input;
  return own < peer || (own == peer && options_.we_are_server);
}

bool Authenticator::in_attempt() const {
  switch (state_) {
    case State::presenting:
    case State::wanting_code:
    case State::awaiting_code:
    case State::confirming:
      return true;
    case State::idle:
      return wanted_ || held_handshake_.has_value();
    case State::authenticated:
    case State::failed:
      return false;
  }
  return false;
}

void Authenticator::set_trusted() {
  if (in_attempt() || state_ == State::failed) return;
  trusted_ = true;
  state_ = State::authenticated;
}

void Authenticator::pair(TimePoint now) {
  if (state_ != State::idle || wanted_) return;
  wanted_ = true;
  deadline_ = now + options_.user_timeout;
  proceed(now);
}

void Authenticator::proceed(TimePoint now) {
  if (!peer_capabilities_ || state_ != State::idle) return;
  if (held_handshake_) {
    const auto handshake = std::move(*held_handshake_);
    held_handshake_.reset();
    handle(handshake, now);
    return;
  }
  if (!wanted_) return;
  if (options_.capabilities.psk_ease_of_input == 0 && peer_capabilities_->psk_ease_of_input == 0) {
    fail({AuthStatusResult::unknown_error,
          "neither device can take a typed code (both psk-ease-of-input 0)"},
         true, now);
    return;
  }
  if (presenter()) {
    present(now);
  } else {
    send_handshake(PskStatus::psk_needs_presentation, std::nullopt);
    state_ = State::wanting_code;
  }
}

void Authenticator::present(TimePoint now) {
  if (options_.limiter != nullptr) {
    const auto verdict = options_.limiter->check(options_.peer_fingerprint, now);
    if (!verdict.allowed) {
      Failure failure{AuthStatusResult::unknown_error, "pairing refused: " + verdict.reason};
      failure.backoff = true;
      fail(std::move(failure), true, now);
      return;
    }
    options_.limiter->started(now);
  }
  const unsigned bits =
      std::max(auth::clamp_psk_bits(options_.capabilities.psk_min_bits_of_entropy),
               auth::clamp_psk_bits(peer_capabilities_->psk_min_bits_of_entropy));
  const auto code = auth::generate_psk(bits);
  if (!code) {
    fail({AuthStatusResult::unknown_error, "cannot make a code: " + code.error().describe()}, true,
         now);
    return;
  }
  auto party = auth::Spake2Party::start(
      auth::p256_sha256_suite(),
      {auth::Spake2Role::alice, options_.local_fingerprint, options_.peer_fingerprint}, *code,
      options_.password_hash);
  if (!party) {
    fail({AuthStatusResult::unknown_error, "SPAKE2: " + party.error().describe()}, true, now);
    return;
  }
  party_.emplace(std::move(*party));
  alice_ = true;
  presented_ = true;
  state_ = State::presenting;
  deadline_ = now + options_.user_timeout;
  spdlog::info("auth: presenting a {}-bit code to {}", bits, options_.peer_fingerprint);
  if (observer_.on_show_code) observer_.on_show_code(*code, bits);
  if (state_ == State::presenting) send_handshake(PskStatus::psk_shown, party_->public_value());
}

void Authenticator::enter_code(std::uint64_t code, TimePoint now) {
  if (state_ != State::idle && state_ != State::wanting_code && state_ != State::awaiting_code) {
    return;
  }
  entered_code_ = code;
  if (state_ == State::awaiting_code) answer_presentation(now);
}

void Authenticator::answer_presentation(TimePoint now) {
  auto party = auth::Spake2Party::start(
      auth::p256_sha256_suite(),
      {auth::Spake2Role::bob, options_.peer_fingerprint, options_.local_fingerprint},
      *entered_code_, options_.password_hash);
  entered_code_.reset();
  if (!party) {
    fail({AuthStatusResult::unknown_error, "SPAKE2: " + party.error().describe()}, true, now);
    return;
  }
  if (const auto received = party->receive_peer_public_value(*peer_public_value_); !received) {
    fail({AuthStatusResult::unknown_error,
          "the other device's public value is unusable: " + received.error().describe()},
         true, now);
    return;
  }
  party_.emplace(std::move(*party));
  alice_ = false;
  state_ = State::confirming;
  send_handshake(PskStatus::psk_input, party_->public_value());
}

void Authenticator::on_message(const wire::Message& message, TimePoint now) {
  if (state_ == State::failed) return;
  std::visit(
      [&](const auto& typed) {
        using M = std::decay_t<decltype(typed)>;
        if constexpr (std::is_same_v<M, wire::AuthCapabilities> ||
                      std::is_same_v<M, wire::AuthSpake2Handshake> ||
                      std::is_same_v<M, wire::AuthSpake2Confirmation> ||
                      std::is_same_v<M, wire::AuthStatus>) {
          handle(typed, now);
        }
      },
      message);
}

void Authenticator::handle(const wire::AuthCapabilities& capabilities, TimePoint now) {
  peer_capabilities_ = capabilities;
  proceed(now);
}

bool Authenticator::token_acceptable(const wire::AuthSpake2Handshake& handshake) {
  const auto& token = handshake.initiation_token.token;
  if (options_.we_are_server && options_.require_token && !seen_first_handshake_ &&
      (!token || token != options_.token)) {
    return false;
  }
  seen_first_handshake_ = true;
  return true;
}

void Authenticator::handle(const wire::AuthSpake2Handshake& handshake, TimePoint now) {
  if (!token_acceptable(handshake)) {
    fail({AuthStatusResult::unknown_error,
          handshake.initiation_token.token
              ? "the pairing request carries the wrong auth-initiation-token (not our `at`)"
              : "the pairing request carries no auth-initiation-token (our `at`)"},
         true, now);
    return;
  }
  const auto& token = handshake.initiation_token.token;
  if (token && options_.token && *token != *options_.token) {
    spdlog::info("auth: dropping a handshake from {}: its token is not this connection's `at`",
                 options_.peer_fingerprint);
    return;
  }
  if (!peer_capabilities_) {
    held_handshake_ = handshake;  // its stream overtook the capabilities' stream
    return;
  }
  if (state_ == State::authenticated) {
    if (!trusted_ || handshake.psk_status == PskStatus::psk_input) return;
    // The peer trusted us no longer (it forgot us) and pairs again.
    trusted_ = false;
    state_ = State::idle;
    deadline_ = now + options_.user_timeout;
  }
  const bool welcome = wanted_ || options_.accept_pairing;
  switch (handshake.psk_status) {
    case PskStatus::psk_needs_presentation:
      if (state_ == State::presenting || state_ == State::confirming) return;  // a repeat
      if (state_ == State::wanting_code && !options_.we_are_server) return;  // the server presents
      if (!welcome) {
        fail({AuthStatusResult::unknown_error, "this device is not accepting pairing now"}, true,
             now);
        return;
      }
      presenter_override_ = true;  // asked to present: presenting is always safe
      present(now);
      return;
    case PskStatus::psk_shown:
      if (!handshake.public_value) {
        fail({AuthStatusResult::unknown_error, "psk-shown without a public value"}, true, now);
        return;
      }
      if (state_ != State::idle && state_ != State::wanting_code) {
        fail({AuthStatusResult::unknown_error,
              "both devices presented a code (the other device did not follow the roles)"},
             true, now);
        return;
      }
      if (!welcome) {
        fail({AuthStatusResult::unknown_error, "this device is not accepting pairing now"}, true,
             now);
        return;
      }
      peer_public_value_ = *handshake.public_value;
      state_ = State::awaiting_code;
      deadline_ = now + options_.user_timeout;
      if (entered_code_) {
        answer_presentation(now);
      } else if (observer_.on_code_needed) {
        observer_.on_code_needed();
      }
      return;
    case PskStatus::psk_input:
      if (state_ != State::presenting || !handshake.public_value) {
        fail({AuthStatusResult::unknown_error,
              "psk-input arrived when no code was presented, or without a public value"},
             true, now);
        return;
      }
      if (const auto received = party_->receive_peer_public_value(*handshake.public_value);
          !received) {
        fail({AuthStatusResult::unknown_error,
              "the other device's public value is unusable: " + received.error().describe()},
             true, now);
        return;
      }
      state_ = State::confirming;
      send_(wire::AuthSpake2Confirmation{party_->confirmation()});
      return;
  }
}

void Authenticator::handle(const wire::AuthSpake2Confirmation& confirmation, TimePoint now) {
  if (state_ != State::confirming || local_ok_) {
    spdlog::info("auth: ignoring an unexpected confirmation from {}", options_.peer_fingerprint);
    return;
  }
  if (!party_->check_peer_confirmation(confirmation.confirmation_value)) {
    fail({AuthStatusResult::proof_invalid,
          "the code did not match (proof-invalid): check the code shown on the presenting device "
          "and pair again"},
         true, now);
    return;
  }
  local_ok_ = true;
  if (!alice_) send_(wire::AuthSpake2Confirmation{party_->confirmation()});
  send_(wire::AuthStatus{AuthStatusResult::authenticated});
  maybe_succeed();
}

void Authenticator::handle(const wire::AuthStatus& status, TimePoint now) {
  if (status.result == AuthStatusResult::authenticated) {
    if (state_ == State::confirming) {
      peer_ok_ = true;
      maybe_succeed();
    }
    return;
  }
  if (!in_attempt()) {
    spdlog::info("auth: {} reported {} outside an attempt", options_.peer_fingerprint,
                 to_string(status.result));
    return;
  }
  std::string reason = "the other device reported " + std::string(to_string(status.result));
  if (status.result == AuthStatusResult::proof_invalid) reason += ": the code did not match";
  if (status.result == AuthStatusResult::timeout) reason += ": no code was entered in time";
  Failure failure{status.result, std::move(reason)};
  failure.by_peer = true;
  fail(std::move(failure), false, now);
}

void Authenticator::maybe_succeed() {
  if (!local_ok_ || !peer_ok_) return;
  state_ = State::authenticated;
  deadline_.reset();
  party_.reset();
  if (options_.limiter != nullptr) options_.limiter->succeeded(options_.peer_fingerprint);
  spdlog::info("auth: {} is authenticated", options_.peer_fingerprint);
  if (observer_.on_authenticated) observer_.on_authenticated();
}

void Authenticator::send_handshake(PskStatus status, std::optional<wire::Bytes> public_value) {
  wire::AuthSpake2Handshake handshake;
  handshake.initiation_token.token = options_.token;
  handshake.psk_status = status;
  handshake.public_value = std::move(public_value);
  send_(handshake);
}

void Authenticator::fail(Failure failure, bool report, TimePoint now) {
  if (state_ == State::failed) return;
  const bool counted = presented_ && !failure.backoff && options_.limiter != nullptr;
  if (counted) options_.limiter->failed(options_.peer_fingerprint, now);
  state_ = State::failed;
  deadline_.reset();
  party_.reset();
  spdlog::warn("auth: pairing with {} failed ({}): {}{}", options_.peer_fingerprint,
               to_string(failure.result), failure.reason,
               counted ? " [failures in a row: " +
                             std::to_string(options_.limiter->failures(options_.peer_fingerprint)) +
                             ", next back-off " +
                             seconds_text(options_.limiter->backoff(
                                 options_.limiter->failures(options_.peer_fingerprint))) +
                             "]"
                       : "");
  if (report) send_(wire::AuthStatus{failure.result});
  if (observer_.on_failed) observer_.on_failed(failure);
}

void Authenticator::on_timer(TimePoint now) {
  if (!deadline_ || now < *deadline_) return;
  deadline_.reset();
  if (!in_attempt()) return;
  const bool typing = state_ == State::presenting || state_ == State::awaiting_code;
  fail({AuthStatusResult::timeout,
        typing ? "no code was entered within " + seconds_text(options_.user_timeout)
               : "pairing did not finish within " + seconds_text(options_.user_timeout)},
       true, now);
}

void Authenticator::cancel(TimePoint now) {
  if (in_attempt()) fail({AuthStatusResult::unknown_error, "pairing was cancelled"}, true, now);
}

void Authenticator::on_connection_closed(TimePoint now) {
  if (state_ == State::failed) return;
  if (in_attempt() && presented_ && options_.limiter != nullptr) {
    options_.limiter->failed(options_.peer_fingerprint, now);
    spdlog::warn("auth: pairing with {} failed: the connection closed during the attempt",
                 options_.peer_fingerprint);
  }
  state_ = State::failed;
  deadline_.reset();
  party_.reset();
}

}  // namespace lp2p::osp
