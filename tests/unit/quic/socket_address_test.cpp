#include "quic/socket_address.hpp"

#include <arpa/inet.h>
#include <gtest/gtest.h>
#include <sys/un.h>

#include <cstring>
#include <ostream>
#include <unordered_set>

namespace lp2p::quic {

// For readable failure messages (found by argument-dependent lookup, hence here).
[[maybe_unused]] static void PrintTo(const SocketAddress& address, std::ostream* out) {
  *out << address.to_string();
}

namespace {

// Conversions only: nothing here sends a packet, so the link-local address below goes nowhere.
constexpr mdns::IpAddress kLoopback4{false, {127, 0, 0, 1}};
constexpr mdns::IpAddress kLoopback6{true, {0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 1}};
constexpr mdns::IpAddress kLinkLocal{true, {0xfe, 0x80, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 1}};

sockaddr_in v4_sockaddr(const char* text, std::uint16_t port) {
  sockaddr_in v4{};
  v4.sin_family = AF_INET;
  v4.sin_port = htons(port);
  EXPECT_EQ(inet_pton(AF_INET, text, &v4.sin_addr), 1);
  return v4;
}

sockaddr_in6 v6_sockaddr(const char* text, std::uint16_t port, std::uint32_t scope = 0) {
  sockaddr_in6 v6{};
  v6.sin6_family = AF_INET6;
  v6.sin6_port = htons(port);
  v6.sin6_scope_id = scope;
  EXPECT_EQ(inet_pton(AF_INET6, text, &v6.sin6_addr), 1);
  return v6;
}

template <class T>
std::optional<SocketAddress> convert(const T& address, socklen_t length = sizeof(T)) {
  return SocketAddress::from_sockaddr(reinterpret_cast<const sockaddr*>(&address), length);
}

TEST(SocketAddress, Ipv4BecomesMappedIpv6) {
  const auto address = convert(v4_sockaddr("127.0.0.1", 4433));
  ASSERT_TRUE(address.has_value());
  EXPECT_EQ(address->data()->sa_family, AF_INET6);
  EXPECT_EQ(SocketAddress::size(), sizeof(sockaddr_in6));
  sockaddr_in6 raw{};
  std::memcpy(&raw, address->data(), sizeof raw);
  const sockaddr_in6 expected = v6_sockaddr("::ffff:127.0.0.1", 4433);
  EXPECT_EQ(std::memcmp(&raw.sin6_addr, &expected.sin6_addr, sizeof raw.sin6_addr), 0);
  EXPECT_EQ(raw.sin6_port, htons(4433));
  EXPECT_EQ(address->port(), 4433);
  EXPECT_EQ(address->ip(), kLoopback4);
  EXPECT_EQ(address->to_string(), "127.0.0.1:4433");
}

TEST(SocketAddress, MappedIpv6InputPrintsAsIpv4) {
  const auto address = convert(v6_sockaddr("::ffff:127.0.0.1", 9));
  ASSERT_TRUE(address.has_value());
  EXPECT_EQ(address->to_string(), "127.0.0.1:9");
  EXPECT_EQ(address, convert(v4_sockaddr("127.0.0.1", 9)));
}

TEST(SocketAddress, Ipv6Loopback) {
  const auto address = convert(v6_sockaddr("::1", 5));
  ASSERT_TRUE(address.has_value());
  EXPECT_EQ(address->ip(), kLoopback6);
  EXPECT_EQ(address->port(), 5);
  EXPECT_EQ(address->to_string(), "[::1]:5");
}

TEST(SocketAddress, ScopeIdIsKeptAndPrinted) {
  const auto address = convert(v6_sockaddr("fe80::1", 4433, 2));
  ASSERT_TRUE(address.has_value());
  // The interface by name (loopback is index 1 in every network namespace), by number when no
  // interface has that index.
  EXPECT_EQ(convert(v6_sockaddr("fe80::1", 4433, 1))->to_string(), "[fe80::1%lo]:4433");
  EXPECT_EQ(convert(v6_sockaddr("fe80::1", 4433, 999999))->to_string(), "[fe80::1%999999]:4433");
  EXPECT_EQ(address->ip(), kLinkLocal);
  EXPECT_NE(address, convert(v6_sockaddr("fe80::1", 4433, 3)));
  EXPECT_NE(address, convert(v6_sockaddr("fe80::1", 4433)));
}

TEST(SocketAddress, RejectsWhatIsNotAnIpAddress) {
  EXPECT_FALSE(SocketAddress::from_sockaddr(nullptr, 0).has_value());
  EXPECT_FALSE(convert(v4_sockaddr("127.0.0.1", 1), sizeof(sockaddr_in) - 1).has_value());
  EXPECT_FALSE(convert(v6_sockaddr("::1", 1), sizeof(sockaddr_in6) - 1).has_value());
  sockaddr_un local{};
  local.sun_family = AF_UNIX;
  EXPECT_FALSE(convert(local).has_value());
}

TEST(SocketAddress, FromEndpointMatchesFromSockaddr) {
  EXPECT_EQ(SocketAddress::from_endpoint(kLoopback4, 4433),
            convert(v4_sockaddr("127.0.0.1", 4433)));
  EXPECT_EQ(SocketAddress::from_endpoint(kLoopback6, 4433), convert(v6_sockaddr("::1", 4433)));
  EXPECT_EQ(SocketAddress::from_endpoint(kLinkLocal, 4433, 2),
            convert(v6_sockaddr("fe80::1", 4433, 2)));
}

TEST(SocketAddress, InterfaceIndexScopesOnlyLinkLocal) {
  EXPECT_EQ(SocketAddress::from_endpoint(kLinkLocal, 1, 7).to_string(), "[fe80::1%7]:1");
  EXPECT_EQ(SocketAddress::from_endpoint(kLoopback6, 1, 7).to_string(), "[::1]:1");
  EXPECT_EQ(SocketAddress::from_endpoint(kLoopback4, 1, 7).to_string(), "127.0.0.1:1");
  EXPECT_EQ(SocketAddress::from_endpoint(kLoopback6, 1, 7),
            SocketAddress::from_endpoint(kLoopback6, 1));
}

TEST(SocketAddress, RoundTripsThroughItsOwnBytes) {
  for (const SocketAddress& original :
       {SocketAddress::from_endpoint(kLoopback4, 1), SocketAddress::from_endpoint(kLoopback6, 2),
        SocketAddress::from_endpoint(kLinkLocal, 3, 4)}) {
    EXPECT_EQ(SocketAddress::from_sockaddr(original.data(), SocketAddress::size()), original);
    EXPECT_EQ(SocketAddress::from_endpoint(original.ip(), original.port(), 4), original);
  }
}

TEST(SocketAddress, FlowInfoIsNotIdentity) {
  sockaddr_in6 labelled = v6_sockaddr("::1", 7);
  labelled.sin6_flowinfo = htonl(0x12345);
  EXPECT_EQ(convert(labelled), convert(v6_sockaddr("::1", 7)));
  EXPECT_EQ(convert(labelled)->hash(), convert(v6_sockaddr("::1", 7))->hash());
}

TEST(SocketAddress, EqualityAndHash) {
  const SocketAddress a = SocketAddress::from_endpoint(kLoopback4, 1000);
  EXPECT_EQ(a, SocketAddress::from_endpoint(kLoopback4, 1000));
  EXPECT_EQ(a.hash(), SocketAddress::from_endpoint(kLoopback4, 1000).hash());
  EXPECT_NE(a, SocketAddress::from_endpoint(kLoopback4, 1001));
  EXPECT_NE(a, SocketAddress::from_endpoint(mdns::IpAddress::v4_from({127, 0, 0, 2}), 1000));
  EXPECT_NE(a, SocketAddress::from_endpoint(kLoopback6, 1000));
  EXPECT_EQ(SocketAddress{}, SocketAddress{});
  EXPECT_NE(SocketAddress{}, SocketAddress::from_endpoint(kLoopback6, 0));

  std::unordered_set<SocketAddress, SocketAddressHash> set;
  for (std::uint16_t port = 1; port <= 100; ++port) {
    set.insert(SocketAddress::from_endpoint(kLoopback4, port));
    set.insert(SocketAddress::from_endpoint(kLoopback6, port));
    set.insert(SocketAddress::from_endpoint(kLinkLocal, port, 1));
    set.insert(SocketAddress::from_endpoint(kLinkLocal, port, 2));
  }
  EXPECT_EQ(set.size(), 400U);
  EXPECT_TRUE(set.contains(SocketAddress::from_endpoint(kLinkLocal, 50, 2)));
  EXPECT_FALSE(set.contains(SocketAddress::from_endpoint(kLinkLocal, 50, 3)));
}

}  // namespace
}  // namespace lp2p::quic
