// The state behind QuicTransport and QuicStream handles (include/lp2p/quic_transport.hpp): one
// q2q QUIC connection per transport and the streams on it.
#pragma once

#include <atomic>
#include <map>
#include <memory>
#include <mutex>
#include <optional>
#include <string>
#include <vector>

#include "api/core_ref.hpp"
#include "api/handler_slot.hpp"
#include "lp2p/quic_transport.hpp"
#include "quic/connection.hpp"
#include "quic/endpoint.hpp"

namespace lp2p::api {

class AgentCore;
class QuicTransportImpl;

class QuicStreamImpl : public std::enable_shared_from_this<QuicStreamImpl> {
 public:
  QuicStreamImpl(CoreRef core, std::weak_ptr<QuicTransportImpl> transport, std::int64_t id,
                 bool bidirectional, bool incoming);

  // --- any thread
  [[nodiscard]] std::int64_t id() const { return id_; }
  [[nodiscard]] bool bidirectional() const { return bidirectional_; }
  [[nodiscard]] bool incoming() const { return incoming_; }
  Result<std::size_t> write(std::span<const std::uint8_t> bytes);
  Result<void> finish();
  void reset(std::uint64_t code);
  void pause() { paused_ = true; }
  void resume();
  void set_data_handler(std::function<void(std::span<const std::uint8_t>, bool)> handler);
  HandlerSlot<> on_writable;
  HandlerSlot<std::uint64_t> on_reset;

  // --- loop
  void received(std::span<const std::uint8_t> bytes, bool fin);
  // Both halves are done (QUIC freed the stream): ends it, unless bytes wait for a paused
  // reader (then it ends once they are delivered); true if it ended.
  bool stream_closed();
  void ended();  // the transport closed: handlers dropped (they often hold this stream)

 private:
  [[nodiscard]] bool can_send() const { return bidirectional_ || !incoming_; }
  void deliver_held();

  CoreRef core_;
  std::weak_ptr<QuicTransportImpl> transport_;
  const std::int64_t id_;
  const bool bidirectional_;
  const bool incoming_;
  std::atomic<bool> paused_{false};
  HandlerSlot<std::span<const std::uint8_t>, bool> on_data_;
  // loop: bytes received while paused (or before a handler), not yet consumed
  std::vector<std::uint8_t> held_;
  bool held_fin_ = false;
  bool fin_delivered_ = false;
  bool closed_ = false;
};

class QuicTransportImpl : public std::enable_shared_from_this<QuicTransportImpl> {
 public:
  QuicTransportImpl(CoreRef core, std::string peer_id);

  // --- any thread
  void set_ready_handler(std::function<void(Result<void>)> handler);
  Result<QuicStream> open_stream(bool bidirectional);
  void set_incoming_handler(std::function<void(QuicStream)> handler);
  LatchedEvent<std::string> on_close;
  // Sets on_close; if the transport closed while no handler was set, it fires now (on the loop).
  void set_close_handler(std::function<void(const std::string&)> handler);
  void close();
  [[nodiscard]] const std::string& peer_id() const { return peer_id_; }

  // --- loop
  void dial(const quic::SocketAddress& to);
  // The peer's q2q connection for this transport.
  void attach(const std::shared_ptr<quic::Connection>& connection);
  void fail(const Error& error);
  void closed(const std::string& reason);
  // Closes the connection (and the dialer's socket) now; loop thread.
  void close_now(const std::string& reason);
  [[nodiscard]] quic::Connection* connection() const { return connection_.get(); }
  [[nodiscard]] bool is_closed() const { return closed_; }

 private:
  void deliver_ready();
  void deliver_incoming();
  std::shared_ptr<QuicStreamImpl> stream_of(std::int64_t id);

  CoreRef core_;
  const std::string peer_id_;
  HandlerSlot<Result<void>> on_ready_;
  HandlerSlot<QuicStream> on_incoming_;
  // loop
  std::shared_ptr<quic::Endpoint> dialer_;
  std::shared_ptr<quic::Connection> connection_;
  std::optional<Result<void>> ready_;
  bool ready_delivered_ = false;
  bool closed_ = false;
  std::map<std::int64_t, std::shared_ptr<QuicStreamImpl>> streams_;
  std::vector<std::shared_ptr<QuicStreamImpl>> undelivered_;  // incoming, before a handler
  std::vector<std::shared_ptr<QuicStreamImpl>> draining_;     // closed, bytes still held
};

}  // namespace lp2p::api
