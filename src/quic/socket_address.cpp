#include "quic/socket_address.hpp"

#include <arpa/inet.h>
#include <net/if.h>

#include <array>
#include <cstring>
#include <string>

namespace lp2p::quic {
namespace {

// ::ffff:0:0/96, the IPv4-mapped prefix (RFC 4291 §2.5.5.2).
constexpr std::array<std::uint8_t, 12> kMappedPrefix = {0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0xff, 0xff};

sockaddr_in6 mapped(const std::uint8_t* ipv4, std::uint16_t port_network_order) {
  sockaddr_in6 v6{};
  v6.sin6_family = AF_INET6;
  v6.sin6_port = port_network_order;
  std::memcpy(&v6.sin6_addr, kMappedPrefix.data(), kMappedPrefix.size());
  std::memcpy(reinterpret_cast<std::uint8_t*>(&v6.sin6_addr) + kMappedPrefix.size(), ipv4, 4);
  return v6;
}

std::array<std::uint8_t, 16> bytes_of(const in6_addr& address) {
  std::array<std::uint8_t, 16> bytes{};
  std::memcpy(bytes.data(), &address, bytes.size());
  return bytes;
}

bool is_mapped(const std::array<std::uint8_t, 16>& bytes) {
  return std::memcmp(bytes.data(), kMappedPrefix.data(), kMappedPrefix.size()) == 0;
}

}  // namespace

std::optional<SocketAddress> SocketAddress::from_sockaddr(const sockaddr* address,
                                                          socklen_t length) {
  if (address == nullptr || length < static_cast<socklen_t>(sizeof(sa_family_t))) {
    return std::nullopt;
  }
  SocketAddress result;
  if (address->sa_family == AF_INET && length >= static_cast<socklen_t>(sizeof(sockaddr_in))) {
    sockaddr_in v4{};
    std::memcpy(&v4, address, sizeof v4);
    result.v6_ = mapped(reinterpret_cast<const std::uint8_t*>(&v4.sin_addr), v4.sin_port);
    return result;
  }
  if (address->sa_family == AF_INET6 && length >= static_cast<socklen_t>(sizeof(sockaddr_in6))) {
    std::memcpy(&result.v6_, address, sizeof result.v6_);
    result.v6_.sin6_flowinfo = 0;  // not part of the peer's identity
    return result;
  }
  return std::nullopt;
}

SocketAddress SocketAddress::from_endpoint(const mdns::IpAddress& ip, std::uint16_t port,
                                           std::uint32_t interface_index) {
  SocketAddress result;
  if (!ip.v6) {
    result.v6_ = mapped(ip.bytes.data(), htons(port));
    return result;
  }
  result.v6_.sin6_family = AF_INET6;
  result.v6_.sin6_port = htons(port);
  std::memcpy(&result.v6_.sin6_addr, ip.bytes.data(), ip.bytes.size());
  // The kernel wants a scope only where the address is ambiguous without one; elsewhere a scope
  // would make equal peers compare unequal.
  if (ip.is_link_local()) result.v6_.sin6_scope_id = interface_index;
  return result;
}

std::string SocketAddress::to_string() const {
  const mdns::IpAddress address = ip();
  const std::string port_text = std::to_string(port());
  if (!address.v6) return address.to_string() + ":" + port_text;
  std::string text = "[" + address.to_string();
  if (v6_.sin6_scope_id != 0) {
    // The interface's name, as people type it ("%eth0"); its number if it has gone.
    std::array<char, IF_NAMESIZE> name{};
    text += "%";
    text += if_indextoname(v6_.sin6_scope_id, name.data()) != nullptr
                ? std::string(name.data())
                : std::to_string(v6_.sin6_scope_id);
  }
  return text + "]:" + port_text;
}

std::uint16_t SocketAddress::port() const {
  return ntohs(v6_.sin6_port);
}

mdns::IpAddress SocketAddress::ip() const {
  const std::array<std::uint8_t, 16> bytes = bytes_of(v6_.sin6_addr);
  if (!is_mapped(bytes)) return mdns::IpAddress::v6_from(bytes);
  return mdns::IpAddress::v4_from({bytes[12], bytes[13], bytes[14], bytes[15]});
}

bool SocketAddress::operator==(const SocketAddress& other) const {
  return v6_.sin6_family == other.v6_.sin6_family && v6_.sin6_port == other.v6_.sin6_port &&
         v6_.sin6_scope_id == other.v6_.sin6_scope_id &&
         std::memcmp(&v6_.sin6_addr, &other.v6_.sin6_addr, sizeof v6_.sin6_addr) == 0;
}

std::size_t SocketAddress::hash() const {
  // FNV-1a over exactly the fields operator== compares.
  std::uint64_t h = 14695981039346656037ULL;
  const auto mix = [&h](const void* data, std::size_t size) {
    const auto* bytes = static_cast<const std::uint8_t*>(data);
    for (std::size_t i = 0; i < size; ++i) {
      h ^= bytes[i];
      h *= 1099511628211ULL;
    }
  };
  mix(&v6_.sin6_family, sizeof v6_.sin6_family);
  mix(&v6_.sin6_port, sizeof v6_.sin6_port);
  mix(&v6_.sin6_scope_id, sizeof v6_.sin6_scope_id);
  mix(&v6_.sin6_addr, sizeof v6_.sin6_addr);
  return static_cast<std::size_t>(h);
}

}  // namespace lp2p::quic
