#include "mdns/endpoint.hpp"

#include <arpa/inet.h>

#include <array>

namespace lp2p::mdns {

std::string IpAddress::to_string() const {
  std::array<char, INET6_ADDRSTRLEN> text{};
  inet_ntop(v6 ? AF_INET6 : AF_INET, bytes.data(), text.data(), text.size());
  return text.data();
}

}  // namespace lp2p::mdns
