#include <gtest/gtest.h>

#include <algorithm>

#include "discovery/peer_directory.hpp"

namespace lp2p::discovery {
namespace {

const std::string kFp = "XNJS+wzokyQ2+vjM0QQJgbie5K1rn+niorfnGqyyfNM=";
const std::string kFp2 = "3AzmM9vMkT2vr6S4msRNjOaD/fw/YMi98hITufK1NLo=";

PeerAddress addr(std::uint8_t last, std::uint32_t itf = 1) {
  return {mdns::IpAddress::v4_from({10, 213, 0, last}), 4433, itf};
}

Sighting sighting(std::string provider, std::string key, std::string fp,
                  std::vector<PeerAddress> addresses, std::string mv = std::string(1, '\0')) {
  return {std::move(provider),  std::move(key),          fp, "Kitchen", false,
          std::move(addresses), {{"fp", fp}, {"mv", mv}}};
}

TEST(PeerDirectory, MergesAddressesAcrossInterfacesAndProviders) {
  PeerDirectory d;
  d.update(sighting("dns-sd", "kitchen%eth0", kFp, {addr(1, 1)}));
  d.update(sighting("dns-sd", "kitchen%eth1", kFp, {addr(9, 2)}));
  d.update(sighting("manual", kFp, kFp, {addr(1, 1)}));
  auto events = d.take_events();
  ASSERT_EQ(events.size(), 1U) << "one batch, one added event";
  EXPECT_EQ(events[0].kind, DirectoryEvent::Kind::added);
  // IPv4 addresses carry no interface once merged: the same address through two providers is one.
  EXPECT_EQ(events[0].peer.addresses, (std::vector<PeerAddress>{addr(1, 0), addr(9, 0)}));
  EXPECT_EQ(events[0].peer.providers, (std::vector<std::string>{"dns-sd", "manual"}));
  EXPECT_EQ(events[0].peer.metadata_version, 0U);
}

TEST(PeerDirectory, LinkLocalAddressesKeepTheirInterface) {
  PeerDirectory d;
  const PeerAddress ll{
      mdns::IpAddress::v6_from({0xfe, 0x80, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 1}), 4433, 3};
  d.update(sighting("dns-sd", "a", kFp, {ll, addr(1, 3)}));
  const auto peer = d.find(kFp);
  ASSERT_TRUE(peer);
  EXPECT_EQ(peer->addresses, (std::vector<PeerAddress>{addr(1, 0), ll}));
}

TEST(PeerDirectory, AddThenRemoveInOneBatchIsNothing) {
  PeerDirectory d;
  d.update(sighting("dns-sd", "k", kFp, {addr(1)}));
  d.remove("dns-sd", "k");
  EXPECT_TRUE(d.take_events().empty());
}

TEST(PeerDirectory, RemovedOnlyWhenTheLastSightingGoes) {
  PeerDirectory d;
  d.update(sighting("dns-sd", "a", kFp, {addr(1, 1)}));
  d.update(sighting("dns-sd", "b", kFp, {addr(2, 2)}));
  (void)d.take_events();
  d.remove("dns-sd", "a");
  auto events = d.take_events();
  ASSERT_EQ(events.size(), 1U);
  EXPECT_EQ(events[0].kind, DirectoryEvent::Kind::addresses_changed);
  d.remove("dns-sd", "b");
  events = d.take_events();
  ASSERT_EQ(events.size(), 1U);
  EXPECT_EQ(events[0].kind, DirectoryEvent::Kind::removed);
  EXPECT_EQ(events[0].peer.fingerprint, kFp);
  EXPECT_FALSE(d.find(kFp));
}

TEST(PeerDirectory, MetadataChangeIsReported) {
  PeerDirectory d;
  d.update(sighting("dns-sd", "a", kFp, {addr(1)}));
  (void)d.take_events();
  d.update(sighting("dns-sd", "a", kFp, {addr(1)}, std::string(1, '\x01')));
  auto events = d.take_events();
  ASSERT_EQ(events.size(), 1U);
  EXPECT_EQ(events[0].kind, DirectoryEvent::Kind::metadata_changed);
  EXPECT_EQ(events[0].peer.metadata_version, 1U);
}

TEST(PeerDirectory, ASlotThatChangesFingerprintMovesItsPeer) {
  PeerDirectory d;
  d.update(sighting("dns-sd", "a", kFp, {addr(1)}));
  (void)d.take_events();
  d.update(sighting("dns-sd", "a", kFp2, {addr(1)}));
  auto events = d.take_events();
  ASSERT_EQ(events.size(), 2U);
  EXPECT_TRUE(std::ranges::any_of(events, [](const auto& e) {
    return e.kind == DirectoryEvent::Kind::removed && e.peer.fingerprint == kFp;
  }));
  EXPECT_TRUE(std::ranges::any_of(events, [](const auto& e) {
    return e.kind == DirectoryEvent::Kind::added && e.peer.fingerprint == kFp2;
  }));
}

TEST(PeerDirectory, MatchesByFingerprintPrefixOrName) {
  PeerDirectory d;
  d.update(sighting("dns-sd", "a", kFp, {addr(1)}));
  d.update(sighting("dns-sd", "b", kFp2, {addr(2)}));
  EXPECT_EQ(d.match("XNJS").size(), 1U);
  EXPECT_EQ(d.match("kitchen").size(), 2U);
  EXPECT_TRUE(d.match("nobody").empty());
}

}  // namespace
}  // namespace lp2p::discovery
