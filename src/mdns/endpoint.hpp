// Where an mDNS packet came from or goes to.
#pragma once

#include <array>
#include <cstdint>
#include <string>

namespace lp2p::mdns {

inline constexpr std::uint16_t kMdnsPort = 5353;

struct IpAddress {
  bool v6 = false;
  std::array<std::uint8_t, 16> bytes{};  // IPv4 uses the first 4

  static IpAddress v4_from(const std::array<std::uint8_t, 4>& a) {
    IpAddress ip;
    for (std::size_t i = 0; i < 4; ++i) ip.bytes[i] = a[i];
    return ip;
  }
  static IpAddress v6_from(const std::array<std::uint8_t, 16>& a) { return IpAddress{true, a}; }
  [[nodiscard]] std::string to_string() const;
  // fe80::/10: reachable only through the interface it was seen on.
  [[nodiscard]] bool is_link_local() const {
    return v6 && bytes[0] == 0xfe && (bytes[1] & 0xc0U) == 0x80U;
  }
  bool operator==(const IpAddress&) const = default;
  auto operator<=>(const IpAddress&) const = default;  // NOLINT: clang-tidy 14 misreads it
};

struct Endpoint {
  IpAddress address;
  std::uint16_t port = kMdnsPort;
  std::uint32_t interface_index = 0;
  bool operator==(const Endpoint&) const = default;
};

}  // namespace lp2p::mdns
