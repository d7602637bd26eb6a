#include "mdns/endpoint.hpp"

#include <arpa/inet.h>

namespace lp2p::mdns {

std::string IpAddress::to_string() const {
  char text[INET6_ADDRSTRLEN] = {};
  inet_ntop(v6 ? AF_INET6 : AF_INET, bytes.data(), text, sizeof text);
  return text;
}

}  // namespace lp2p::mdns
