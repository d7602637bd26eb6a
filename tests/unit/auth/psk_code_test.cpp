#include "auth/psk_code.hpp"

#include <gtest/gtest.h>

#include <cstdint>
#include <set>
#include <string>

namespace lp2p::auth {
namespace {

constexpr std::uint64_t kBriefPsk = 61488548833;

TEST(PskCode, FormatsTheSpecExamples) {
  EXPECT_EQ(format_psk(kBriefPsk), "0614-8854-8833");  // osp-brief §4.3
  EXPECT_EQ(format_psk(1048575), "001-048-575");       // 2^20 − 1
}

TEST(PskCode, FormatsGroupEdges) {
  EXPECT_EQ(format_psk(0), "000");
  EXPECT_EQ(format_psk(7), "007");
  EXPECT_EQ(format_psk(123), "123");  // a multiple of 3 gets no whole group of padding (§7 #29)
  EXPECT_EQ(format_psk(1234), "001-234");
  EXPECT_EQ(format_psk(999999999), "999-999-999");        // exactly 9 digits: groups of 3
  EXPECT_EQ(format_psk(1000000000), "0010-0000-0000");    // 10 digits: groups of 4
  EXPECT_EQ(format_psk(123456789012), "1234-5678-9012");  // a multiple of 4: no padding
  EXPECT_EQ(format_psk(UINT64_MAX), "1844-6744-0737-0955-1615");
}

TEST(PskCode, ParsesWhatItFormats) {
  for (const std::uint64_t psk :
       {std::uint64_t{0}, std::uint64_t{7}, std::uint64_t{1048575}, std::uint64_t{999999999},
        std::uint64_t{1000000000}, kBriefPsk, std::uint64_t{1} << 40U, UINT64_MAX}) {
    const auto parsed = parse_psk(format_psk(psk));
    ASSERT_TRUE(parsed.has_value()) << format_psk(psk);
    EXPECT_EQ(*parsed, psk);
  }
}

TEST(PskCode, ParsingToleratesHowPeopleType) {
  for (const char* typed : {"0614-8854-8833", "0614 8854 8833", "06148854-8833", "61488548833",
                            "000061488548833", " 0614 - 8854 - 8833 ", "614-885-488-33"}) {
    const auto parsed = parse_psk(typed);
    ASSERT_TRUE(parsed.has_value()) << typed << ": " << parsed.error().describe();
    EXPECT_EQ(*parsed, kBriefPsk) << typed;
  }
  EXPECT_EQ(parse_psk("000").value(), 0U);
  EXPECT_EQ(parse_psk("18446744073709551615").value(), UINT64_MAX);
}

void expect_rejected(std::string_view typed, std::string_view mentions) {
  const auto parsed = parse_psk(typed);
  ASSERT_FALSE(parsed.has_value()) << typed;
  EXPECT_EQ(parsed.error().code, Errc::invalid_argument);
  EXPECT_NE(parsed.error().message.find(mentions), std::string::npos) << parsed.error().message;
}

TEST(PskCode, ParsingRejectsNonDigits) {
  expect_rejected("0614-885O-8833", "only digits, dashes and spaces, not 'O'");
  expect_rejected("abc", "only digits, dashes and spaces");
  expect_rejected("0614_8854", "only digits");
  expect_rejected("+61488548833", "only digits");
  expect_rejected("0614\t8854", "only digits");
  expect_rejected(std::string_view("06\0"
                                   "14",
                                   5),
                  "only digits");
}

TEST(PskCode, ParsingRejectsEmptyAndOverflow) {
  expect_rejected("", "empty");
  expect_rejected("- -", "empty");
  expect_rejected("18446744073709551616", "too long");  // 2^64
  expect_rejected("99999999999999999999", "too long");
  expect_rejected("123456789012345678901234", "too long");
}

TEST(PskCode, QrTextIsLowercaseHexWithoutLeadingZeros) {
  EXPECT_EQ(psk_qr_text(kBriefPsk), "e5100cbe1");  // osp-brief §4.3
  EXPECT_EQ(psk_qr_text(0), "0");
  EXPECT_EQ(psk_qr_text(15), "f");
  EXPECT_EQ(psk_qr_text(UINT64_MAX), "ffffffffffffffff");
}

TEST(PskCode, ParsesQrText) {
  EXPECT_EQ(parse_psk_qr_text("e5100cbe1").value(), kBriefPsk);
  EXPECT_EQ(parse_psk_qr_text("E5100CBE1").value(), kBriefPsk);
  EXPECT_EQ(parse_psk_qr_text("0e5100cbe1").value(), kBriefPsk);
  EXPECT_EQ(parse_psk_qr_text("ffffffffffffffff").value(), UINT64_MAX);
  EXPECT_EQ(parse_psk_qr_text(psk_qr_text(1048575)).value(), 1048575U);
  for (const char* bad : {"", "e5100cbe1g", "0x1f", " e5", "1-2", "10000000000000000"}) {
    const auto parsed = parse_psk_qr_text(bad);
    ASSERT_FALSE(parsed.has_value()) << bad;
    EXPECT_EQ(parsed.error().code, Errc::invalid_argument);
  }
}

TEST(PskCode, PasswordIsEightBytesBigEndian) {
  const std::array<std::uint8_t, 8> expected = {0x00, 0x00, 0x00, 0x0e, 0x51, 0x00, 0xcb, 0xe1};
  EXPECT_EQ(psk_password(kBriefPsk), expected);  // osp-brief §4.10: pw = 0000000e5100cbe1
  EXPECT_EQ(psk_password(0), (std::array<std::uint8_t, 8>{}));
  EXPECT_EQ(psk_password(UINT64_MAX),
            (std::array<std::uint8_t, 8>{0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff}));
}

TEST(PskCode, ClampsAdvertisedBits) {
  EXPECT_EQ(clamp_psk_bits(0), 20U);  // absent reads as the default
  EXPECT_EQ(clamp_psk_bits(1), 20U);
  EXPECT_EQ(clamp_psk_bits(20), 20U);
  EXPECT_EQ(clamp_psk_bits(33), 33U);
  EXPECT_EQ(clamp_psk_bits(60), 60U);
  EXPECT_EQ(clamp_psk_bits(61), 60U);
  EXPECT_EQ(clamp_psk_bits(80), 60U);  // Appendix B's upper end
  EXPECT_EQ(clamp_psk_bits(UINT64_MAX), 60U);
}

TEST(PskCode, GeneratesBelowTheBoundAndVaries) {
  for (const unsigned bits : {20U, 21U, 30U, 40U, 60U, 63U}) {
    std::set<std::uint64_t> seen;
    std::uint64_t all_bits = 0;
    for (int i = 0; i < 64; ++i) {
      const auto psk = generate_psk(bits);
      ASSERT_TRUE(psk.has_value());
      EXPECT_LT(*psk, std::uint64_t{1} << bits);
      seen.insert(*psk);
      all_bits |= *psk;
    }
    EXPECT_GT(seen.size(), 32U) << bits;  // 64 draws from ≥ 2^20 values barely ever collide
    EXPECT_EQ(all_bits >> (bits - 1), 1U) << "the top bit is drawn too, for bits=" << bits;
  }
  std::set<std::uint64_t> wide;
  for (int i = 0; i < 16; ++i) wide.insert(generate_psk(64).value());
  EXPECT_EQ(wide.size(), 16U);
}

TEST(PskCode, GenerateRejectsBitsOutOfRange) {
  for (const unsigned bits : {0U, 19U, 65U, 128U}) {
    const auto psk = generate_psk(bits);
    ASSERT_FALSE(psk.has_value()) << bits;
    EXPECT_EQ(psk.error().code, Errc::invalid_argument);
  }
  EXPECT_TRUE(generate_psk(kPskMinBits));
  EXPECT_TRUE(generate_psk(64));
}

}  // namespace
}  // namespace lp2p::auth

namespace lp2p::auth {
namespace {

TEST(PskCodeWidthTest, CodesOfOneStrengthLookAlike) {
  EXPECT_EQ(format_psk(789185, 20), "000-789-185");
  EXPECT_EQ(format_psk(0, 20), "000-000-000");
  EXPECT_EQ(format_psk(1048575, 20), "001-048-575");
  EXPECT_EQ(format_psk(5, 30), "0000-0000-0005");            // 2^30-1 has 10 digits
  EXPECT_EQ(format_psk(61488548833, 20), "0614-8854-8833");  // wider than the width: unchanged
  EXPECT_EQ(parse_psk(format_psk(789185, 20)).value(), 789185U);
}

}  // namespace
}  // namespace lp2p::auth
