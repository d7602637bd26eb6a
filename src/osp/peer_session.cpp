#include "osp/peer_session.hpp"

#include <spdlog/spdlog.h>

namespace lp2p::osp {
namespace {
bool is_bidirectional(std::int64_t stream_id) {
  return (stream_id & 0x2) == 0;
}
}  // namespace

PeerSession::PeerSession(boost::asio::io_context& io, std::shared_ptr<quic::Connection> connection,
                         Session::Options options)
    : connection_(std::move(connection)),
      session_(std::move(options), *this, observer()),
      timer_(io) {}

// The observer forwards to the owner's events, then to events_, both looked up at call time so
// set_events() takes effect at once.
Session::Observer PeerSession::observer() {
  // Calls `member` of the owner's events and then of the application's, if set.
  auto both = [this](auto member, auto&&... args) {
    if (owner_events_.*member) (owner_events_.*member)(args...);
    if (events_.*member) (events_.*member)(args...);
  };
  Session::Observer o;
  o.on_peer_info = [both](const wire::AgentInfo& info, bool verified) {
    both(&Events::on_peer_info, info, verified);
  };
  o.on_status_response = [both](std::chrono::nanoseconds round_trip) {
    both(&Events::on_keepalive, round_trip);
  };
  o.on_show_code = [both](std::uint64_t code, unsigned bits) {
    both(&Events::on_show_code, code, bits);
  };
  o.on_code_needed = [both] { both(&Events::on_code_needed); };
  o.on_authenticated = [both] { both(&Events::on_authenticated); };
  o.on_auth_failed = [both](const Authenticator::Failure& failure) {
    both(&Events::on_auth_failed, failure);
  };
  o.on_bidi_stream_data = [this](std::int64_t id, std::span<const std::uint8_t> bytes, bool fin) {
    if (events_.on_bidi_stream_data) events_.on_bidi_stream_data(id, bytes, fin);
  };
  return o;
}

std::shared_ptr<PeerSession> PeerSession::start(boost::asio::io_context& io,
                                                std::shared_ptr<quic::Connection> connection,
                                                Session::Options options, Events events) {
  std::shared_ptr<PeerSession> self(new PeerSession(io, std::move(connection), std::move(options)));
  self->events_ = std::move(events);
  self->self_ = self;
  quic::Connection::Handlers handlers;
  std::weak_ptr<PeerSession> weak = self;
  handlers.on_stream_data = [weak](std::int64_t id, std::span<const std::uint8_t> bytes, bool fin) {
    auto s = weak.lock();
    if (!s) return;
    s->session_.on_stream_data(id, is_bidirectional(id), bytes, fin, Clock::now());
    // Control messages are taken in whole by the session (bounded by its message limit).
    s->connection_->consume(id, bytes.size());
    s->arm_timer();
  };
  handlers.on_stream_reset = [weak](std::int64_t id, std::uint64_t code) {
    auto s = weak.lock();
    if (!s) return;
    s->session_.on_stream_reset(id);
    if (is_bidirectional(id) && s->session_.authenticated() && s->events_.on_bidi_stream_reset) {
      s->events_.on_bidi_stream_reset(id, code);
    }
  };
  handlers.on_stream_writable = [weak](std::int64_t id) {
    auto s = weak.lock();
    if (s && s->events_.on_stream_writable) s->events_.on_stream_writable(id);
  };
  handlers.on_closed = [weak](const quic::CloseInfo& info) {
    auto s = weak.lock();
    if (!s) return;
    s->open_ = false;
    s->timer_.cancel();
    s->session_.on_connection_closed(Clock::now());
    auto keep = std::move(s->self_);
    if (s->owner_events_.on_closed) s->owner_events_.on_closed(info);
    if (s->events_.on_closed) s->events_.on_closed(info);
  };
  self->connection_->set_handlers(std::move(handlers));
  self->session_.start(Clock::now());
  self->arm_timer();
  return self;
}

void PeerSession::send_message(std::vector<std::uint8_t> message) {
  auto stream = connection_->open_stream(false);
  if (!stream) {
    spdlog::warn("osp {}: cannot send a control message: {}", connection_->remote().to_string(),
                 stream.error().message);
    return;
  }
  // A control message is small and a new stream's buffer is large: it is taken whole.
  auto written = connection_->write(*stream, message, true);
  if (!written || *written != message.size()) {
    spdlog::warn("osp {}: control message truncated on stream {}",
                 connection_->remote().to_string(), *stream);
  }
}

void PeerSession::refuse_stream(std::int64_t stream_id, CloseCode code) {
  connection_->reset_stream(stream_id, static_cast<std::uint64_t>(code));
}

void PeerSession::close(CloseCode code, std::string reason) {
  spdlog::info("osp {}: closing ({}): {}", connection_->remote().to_string(),
               static_cast<std::uint64_t>(code), reason);
  connection_->close(static_cast<std::uint64_t>(code), std::move(reason));
}

void PeerSession::pair() {
  session_.pair(Clock::now());
  arm_timer();
}

void PeerSession::enter_code(std::uint64_t code) {
  session_.enter_code(code, Clock::now());
  arm_timer();
}

void PeerSession::cancel_pairing() {
  session_.cancel_pairing(Clock::now());
  arm_timer();
}

void PeerSession::arm_timer() {
  const auto at = session_.next_timer();
  if (!at || !open_) return;
  timer_.expires_at(*at);
  timer_.async_wait([weak = weak_from_this()](const boost::system::error_code& ec) {
    if (ec) return;
    auto s = weak.lock();
    if (!s || !s->open_) return;
    s->session_.on_timer(Clock::now());
    s->arm_timer();
  });
}

}  // namespace lp2p::osp
