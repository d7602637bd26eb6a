// A QUIC transport (LP2PQuicTransport, LP2P §9 and §11): raw QUIC streams between the two
// devices of a Connection, for applications that bring their own protocol. It is a QUIC
// connection of its own (ALPN "q2q"), authenticated with the same device certificates as the
// OSP connection and allowed by the same grant.
//
// Both sides open one from their Connection (the spec's `new LP2PQuicTransport(conn)`): the side
// that dialed the OSP connection dials the transport, the other side waits for it. So the spec's
// LP2PQuicTransportListener(receiver) is a Receiver whose connections each open a transport.
//
// Streams, with backpressure both ways:
// - write() takes what fits in the stream's send buffer and says how much; when it took less,
//   `writable` fires once there is room again.
// - Received bytes go to `data` in order. The peer may send only as much as QUIC's flow-control
//   window while the application holds the stream paused (pause_reading); resume_reading hands
//   over what arrived meanwhile. Memory stays bounded by the window.
//
// Contract: cheap shared handles; methods thread-safe (write() from another thread waits for
// the agent's loop); handlers run on the agent's loop thread. `close` fires once per transport
// and per stream.
#pragma once

#include <cstdint>
#include <functional>
#include <future>
#include <memory>
#include <span>
#include <string>

#include "lp2p/connection.hpp"
#include "lp2p/result.hpp"

namespace lp2p {

namespace api {
class QuicTransportImpl;
class QuicStreamImpl;
}  // namespace api

class QuicStream {
 public:
  QuicStream() = default;
  explicit QuicStream(std::shared_ptr<api::QuicStreamImpl> impl) : impl_(std::move(impl)) {}
  explicit operator bool() const { return impl_ != nullptr; }

  [[nodiscard]] std::int64_t id() const;
  [[nodiscard]] bool bidirectional() const;
  [[nodiscard]] bool incoming() const;  // the peer opened it

  // How many bytes were taken (0 when the send buffer is full: wait for `writable`). Errors:
  // closed (finished, reset, or the transport ended), refused (an incoming unidirectional
  // stream cannot send).
  Result<std::size_t> write(std::span<const std::uint8_t> bytes);
  // Ends the sending half after what was written (FIN).
  Result<void> finish();
  // Abandons the stream both ways with an application error code.
  void reset(std::uint64_t code);
  void pause_reading();
  void resume_reading();

  // Bytes in order; `fin` with the last (or alone).
  void on_data(std::function<void(std::span<const std::uint8_t> bytes, bool fin)> handler);
  void on_writable(std::function<void()> handler);
  // The peer reset its half or asked us to stop sending, with its code.
  void on_reset(std::function<void(std::uint64_t code)> handler);

 private:
  std::shared_ptr<api::QuicStreamImpl> impl_;
};

class QuicTransport {
 public:
  QuicTransport() = default;
  explicit QuicTransport(std::shared_ptr<api::QuicTransportImpl> impl) : impl_(std::move(impl)) {}
  explicit operator bool() const { return impl_ != nullptr; }

  // Opens the transport of an open Connection (dials, or waits for the peer's dial).
  static Result<QuicTransport> open(const Connection& connection);

  // Completes once the QUIC connection is established (ready) or could not be (its error).
  void on_ready(std::function<void(Result<void> ready)> handler);
  std::future<Result<void>> ready();

  Result<QuicStream> open_bidirectional_stream();
  Result<QuicStream> open_unidirectional_stream();
  void on_incoming_stream(std::function<void(QuicStream stream)> handler);

  void close();
  void on_close(std::function<void(const std::string& reason)> handler);

 private:
  std::shared_ptr<api::QuicTransportImpl> impl_;
};

}  // namespace lp2p
