// The agent's one UDP socket (dual-stack [::]:port), tuned for QUIC bulk transfer
// (../shared/NGTCP2-NOTES.md §16–18): UDP GSO on send (UDP_SEGMENT), GRO on receive (UDP_GRO),
// batched recvmmsg, large socket buffers. Every feature falls back when the kernel refuses it
// (the socket then sends one datagram per sendmmsg entry and reads plain datagrams).
//
// Contract: non-blocking; not thread-safe (one event-loop thread uses it). The socket does no
// waiting itself: the owner waits for readability/writability on fd() (asio async_wait) and then
// calls receive()/send().
#pragma once

#include <cstddef>
#include <cstdint>
#include <functional>
#include <memory>
#include <span>
#include <vector>

#include "lp2p/result.hpp"
#include "quic/socket_address.hpp"

namespace lp2p::quic {

class UdpSocket {
 public:
  struct Options {
    std::size_t buffer_bytes = std::size_t{4}
                               << 20;  // SO_RCVBUF/SO_SNDBUF (FORCE variants as root)
    bool gso = true;
    bool gro = true;
    std::size_t max_receive_batch = 64;  // datagrams (or GRO super-datagrams) per recvmmsg
  };
  struct Stats {
    std::uint64_t datagrams_sent = 0;
    std::uint64_t send_calls = 0;  // sendmsg/sendmmsg system calls
    std::uint64_t datagrams_received = 0;
    std::uint64_t receive_calls = 0;  // recvmmsg system calls that returned data
    std::uint64_t gro_batches = 0;    // received buffers that held more than one datagram
    std::uint64_t kernel_drops = 0;   // SO_RXQ_OVFL: datagrams the kernel dropped (buffer full)
                                      // (learnt from the next datagram read after the drops)
    std::uint64_t send_errors = 0;    // datagrams lost to a send error other than would-block
  };
  // One received datagram; the span is valid only during the sink call.
  using Sink =
      std::function<void(const SocketAddress& from, std::span<const std::uint8_t> datagram)>;

  // Binds [::]:port (IPV6_V6ONLY off; port 0 picks a free port). Fails with io_error.
  static Result<UdpSocket> bind(std::uint16_t port, const Options& options);

  UdpSocket(UdpSocket&&) noexcept;
  UdpSocket& operator=(UdpSocket&&) noexcept;
  UdpSocket(const UdpSocket&) = delete;
  UdpSocket& operator=(const UdpSocket&) = delete;
  ~UdpSocket();  // closes the descriptor

  [[nodiscard]] int fd() const;
  [[nodiscard]] std::uint16_t local_port() const;
  [[nodiscard]] bool gso() const;  // true when UDP_SEGMENT works on this socket
  [[nodiscard]] bool gro() const;
  [[nodiscard]] std::size_t receive_buffer() const;  // as the kernel reports it
  [[nodiscard]] const Stats& stats() const;

  // Sends `data` to `to` as consecutive datagrams of `segment_size` bytes (the last may be
  // shorter; at most 64 segments, 64 KiB in all): one sendmsg with UDP_SEGMENT when GSO works,
  // else one sendmmsg. Returns the number of bytes the kernel took — all of them, or a prefix
  // that ends on a segment boundary — or Errc::would_block when it took nothing because the
  // socket buffer is full (wait for writability, then send the rest). Other errors (unreachable
  // network, EMSGSIZE after a GSO refusal is retried without GSO) are counted in stats, logged
  // at debug level and reported as io_error; the datagrams are dropped as the network would.
  // Beyond those limits (or segment_size 0) it is invalid_argument; empty data sends nothing.
  Result<std::size_t> send(const SocketAddress& to, std::span<const std::uint8_t> data,
                           std::size_t segment_size);

  // Reads what is queued, up to `max_calls` recvmmsg calls, and hands each datagram to `sink`
  // (GRO buffers are split at the segment size). Returns how many datagrams were handed out;
  // 0 when nothing was queued. The sink may call send() but not receive().
  std::size_t receive(const Sink& sink, std::size_t max_calls = 4);

 private:
  struct State;
  explicit UdpSocket(std::unique_ptr<State> state);
  std::unique_ptr<State> state_;
};

}  // namespace lp2p::quic
