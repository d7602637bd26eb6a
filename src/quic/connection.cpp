#include "quic/connection.hpp"

#include <gnutls/crypto.h>
#include <ngtcp2/ngtcp2.h>
#include <ngtcp2/ngtcp2_crypto.h>
#include <spdlog/spdlog.h>

#include <algorithm>
#include <array>
#include <boost/asio/post.hpp>

#include "quic/udp_socket.hpp"

namespace lp2p::quic {
namespace {

using Clock = std::chrono::steady_clock;

ngtcp2_tstamp timestamp() {
  return static_cast<ngtcp2_tstamp>(
      std::chrono::duration_cast<std::chrono::nanoseconds>(Clock::now().time_since_epoch())
          .count());
}

Clock::time_point to_time_point(ngtcp2_tstamp ts) {
  return Clock::time_point(std::chrono::nanoseconds(ts));
}

constexpr std::size_t kMaxBatchBytes = 65535;  // GSO: at most 64 KiB per sendmsg
constexpr std::size_t kMaxBatchSegments = 64;
constexpr std::size_t kMaxPacket = 1500;  // room after a full batch for one more packet
constexpr std::size_t kInitialDcidLength = 18;
constexpr std::size_t kMaxVecs = 4;  // a packet's worth spans at most two 64 KiB chunks

ngtcp2_cc_algo cc_algo(CongestionControl cc) {
  switch (cc) {
    case CongestionControl::cubic:
      return NGTCP2_CC_ALGO_CUBIC;
    case CongestionControl::reno:
      return NGTCP2_CC_ALGO_RENO;
    case CongestionControl::bbr2:
      return NGTCP2_CC_ALGO_BBR2;
  }
  return NGTCP2_CC_ALGO_BBR2;
}

ngtcp2_duration ns(std::chrono::milliseconds ms) {
  return static_cast<ngtcp2_duration>(std::chrono::nanoseconds(ms).count());
}

void random_bytes(std::uint8_t* out, std::size_t length) {
  gnutls_rnd(GNUTLS_RND_RANDOM, out, length);
}

// ngtcp2 takes non-const pointers but does not write through a path it is given.
// NOLINTBEGIN(cppcoreguidelines-pro-type-const-cast)
ngtcp2_path make_path(const SocketAddress& local, const SocketAddress& remote) {
  ngtcp2_path path{};
  path.local.addr = const_cast<sockaddr*>(local.data());
  path.local.addrlen = SocketAddress::size();
  path.remote.addr = const_cast<sockaddr*>(remote.data());
  path.remote.addrlen = SocketAddress::size();
  return path;
}
// NOLINTEND(cppcoreguidelines-pro-type-const-cast)

const char* kind_name(CloseInfo::Kind kind) {
  switch (kind) {
    case CloseInfo::Kind::local:
      return "closed by us";
    case CloseInfo::Kind::remote:
      return "closed by the peer";
    case CloseInfo::Kind::idle_timeout:
      return "idle timeout";
    case CloseInfo::Kind::handshake_timeout:
      return "handshake timeout";
    case CloseInfo::Kind::handshake_failed:
      return "handshake failed";
    case CloseInfo::Kind::internal:
      return "transport failure";
  }
  return "?";
}

}  // namespace

std::string CloseInfo::describe() const {
  std::string text = kind_name(kind);
  if (error) return text + ": " + error->message;
  if (kind == Kind::remote || kind == Kind::local || kind == Kind::handshake_failed) {
    text += application ? " (application code " : " (QUIC error ";
    text += std::to_string(code);
    if (!application && code >= 0x100 && code < 0x200) {
      const char* alert =
          gnutls_alert_get_name(static_cast<gnutls_alert_description_t>(code - 0x100));
      if (alert != nullptr) text += std::string(", TLS alert: ") + alert;
    }
    text += ")";
  }
  if (!reason.empty()) text += ": " + reason;
  return text;
}

// ngtcp2's C callbacks, forwarding to the connection.
struct Callbacks {
  static Connection& self(void* user_data) { return *static_cast<Connection*>(user_data); }

  static void rand(std::uint8_t* dest, std::size_t length, const ngtcp2_rand_ctx* /*ctx*/) {
    random_bytes(dest, length);
  }

  static int new_connection_id(ngtcp2_conn* /*conn*/, ngtcp2_cid* cid, std::uint8_t* token,
                               std::size_t length, void* /*user_data*/) {
    random_bytes(std::data(cid->data), length);
    cid->datalen = length;
    random_bytes(token, NGTCP2_STATELESS_RESET_TOKENLEN);
    return 0;
  }

  static int handshake_completed(ngtcp2_conn* /*conn*/, void* user_data) {
    Connection& c = self(user_data);
    // The listener has verified the client's certificate by now; the dialer waits for
    // HANDSHAKE_DONE because the server may still refuse its certificate (NOTES §9).
    if (!c.client_) c.mark_established();
    return 0;
  }

  static int handshake_confirmed(ngtcp2_conn* /*conn*/, void* user_data) {
    Connection& c = self(user_data);
    if (c.client_) c.mark_established();
    return 0;
  }

  static int recv_stream_data(ngtcp2_conn* /*conn*/, std::uint32_t flags, std::int64_t stream_id,
                              std::uint64_t /*offset*/, const std::uint8_t* data,
                              std::size_t length, void* user_data, void* /*stream_user_data*/) {
    Connection& c = self(user_data);
    const bool fin = (flags & NGTCP2_STREAM_DATA_FLAG_FIN) != 0;
    if (c.handlers_.on_stream_data) {
      c.handlers_.on_stream_data(stream_id, {data, length}, fin);
    } else {
      spdlog::warn("quic {}: {} bytes on stream {} before anyone listens; dropped",
                   c.remote_.to_string(), length, stream_id);
      c.consume(stream_id, length);
    }
    return 0;
  }

  static int acked_stream_data_offset(ngtcp2_conn* /*conn*/, std::int64_t stream_id,
                                      std::uint64_t offset, std::uint64_t length, void* user_data,
                                      void* /*stream_user_data*/) {
    Connection& c = self(user_data);
    Connection::Stream* stream = c.find(stream_id);
    if (stream == nullptr) return 0;
    stream->send.acknowledge(offset, length);
    if (stream->wants_writable && stream->send.space() >= stream->send.capacity() / 2) {
      stream->wants_writable = false;
      if (c.handlers_.on_stream_writable) c.handlers_.on_stream_writable(stream_id);
    }
    return 0;
  }

  static int stream_close(ngtcp2_conn* conn, std::uint32_t /*flags*/, std::int64_t stream_id,
                          std::uint64_t /*code*/, void* user_data, void* /*stream_user_data*/) {
    Connection& c = self(user_data);
    c.streams_.erase(stream_id);
    if (ngtcp2_conn_is_local_stream(conn, stream_id) == 0) {
      // Let the peer open another one in its place (MAX_STREAMS stays generous).
      if (ngtcp2_is_bidi_stream(stream_id) != 0) {
        ngtcp2_conn_extend_max_streams_bidi(conn, 1);
      } else {
        ngtcp2_conn_extend_max_streams_uni(conn, 1);
      }
    }
    if (c.handlers_.on_stream_closed) c.handlers_.on_stream_closed(stream_id);
    return 0;
  }

  static int stream_reset(ngtcp2_conn* /*conn*/, std::int64_t stream_id,
                          std::uint64_t /*final_size*/, std::uint64_t code, void* user_data,
                          void* /*stream_user_data*/) {
    Connection& c = self(user_data);
    if (c.handlers_.on_stream_reset) c.handlers_.on_stream_reset(stream_id, code);
    return 0;
  }

  static int stream_stop_sending(ngtcp2_conn* /*conn*/, std::int64_t stream_id, std::uint64_t code,
                                 void* user_data, void* /*stream_user_data*/) {
    Connection& c = self(user_data);
    if (Connection::Stream* stream = c.find(stream_id)) stream->write_shut = true;
    if (c.handlers_.on_stream_reset) c.handlers_.on_stream_reset(stream_id, code);
    return 0;
  }

  static int extend_max_stream_data(ngtcp2_conn* /*conn*/, std::int64_t stream_id,
                                    std::uint64_t /*max_data*/, void* user_data,
                                    void* /*stream_user_data*/) {
    Connection& c = self(user_data);
    if (Connection::Stream* stream = c.find(stream_id); stream != nullptr && stream->blocked) {
      stream->blocked = false;
      c.queue(stream_id, *stream);
    }
    return 0;
  }
};

namespace {

ngtcp2_callbacks make_callbacks(bool client) {
  ngtcp2_callbacks cb{};
  if (client) {
    cb.client_initial = ngtcp2_crypto_client_initial_cb;
    cb.recv_retry = ngtcp2_crypto_recv_retry_cb;
  } else {
    cb.recv_client_initial = ngtcp2_crypto_recv_client_initial_cb;
  }
  cb.recv_crypto_data = ngtcp2_crypto_recv_crypto_data_cb;
  cb.encrypt = ngtcp2_crypto_encrypt_cb;
  cb.decrypt = ngtcp2_crypto_decrypt_cb;
  cb.hp_mask = ngtcp2_crypto_hp_mask_cb;
  cb.update_key = ngtcp2_crypto_update_key_cb;
  cb.delete_crypto_aead_ctx = ngtcp2_crypto_delete_crypto_aead_ctx_cb;
  cb.delete_crypto_cipher_ctx = ngtcp2_crypto_delete_crypto_cipher_ctx_cb;
  cb.get_path_challenge_data = ngtcp2_crypto_get_path_challenge_data_cb;
  cb.version_negotiation = ngtcp2_crypto_version_negotiation_cb;
  cb.rand = Callbacks::rand;
  cb.get_new_connection_id = Callbacks::new_connection_id;
  cb.handshake_completed = Callbacks::handshake_completed;
  cb.handshake_confirmed = Callbacks::handshake_confirmed;
  cb.recv_stream_data = Callbacks::recv_stream_data;
  cb.acked_stream_data_offset = Callbacks::acked_stream_data_offset;
  cb.stream_close = Callbacks::stream_close;
  cb.stream_reset = Callbacks::stream_reset;
  cb.stream_stop_sending = Callbacks::stream_stop_sending;
  cb.extend_max_stream_data = Callbacks::extend_max_stream_data;
  return cb;
}

ngtcp2_settings make_settings(const TransportConfig& config) {
  ngtcp2_settings settings;
  ngtcp2_settings_default(&settings);
  settings.initial_ts = timestamp();
  settings.cc_algo = cc_algo(config.congestion_control);
  settings.initial_rtt = ns(config.initial_rtt);
  settings.max_window = config.max_connection_window;
  settings.max_stream_window = config.max_stream_window;
  settings.max_tx_udp_payload_size = config.max_udp_payload;
  settings.handshake_timeout = ns(config.handshake_timeout);
  settings.rand_ctx.native_handle = nullptr;
  return settings;
}

ngtcp2_transport_params make_params(const TransportConfig& config) {
  ngtcp2_transport_params params;
  ngtcp2_transport_params_default(&params);
  params.initial_max_stream_data_bidi_local = config.stream_window;
  params.initial_max_stream_data_bidi_remote = config.stream_window;
  params.initial_max_stream_data_uni = config.stream_window;
  params.initial_max_data = config.connection_window;
  params.initial_max_streams_bidi = config.max_streams_bidi;
  params.initial_max_streams_uni = config.max_streams_uni;
  params.max_idle_timeout = ns(config.idle_timeout);
  // Zero-length connection IDs (osp-brief §2.1): the 4-tuple identifies the connection, so it
  // cannot migrate.
  params.disable_active_migration = 1;
  params.max_ack_delay = ns(config.max_ack_delay);
  return params;
}

}  // namespace

Connection::Connection(boost::asio::io_context& io, ConnectionHost& host, TransportConfig config,
                       const SocketAddress& remote, bool client)
    : io_(io),
      host_(host),
      config_(std::move(config)),
      remote_(remote),
      client_(client),
      packet_buffer_(kMaxBatchBytes + kMaxPacket),
      timer_(io),
      started_(Clock::now()) {
  tls_context_.conn_ref.get_conn = [](ngtcp2_crypto_conn_ref* ref) {
    return static_cast<Connection*>(ref->user_data)->conn_;
  };
  tls_context_.conn_ref.user_data = this;
}

Connection::~Connection() {
  if (conn_ != nullptr) ngtcp2_conn_del(conn_);
}

Result<void> Connection::init_tls(const TlsCredentials& credentials, const std::string& sni) {
  std::vector<std::string> alpns{config_.alpn};
  alpns.insert(alpns.end(), config_.also_accept.begin(), config_.also_accept.end());
  auto session = make_tls_session(!client_, credentials, tls_context_, alpns, sni);
  if (!session) return session.error();
  tls_ = std::move(*session);
  ngtcp2_conn_set_tls_native_handle(conn_, tls_.get());
  return {};
}

Result<std::shared_ptr<Connection>> Connection::dial(
    boost::asio::io_context& io, ConnectionHost& host, const TransportConfig& config,
    const TlsCredentials& credentials, const SocketAddress& remote,
    const std::string& expected_fingerprint, const std::string& sni) {
  std::shared_ptr<Connection> c(new Connection(io, host, config, remote, true));
  c->tls_context_.expected_fingerprint = expected_fingerprint;
  ngtcp2_cid dcid{};
  dcid.datalen = kInitialDcidLength;
  random_bytes(std::data(dcid.data), dcid.datalen);
  ngtcp2_cid scid{};  // zero-length (osp-brief §2.1)
  const ngtcp2_path path = make_path(host.local_address(), remote);
  const ngtcp2_callbacks callbacks = make_callbacks(true);
  const ngtcp2_settings settings = make_settings(config);
  const ngtcp2_transport_params params = make_params(config);
  if (int rv = ngtcp2_conn_client_new(&c->conn_, &dcid, &scid, &path, NGTCP2_PROTO_VER_V1,
                                      &callbacks, &settings, &params, nullptr, c.get());
      rv != 0) {
    return make_error(Errc::io_error,
                      std::string("ngtcp2_conn_client_new: ") + ngtcp2_strerror(rv));
  }
  if (auto tls = c->init_tls(credentials, sni); !tls) return tls.error();
  return c;
}

Result<std::shared_ptr<Connection>> Connection::accept(boost::asio::io_context& io,
                                                       ConnectionHost& host,
                                                       const TransportConfig& config,
                                                       const TlsCredentials& credentials,
                                                       const SocketAddress& remote,
                                                       std::span<const std::uint8_t> initial) {
  ngtcp2_pkt_hd header{};
  if (ngtcp2_accept(&header, initial.data(), initial.size()) != 0) {
    return make_error(Errc::malformed, "not a QUIC v1 Initial packet");
  }
  std::shared_ptr<Connection> c(new Connection(io, host, config, remote, false));
  const std::span<const std::uint8_t> odcid(std::data(header.dcid.data), header.dcid.datalen);
  c->original_dcid_.assign(odcid.begin(), odcid.end());
  ngtcp2_cid scid{};  // zero-length: no stateless reset token either (RFC 9000 §18.2)
  const ngtcp2_path path = make_path(host.local_address(), remote);
  const ngtcp2_callbacks callbacks = make_callbacks(false);
  const ngtcp2_settings settings = make_settings(config);
  ngtcp2_transport_params params = make_params(config);
  params.original_dcid = header.dcid;
  if (int rv = ngtcp2_conn_server_new(&c->conn_, &header.scid, &scid, &path, header.version,
                                      &callbacks, &settings, &params, nullptr, c.get());
      rv != 0) {
    return make_error(Errc::io_error,
                      std::string("ngtcp2_conn_server_new: ") + ngtcp2_strerror(rv));
  }
  if (auto tls = c->init_tls(credentials, ""); !tls) return tls.error();
  return c;
}

void Connection::set_handlers(Handlers handlers) {
  handlers_ = std::move(handlers);
}

bool Connection::matches_initial(std::span<const std::uint8_t> dcid) const {
  return !client_ &&
         std::equal(dcid.begin(), dcid.end(), original_dcid_.begin(), original_dcid_.end());
}

Connection::Stream* Connection::find(std::int64_t id) {
  auto it = streams_.find(id);
  return it == streams_.end() ? nullptr : &it->second;
}

Connection::Stream& Connection::stream_state(std::int64_t id) {
  auto it = streams_.find(id);
  if (it == streams_.end()) it = streams_.try_emplace(id, config_.stream_send_buffer).first;
  return it->second;
}

void Connection::queue(std::int64_t id, Stream& stream) {
  if (stream.queued) return;
  stream.queued = true;
  ready_.push_back(id);
  schedule_flush();
}

Result<std::int64_t> Connection::open_stream(bool bidirectional) {
  if (state_ != State::established) {
    return make_error(Errc::closed, "the connection is not open");
  }
  std::int64_t id = -1;
  const int rv = bidirectional ? ngtcp2_conn_open_bidi_stream(conn_, &id, nullptr)
                               : ngtcp2_conn_open_uni_stream(conn_, &id, nullptr);
  if (rv == NGTCP2_ERR_STREAM_ID_BLOCKED) {
    return make_error(Errc::would_block, "the peer allows no more streams for now");
  }
  if (rv != 0)
    return make_error(Errc::io_error, std::string("open stream: ") + ngtcp2_strerror(rv));
  stream_state(id);
  return id;
}

Result<std::size_t> Connection::write(std::int64_t id, std::span<const std::uint8_t> bytes,
                                      bool fin) {
  if (state_ != State::established) return make_error(Errc::closed, "the connection is closed");
  Stream* stream = find(id);
  if (stream == nullptr) {
    // A stream the peer opened: its state appears with its first bytes.
    if (ngtcp2_conn_is_local_stream(conn_, id) != 0) {
      return make_error(Errc::closed, "stream " + std::to_string(id) + " is closed");
    }
    stream = &stream_state(id);
  }
  if (stream->write_shut || stream->send.finished()) {
    return make_error(Errc::closed, "stream " + std::to_string(id) + " no longer sends");
  }
  const std::size_t taken = stream->send.append(bytes);
  if (taken < bytes.size()) {
    stream->wants_writable = true;
  } else if (fin) {
    stream->send.finish();
  }
  if (taken > 0 || (fin && taken == bytes.size())) queue(id, *stream);
  return taken;
}

Result<void> Connection::finish(std::int64_t id) {
  auto written = write(id, {}, true);
  if (!written) return written.error();
  return {};
}

std::size_t Connection::writable(std::int64_t id) const {
  auto it = streams_.find(id);
  return it == streams_.end() ? config_.stream_send_buffer : it->second.send.space();
}

std::size_t Connection::buffered(std::int64_t id) const {
  auto it = streams_.find(id);
  return it == streams_.end() ? 0 : it->second.send.held();
}

void Connection::consume(std::int64_t id, std::size_t bytes) {
  if (conn_ == nullptr || state_ == State::closed || bytes == 0) return;
  ngtcp2_conn_extend_max_stream_offset(conn_, id, bytes);
  ngtcp2_conn_extend_max_offset(conn_, bytes);
  schedule_flush();
}

void Connection::reset_stream(std::int64_t id, std::uint64_t code) {
  if (state_ != State::established) return;
  ngtcp2_conn_shutdown_stream(conn_, id, code);
  if (Stream* stream = find(id)) stream->write_shut = true;
  schedule_flush();
}

void Connection::close(std::uint64_t code, std::string reason) {
  if (state_ == State::closing || state_ == State::draining || state_ == State::closed) return;
  if (close_request_) return;  // the first reason given is the one the peer gets
  close_request_ = {code, std::move(reason)};
  schedule_flush();
}

void Connection::schedule_flush() {
  if (flush_scheduled_ || state_ == State::closed) return;
  flush_scheduled_ = true;
  boost::asio::post(io_, [self = shared_from_this()] {
    self->flush_scheduled_ = false;
    self->flush();
  });
}

void Connection::mark_established() {
  if (state_ != State::handshaking) return;
  if (client_ && selected_alpn(tls_.get()) != config_.alpn) {
    // GnuTLS accepts a server that selected no ALPN; OSP needs "osp".
    tls_context_.failure =
        make_error(Errc::refused, "the server did not select ALPN \"" + config_.alpn + "\"");
    close_request_ = {0, "no ALPN"};
    return;
  }
  state_ = State::established;
  alpn_ = selected_alpn(tls_.get());
  handshake_duration_ = Clock::now() - started_;
  auto self = shared_from_this();
  host_.on_established(self);
  if (handlers_.on_established) handlers_.on_established();
}

void Connection::receive(std::span<const std::uint8_t> datagram) {
  if (state_ == State::closed || state_ == State::draining) return;
  if (state_ == State::closing) {
    // RFC 9000 §10.2.1: answer packets in the closing period with the CONNECTION_CLOSE again.
    if (!close_packet_.empty()) send_batch(close_packet_, close_packet_.size());
    return;
  }
  bytes_received_ += datagram.size();
  ++datagrams_received_;
  const ngtcp2_path path = make_path(host_.local_address(), remote_);
  ngtcp2_pkt_info info{};
  const int rv =
      ngtcp2_conn_read_pkt(conn_, &path, &info, datagram.data(), datagram.size(), timestamp());
  if (rv != 0) {
    handle_read_error(rv);
    return;
  }
  schedule_flush();
}

CloseInfo Connection::close_info_from_peer() const {
  CloseInfo info;
  info.kind =
      state_ == State::handshaking ? CloseInfo::Kind::handshake_failed : CloseInfo::Kind::remote;
  ngtcp2_connection_close_error error;
  ngtcp2_connection_close_error_default(&error);
  ngtcp2_conn_get_connection_close_error(conn_, &error);
  info.application = error.type == NGTCP2_CONNECTION_CLOSE_ERROR_CODE_TYPE_APPLICATION;
  info.code = error.error_code;
  if (error.reason != nullptr) {
    info.reason.assign(reinterpret_cast<const char*>(error.reason), error.reasonlen);
  }
  if (tls_context_.failure) info.error = tls_context_.failure;
  return info;
}

void Connection::handle_read_error(int error) {
  if (error == NGTCP2_ERR_DRAINING) {
    CloseInfo info = close_info_from_peer();
    state_ = State::draining;
    close_info_ = info;
    notify_closed(info);
    // Stay silent for the draining period (RFC 9000 §10.2.2), then forget the connection.
    const auto pto = std::chrono::nanoseconds(ngtcp2_conn_get_pto(conn_));
    timer_.expires_after(3 * pto);
    timer_.async_wait([self = shared_from_this(), info](const boost::system::error_code& ec) {
      if (!ec) self->enter_closed(info);
    });
    return;
  }
  if (error == NGTCP2_ERR_DROP_CONN) {
    CloseInfo info{CloseInfo::Kind::internal, false, 0, "dropped", tls_context_.failure};
    enter_closed(info);
    return;
  }
  // Our side refused something (TLS alert, protocol violation): tell the peer, then close.
  CloseInfo info;
  info.kind =
      state_ == State::handshaking ? CloseInfo::Kind::handshake_failed : CloseInfo::Kind::internal;
  info.application = false;
  info.error = tls_context_.failure;
  if (!info.error) {
    info.error = make_error(error == NGTCP2_ERR_CRYPTO ? Errc::refused : Errc::protocol_error,
                            std::string("QUIC: ") + ngtcp2_strerror(error));
  }
  ngtcp2_connection_close_error ccerr;
  ngtcp2_connection_close_error_default(&ccerr);
  if (error == NGTCP2_ERR_CRYPTO) {
    ngtcp2_connection_close_error_set_transport_error_tls_alert(
        &ccerr, ngtcp2_conn_get_tls_alert(conn_), nullptr, 0);
  } else {
    ngtcp2_connection_close_error_set_transport_error_liberr(&ccerr, error, nullptr, 0);
  }
  info.code = ccerr.error_code;
  close_info_ = info;
  if (encode_close(ccerr)) send_batch(close_packet_, close_packet_.size());
  enter_closed(info);
}

void Connection::flush() {
  if (conn_ == nullptr || state_ == State::closed || state_ == State::draining) return;
  if (!pending_.empty()) {
    std::vector<std::uint8_t> pending;
    pending.swap(pending_);
    if (!send_batch(pending, pending_segment_)) return;
  }
  if (state_ == State::closing) return;
  if (close_request_) {
    // What was written before close() goes out first (e.g. a final auth-status): the peer reads
    // it before the CONNECTION_CLOSE, as far as flow control and pacing allow at once.
    if (state_ == State::established) write_packets();
    if (state_ != State::closing && state_ != State::closed) write_close();
    return;
  }
  write_packets();
  arm_timer();
}

// Sends packets built by ngtcp2, in GSO batches of equal-size datagrams (NOTES §11, §16).
void Connection::write_packets() {
  // Packets are written up to the configured size; the path's current size (1200 until PMTUD
  // raised it) is the GSO segment. A larger packet is a PMTUD probe and goes out alone.
  const std::size_t max_packet = ngtcp2_conn_get_max_tx_udp_payload_size(conn_);
  const std::size_t segment = ngtcp2_conn_get_path_max_tx_udp_payload_size(conn_);
  const std::size_t quantum = ngtcp2_conn_get_send_quantum(conn_);
  const std::size_t max_segments = std::max<std::size_t>(
      1, std::min({kMaxBatchSegments, kMaxBatchBytes / segment, quantum / segment}));
  ngtcp2_path_storage ps;
  ngtcp2_path_storage_zero(&ps);
  ngtcp2_pkt_info pi{};
  std::uint8_t* const begin = packet_buffer_.data();
  std::size_t filled = 0;
  std::size_t segments = 0;
  std::array<std::span<const std::uint8_t>, kMaxVecs> pieces;
  std::array<ngtcp2_vec, kMaxVecs> vecs{};
  const ngtcp2_tstamp ts = timestamp();

  for (;;) {
    std::int64_t stream_id = -1;
    std::size_t vec_count = 0;
    std::uint32_t flags = NGTCP2_WRITE_STREAM_FLAG_MORE;
    Stream* stream = nullptr;
    while (!ready_.empty()) {
      stream = find(ready_.front());
      if (stream != nullptr && !stream->write_shut && !stream->blocked &&
          (stream->send.unsent_bytes() > 0 || stream->send.fin_pending())) {
        stream_id = ready_.front();
        break;
      }
      if (stream != nullptr) stream->queued = false;
      ready_.pop_front();
      stream = nullptr;
    }
    if (stream != nullptr) {
      vec_count = stream->send.unsent(pieces);
      std::uint64_t total = 0;
      for (std::size_t i = 0; i < vec_count; ++i) {
        // ngtcp2_vec is read-only here (writev_stream reads the stream data).
        vecs[i].base = const_cast<std::uint8_t*>(pieces[i].data());  // NOLINT(*-const-cast)
        vecs[i].len = pieces[i].size();
        total += pieces[i].size();
      }
      if (stream->send.finished() && total == stream->send.unsent_bytes()) {
        flags |= NGTCP2_WRITE_STREAM_FLAG_FIN;
      }
    }
    ngtcp2_ssize written_data = -1;
    const ngtcp2_ssize n = ngtcp2_conn_writev_stream(
        conn_, &ps.path, &pi, begin + filled, max_packet, &written_data, flags, stream_id,
        vec_count == 0 ? nullptr : vecs.data(), vec_count, ts);
    if (stream != nullptr && written_data >= 0) {
      stream->send.mark_sent(static_cast<std::size_t>(written_data));
      if ((flags & NGTCP2_WRITE_STREAM_FLAG_FIN) != 0 && stream->send.unsent_bytes() == 0) {
        stream->send.mark_fin_sent();
      }
      // Round robin: the stream goes to the back of the line after each packet's worth.
      if (!ready_.empty() && ready_.front() == stream_id) {
        ready_.pop_front();
        stream->queued = false;
        if (stream->send.unsent_bytes() > 0 || stream->send.fin_pending())
          queue(stream_id, *stream);
      }
    }
    if (n < 0) {
      if (n == NGTCP2_ERR_WRITE_MORE) continue;
      if (n == NGTCP2_ERR_STREAM_DATA_BLOCKED && stream != nullptr) {
        stream->blocked = true;
        continue;
      }
      if ((n == NGTCP2_ERR_STREAM_SHUT_WR || n == NGTCP2_ERR_STREAM_NOT_FOUND) &&
          stream != nullptr) {
        stream->write_shut = true;
        continue;
      }
      spdlog::warn("quic {}: writing packets failed: {}", remote_.to_string(),
                   ngtcp2_strerror(static_cast<int>(n)));
      handle_read_error(static_cast<int>(n));
      return;
    }
    if (n == 0) break;  // congestion window, pacing or nothing left
    const auto size = static_cast<std::size_t>(n);
    if (size > segment) {
      // A probe: the batch so far, then the probe on its own.
      if (filled > 0 && !send_batch({begin, filled}, segments == 1 ? filled : segment)) return;
      if (!send_batch({begin + filled, size}, size)) return;
      filled = 0;
      segments = 0;
      ngtcp2_conn_update_pkt_tx_time(conn_, ts);
      continue;
    }
    filled += size;
    ++segments;
    if (size < segment || segments == max_segments) {
      if (!send_batch({begin, filled}, segments == 1 ? filled : segment)) return;
      filled = 0;
      segments = 0;
      ngtcp2_conn_update_pkt_tx_time(conn_, ts);
    }
  }
  if (filled > 0) {
    if (!send_batch({begin, filled}, segments == 1 ? filled : segment)) return;
    ngtcp2_conn_update_pkt_tx_time(conn_, ts);
  }
}

// False when the socket had no room: the rest waits in pending_ for writability.
bool Connection::send_batch(std::span<const std::uint8_t> bytes, std::size_t segment) {
  auto sent = host_.socket().send(remote_, bytes, segment);
  if (sent) {
    bytes_sent_ += *sent;
    datagrams_sent_ += (*sent + segment - 1) / segment;
  }
  if (sent && *sent == bytes.size()) return true;
  if (!sent && sent.error().code != Errc::would_block) return true;  // lost, as on a network
  const std::size_t done = sent ? *sent : 0;
  pending_.assign(bytes.begin() + static_cast<std::ptrdiff_t>(done), bytes.end());
  pending_segment_ = segment;
  host_.wait_writable(shared_from_this());
  return false;
}

// The CONNECTION_CLOSE packet for `error`, kept in close_packet_ to answer stray packets with.
bool Connection::encode_close(const ngtcp2_connection_close_error& error) {
  std::array<std::uint8_t, kMaxPacket> buffer{};
  ngtcp2_path_storage ps;
  ngtcp2_path_storage_zero(&ps);
  ngtcp2_pkt_info pi{};
  const ngtcp2_ssize n = ngtcp2_conn_write_connection_close(conn_, &ps.path, &pi, buffer.data(),
                                                            buffer.size(), &error, timestamp());
  if (n <= 0) return false;
  close_packet_.assign(buffer.begin(), buffer.begin() + n);
  return true;
}

void Connection::write_close() {
  auto [code, reason] = *close_request_;
  close_request_.reset();
  CloseInfo info{CloseInfo::Kind::local, true, code, reason, tls_context_.failure};
  if (info.error) info.kind = CloseInfo::Kind::handshake_failed;
  ngtcp2_connection_close_error ccerr;
  ngtcp2_connection_close_error_default(&ccerr);
  ngtcp2_connection_close_error_set_application_error(
      &ccerr, code, reinterpret_cast<const std::uint8_t*>(reason.data()), reason.size());
  if (!encode_close(ccerr)) {
    enter_closed(info);
    return;
  }
  state_ = State::closing;
  close_info_ = info;
  send_batch(close_packet_, close_packet_.size());
  const auto pto = std::chrono::nanoseconds(ngtcp2_conn_get_pto(conn_));
  timer_.expires_after(3 * pto);
  timer_.async_wait([self = shared_from_this(), info](const boost::system::error_code& ec) {
    if (!ec) self->enter_closed(info);
  });
  // The application learns at once; the closing period only answers stray packets.
  notify_closed(info);
}

void Connection::notify_closed(const CloseInfo& info) {
  if (!handlers_.on_closed) return;
  auto handler = std::move(handlers_.on_closed);
  handlers_.on_closed = nullptr;
  handler(info);
}

void Connection::arm_timer() {
  if (state_ != State::handshaking && state_ != State::established) return;
  const ngtcp2_tstamp expiry = ngtcp2_conn_get_expiry(conn_);
  if (expiry == UINT64_MAX) return;
  const auto at = to_time_point(expiry);
  // A pending timer that fires no later stays: re-arming costs a timerfd_settime system call,
  // and with pacing the expiry moves after nearly every flush. One that fires early finds
  // nothing expired, and on_timer arms it again.
  if (timer_at_ != Clock::time_point{} && timer_at_ <= at) return;
  timer_at_ = at;
  timer_.expires_at(at);
  timer_.async_wait([weak = weak_from_this()](const boost::system::error_code& ec) {
    if (ec) return;
    if (auto self = weak.lock()) self->on_timer();
  });
}

void Connection::on_timer() {
  timer_at_ = {};
  if (state_ != State::handshaking && state_ != State::established) return;
  const int rv = ngtcp2_conn_handle_expiry(conn_, timestamp());
  if (rv == NGTCP2_ERR_IDLE_CLOSE) {
    enter_closed(
        {CloseInfo::Kind::idle_timeout, false, 0,
         "nothing heard from the peer for " + std::to_string(config_.idle_timeout.count()) + " ms",
         tls_context_.failure});
    return;
  }
  if (rv == NGTCP2_ERR_HANDSHAKE_TIMEOUT) {
    CloseInfo info{CloseInfo::Kind::handshake_timeout, false, 0,
                   "no answer from the peer within " +
                       std::to_string(config_.handshake_timeout.count()) + " ms",
                   tls_context_.failure};
    enter_closed(info);
    return;
  }
  if (rv != 0) {
    handle_read_error(rv);
    return;
  }
  flush();
}

void Connection::abandon(const CloseInfo& info) {
  enter_closed(info);
}

void Connection::enter_closed(const CloseInfo& info) {
  if (state_ == State::closed) return;
  state_ = State::closed;
  timer_.cancel();
  auto self = shared_from_this();
  if (!close_info_) close_info_ = info;
  notify_closed(info);
  host_.on_finished(self);
  handlers_ = {};
}

ConnectionInfo Connection::info() const {
  ConnectionInfo info;
  if (conn_ == nullptr) return info;
  info.alpn = tls_ ? selected_alpn(tls_.get()) : "";
  info.tls = tls_ ? describe_tls(tls_.get()) : "";
  info.quic_version = ngtcp2_conn_get_negotiated_version(conn_);
  info.congestion_control = std::string(to_string(config_.congestion_control));
  info.local_idle_timeout = config_.idle_timeout;
  if (const ngtcp2_transport_params* peer = ngtcp2_conn_get_remote_transport_params(conn_)) {
    info.peer_idle_timeout = std::chrono::duration_cast<std::chrono::milliseconds>(
        std::chrono::nanoseconds(peer->max_idle_timeout));
    info.peer_initial_max_data = peer->initial_max_data;
    info.peer_initial_max_stream_data_bidi = peer->initial_max_stream_data_bidi_remote;
    info.peer_initial_max_streams_bidi = peer->initial_max_streams_bidi;
    info.peer_initial_max_streams_uni = peer->initial_max_streams_uni;
  }
  info.max_udp_payload = ngtcp2_conn_get_path_max_tx_udp_payload_size(conn_);
  std::vector<ngtcp2_cid> scids(ngtcp2_conn_get_num_scid(conn_));
  ngtcp2_conn_get_scid(conn_, scids.data());
  info.local_cid_length = scids.empty() ? 0 : scids.front().datalen;
  const ngtcp2_cid* dcid = ngtcp2_conn_get_dcid(conn_);
  info.peer_cid_length = dcid != nullptr ? dcid->datalen : 0;
  ngtcp2_conn_stat stat{};
  ngtcp2_conn_get_conn_stat(conn_, &stat);
  info.smoothed_rtt = std::chrono::nanoseconds(stat.smoothed_rtt);
  info.min_rtt = std::chrono::nanoseconds(stat.min_rtt);
  info.cwnd = stat.cwnd;
  info.bytes_in_flight = stat.bytes_in_flight;
  info.bytes_sent = bytes_sent_;
  info.bytes_received = bytes_received_;
  info.datagrams_sent = datagrams_sent_;
  info.datagrams_received = datagrams_received_;
  return info;
}

}  // namespace lp2p::quic
