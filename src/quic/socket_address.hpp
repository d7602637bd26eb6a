// A UDP peer address as the kernel and ngtcp2 see it (sockaddr_in6 on the agent's dual-stack
// socket; IPv4 peers appear as IPv4-mapped IPv6 addresses ::ffff:a.b.c.d).
#pragma once

#include <netinet/in.h>
#include <sys/socket.h>

#include <cstddef>
#include <cstdint>
#include <optional>
#include <string>

#include "mdns/endpoint.hpp"

namespace lp2p::quic {

class SocketAddress {
 public:
  SocketAddress() = default;
  // From a raw sockaddr (AF_INET or AF_INET6); AF_INET becomes IPv4-mapped IPv6.
  static std::optional<SocketAddress> from_sockaddr(const sockaddr* address, socklen_t length);
  // From a discovered address; the interface index becomes the scope of a link-local IPv6 address.
  static SocketAddress from_endpoint(const mdns::IpAddress& ip, std::uint16_t port,
                                     std::uint32_t interface_index = 0);
  // "10.0.0.1:4433", "[fe80::1%2]:4433" (mapped IPv4 printed as IPv4).
  [[nodiscard]] std::string to_string() const;

  [[nodiscard]] const sockaddr* data() const { return reinterpret_cast<const sockaddr*>(&v6_); }
  [[nodiscard]] sockaddr* data() { return reinterpret_cast<sockaddr*>(&v6_); }
  [[nodiscard]] static constexpr socklen_t size() { return sizeof(sockaddr_in6); }
  [[nodiscard]] std::uint16_t port() const;
  [[nodiscard]] mdns::IpAddress ip() const;  // unmapped: IPv4 for ::ffff:a.b.c.d
  [[nodiscard]] bool operator==(const SocketAddress& other) const;
  [[nodiscard]] std::size_t hash() const;

 private:
  sockaddr_in6 v6_{};
};

struct SocketAddressHash {
  std::size_t operator()(const SocketAddress& a) const { return a.hash(); }
};

}  // namespace lp2p::quic
