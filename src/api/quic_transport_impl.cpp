#include "api/quic_transport_impl.hpp"

#include <spdlog/spdlog.h>

#include "api/agent_core.hpp"
#include "osp/codes.hpp"

namespace lp2p::api {
namespace {

bool is_bidirectional(std::int64_t id) {
  return (id & 0x2) == 0;
}

Error transport_closed() {
  return make_error(Errc::closed, "the QUIC transport is closed");
}

}  // namespace

// ---- QuicStreamImpl ----

QuicStreamImpl::QuicStreamImpl(CoreRef core, std::weak_ptr<QuicTransportImpl> transport,
                               std::int64_t id, bool bidirectional, bool incoming)
    : core_(std::move(core)),
      transport_(std::move(transport)),
      id_(id),
      bidirectional_(bidirectional),
      incoming_(incoming) {}

Result<std::size_t> QuicStreamImpl::write(std::span<const std::uint8_t> bytes) {
  if (!can_send()) return make_error(Errc::refused, "the peer's unidirectional stream only reads");
  return core_.call([&]() -> Result<std::size_t> {
    auto t = transport_.lock();
    if (!t || t->connection() == nullptr) return transport_closed();
    return t->connection()->write(id_, bytes, false);
  });
}

Result<void> QuicStreamImpl::finish() {
  if (!can_send()) return make_error(Errc::refused, "the peer's unidirectional stream only reads");
  return core_.call([&]() -> Result<void> {
    auto t = transport_.lock();
    if (!t || t->connection() == nullptr) return transport_closed();
    return t->connection()->finish(id_);
  });
}

void QuicStreamImpl::reset(std::uint64_t code) {
  core_.post([weak = transport_, id = id_, code] {
    auto t = weak.lock();
    if (t && t->connection() != nullptr) t->connection()->reset_stream(id, code);
  });
}

void QuicStreamImpl::resume() {
  paused_ = false;
  core_.post([weak = weak_from_this()] {
    if (auto self = weak.lock()) self->deliver_held();
  });
}

void QuicStreamImpl::set_data_handler(
    std::function<void(std::span<const std::uint8_t>, bool)> handler) {
  on_data_.set(std::move(handler));
  core_.post([weak = weak_from_this()] {
    if (auto self = weak.lock()) self->deliver_held();
  });
}

void QuicStreamImpl::received(std::span<const std::uint8_t> bytes, bool fin) {
  // Runs once per packet's worth: the handler slot is asked once (it takes a lock), not twice.
  if (paused_ || !held_.empty() || held_fin_ || !on_data_(bytes, fin)) {
    held_.insert(held_.end(), bytes.begin(), bytes.end());
    held_fin_ = held_fin_ || fin;
    return;  // not consumed: QUIC's flow control holds the peer back
  }
  if (fin) fin_delivered_ = true;
  if (auto t = transport_.lock(); t && t->connection() != nullptr) {
    t->connection()->consume(id_, bytes.size());
  }
}

void QuicStreamImpl::deliver_held() {
  if (paused_ || !on_data_.has() || (held_.empty() && !held_fin_) || fin_delivered_) return;
  auto bytes = std::move(held_);
  held_.clear();
  const bool fin = held_fin_;
  held_fin_ = false;
  fin_delivered_ = fin;
  on_data_(std::span<const std::uint8_t>(bytes), fin);
  if (auto t = transport_.lock(); t && t->connection() != nullptr) {
    t->connection()->consume(id_, bytes.size());
  }
  if (closed_) ended();
}

bool QuicStreamImpl::stream_closed() {
  closed_ = true;
  if (!held_.empty() || held_fin_) return false;
  ended();
  return true;
}

void QuicStreamImpl::ended() {
  on_data_.clear();
  on_writable.clear();
  on_reset.clear();
  held_.clear();
}

// ---- QuicTransportImpl ----

QuicTransportImpl::QuicTransportImpl(CoreRef core, std::string peer_id)
    : core_(std::move(core)), peer_id_(std::move(peer_id)) {}

void QuicTransportImpl::set_ready_handler(std::function<void(Result<void>)> handler) {
  on_ready_.set(std::move(handler));
  core_.post([weak = weak_from_this()] {
    if (auto self = weak.lock()) self->deliver_ready();
  });
}

void QuicTransportImpl::set_close_handler(std::function<void(const std::string&)> handler) {
  on_close.set(std::move(handler));
  core_.post([weak = weak_from_this()] {
    auto self = weak.lock();
    if (self) self->on_close.replay();
  });
}

void QuicTransportImpl::deliver_ready() {
  if (!ready_ || ready_delivered_ || !on_ready_.has()) return;
  ready_delivered_ = true;
  on_ready_(*ready_);
  on_ready_.clear();
}

Result<QuicStream> QuicTransportImpl::open_stream(bool bidirectional) {
  return core_.call([&]() -> Result<QuicStream> {
    if (closed_ || !connection_) {
      return closed_ ? transport_closed()
                     : make_error(Errc::would_block, "the QUIC transport is not ready yet");
    }
    auto id = connection_->open_stream(bidirectional);
    if (!id) return std::move(id).error();
    auto stream =
        std::make_shared<QuicStreamImpl>(core_, weak_from_this(), *id, bidirectional, false);
    streams_[*id] = stream;
    return QuicStream(stream);
  });
}

void QuicTransportImpl::set_incoming_handler(std::function<void(QuicStream)> handler) {
  on_incoming_.set(std::move(handler));
  core_.post([weak = weak_from_this()] {
    if (auto self = weak.lock()) self->deliver_incoming();
  });
}

void QuicTransportImpl::deliver_incoming() {
  while (!undelivered_.empty() && on_incoming_.has()) {
    auto stream = std::move(undelivered_.front());
    undelivered_.erase(undelivered_.begin());
    on_incoming_(QuicStream(stream));
  }
}

void QuicTransportImpl::close() {
  core_.post([weak = weak_from_this()] {
    if (auto self = weak.lock()) self->close_now("closed by the application");
  });
}

void QuicTransportImpl::close_now(const std::string& reason) {
  if (closed_) return;
  if (connection_ && connection_->state() == quic::Connection::State::established) {
    connection_->close(static_cast<std::uint64_t>(osp::CloseCode::normal), reason);
  }
  closed(reason);  // at once (a closing connection's own report is then ignored)
}

void QuicTransportImpl::dial(const quic::SocketAddress& to) {
  auto dialer = core_->local().make_transport_dialer();
  if (!dialer) return fail(dialer.error());
  dialer_ = std::move(*dialer);
  dialer_->dial(to, peer_id_, "", [weak = weak_from_this()](auto connection) {
    auto self = weak.lock();
    if (!self) return;
    if (!connection) return self->fail(connection.error());
    self->attach(*connection);
  });
}

std::shared_ptr<QuicStreamImpl> QuicTransportImpl::stream_of(std::int64_t id) {
  if (auto it = streams_.find(id); it != streams_.end()) return it->second;
  // A stream the peer opened: it appears with its first bytes.
  auto stream =
      std::make_shared<QuicStreamImpl>(core_, weak_from_this(), id, is_bidirectional(id), true);
  streams_[id] = stream;
  undelivered_.push_back(stream);
  deliver_incoming();
  return stream;
}

void QuicTransportImpl::attach(const std::shared_ptr<quic::Connection>& connection) {
  if (closed_) {
    connection->close(static_cast<std::uint64_t>(osp::CloseCode::normal), "transport closed");
    return;
  }
  connection_ = connection;
  std::weak_ptr<QuicTransportImpl> weak = shared_from_this();
  quic::Connection::Handlers handlers;
  handlers.on_stream_data = [weak](std::int64_t id, std::span<const std::uint8_t> bytes, bool fin) {
    if (auto self = weak.lock()) self->stream_of(id)->received(bytes, fin);
  };
  handlers.on_stream_writable = [weak](std::int64_t id) {
    auto self = weak.lock();
    if (!self) return;
    if (auto it = self->streams_.find(id); it != self->streams_.end()) it->second->on_writable();
  };
  handlers.on_stream_reset = [weak](std::int64_t id, std::uint64_t code) {
    auto self = weak.lock();
    if (!self) return;
    if (auto it = self->streams_.find(id); it != self->streams_.end()) it->second->on_reset(code);
  };
  handlers.on_stream_closed = [weak](std::int64_t id) {
    auto self = weak.lock();
    if (!self) return;
    const auto it = self->streams_.find(id);
    if (it == self->streams_.end()) return;
    // Both halves are done. What a paused reader has not taken yet is still its: such a stream
    // ends once it has, or with the transport.
    if (!it->second->stream_closed()) self->draining_.push_back(it->second);
    self->streams_.erase(it);
  };
  handlers.on_closed = [weak](const quic::CloseInfo& info) {
    if (auto self = weak.lock()) self->closed(info.describe());
  };
  connection_->set_handlers(std::move(handlers));
  ready_ = Result<void>{};
  deliver_ready();
}

void QuicTransportImpl::fail(const Error& error) {
  spdlog::info("agent: QUIC transport to {} failed: {}", peer_id_, error.describe());
  if (!ready_) ready_ = error;
  deliver_ready();
  closed(error.message);
}

void QuicTransportImpl::closed(const std::string& reason) {
  if (closed_) return;
  closed_ = true;
  if (!ready_) {
    ready_ = make_error(Errc::closed, reason);
    deliver_ready();
  }
  auto streams = std::move(streams_);
  streams_.clear();
  for (auto& [id, stream] : streams) stream->ended();
  for (auto& stream : draining_) stream->ended();
  draining_.clear();
  undelivered_.clear();
  on_close.fire(reason);
  on_incoming_.clear();
  // The dialer's connection may still be closing (its timers use the endpoint): the agent
  // keeps the endpoint until that connection is gone.
  if (dialer_) core_->retire(std::move(dialer_));
}

}  // namespace lp2p::api
