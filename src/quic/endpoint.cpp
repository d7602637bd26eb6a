#include "quic/endpoint.hpp"

#include <ngtcp2/ngtcp2.h>
#include <spdlog/spdlog.h>

#include <boost/asio/post.hpp>

namespace lp2p::quic {
namespace {

constexpr std::size_t kReadCallsPerWake = 1;
// A connection this much older than a new one to the same peer is taken for a leftover.
constexpr auto kStaleAfter = std::chrono::seconds(2);

Error error_of(const CloseInfo& info) {
  if (info.error) return *info.error;
  switch (info.kind) {
    case CloseInfo::Kind::handshake_timeout:
    case CloseInfo::Kind::idle_timeout:
      return make_error(Errc::timed_out, info.describe());
    case CloseInfo::Kind::handshake_failed:
    case CloseInfo::Kind::remote:
      return make_error(Errc::refused, info.describe());
    case CloseInfo::Kind::local:
      return make_error(Errc::closed, info.describe());
    case CloseInfo::Kind::internal:
      break;
  }
  return make_error(Errc::io_error, info.describe());
}

}  // namespace

Result<std::shared_ptr<Endpoint>> Endpoint::create(boost::asio::io_context& io,
                                                   std::shared_ptr<TlsCredentials> credentials,
                                                   Options options) {
  auto socket = UdpSocket::bind(options.port, options.socket);
  if (!socket) return socket.error();
  std::shared_ptr<Endpoint> endpoint(
      new Endpoint(io, std::move(credentials), std::move(options), std::move(*socket)));
  endpoint->wait_readable();
  return endpoint;
}

Endpoint::Endpoint(boost::asio::io_context& io, std::shared_ptr<TlsCredentials> credentials,
                   Options options, UdpSocket socket)
    : io_(io),
      credentials_(std::move(credentials)),
      options_(std::move(options)),
      socket_(std::move(socket)),
      descriptor_(io, socket_.fd()) {
  // The local side of every path: the wildcard address the socket is bound to. ngtcp2 only
  // compares it with itself, and the kernel picks the source address per route.
  sockaddr_in6 any{};
  any.sin6_family = AF_INET6;
  any.sin6_port = htons(socket_.local_port());
  local_ = *SocketAddress::from_sockaddr(reinterpret_cast<const sockaddr*>(&any), sizeof(any));
}

Endpoint::~Endpoint() {
  // The UdpSocket owns the descriptor; asio must not close it too.
  descriptor_.release();
}

void Endpoint::wait_readable() {
  if (stopped_) return;
  descriptor_.async_wait(boost::asio::posix::stream_descriptor::wait_read,
                         [weak = weak_from_this()](const boost::system::error_code& ec) {
                           if (ec) return;
                           if (auto self = weak.lock()) self->on_readable();
                         });
}

void Endpoint::on_readable() {
  auto self = shared_from_this();  // a handler may drop the last outside reference
  socket_.receive([this](const SocketAddress& from,
                         std::span<const std::uint8_t> datagram) { dispatch(from, datagram); },
                  kReadCallsPerWake);
  // Connections flush from posted handlers, after the whole batch: one ACK per burst (NOTES §15).
  wait_readable();
}

void Endpoint::dispatch(const SocketAddress& from, std::span<const std::uint8_t> datagram) {
  ngtcp2_version_cid header{};
  const int rv = ngtcp2_pkt_decode_version_cid(&header, datagram.data(), datagram.size(), 0);
  if (rv != 0) {
    ++stats_.stray_packets;
    spdlog::debug("quic: undecodable packet from {} ({} bytes)", from.to_string(), datagram.size());
    return;
  }
  // Our connection IDs are empty: a packet naming a non-empty one is a new client's first flight.
  const bool long_header = (datagram[0] & 0x80U) != 0;
  const bool first_flight = long_header && header.dcidlen > 0;
  // GRO hands over runs of datagrams from one peer: remember the last lookup.
  if (!(last_from_ == from) || !last_connection_ ||
      last_connection_->state() == Connection::State::closed) {
    auto it = connections_.find(from);
    last_connection_ = it == connections_.end() ? nullptr : it->second;
    last_from_ = from;
  }
  if (last_connection_) {
    const std::shared_ptr<Connection> connection = last_connection_;
    if (first_flight && !connection->matches_initial({header.dcid, header.dcidlen})) {
      if (!resolve_conflict(connection, from)) return;
      accept(from, datagram);
      return;
    }
    connection->receive(datagram);
    return;
  }
  if (first_flight) {
    accept(from, datagram);
    return;
  }
  ++stats_.stray_packets;
}

void Endpoint::accept(const SocketAddress& from, std::span<const std::uint8_t> datagram) {
  if (stopped_) return;
  auto connection =
      Connection::accept(io_, *this, options_.transport, *credentials_, from, datagram);
  if (!connection) {
    ++stats_.stray_packets;
    spdlog::debug("quic: ignoring a packet from {}: {}", from.to_string(),
                  connection.error().message);
    return;
  }
  ++stats_.accepted;
  connections_[from] = *connection;
  last_connection_.reset();
  (*connection)->receive(datagram);
}

// A new connection attempt from an address we already have a connection with. True when the
// new one should be accepted (the old one was given up).
bool Endpoint::resolve_conflict(const std::shared_ptr<Connection>& existing,
                                const SocketAddress& from) {
  if (existing->state() == Connection::State::closing ||
      existing->state() == Connection::State::draining) {
    // Over already, only lingering to absorb stray packets: the new connection replaces it.
    existing->abandon(existing->close_info().value_or(CloseInfo{}));
    return true;
  }
  if (!existing->is_client()) {
    // The peer dialed again from the same address: it has forgotten the old connection.
    spdlog::info("quic: {} connects again; the previous connection is dropped", from.to_string());
    existing->abandon({CloseInfo::Kind::remote, true, 0, "the peer connected again", std::nullopt});
    return true;
  }
  ++stats_.simultaneous_dials;
  // Both dialed at once: the connection whose client has the smaller fingerprint survives.
  if (options_.own_fingerprint < existing->expected_fingerprint()) {
    spdlog::debug("quic: simultaneous dial with {}: keeping ours", from.to_string());
    return false;
  }
  spdlog::debug("quic: simultaneous dial with {}: taking the peer's", from.to_string());
  if (auto dial = dials_.find(existing.get()); dial != dials_.end()) {
    adopted_dials_[from] = std::move(dial->second);
    dials_.erase(dial);
  }
  existing->abandon({CloseInfo::Kind::local, true, 0,
                     "superseded by the peer's simultaneous connection", std::nullopt});
  return true;
}

void Endpoint::dial(const SocketAddress& to, const std::string& expected_fingerprint,
                    const std::string& sni, DialHandler handler) {
  if (stopped_) {
    handler(make_error(Errc::closed, "the endpoint is stopped"));
    return;
  }
  for (const auto& [address, connection] : connections_) {
    if (connection->state() == Connection::State::established &&
        connection->peer_fingerprint() == expected_fingerprint) {
      handler(connection);  // one connection per peer (osp-brief §2.4)
      return;
    }
  }
  if (auto it = connections_.find(to); it != connections_.end()) {
    const std::shared_ptr<Connection>& existing = it->second;
    if (existing->state() == Connection::State::handshaking) {
      if (auto dial = dials_.find(existing.get());
          dial != dials_.end() && dial->second.expected_fingerprint == expected_fingerprint) {
        dial->second.handlers.push_back(std::move(handler));
        return;
      }
      if (!existing->is_client()) {  // the peer is dialing us from there: wait for that one
        PendingDial& adopted = adopted_dials_[to];
        adopted.expected_fingerprint = expected_fingerprint;
        adopted.handlers.push_back(std::move(handler));
        return;
      }
    }
    if (existing->state() == Connection::State::established ||
        existing->state() == Connection::State::handshaking) {
      handler(make_error(Errc::peer_mismatch, "already connected to " + to.to_string() +
                                                  " with another device (fingerprint " +
                                                  existing->peer_fingerprint() + ")"));
      return;
    }
  }
  auto connection = Connection::dial(io_, *this, options_.transport, *credentials_, to,
                                     expected_fingerprint, sni);
  if (!connection) {
    handler(connection.error());
    return;
  }
  ++stats_.dialed;
  connections_[to] = *connection;
  last_connection_.reset();
  PendingDial pending{expected_fingerprint, {}};
  pending.handlers.push_back(std::move(handler));
  dials_[connection->get()] = std::move(pending);
  (*connection)->flush();
}

bool Endpoint::client_fingerprint_smaller(const Connection& a, const Connection& b) const {
  auto client_fp = [this](const Connection& c) {
    return c.is_client() ? options_.own_fingerprint : c.peer_fingerprint();
  };
  return client_fp(a) < client_fp(b);
}

// One connection per peer fingerprint (osp-brief §2.4). True when `connection` lost and was
// closed; a dial waiting on it is handed the survivor.
bool Endpoint::close_duplicate(const std::shared_ptr<Connection>& connection) {
  // Only the main protocol (OSP) keeps one connection per peer; a peer may open several
  // connections of another one (each LP2P QUIC transport is its own connection).
  if (connection->alpn() != options_.transport.alpn) return false;
  for (const auto& [address, other] : connections_) {
    if (other == connection || other->state() != Connection::State::established ||
        other->peer_fingerprint() != connection->peer_fingerprint() ||
        other->alpn() != connection->alpn()) {
      continue;
    }
    ++stats_.duplicates_closed;
    // Two connections set up at about the same time (the peer dialed from another socket while
    // we dialed it): the one whose client has the smaller fingerprint, as both sides decide
    // alike (osp-brief §2.4). An older one is presumed stale — the peer restarted on another
    // port before the idle timeout noticed — and gives way to the new one. With the same client
    // on both, the older one stays.
    const bool stale = connection->established_at() - other->established_at() > kStaleAfter;
    const bool keep_new = stale || client_fingerprint_smaller(*connection, *other);
    const std::shared_ptr<Connection> loser = keep_new ? other : connection;
    const std::shared_ptr<Connection> winner = keep_new ? connection : other;
    spdlog::info("quic: two connections to {}; closing the one via {}",
                 connection->peer_fingerprint(), loser->remote().to_string());
    if (auto dial = dials_.find(loser.get()); dial != dials_.end()) {
      auto handlers = std::move(dial->second.handlers);
      dials_.erase(dial);
      for (auto& handler : handlers) handler(winner);
    }
    loser->close(options_.duplicate_close_code, "duplicate connection");
    return loser == connection;
  }
  return false;
}

void Endpoint::on_established(const std::shared_ptr<Connection>& connection) {
  if (close_duplicate(connection)) return;
  if (connection->is_client()) {
    finish_dial(connection.get(), connection);
    return;
  }
  if (auto adopted = adopted_dials_.find(connection->remote()); adopted != adopted_dials_.end()) {
    PendingDial pending = std::move(adopted->second);
    adopted_dials_.erase(adopted);
    if (pending.expected_fingerprint == connection->peer_fingerprint()) {
      for (auto& handler : pending.handlers) handler(connection);
      return;
    }
    for (auto& handler : pending.handlers) {
      handler(make_error(Errc::peer_mismatch, "the device at " + connection->remote().to_string() +
                                                  " has fingerprint " +
                                                  connection->peer_fingerprint() + ", not " +
                                                  pending.expected_fingerprint));
    }
  }
  if (incoming_) incoming_(connection);
}

void Endpoint::finish_dial(const Connection* connection,
                           const Result<std::shared_ptr<Connection>>& result) {
  auto dial = dials_.find(connection);
  if (dial == dials_.end()) return;
  auto handlers = std::move(dial->second.handlers);
  dials_.erase(dial);
  for (auto& handler : handlers) handler(result);
}

void Endpoint::on_finished(const std::shared_ptr<Connection>& connection) {
  if (auto it = connections_.find(connection->remote());
      it != connections_.end() && it->second == connection) {
    connections_.erase(it);
    last_connection_.reset();
  }
  if (dials_.contains(connection.get())) {
    const CloseInfo info = connection->close_info().value_or(CloseInfo{});
    finish_dial(connection.get(), error_of(info));
  }
  // Dials handed over to the peer's connection from this address, which ended before it was up.
  if (auto adopted = adopted_dials_.find(connection->remote());
      !connection->is_client() && adopted != adopted_dials_.end()) {
    auto handlers = std::move(adopted->second.handlers);
    adopted_dials_.erase(adopted);
    const Error error = error_of(connection->close_info().value_or(CloseInfo{}));
    for (auto& handler : handlers) handler(error);
  }
}

void Endpoint::wait_writable(const std::shared_ptr<Connection>& connection) {
  blocked_.push_back(connection);
  if (waiting_writable_) return;
  waiting_writable_ = true;
  descriptor_.async_wait(boost::asio::posix::stream_descriptor::wait_write,
                         [weak = weak_from_this()](const boost::system::error_code& ec) {
                           auto self = weak.lock();
                           if (!self) return;
                           self->waiting_writable_ = false;
                           if (ec) return;
                           auto blocked = std::move(self->blocked_);
                           self->blocked_.clear();
                           for (auto& w : blocked) {
                             if (auto c = w.lock()) c->flush();
                           }
                         });
}

void Endpoint::stop(std::uint64_t code, const std::string& reason) {
  if (stopped_) return;
  stopped_ = true;
  std::vector<std::shared_ptr<Connection>> all;
  for (const auto& [address, connection] : connections_) all.push_back(connection);
  for (auto& connection : all) {
    if (connection->state() == Connection::State::established) {
      connection->close(code, reason);
      connection->flush();
    }
  }
  for (auto& connection : all) {
    if (connection->state() != Connection::State::established) {
      connection->abandon({CloseInfo::Kind::local, true, code, reason, std::nullopt});
    }
  }
  boost::system::error_code ignored;
  descriptor_.cancel(ignored);
}

}  // namespace lp2p::quic
