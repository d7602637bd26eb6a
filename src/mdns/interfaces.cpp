#include "mdns/interfaces.hpp"

#include <ifaddrs.h>
#include <net/if.h>
#include <netinet/in.h>

#include <algorithm>
#include <cstring>
#include <map>

namespace lp2p::mdns {
namespace {

struct IfAddrs {
  ifaddrs* list = nullptr;
  IfAddrs() = default;
  IfAddrs(const IfAddrs&) = delete;
  IfAddrs& operator=(const IfAddrs&) = delete;
  IfAddrs(IfAddrs&&) = delete;
  IfAddrs& operator=(IfAddrs&&) = delete;
  ~IfAddrs() {
    if (list != nullptr) freeifaddrs(list);
  }
};

}  // namespace

Result<std::vector<NetInterface>> multicast_interfaces(const std::vector<std::string>& wanted) {
  IfAddrs addrs;
  if (getifaddrs(&addrs.list) != 0) {
    return make_error(Errc::io_error, std::string("getifaddrs: ") + std::strerror(errno));
  }
  std::map<std::string, NetInterface> found;
  std::map<std::string, unsigned> flags_by_name;
  for (const ifaddrs* a = addrs.list; a != nullptr; a = a->ifa_next) {
    flags_by_name[a->ifa_name] = a->ifa_flags;
    if (a->ifa_addr == nullptr) continue;
    const bool usable = (a->ifa_flags & IFF_UP) != 0 && (a->ifa_flags & IFF_MULTICAST) != 0;
    if (!usable) continue;
    NetInterface& itf = found[a->ifa_name];
    itf.name = a->ifa_name;
    itf.index = if_nametoindex(a->ifa_name);
    itf.loopback = (a->ifa_flags & IFF_LOOPBACK) != 0;
    if (a->ifa_addr->sa_family == AF_INET) {
      sockaddr_in sin{};
      std::memcpy(&sin, a->ifa_addr, sizeof sin);
      IpAddress ip;
      std::memcpy(ip.bytes.data(), &sin.sin_addr, 4);
      itf.addresses.push_back(ip);
    } else if (a->ifa_addr->sa_family == AF_INET6) {
      sockaddr_in6 sin6{};
      std::memcpy(&sin6, a->ifa_addr, sizeof sin6);
      IpAddress ip{true, {}};
      std::memcpy(ip.bytes.data(), &sin6.sin6_addr, 16);
      itf.addresses.push_back(ip);
    }
  }
  std::vector<NetInterface> out;
  if (!wanted.empty()) {
    for (const auto& name : wanted) {
      auto it = found.find(name);
      if (it == found.end()) {
        const bool exists = flags_by_name.contains(name);
        return make_error(Errc::invalid_argument,
                          "interface " + name +
                              (exists ? " is down or cannot multicast (try: ip link set " + name +
                                            " up multicast on)"
                                      : " does not exist"));
      }
      out.push_back(it->second);
    }
    return out;
  }
  for (auto& [name, itf] : found) {
    if (!itf.loopback) out.push_back(itf);
  }
  if (out.empty()) {
    for (auto& [name, itf] : found) out.push_back(itf);
  }
  for (auto& itf : out) std::ranges::sort(itf.addresses);
  return out;
}

}  // namespace lp2p::mdns
