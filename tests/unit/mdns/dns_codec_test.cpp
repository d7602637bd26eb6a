#include "mdns/dns_codec.hpp"

#include <gtest/gtest.h>

#include "common/hex.hpp"

namespace lp2p::mdns {
namespace {

DnsName name(std::string_view dotted) {
  return *DnsName::parse(dotted);
}

DnsMessage sample_response() {
  DnsMessage m;
  m.response = true;
  m.authoritative = true;
  const DnsName service = name("_openscreen._udp.local");
  const DnsName instance = service.with_prefix("Living Room TV");
  const DnsName host = name("tv-1234.local");
  m.answers.push_back({service, static_cast<std::uint16_t>(RecordType::ptr), kClassIn, false, 4500,
                       PtrData{instance}});
  m.additionals.push_back({instance, static_cast<std::uint16_t>(RecordType::srv), kClassIn, true,
                           120, SrvData{0, 0, 49152, host}});
  m.additionals.push_back(
      {instance, static_cast<std::uint16_t>(RecordType::txt), kClassIn, true, 4500,
       TxtData{{"fp=XNJS+wzokyQ2+vjM0QQJgbie5K1rn+niorfnGqyyfNM=", std::string("mv=\0", 4),
                "at=abcdefghi"}}});
  m.additionals.push_back({host, static_cast<std::uint16_t>(RecordType::a), kClassIn, true, 120,
                           AData{{10, 213, 0, 1}}});
  m.additionals.push_back({host, static_cast<std::uint16_t>(RecordType::aaaa), kClassIn, true, 120,
                           AaaaData{{0xfe, 0x80, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 1}}});
  m.additionals.push_back({instance, static_cast<std::uint16_t>(RecordType::nsec), kClassIn, true,
                           120, NsecData{instance, {16, 33}}});
  return m;
}

TEST(DnsCodec, RoundTripsEveryRecordType) {
  const DnsMessage m = sample_response();
  const auto bytes = encode(m);
  auto decoded = decode(bytes);
  ASSERT_TRUE(decoded) << decoded.error().describe();
  EXPECT_EQ(*decoded, m);
}

TEST(DnsCodec, CompressesRepeatedNames) {
  const DnsMessage m = sample_response();
  const auto bytes = encode(m);
  // "_openscreen._udp.local" and the instance name are written once, then pointed to.
  const std::string text(bytes.begin(), bytes.end());
  EXPECT_EQ(text.find("_openscreen"), text.rfind("_openscreen"));
  EXPECT_EQ(text.find("Living Room TV"), text.rfind("Living Room TV"));
}

TEST(DnsCodec, QuestionBitsAndHeaderFlags) {
  DnsMessage m;
  m.id = 0x1234;
  m.truncated = true;
  m.questions.push_back({name("_openscreen._udp.local"), 12, kClassIn, true});
  const auto bytes = encode(m);
  EXPECT_EQ(to_hex(std::span(bytes).first(12)), "123402000001000000000000");
  // class field with the QU bit: 0x8001
  EXPECT_EQ(bytes[bytes.size() - 2], 0x80);
  EXPECT_EQ(bytes[bytes.size() - 1], 0x01);
  auto decoded = decode(bytes);
  ASSERT_TRUE(decoded);
  EXPECT_TRUE(decoded->truncated);
  EXPECT_TRUE(decoded->questions.at(0).unicast_response);
  EXPECT_EQ(decoded->questions.at(0).rrclass, kClassIn);
}

TEST(DnsCodec, EmptyTxtIsOneZeroByte) {
  DnsMessage m;
  m.answers.push_back({name("x.local"), static_cast<std::uint16_t>(RecordType::txt), kClassIn,
                       false, 1, TxtData{}});
  const auto bytes = encode(m);
  EXPECT_EQ(bytes[bytes.size() - 3], 0x00);  // rdlength 1
  EXPECT_EQ(bytes[bytes.size() - 2], 0x01);
  EXPECT_EQ(bytes.back(), 0x00);
  auto decoded = decode(bytes);
  ASSERT_TRUE(decoded);
  EXPECT_EQ(*decoded, m);
}

TEST(DnsCodec, NamesCompareCaseInsensitively) {
  EXPECT_EQ(name("_OpenScreen._UDP.Local"), name("_openscreen._udp.local"));
  EXPECT_TRUE(name("a.b._openscreen._udp.local").ends_with(name("_openscreen._udp.local")));
  EXPECT_FALSE(name("local").ends_with(name("_udp.local")));
}

TEST(DnsCodec, InstanceLabelsMayHoldDotsAndNul) {
  DnsMessage m;
  const DnsName instance = name("_openscreen._udp.local").with_prefix(std::string("v1.2 TV\0", 8));
  m.answers.push_back({instance, static_cast<std::uint16_t>(RecordType::txt), kClassIn, false, 1,
                       TxtData{{"a=b"}}});
  auto decoded = decode(encode(m));
  ASSERT_TRUE(decoded);
  EXPECT_EQ(decoded->answers.at(0).name.labels().front(), std::string("v1.2 TV\0", 8));
}

TEST(DnsCodec, RejectsForwardAndSelfPointers) {
  // Header with one question whose name is a pointer to itself (offset 12).
  auto self = *from_hex("000000000001000000000000 c00c 000c 0001");
  auto r = decode(self);
  ASSERT_FALSE(r);
  EXPECT_EQ(r.error().code, Errc::malformed);
  // A pointer forward to a later label.
  auto forward = *from_hex("000000000001000000000000 c00e 0000 000c 0001");
  EXPECT_FALSE(decode(forward));
}

TEST(DnsCodec, RejectsPointerChainsThatBuildOverlongNames) {
  // Question i is the label "abc" followed by a pointer to question i-1's name: every pointer
  // points backwards, but the names grow by 4 bytes each and pass 255 bytes at the 64th.
  constexpr std::uint16_t kQuestions = 70;
  std::vector<std::uint8_t> packet = {0, 0, 0, 0, 0, kQuestions, 0, 0, 0, 0, 0, 0};
  std::size_t previous = 0;
  for (std::uint16_t i = 0; i < kQuestions; ++i) {
    const std::size_t start = packet.size();
    packet.insert(packet.end(), {3, 'a', 'b', 'c'});
    if (i == 0) {
      packet.push_back(0);
    } else {
      packet.push_back(static_cast<std::uint8_t>(0xc0U | (previous >> 8)));
      packet.push_back(static_cast<std::uint8_t>(previous));
    }
    packet.insert(packet.end(), {0, 12, 0, 1});
    previous = start;
  }
  auto r = decode(packet);
  ASSERT_FALSE(r);
  EXPECT_NE(r.error().message.find("255"), std::string::npos) << r.error().message;
}

TEST(DnsCodec, TruncatedPacketsFailAtEveryLength) {
  const auto bytes = encode(sample_response());
  for (std::size_t n = 0; n < bytes.size(); ++n) {
    auto r = decode(std::span(bytes).first(n));
    EXPECT_FALSE(r) << "prefix of " << n << " bytes decoded";
  }
}

TEST(DnsCodec, ARecordWithBadRdataIsSkippedAndTheRestKept) {
  DnsMessage m;
  m.answers.push_back({name("h.local"), static_cast<std::uint16_t>(RecordType::a), kClassIn, false,
                       1, AData{{1, 2, 3, 4}}});
  auto bytes = encode(m);
  bytes[bytes.size() - 5] = 5;  // rdlength 4 -> 5: an A record of 5 bytes is malformed
  bytes.push_back(0);
  // A good record after it, appended by hand (ancount 1 -> 2): a TXT "ok" on the root name.
  bytes[7] = 2;
  for (const int b : {0, 0, 16, 0, 1, 0, 0, 0, 9, 0, 3, 2, int{'o'}, int{'k'}})
    bytes.push_back(static_cast<std::uint8_t>(b));
  auto decoded = decode(bytes);
  ASSERT_TRUE(decoded) << decoded.error().describe();
  EXPECT_EQ(decoded->skipped_records, 1U);
  ASSERT_EQ(decoded->answers.size(), 1U);
  EXPECT_EQ(std::get<TxtData>(decoded->answers[0].data).strings, std::vector<std::string>{"ok"});
}

TEST(DnsCodec, ZeroconfsMalformedNsecCostsOnlyItself) {
  // python3-zeroconf 0.47 writes the NSEC bitmap's window and length as 2 bytes each.
  DnsMessage m;
  m.answers.push_back({name("h.local"), static_cast<std::uint16_t>(RecordType::a), kClassIn, true,
                       120, AData{{10, 0, 0, 1}}});
  auto bytes = encode(m);
  bytes[7] = 2;
  for (const int b :
       {0xc0, 12, 0, 47, 0x80, 1, 0, 0, 0, 120, 0, 8, 0xc0, 12, 0, 0, 0, 4, 0, 0, 0, 8}) {
    bytes.push_back(static_cast<std::uint8_t>(b));
  }
  auto decoded = decode(bytes);
  ASSERT_TRUE(decoded) << decoded.error().describe();
  EXPECT_EQ(decoded->answers.size(), 1U);
  EXPECT_EQ(decoded->skipped_records, 1U);
}

TEST(DnsCodec, ARecordRunningPastThePacketStillFailsTheWholePacket) {
  DnsMessage m;
  m.answers.push_back({name("h.local"), static_cast<std::uint16_t>(RecordType::a), kClassIn, false,
                       1, AData{{1, 2, 3, 4}}});
  auto bytes = encode(m);
  bytes[bytes.size() - 5] = 9;  // rdlength beyond the end: the framing itself is broken
  EXPECT_FALSE(decode(bytes));
}

TEST(DnsCodec, UnknownTypesKeepTheirRdata) {
  DnsMessage m;
  m.answers.push_back({name("h.local"), 99, kClassIn, false, 1, RawData{{1, 2, 3}}});
  auto decoded = decode(encode(m));
  ASSERT_TRUE(decoded);
  EXPECT_EQ(*decoded, m);
}

TEST(PacketWriter, RefusesRecordsBeyondTheLimitAndRollsBack) {
  PacketWriter writer(120);
  const DnsMessage m = sample_response();
  ASSERT_TRUE(writer.add_answer(m.answers[0]));
  std::size_t added = 1;
  for (const auto& r : m.additionals) {
    if (writer.add_additional(r)) ++added;
  }
  EXPECT_LT(added, 1 + m.additionals.size());
  const auto packet = writer.finish();
  EXPECT_LE(packet.size(), 120U);
  auto decoded = decode(packet);
  ASSERT_TRUE(decoded) << decoded.error().describe();
  EXPECT_EQ(decoded->answers.size() + decoded->additionals.size(), added);
  EXPECT_TRUE(writer.empty());
}

}  // namespace
}  // namespace lp2p::mdns
