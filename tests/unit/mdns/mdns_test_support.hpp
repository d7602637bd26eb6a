// Shared by the mDNS core tests: record types as the numbers that DNS messages carry.
#pragma once

#include <cstdint>

#include "mdns/dns_message.hpp"

namespace lp2p::mdns {

inline constexpr auto kPtr = static_cast<std::uint16_t>(RecordType::ptr);
inline constexpr auto kSrv = static_cast<std::uint16_t>(RecordType::srv);
inline constexpr auto kTxt = static_cast<std::uint16_t>(RecordType::txt);
inline constexpr auto kA = static_cast<std::uint16_t>(RecordType::a);
inline constexpr auto kAaaa = static_cast<std::uint16_t>(RecordType::aaaa);
inline constexpr auto kNsec = static_cast<std::uint16_t>(RecordType::nsec);
inline constexpr auto kAny = static_cast<std::uint16_t>(RecordType::any);

inline const DnsName kService({"_openscreen", "_udp", "local"});

}  // namespace lp2p::mdns
