#include "peer_address.hpp"

#include <arpa/inet.h>
#include <net/if.h>

#include <array>
#include <cstdlib>

namespace lp2p::cli {

std::string interface_name(std::uint32_t index) {
  std::array<char, IF_NAMESIZE> name{};
  if (if_indextoname(index, name.data()) == nullptr) return std::to_string(index);
  return name.data();
}

std::string format_address(const discovery::PeerAddress& a) {
  if (!a.ip.v6) return a.ip.to_string() + ":" + std::to_string(a.port);
  std::string host = a.ip.to_string();
  if (a.ip.is_link_local()) host += "%" + interface_name(a.interface_index);
  return "[" + host + "]:" + std::to_string(a.port);
}

std::optional<discovery::PeerAddress> parse_host_port(const std::string& text) {
  std::string host;
  std::string port;
  const bool bracketed = text.starts_with('[');
  if (bracketed) {
    const auto close = text.find("]:");
    if (close == std::string::npos) return std::nullopt;
    host = text.substr(1, close - 1);
    port = text.substr(close + 2);
  } else {
    const auto colon = text.find(':');
    if (colon == std::string::npos || text.find(':', colon + 1) != std::string::npos)
      return std::nullopt;
    host = text.substr(0, colon);
    port = text.substr(colon + 1);
  }
  discovery::PeerAddress a;
  std::string scope;
  if (const auto percent = host.find('%'); percent != std::string::npos) {
    scope = host.substr(percent + 1);
    host.resize(percent);
  }
  if (bracketed) {
    if (inet_pton(AF_INET6, host.c_str(), a.ip.bytes.data()) != 1) return std::nullopt;
    a.ip.v6 = true;
    const bool link_local = a.ip.is_link_local();
    if (link_local != !scope.empty())
      return std::nullopt;  // a link-local address needs its interface
    if (link_local) {
      a.interface_index = if_nametoindex(scope.c_str());
      if (a.interface_index == 0) return std::nullopt;
    }
  } else if (!scope.empty() || inet_pton(AF_INET, host.c_str(), a.ip.bytes.data()) != 1) {
    return std::nullopt;
  }
  char* end = nullptr;
  const unsigned long value = std::strtoul(port.c_str(), &end, 10);
  if (port.empty() || *end != '\0' || value == 0 || value > 65535) return std::nullopt;
  a.port = static_cast<std::uint16_t>(value);
  return a;
}

quic::SocketAddress socket_address_of(const discovery::PeerAddress& a) {
  return quic::SocketAddress::from_endpoint(a.ip, a.port, a.interface_index);
}

}  // namespace lp2p::cli
