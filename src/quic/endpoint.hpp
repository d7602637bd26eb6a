// The agent's QUIC endpoint: one UDP socket serving both roles — it accepts connections and
// dials them (osp-brief §2.1) — and the connections on it.
//
// Connection IDs are zero-length in both directions (osp-brief §2.1), so a connection is known
// by its peer's address: one connection per address. A packet with a non-empty destination CID
// can only be a new client's first flight. When a peer dials us while we dial it from the same
// address (both agents use their one socket), the connection whose QUIC client has the smaller
// fingerprint survives (§2.4 REC), decided as soon as the second Initial arrives; a dial whose
// connection lost is handed the surviving one. Once established, a second connection to a peer
// fingerprint already connected is closed the same way, so each peer has one OSP connection.
// Connections of the other protocols a server accepts (TransportConfig::also_accept: LP2P QUIC
// transports) are not deduplicated: each transport is a connection of its own.
//
// Contract: single event-loop thread (the io_context the endpoint was created with); handlers run
// there. The endpoint lives until stop() and the io_context's handlers let go of it.
#pragma once

#include <boost/asio/io_context.hpp>
#include <boost/asio/posix/stream_descriptor.hpp>
#include <functional>
#include <map>
#include <memory>
#include <string>
#include <unordered_map>
#include <vector>

#include "lp2p/result.hpp"
#include "quic/config.hpp"
#include "quic/connection.hpp"
#include "quic/socket_address.hpp"
#include "quic/tls.hpp"
#include "quic/udp_socket.hpp"

namespace lp2p::quic {

class Endpoint : public ConnectionHost, public std::enable_shared_from_this<Endpoint> {
 public:
  struct Options {
    TransportConfig transport;
    UdpSocket::Options socket;
    std::uint16_t port = 0;
    std::string own_fingerprint;  // for the simultaneous-dial tie-break
    // The application code that closes the losing one of two connections to one peer (OSP: 5139).
    std::uint64_t duplicate_close_code = 0;
  };
  struct Stats {
    std::uint64_t accepted = 0;
    std::uint64_t dialed = 0;
    std::uint64_t simultaneous_dials = 0;
    std::uint64_t duplicates_closed = 0;
    std::uint64_t stray_packets = 0;  // for no connection and not an Initial: dropped
  };
  using IncomingHandler = std::function<void(const std::shared_ptr<Connection>& connection)>;
  using DialHandler = std::function<void(Result<std::shared_ptr<Connection>> connection)>;

  static Result<std::shared_ptr<Endpoint>> create(boost::asio::io_context& io,
                                                  std::shared_ptr<TlsCredentials> credentials,
                                                  Options options);
  Endpoint(const Endpoint&) = delete;
  Endpoint& operator=(const Endpoint&) = delete;
  Endpoint(Endpoint&&) = delete;
  Endpoint& operator=(Endpoint&&) = delete;
  ~Endpoint() override;

  // Connections peers opened to us, once established (after the client's certificate checked).
  void on_incoming(IncomingHandler handler) { incoming_ = std::move(handler); }

  // Connects to `to`, requiring the server's fingerprint to be `expected_fingerprint`, with SNI
  // `sni` (the peer's agent hostname). Reuses an established connection to that peer. The
  // handler runs once: with the established connection, or with the error that ended it
  // (peer_mismatch when the fingerprint differs, refused, timed_out, ...).
  void dial(const SocketAddress& to, const std::string& expected_fingerprint,
            const std::string& sni, DialHandler handler);

  // Closes every connection with `code` and stops reading; the endpoint can then be dropped.
  void stop(std::uint64_t code, const std::string& reason);

  [[nodiscard]] std::uint16_t port() const { return socket_.local_port(); }
  [[nodiscard]] const UdpSocket& udp() const { return socket_; }
  [[nodiscard]] const Stats& stats() const { return stats_; }
  [[nodiscard]] std::size_t connection_count() const { return connections_.size(); }
  [[nodiscard]] const TransportConfig& config() const { return options_.transport; }

  // ConnectionHost
  UdpSocket& socket() override { return socket_; }
  [[nodiscard]] const SocketAddress& local_address() const override { return local_; }
  void wait_writable(const std::shared_ptr<Connection>& connection) override;
  void on_established(const std::shared_ptr<Connection>& connection) override;
  void on_finished(const std::shared_ptr<Connection>& connection) override;

 private:
  struct PendingDial {
    std::string expected_fingerprint;
    std::vector<DialHandler> handlers;
  };

  Endpoint(boost::asio::io_context& io, std::shared_ptr<TlsCredentials> credentials,
           Options options, UdpSocket socket);
  void wait_readable();
  void on_readable();
  void dispatch(const SocketAddress& from, std::span<const std::uint8_t> datagram);
  void accept(const SocketAddress& from, std::span<const std::uint8_t> datagram);
  bool resolve_conflict(const std::shared_ptr<Connection>& existing, const SocketAddress& from);
  bool close_duplicate(const std::shared_ptr<Connection>& connection);
  void finish_dial(const Connection* connection, const Result<std::shared_ptr<Connection>>& result);
  [[nodiscard]] bool client_fingerprint_smaller(const Connection& a, const Connection& b) const;

  boost::asio::io_context& io_;
  std::shared_ptr<TlsCredentials> credentials_;
  Options options_;
  UdpSocket socket_;
  SocketAddress local_;
  boost::asio::posix::stream_descriptor descriptor_;
  std::unordered_map<SocketAddress, std::shared_ptr<Connection>, SocketAddressHash> connections_;
  std::map<const Connection*, PendingDial> dials_;
  // Dials whose connection lost a simultaneous-dial tie-break, waiting for the peer's connection
  // from the same address.
  std::unordered_map<SocketAddress, PendingDial, SocketAddressHash> adopted_dials_;
  std::vector<std::weak_ptr<Connection>> blocked_;  // waiting for socket room
  SocketAddress last_from_;                         // dispatch's one-entry cache
  std::shared_ptr<Connection> last_connection_;
  bool waiting_writable_ = false;
  bool stopped_ = false;
  IncomingHandler incoming_;
  Stats stats_;
};

}  // namespace lp2p::quic
