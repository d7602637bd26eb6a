// Hexadecimal text <-> bytes (src/common/hex.hpp).
#include "common/hex.hpp"

#include <gtest/gtest.h>

#include <cstdint>
#include <string>
#include <vector>

namespace lp2p {
namespace {

using Bytes = std::vector<std::uint8_t>;

Bytes parsed(std::string_view text) {
  auto result = from_hex(text);
  EXPECT_TRUE(result.has_value()) << "from_hex(\"" << text
                                  << "\") failed: " << (result ? "" : result.error().describe());
  return result ? std::move(result).value() : Bytes{};
}

TEST(Hex, EncodesLowerCaseTwoDigitsPerByte) {
  EXPECT_EQ(to_hex(Bytes{}), "");
  EXPECT_EQ(to_hex(Bytes{0x00}), "00");
  EXPECT_EQ(to_hex(Bytes{0x0a, 0xa1, 0x00, 0x01}), "0aa10001");
  EXPECT_EQ(to_hex(Bytes{0xde, 0xad, 0xbe, 0xef, 0xff, 0x10}), "deadbeefff10");
}

TEST(Hex, RoundTripsEveryByteValue) {
  Bytes all(256);
  for (std::size_t i = 0; i < all.size(); ++i) all[i] = static_cast<std::uint8_t>(i);
  const std::string text = to_hex(all);
  ASSERT_EQ(text.size(), 512U);
  EXPECT_EQ(text.substr(0, 8), "00010203");
  EXPECT_EQ(text.substr(504), "fcfdfeff");
  EXPECT_EQ(parsed(text), all);
}

TEST(Hex, ParsesUpperAndMixedCase) {
  EXPECT_EQ(parsed("DEADBEEF"), (Bytes{0xde, 0xad, 0xbe, 0xef}));
  EXPECT_EQ(parsed("DeAdBeEf"), (Bytes{0xde, 0xad, 0xbe, 0xef}));
}

TEST(Hex, EmptyTextIsNoBytes) {
  EXPECT_TRUE(parsed("").empty());
  EXPECT_TRUE(parsed("  \n\t ").empty());
}

TEST(Hex, IgnoresWhitespaceColonsAndPrefixes) {
  const Bytes expected{0x44, 0x4d, 0xa4, 0x00, 0x03};
  EXPECT_EQ(parsed("444d a4 00 03"), expected);
  EXPECT_EQ(parsed("44:4d:a4:00:03"), expected);
  EXPECT_EQ(parsed("0x444da40003"), expected);
  EXPECT_EQ(parsed("0X444DA40003"), expected);
  EXPECT_EQ(parsed("0x44 0x4d 0xa4 0x00 0x03"), expected);
  EXPECT_EQ(parsed(" 44\n4d\ta4 \r\n0003 "), expected);
  // As copied from the brief (§3.2), spaces inside the example.
  EXPECT_EQ(parsed("444d a4 00 03 01 00 02 64 63686174 03 60"),
            (Bytes{0x44, 0x4d, 0xa4, 0x00, 0x03, 0x01, 0x00, 0x02, 0x64, 0x63, 0x68, 0x61, 0x74,
                   0x03, 0x60}));
}

TEST(Hex, ADigitPairMayBeSplitBySpaces) {
  // Whitespace is ignored wherever it is, so "a b" is one byte.
  EXPECT_EQ(parsed("a b"), (Bytes{0xab}));
}

TEST(Hex, ZeroBytesAreNotMistakenForPrefixes) {
  EXPECT_EQ(parsed("00"), (Bytes{0x00}));
  EXPECT_EQ(parsed("0000"), (Bytes{0x00, 0x00}));
  EXPECT_EQ(parsed("a000"), (Bytes{0xa0, 0x00}));
}

TEST(Hex, RejectsNonHexDigitsWithTheirOffset) {
  for (const std::string_view text : {"zz", "0g", "12 3x", "12-34", "ab\xc3\xa9"}) {
    const auto result = from_hex(text);
    ASSERT_FALSE(result.has_value()) << text;
    EXPECT_EQ(result.error().code, Errc::invalid_argument) << text;
  }
  const auto result = from_hex("12 3x");
  ASSERT_FALSE(result.has_value());
  EXPECT_NE(result.error().message.find("offset 4"), std::string::npos) << result.error().message;
  EXPECT_NE(result.error().message.find('x'), std::string::npos) << result.error().message;
}

TEST(Hex, RejectsAnOddNumberOfDigits) {
  for (const std::string_view text : {"a", "abc", "0x123", "12 3"}) {
    const auto result = from_hex(text);
    ASSERT_FALSE(result.has_value()) << text;
    EXPECT_EQ(result.error().code, Errc::invalid_argument) << text;
  }
}

}  // namespace
}  // namespace lp2p
