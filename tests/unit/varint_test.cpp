// QUIC variable-length integers: RFC 9000 §16 and the examples of Appendix A.1.
#include "wire/varint.hpp"

#include <gtest/gtest.h>

#include <cstdint>
#include <vector>

#include "test_support.hpp"

namespace lp2p::wire {
namespace {

using test::hex;
using test::unhex;

std::vector<std::uint8_t> encoded(std::uint64_t value) {
  std::vector<std::uint8_t> out;
  append_varint(value, out);
  return out;
}

struct Example {
  const char* hex_text;
  std::uint64_t value;
  bool minimal;
};

// RFC 9000 Appendix A.1 ("Sample Variable-Length Integer Decoding").
constexpr Example kRfcExamples[] = {
    {"c2197c5eff14e88c", 151288809941952652ULL, true},
    {"9d7f3e7d", 494878333ULL, true},
    {"7bbd", 15293, true},
    {"25", 37, true},
    {"4025", 37, false},  // two-byte encoding of 37: legal, not minimal
};

TEST(Varint, DecodesRfc9000Examples) {
  for (const auto& example : kRfcExamples) {
    SCOPED_TRACE(example.hex_text);
    const auto bytes = unhex(example.hex_text);
    const auto decoded = decode_varint(bytes);
    ASSERT_TRUE(decoded.has_value());
    EXPECT_EQ(decoded->value, example.value);
    EXPECT_EQ(decoded->length, bytes.size());
  }
}

TEST(Varint, EncodesRfc9000ExamplesMinimally) {
  for (const auto& example : kRfcExamples) {
    if (!example.minimal) continue;
    SCOPED_TRACE(example.hex_text);
    EXPECT_EQ(hex(encoded(example.value)), example.hex_text);
    EXPECT_EQ(varint_size(example.value), unhex(example.hex_text).size());
  }
  // The non-minimal example re-encodes minimally.
  EXPECT_EQ(hex(encoded(37)), "25");
}

TEST(Varint, DecodeStopsAtTheVarintsEnd) {
  // Trailing bytes belong to whatever follows (the CBOR body); only the varint is consumed.
  const auto bytes = unhex("7bbd a1 00 01");
  const auto decoded = decode_varint(bytes);
  ASSERT_TRUE(decoded.has_value());
  EXPECT_EQ(decoded->value, 15293U);
  EXPECT_EQ(decoded->length, 2U);
}

struct Boundary {
  std::uint64_t value;
  std::size_t size;
  const char* hex_text;
};

constexpr std::uint64_t kTwo30 = std::uint64_t{1} << 30;

constexpr Boundary kBoundaries[] = {
    {0, 1, "00"},
    {63, 1, "3f"},
    {64, 2, "4040"},
    {16383, 2, "7fff"},
    {16384, 4, "80004000"},
    {kTwo30 - 1, 4, "bfffffff"},
    {kTwo30, 8, "c000000040000000"},
    {kMaxVarint, 8, "ffffffffffffffff"},
};

TEST(Varint, MinimalSizeAtEveryBoundary) {
  for (const auto& b : kBoundaries) {
    SCOPED_TRACE(b.value);
    EXPECT_EQ(varint_size(b.value), b.size);
    const auto bytes = encoded(b.value);
    EXPECT_EQ(bytes.size(), b.size);
    EXPECT_EQ(hex(bytes), b.hex_text);
    EXPECT_EQ(varint_length(bytes.front()), b.size);
    const auto decoded = decode_varint(bytes);
    ASSERT_TRUE(decoded.has_value());
    EXPECT_EQ(decoded->value, b.value);
    EXPECT_EQ(decoded->length, b.size);
  }
}

TEST(Varint, ValuesAboveTheMaximumAreNotEncodable) {
  EXPECT_EQ(varint_size(kMaxVarint + 1), 0U);
  EXPECT_EQ(varint_size(~std::uint64_t{0}), 0U);
  EXPECT_EQ(kMaxVarint, 4611686018427387903ULL);
}

TEST(Varint, LengthComesFromTheTwoHighBits) {
  for (unsigned first = 0; first < 256; ++first) {
    const auto byte = static_cast<std::uint8_t>(first);
    const std::size_t expected = first < 0x40 ? 1 : first < 0x80 ? 2 : first < 0xc0 ? 4 : 8;
    EXPECT_EQ(varint_length(byte), expected) << "first byte " << first;
  }
}

TEST(Varint, NeedsMoreOnEveryTruncation) {
  EXPECT_FALSE(decode_varint({}).has_value());
  for (const auto& b : kBoundaries) {
    const auto bytes = encoded(b.value);
    for (std::size_t n = 0; n < bytes.size(); ++n) {
      EXPECT_FALSE(decode_varint(std::span(bytes).first(n)).has_value())
          << "value " << b.value << " cut to " << n << " bytes";
    }
  }
  for (const auto& example : kRfcExamples) {
    const auto bytes = unhex(example.hex_text);
    for (std::size_t n = 0; n < bytes.size(); ++n) {
      EXPECT_FALSE(decode_varint(std::span(bytes).first(n)).has_value())
          << example.hex_text << " cut to " << n << " bytes";
    }
  }
}

TEST(Varint, NonMinimalEncodingsOfEveryLengthDecode) {
  // 5 written in 1, 2, 4 and 8 bytes; go-lp2p writes such varints (brief §3.1).
  for (const char* text : {"05", "4005", "80000005", "c000000000000005"}) {
    const auto bytes = unhex(text);
    const auto decoded = decode_varint(bytes);
    ASSERT_TRUE(decoded.has_value()) << text;
    EXPECT_EQ(decoded->value, 5U) << text;
    EXPECT_EQ(decoded->length, bytes.size()) << text;
  }
  // go-lp2p's encodings of 32..63 in 2 bytes and of 8192..16383 in 4 bytes.
  const auto two = decode_varint(unhex("4020"));
  ASSERT_TRUE(two.has_value());
  EXPECT_EQ(two->value, 32U);
  const auto four = decode_varint(unhex("80002000"));
  ASSERT_TRUE(four.has_value());
  EXPECT_EQ(four->value, 8192U);
}

TEST(Varint, RoundTripsAcrossTheRange) {
  std::uint64_t value = 1;
  while (value <= kMaxVarint) {
    for (const std::uint64_t v : {value - 1, value, value + 1}) {
      if (v > kMaxVarint) continue;
      const auto bytes = encoded(v);
      const auto decoded = decode_varint(bytes);
      ASSERT_TRUE(decoded.has_value()) << v;
      EXPECT_EQ(decoded->value, v);
      EXPECT_EQ(decoded->length, bytes.size());
      EXPECT_EQ(bytes, test::ref_varint(v)) << v;
    }
    value *= 3;
  }
}

TEST(Varint, AppendKeepsWhatIsAlreadyThere) {
  std::vector<std::uint8_t> out = {0xaa};
  append_varint(15293, out);
  append_varint(37, out);
  EXPECT_EQ(hex(out), "aa7bbd25");
}

}  // namespace
}  // namespace lp2p::wire
