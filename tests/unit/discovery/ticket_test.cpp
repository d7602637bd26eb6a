#include "discovery/ticket.hpp"

#include <gtest/gtest.h>

namespace lp2p::discovery {
namespace {

Ticket sample() {
  Ticket t;
  t.fingerprint = "XNJS+wzokyQ2+vjM0QQJgbie5K1rn+niorfnGqyyfNM=";
  t.name = "Kitchen laptop ☕";
  t.addresses.push_back({mdns::IpAddress::v4_from({10, 213, 0, 1}), 49152, 2});
  t.addresses.push_back(
      {mdns::IpAddress::v6_from({0xfe, 0x80, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 1}), 49152, 2});
  return t;
}

TEST(Ticket, RoundTrips) {
  auto text = encode_ticket(sample());
  ASSERT_TRUE(text) << text.error().message;
  EXPECT_TRUE(text->starts_with("lp2p1"));
  EXPECT_EQ(
      text->find_first_not_of("abcdefghijklmnopqrstuvwxyzABCDEFGHIJKLMNOPQRSTUVWXYZ0123456789-_"),
      std::string::npos);
  auto back = decode_ticket("  " + *text + "\n");
  ASSERT_TRUE(back) << back.error().message;
  EXPECT_EQ(*back, sample());
}

TEST(Ticket, RejectsDamage) {
  auto text = *encode_ticket(sample());
  EXPECT_FALSE(decode_ticket("hello"));
  EXPECT_FALSE(decode_ticket(text.substr(0, text.size() / 2)));
  EXPECT_FALSE(decode_ticket(text.substr(0, 10) + "!" + text.substr(11)));
  Ticket no_address = sample();
  no_address.addresses.clear();
  EXPECT_FALSE(encode_ticket(no_address));
  Ticket bad_fp = sample();
  bad_fp.fingerprint = "abc";
  EXPECT_FALSE(encode_ticket(bad_fp));
}

TEST(Ticket, EveryTruncationFailsCleanly) {
  const auto text = *encode_ticket(sample());
  for (std::size_t n = 5; n < text.size(); ++n) {
    auto r = decode_ticket(text.substr(0, n));
    EXPECT_FALSE(r) << "prefix of " << n;
  }
}

}  // namespace
}  // namespace lp2p::discovery
