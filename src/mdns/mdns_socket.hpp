// The mDNS UDP socket of one address family (RFC 6762 §3, §11): bound to port 5353 with
// SO_REUSEPORT so that several agents on a host coexist, joined to 224.0.0.251 / ff02::fb on each
// interface in use, telling which interface each packet came in on. A thin adapter: it moves
// bytes, the cores decide.
//
// Threading: every method and the receive handler run on the io_context's thread.
// Lifetime: destroying the socket cancels the pending receive; the handler is not called after.
#pragma once

#include <boost/asio/io_context.hpp>
#include <boost/asio/ip/udp.hpp>
#include <functional>
#include <memory>
#include <span>

#include "lp2p/result.hpp"
#include "mdns/endpoint.hpp"
#include "mdns/interfaces.hpp"

namespace lp2p::mdns {

class MdnsSocket {
 public:
  // Called for every datagram; `from.interface_index` is the interface it arrived on.
  using Handler = std::function<void(std::span<const std::uint8_t> packet, const Endpoint& from)>;

  static Result<std::unique_ptr<MdnsSocket>> open(boost::asio::io_context& io, bool ipv6,
                                                  std::uint16_t port, Handler handler);
  MdnsSocket(const MdnsSocket&) = delete;
  MdnsSocket& operator=(const MdnsSocket&) = delete;
  MdnsSocket(MdnsSocket&&) = delete;
  MdnsSocket& operator=(MdnsSocket&&) = delete;
  ~MdnsSocket();

  Result<void> join(const NetInterface& itf);
  void leave(const NetInterface& itf);
  // To the mDNS group on `interface_index`.
  Result<void> send_multicast(std::span<const std::uint8_t> packet, std::uint32_t interface_index);
  Result<void> send_unicast(std::span<const std::uint8_t> packet, const Endpoint& to);

  [[nodiscard]] bool ipv6() const { return ipv6_; }

 private:
  MdnsSocket(boost::asio::io_context& io, bool ipv6, std::uint16_t port, Handler handler);
  void wait();
  void drain();
  Result<void> send(std::span<const std::uint8_t> packet, const Endpoint& to);

  boost::asio::ip::udp::socket socket_;
  bool ipv6_;
  std::uint16_t port_;
  Handler handler_;
  std::shared_ptr<bool> alive_ = std::make_shared<bool>(true);
};

}  // namespace lp2p::mdns
