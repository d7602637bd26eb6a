// The machine's network interfaces as mDNS sees them.
#pragma once

#include <cstdint>
#include <string>
#include <vector>

#include "lp2p/result.hpp"
#include "mdns/endpoint.hpp"

namespace lp2p::mdns {

struct NetInterface {
  std::string name;
  std::uint32_t index = 0;
  bool loopback = false;
  std::vector<IpAddress> addresses;  // IPv4 and IPv6 (link-local included)
  bool operator==(const NetInterface&) const = default;
};

// Interfaces that are up and can multicast. With `wanted` empty: every such interface except
// loopback, or loopback alone when nothing else exists (a user + network namespace). Otherwise
// exactly the named ones (an error names any that is missing or cannot multicast).
Result<std::vector<NetInterface>> multicast_interfaces(const std::vector<std::string>& wanted);

}  // namespace lp2p::mdns
