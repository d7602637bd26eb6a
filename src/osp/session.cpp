#include "osp/session.hpp"

#include <spdlog/spdlog.h>

#include <algorithm>
#include <array>
#include <cassert>
#include <type_traits>
#include <utility>
#include <variant>

#include "wire/codec.hpp"
#include "wire/names.hpp"

namespace lp2p::osp {
namespace {

using PendingRequests = std::unordered_map<std::uint64_t, TimePoint>;

// Outstanding requests remembered per kind. Replies may never come (go-lp2p stops reading after
// authentication, §7 #13), so old entries must go; 16 keepalives span four minutes.
constexpr std::size_t kMaxPending = 16;

// Type keys of other stacks' extensions (go-lp2p's WebTransport pooling and its
// auth-spake2-need-psk): their streams are drained instead of closing the connection (§7 #22).
// go-lp2p's private "need-psk" trigger (osp-brief §8): its consumer asks the presenter to show
// a code with this instead of auth-spake2-handshake{psk-needs-presentation}.
constexpr std::uint64_t kGoLp2pNeedPsk = 99001;
constexpr std::array<std::uint64_t, 5> kToleratedExtensionKeys = {1201, 1202, 1203, 1204,
                                                                  kGoLp2pNeedPsk};

bool is_tolerated_extension(std::uint64_t type_key) {
  return std::ranges::find(kToleratedExtensionKeys, type_key) != kToleratedExtensionKeys.end();
}

template <class M, class... Ms>
constexpr bool kIsOneOf = (std::is_same_v<M, Ms> || ...);

// Messages for the authentication state machine; they may flow before authentication (§2.4).
template <class M>
constexpr bool kIsAuthMessage = kIsOneOf<M, wire::AuthCapabilities, wire::AuthSpake2Handshake,
                                         wire::AuthSpake2Confirmation, wire::AuthStatus>;

// Messages that belong on a data channel's bidirectional stream (§7 #12), never on a
// unidirectional one.
template <class M>
constexpr bool kIsDataChannelMessage =
    kIsOneOf<M, wire::DataChannelOpenRequest, wire::DataChannelOpenResponse, wire::DataFrame>;

// Remembers a request we sent, forgetting the oldest one when kMaxPending are outstanding.
void remember(PendingRequests& pending, std::uint64_t request_id, TimePoint sent_at) {
  if (pending.size() >= kMaxPending) {
    pending.erase(std::ranges::min_element(
        pending, [](const auto& a, const auto& b) { return a.second < b.second; }));
  }
  pending[request_id] = sent_at;
}

// The send time of an outstanding request, which is then no longer outstanding; nullopt for ids
// we did not send (or forgot).
std::optional<TimePoint> take(PendingRequests& pending, std::uint64_t request_id) {
  const auto it = pending.find(request_id);
  if (it == pending.end()) return std::nullopt;
  const TimePoint sent_at = it->second;
  pending.erase(it);
  return sent_at;
}

wire::StreamReader::Options reader_options(std::size_t max_message_size) {
  wire::StreamReader::Options options;
  options.max_message_size = max_message_size;
  return options;
}

}  // namespace

Session::Session(Options options, SessionIo& io, Observer observer)
    : options_(std::move(options)),
      io_(io),
      observer_(std::move(observer)),
      authenticator_(
          options_.auth, [this](const wire::Message& message) { send(message, now_); },
          authenticator_observer()) {
  assert(options_.next_request_id && "Session::Options::next_request_id is required");
}

Authenticator::Observer Session::authenticator_observer() {
  Authenticator::Observer observer;
  observer.on_show_code = [this](std::uint64_t code, unsigned bits) {
    if (observer_.on_show_code) observer_.on_show_code(code, bits);
  };
  observer.on_code_needed = [this] {
    if (observer_.on_code_needed) observer_.on_code_needed();
  };
  observer.on_authenticated = [this] {
    mark_authenticated();
    if (observer_.on_authenticated) observer_.on_authenticated();
  };
  observer.on_failed = [this](const Authenticator::Failure& failure) {
    if (observer_.on_auth_failed) observer_.on_auth_failed(failure);
    CloseCode code = CloseCode::auth_failed;
    if (failure.backoff) code = CloseCode::too_many_attempts;
    if (failure.result == wire::AuthStatusResult::timeout) code = CloseCode::timed_out;
    std::string reason = "pairing failed: " + failure.reason;
    if (failure.by_peer) {
      // The peer reported it and disconnects now; its close carries its reason (e.g. when to
      // retry). We close only if it does not within the grace.
      peer_failure_close_ = PendingClose{now_ + kPeerCloseGrace, code, std::move(reason)};
      return;
    }
    fail(code, std::move(reason));
  };
  return observer;
}

void Session::start(TimePoint now) {
  if (started_ || closed_) return;
  started_ = true;
  now_ = now;
  last_sent_ = now;
  authenticator_.start(now);
  const std::uint64_t request_id = options_.next_request_id();
  remember(pending_info_, request_id, now);
  send(wire::AgentInfoRequest{request_id}, now);
}

// ---- Input ----

void Session::on_stream_data(std::int64_t stream_id, bool bidirectional,
                             std::span<const std::uint8_t> bytes, bool fin, TimePoint now) {
  if (closed_) return;
  now_ = now;
  if (ignored_streams_.contains(stream_id)) {
    // Refused or drained earlier: nothing more of it is read.
  } else if (bidirectional) {
    on_bidi_data(stream_id, bytes, fin);
  } else {
    on_uni_data(stream_id, bytes, fin, now);
  }
  if (fin) ignored_streams_.erase(stream_id);
}

void Session::on_stream_reset(std::int64_t stream_id) {
  std::erase_if(early_bidi_, [&](const EarlyBidi& e) { return e.stream_id == stream_id; });
  readers_.erase(stream_id);
  ignored_streams_.erase(stream_id);
}

void Session::on_uni_data(std::int64_t stream_id, std::span<const std::uint8_t> bytes, bool fin,
                          TimePoint now) {
  readers_.try_emplace(stream_id, reader_options(options_.max_control_message));
  // The reader is fed outside the map so that what the frames cause (a close, the observer
  // calling back into the session) cannot destroy it under its own feet.
  auto node = readers_.extract(stream_id);
  wire::StreamReader& reader = node.mapped();
  const auto fed =
      reader.feed(bytes, [&](const wire::Frame& frame) { route(stream_id, frame, now); });
  // A refused or drained stream keeps no reader; what follows the message that ended it (even
  // garbage) does not matter.
  if (closed_ || ignored_streams_.contains(stream_id)) return;
  if (!fed) {
    fail_stream(stream_id, fed.error());
    return;
  }
  if (fin) {
    if (const auto finished = reader.finish(); !finished) fail_stream(stream_id, finished.error());
    return;
  }
  readers_.insert(std::move(node));
}

void Session::on_bidi_data(std::int64_t stream_id, std::span<const std::uint8_t> bytes, bool fin) {
  if (!authenticated_) {
    // The peer may already know the outcome while our last confirmation step is in flight: its
    // first data channel can overtake the auth-status that authenticates it here.
    const bool confirming = authenticator_.state() == Authenticator::State::confirming;
    if (confirming && early_bidi_bytes_ + bytes.size() <= kMaxEarlyBidiBytes &&
        !ignored_streams_.contains(stream_id)) {
      early_bidi_.push_back({stream_id, {bytes.begin(), bytes.end()}, fin});
      early_bidi_bytes_ += bytes.size();
      return;
    }
    refuse(stream_id, "bidirectional stream");
    return;
  }
  if (observer_.on_bidi_stream_data) observer_.on_bidi_stream_data(stream_id, bytes, fin);
}

void Session::route(std::int64_t stream_id, const wire::Frame& frame, TimePoint now) {
  // Messages after one that closed the session or ended the stream's reading.
  if (closed_ || ignored_streams_.contains(stream_id)) return;
  if (!wire::type_name(frame.type_key)) {
    if (is_tolerated_extension(frame.type_key)) {
      spdlog::debug("osp: draining stream {}: extension message with type key {}", stream_id,
                    frame.type_key);
      ignore_rest(stream_id);
      if (frame.type_key == kGoLp2pNeedPsk) {
        // Read as what it means; it carries no auth-initiation-token.
        wire::AuthSpake2Handshake need;
        need.psk_status = wire::PskStatus::psk_needs_presentation;
        authenticator_.on_message(need, now);
      }
      return;
    }
    fail(CloseCode::unknown_type_key, "unknown type key " + std::to_string(frame.type_key));
    return;
  }
  auto message = wire::decode_body(frame.type_key, frame.body);
  if (!message) {
    fail_stream(stream_id, message.error());
    return;
  }
  ++stats_.messages_received;
  dispatch(stream_id, *message, now);
}

void Session::dispatch(std::int64_t stream_id, const wire::Message& message, TimePoint now) {
  std::visit(
      [&](const auto& typed) {
        using M = std::decay_t<decltype(typed)>;
        if constexpr (kIsAuthMessage<M>) {
          if (observer_.on_auth_message) observer_.on_auth_message(message);
          if (!closed_) authenticator_.on_message(message, now);
        } else if constexpr (kIsDataChannelMessage<M>) {
          const std::string_view name = wire::name_of(wire::type_key_of(message)).value_or("?");
          if (!authenticated_) {
            refuse(stream_id, name);
          } else {
            spdlog::debug(
                "osp: ignoring {} on unidirectional stream {} (data channels use "
                "bidirectional streams)",
                name, stream_id);
          }
        } else {
          handle(typed, now);
        }
      },
      message);
}

void Session::handle(const wire::AgentInfoRequest& request, TimePoint now) {
  send(wire::AgentInfoResponse{request.request_id, options_.local_info}, now);
}

void Session::handle(const wire::AgentInfoResponse& response, TimePoint /*now*/) {
  if (!take(pending_info_, response.request_id)) {
    spdlog::info("osp: ignoring agent-info-response to request-id {}: not an outstanding request",
                 response.request_id);
    return;
  }
  deliver_peer_info(response.agent_info);
}

void Session::handle(const wire::AgentInfoEvent& event, TimePoint /*now*/) {
  deliver_peer_info(event.agent_info);
}

void Session::handle(const wire::AgentStatusRequest& request, TimePoint now) {
  send(wire::AgentStatusResponse{request.request_id, std::nullopt}, now);
}

void Session::handle(const wire::AgentStatusResponse& response, TimePoint now) {
  const auto sent_at = take(pending_status_, response.request_id);
  if (!sent_at) {
    spdlog::info("osp: ignoring agent-status-response to request-id {}: not an outstanding request",
                 response.request_id);
    return;
  }
  if (observer_.on_status_response) observer_.on_status_response(now - *sent_at);
}

void Session::deliver_peer_info(wire::AgentInfo info) {
  peer_info_ = std::move(info);
  if (observer_.on_peer_info) observer_.on_peer_info(*peer_info_, authenticated_);
}

void Session::refuse(std::int64_t stream_id, std::string_view what) {
  spdlog::info("osp: refusing stream {}: {} before authentication", stream_id, what);
  io_.refuse_stream(stream_id, CloseCode::not_authenticated);
  ++stats_.streams_refused;
  ignore_rest(stream_id);
}

// ---- Output and time ----

void Session::note_sent(TimePoint now) {
  last_sent_ = now;
}

void Session::update_local_info(wire::AgentInfo info, TimePoint now) {
  options_.local_info = std::move(info);
  if (started_) send(wire::AgentInfoEvent{options_.local_info}, now);
}

void Session::set_authenticated() {
  authenticator_.set_trusted();
  mark_authenticated();
}

void Session::mark_authenticated() {
  if (authenticated_) return;
  authenticated_ = true;
  if (peer_info_ && !closed_ && observer_.on_peer_info) observer_.on_peer_info(*peer_info_, true);
  auto early = std::move(early_bidi_);
  early_bidi_.clear();
  early_bidi_bytes_ = 0;
  for (const auto& e : early) {
    if (closed_) return;
    if (observer_.on_bidi_stream_data) observer_.on_bidi_stream_data(e.stream_id, e.bytes, e.fin);
  }
}

void Session::pair(TimePoint now) {
  if (closed_) return;
  now_ = now;
  authenticator_.pair(now);
}

void Session::enter_code(std::uint64_t code, TimePoint now) {
  if (closed_) return;
  now_ = now;
  authenticator_.enter_code(code, now);
}

void Session::cancel_pairing(TimePoint now) {
  if (closed_) return;
  now_ = now;
  authenticator_.cancel(now);
}

void Session::on_connection_closed(TimePoint now) {
  authenticator_.on_connection_closed(now);
  closed_ = true;
}

std::optional<TimePoint> Session::next_timer() const {
  if (!started_ || closed_) return std::nullopt;
  if (peer_failure_close_) return peer_failure_close_->at;
  const TimePoint keepalive = last_sent_ + options_.keepalive_interval;
  const auto auth = authenticator_.next_timer();
  return auth ? std::min(keepalive, *auth) : keepalive;
}

void Session::on_timer(TimePoint now) {
  if (!started_ || closed_) return;
  now_ = now;
  if (peer_failure_close_) {
    if (now < peer_failure_close_->at) return;
    auto pending = std::move(*peer_failure_close_);
    peer_failure_close_.reset();
    fail(pending.code, std::move(pending.reason));
    return;
  }
  authenticator_.on_timer(now);
  if (closed_ || now < last_sent_ + options_.keepalive_interval) return;
  const std::uint64_t request_id = options_.next_request_id();
  remember(pending_status_, request_id, now);
  send(wire::AgentStatusRequest{request_id, std::nullopt}, now);
  ++stats_.keepalives_sent;
}

void Session::send(const wire::Message& message, TimePoint now) {
  if (closed_) return;
  io_.send_message(wire::encode(message));
  last_sent_ = now;
  ++stats_.messages_sent;
}

void Session::fail_stream(std::int64_t stream_id, const Error& error) {
  fail(CloseCode::bad_message,
       "unidirectional stream " + std::to_string(stream_id) + ": " + error.describe());
}

void Session::fail(CloseCode code, std::string reason) {
  if (closed_) return;
  closed_ = true;
  spdlog::warn("osp: closing the connection with code {}: {}", static_cast<std::uint64_t>(code),
               reason);
  readers_.clear();
  ignored_streams_.clear();
  early_bidi_.clear();
  pending_status_.clear();
  pending_info_.clear();
  authenticator_.on_connection_closed(now_);
  io_.close(code, std::move(reason));
}

}  // namespace lp2p::osp
