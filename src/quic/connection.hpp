// One QUIC connection (ngtcp2 0.12 + GnuTLS) of the agent's endpoint, with OSP's TLS profile.
// The thin adapter over ngtcp2 (NOTES: "keep ngtcp2 behind a thin adapter"): nothing outside
// quic/ sees an ngtcp2 or GnuTLS type.
//
// Contract:
// - Lives on its endpoint's event-loop thread; every method must be called there, and every
//   handler is called there. Handlers may call any method of the connection, including close().
// - Established means mutually authenticated at the TLS level: the listener has checked the
//   client's certificate (handshake completed), the dialer has seen HANDSHAKE_DONE (NOTES §9).
//   peer_fingerprint() is valid from then on. Handlers are set once established (or before).
// - Streams: write() copies into the stream's bounded send buffer and returns how much it took;
//   when it took less than offered, on_stream_writable fires once room is back. Received bytes
//   are handed to on_stream_data once, in order; the flow-control window only opens again as the
//   application calls consume() — a reader that stops consuming stops its peer.
// - on_closed fires exactly once, whatever ended the connection.
#pragma once

#include <boost/asio/io_context.hpp>
#include <boost/asio/steady_timer.hpp>
#include <chrono>
#include <cstdint>
#include <deque>
#include <functional>
#include <map>
#include <memory>
#include <optional>
#include <span>
#include <string>
#include <vector>

#include "lp2p/result.hpp"
#include "quic/config.hpp"
#include "quic/send_buffer.hpp"
#include "quic/socket_address.hpp"
#include "quic/tls.hpp"

struct ngtcp2_conn;
struct ngtcp2_connection_close_error;

namespace lp2p::quic {

class UdpSocket;
class Connection;

struct CloseInfo {
  enum class Kind {
    local,              // we closed it (close())
    remote,             // the peer sent CONNECTION_CLOSE
    idle_timeout,       // nothing heard for the idle timeout
    handshake_timeout,  // the handshake did not finish in time
    handshake_failed,   // TLS refused (by us: see error; by the peer: see code/reason)
    internal,           // ngtcp2 or the socket failed
  };
  Kind kind = Kind::local;
  bool application = true;  // code is an application error code (else a QUIC transport code)
  std::uint64_t code = 0;
  std::string reason;
  std::optional<Error> error;  // our own reason for failing, when we had one
  [[nodiscard]] std::string describe() const;
};

// Negotiated and measured parameters, for diagnostics (`lp2p info`).
struct ConnectionInfo {
  std::string alpn;
  std::string tls;  // version / cipher / group
  std::uint32_t quic_version = 0;
  std::string congestion_control;
  std::chrono::milliseconds local_idle_timeout{0};
  std::chrono::milliseconds peer_idle_timeout{0};
  std::uint64_t peer_initial_max_data = 0;
  std::uint64_t peer_initial_max_stream_data_bidi = 0;
  std::uint64_t peer_initial_max_streams_bidi = 0;
  std::uint64_t peer_initial_max_streams_uni = 0;
  std::size_t max_udp_payload = 0;
  std::size_t local_cid_length = 0;
  std::size_t peer_cid_length = 0;
  std::chrono::nanoseconds smoothed_rtt{0};
  std::chrono::nanoseconds min_rtt{0};
  std::uint64_t cwnd = 0;
  std::uint64_t bytes_in_flight = 0;
  std::uint64_t bytes_sent = 0;
  std::uint64_t bytes_received = 0;
  std::uint64_t datagrams_sent = 0;
  std::uint64_t datagrams_received = 0;
};

// What a connection needs from its endpoint.
class ConnectionHost {
 public:
  ConnectionHost() = default;
  ConnectionHost(const ConnectionHost&) = delete;
  ConnectionHost& operator=(const ConnectionHost&) = delete;
  ConnectionHost(ConnectionHost&&) = delete;
  ConnectionHost& operator=(ConnectionHost&&) = delete;
  virtual ~ConnectionHost() = default;
  [[nodiscard]] virtual UdpSocket& socket() = 0;
  [[nodiscard]] virtual const SocketAddress& local_address() const = 0;
  // The socket had no room: call flush() on this connection when it is writable again.
  virtual void wait_writable(const std::shared_ptr<Connection>& connection) = 0;
  virtual void on_established(const std::shared_ptr<Connection>& connection) = 0;
  virtual void on_finished(const std::shared_ptr<Connection>& connection) = 0;  // may be erased
};

class Connection : public std::enable_shared_from_this<Connection> {
 public:
  struct Handlers {
    std::function<void()> on_established;
    // Bytes of a stream, in order; fin with the last ones. Call consume() when done with them.
    std::function<void(std::int64_t stream, std::span<const std::uint8_t> bytes, bool fin)>
        on_stream_data;
    std::function<void(std::int64_t stream)> on_stream_writable;
    // The peer reset its sending half (RESET_STREAM) or asked us to stop (STOP_SENDING).
    std::function<void(std::int64_t stream, std::uint64_t code)> on_stream_reset;
    std::function<void(std::int64_t stream)> on_stream_closed;  // both halves done, state freed
    std::function<void(const CloseInfo& info)> on_closed;
  };
  enum class State { handshaking, established, closing, draining, closed };

  // Created by the endpoint only.
  static Result<std::shared_ptr<Connection>> dial(boost::asio::io_context& io, ConnectionHost& host,
                                                  const TransportConfig& config,
                                                  const TlsCredentials& credentials,
                                                  const SocketAddress& remote,
                                                  const std::string& expected_fingerprint,
                                                  const std::string& sni);
  static Result<std::shared_ptr<Connection>> accept(boost::asio::io_context& io,
                                                    ConnectionHost& host,
                                                    const TransportConfig& config,
                                                    const TlsCredentials& credentials,
                                                    const SocketAddress& remote,
                                                    std::span<const std::uint8_t> initial_packet);
  Connection(const Connection&) = delete;
  Connection& operator=(const Connection&) = delete;
  Connection(Connection&&) = delete;
  Connection& operator=(Connection&&) = delete;
  ~Connection();

  void set_handlers(Handlers handlers);

  [[nodiscard]] bool is_client() const { return client_; }
  [[nodiscard]] State state() const { return state_; }
  [[nodiscard]] const SocketAddress& remote() const { return remote_; }
  // The application protocol the handshake selected (TransportConfig::alpn or also_accept);
  // set once established.
  [[nodiscard]] const std::string& alpn() const { return alpn_; }
  [[nodiscard]] const std::string& peer_fingerprint() const {
    return tls_context_.peer_fingerprint;
  }
  [[nodiscard]] const std::string& expected_fingerprint() const {
    return tls_context_.expected_fingerprint;
  }
  // Time from the first packet to established.
  [[nodiscard]] std::chrono::nanoseconds handshake_duration() const { return handshake_duration_; }
  [[nodiscard]] std::chrono::steady_clock::time_point established_at() const {
    return started_ + handshake_duration_;
  }
  [[nodiscard]] ConnectionInfo info() const;
  // Why it ended; set once the state is closing, draining or closed.
  [[nodiscard]] const std::optional<CloseInfo>& close_info() const { return close_info_; }

  Result<std::int64_t> open_stream(bool bidirectional);
  Result<std::size_t> write(std::int64_t id, std::span<const std::uint8_t> bytes, bool fin = false);
  // Ends our sending half after what was written (FIN).
  Result<void> finish(std::int64_t id);
  [[nodiscard]] std::size_t writable(std::int64_t id) const;
  // Unsent or unacknowledged bytes of a stream (0 for an unknown stream).
  [[nodiscard]] std::size_t buffered(std::int64_t id) const;
  void consume(std::int64_t id, std::size_t bytes);
  // Abandons a stream in both directions (RESET_STREAM + STOP_SENDING) with an application code.
  void reset_stream(std::int64_t id, std::uint64_t code);
  // CONNECTION_CLOSE with an application error code; on_closed follows.
  void close(std::uint64_t code, std::string reason);

  // Endpoint side.
  void receive(std::span<const std::uint8_t> datagram);
  void flush();
  [[nodiscard]] bool matches_initial(std::span<const std::uint8_t> dcid) const;
  // Gives up silently (a simultaneous dial lost, or the endpoint is going away).
  void abandon(const CloseInfo& info);

 private:
  struct Stream {
    explicit Stream(std::size_t capacity) : send(capacity) {}
    SendBuffer send;
    bool blocked = false;         // stream flow control: wait for MAX_STREAM_DATA
    bool write_shut = false;      // reset, or the peer asked us to stop
    bool wants_writable = false;  // write() took less than offered
    bool queued = false;          // in ready_
  };

  Connection(boost::asio::io_context& io, ConnectionHost& host, TransportConfig config,
             const SocketAddress& remote, bool client);
  Result<void> init_tls(const TlsCredentials& credentials, const std::string& sni);
  Stream* find(std::int64_t id);
  Stream& stream_state(std::int64_t id);
  void queue(std::int64_t id, Stream& stream);
  void write_packets();
  bool send_batch(std::span<const std::uint8_t> bytes, std::size_t segment);
  void write_close();
  bool encode_close(const ngtcp2_connection_close_error& error);
  void handle_read_error(int error);
  void arm_timer();
  void on_timer();
  void enter_closed(const CloseInfo& info);
  // Tells the application (once) that the connection is over; the state may linger.
  void notify_closed(const CloseInfo& info);
  void schedule_flush();
  void mark_established();
  CloseInfo close_info_from_peer() const;

  // ngtcp2 callbacks (static trampolines in connection.cpp reach these).
  friend struct Callbacks;

  boost::asio::io_context& io_;
  ConnectionHost& host_;
  TransportConfig config_;
  SocketAddress remote_;
  bool client_;
  State state_ = State::handshaking;
  ngtcp2_conn* conn_ = nullptr;
  TlsSessionContext tls_context_;
  TlsSession tls_;
  Handlers handlers_;
  std::map<std::int64_t, Stream> streams_;
  std::deque<std::int64_t> ready_;  // streams with something to send, round robin
  std::vector<std::uint8_t> original_dcid_;
  std::vector<std::uint8_t> packet_buffer_;
  std::vector<std::uint8_t> pending_;  // packets the socket had no room for
  std::size_t pending_segment_ = 0;
  std::vector<std::uint8_t> close_packet_;
  std::optional<CloseInfo> close_info_;
  std::string alpn_;
  std::optional<std::pair<std::uint64_t, std::string>> close_request_;
  boost::asio::steady_timer timer_;
  std::chrono::steady_clock::time_point timer_at_{};
  std::chrono::steady_clock::time_point started_{};
  std::chrono::nanoseconds handshake_duration_{0};
  std::uint64_t bytes_sent_ = 0;
  std::uint64_t bytes_received_ = 0;
  std::uint64_t datagrams_sent_ = 0;
  std::uint64_t datagrams_received_ = 0;
  bool flush_scheduled_ = false;
};

}  // namespace lp2p::quic
