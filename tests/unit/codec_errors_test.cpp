// Decoding errors: wrong types and missing fields name the message and the field; truncated,
// oversized, too deep and otherwise malformed input gives an Error, never a crash, a stack overflow
// or a huge allocation.
// This file replaces the global operator new/delete (malloc/free based) to measure allocations.
// GCC cannot see that the pair matches and warns at every inlined new/delete.
#if defined(__GNUC__) && !defined(__clang__)
#pragma GCC diagnostic ignored "-Wmismatched-new-delete"
#endif

#include <gtest/gtest.h>

#include <atomic>
#include <cstdint>
#include <cstdlib>
#include <new>
#include <string>
#include <vector>

#include "test_support.hpp"
#include "wire/codec.hpp"
#include "wire/messages.hpp"

// --- Allocation tracking: the largest single operator-new request while tracking is on. ---
namespace {
std::atomic<bool> g_tracking{false};
std::atomic<std::size_t> g_largest_allocation{0};
}  // namespace

void* operator new(std::size_t size) {
  if (g_tracking.load(std::memory_order_relaxed)) {
    std::size_t seen = g_largest_allocation.load(std::memory_order_relaxed);
    while (size > seen && !g_largest_allocation.compare_exchange_weak(seen, size)) {
    }
  }
  if (void* p = std::malloc(size == 0 ? 1 : size)) return p;
  throw std::bad_alloc();
}
void operator delete(void* p) noexcept {
  std::free(p);
}
void operator delete(void* p, std::size_t /*size*/) noexcept {
  std::free(p);
}

namespace lp2p::wire {
namespace {

using test::describe_result;
using test::hex;
using test::unhex;

Result<Message> decode_hex(std::string_view hex_text) {
  return decode(unhex(hex_text));
}

// Expects decoding to fail with `code`, and the message to mention each of `mentions`.
void expect_error(std::string_view hex_text, Errc code,
                  std::initializer_list<std::string_view> mentions = {}) {
  SCOPED_TRACE(hex_text);
  const auto decoded = decode_hex(hex_text);
  ASSERT_FALSE(decoded.has_value()) << describe_result(decoded);
  EXPECT_EQ(decoded.error().code, code) << decoded.error().describe();
  for (const auto mention : mentions) {
    EXPECT_NE(decoded.error().message.find(mention), std::string::npos)
        << "error does not mention \"" << mention << "\": " << decoded.error().describe();
  }
}

// Expects decoding to fail with one of `codes` (for inputs that are wrong in more than one way).
void expect_error_in(std::span<const std::uint8_t> bytes, std::initializer_list<Errc> codes) {
  const auto decoded = decode(bytes);
  ASSERT_FALSE(decoded.has_value())
      << "input " << hex(bytes.first(std::min<std::size_t>(bytes.size(), 64))) << ": "
      << describe_result(decoded);
  bool expected = false;
  for (const Errc code : codes) expected = expected || decoded.error().code == code;
  EXPECT_TRUE(expected) << decoded.error().describe();
}

// The brief's examples (§3.2), used for truncation and trailing-byte checks.
const char* const kExamples[] = {
    "0aa10001",
    "0ca10002",
    "43e9a30018320181000214",
    "43eca10000",
    "444da4000301000264636861740360",
    "444ea200030101",
    "18a20001044568656c6c6f",
    "43eda300a100694162332b3978597a2f010102584104"
    "6b17d1f2e12c4247f8bce6e563a440f277037d812deb33a0f4a13945d898c296"
    "4fe342e2fe1a7f9b8ee7eb4a7c0f9e162bce33576b315ececbb6406837bf51f5",
    "0ba2000701a50062545601646c70327002821904 4c1904b003686142336445366748048165656e2d5553",
    "4078a100a50062545601646c70327002821904 4c1904b003686142336445366748048165656e2d5553",
    // indefinite-length forms
    "444dbf00030100027f6263686261 74ff037fffff",
    "18a20001045f4268654043 6c6c6fff",
};

TEST(CodecErrors, ExamplesDecode) {
  // Guards the table above: every entry is a valid message.
  for (const char* example : kExamples) {
    const auto decoded = decode_hex(example);
    EXPECT_TRUE(decoded.has_value()) << example << ": " << describe_result(decoded);
  }
}

TEST(CodecErrors, WrongTypesNameTheMessageAndTheField) {
  expect_error("444d a4 00 03 01 00 02 05 03 60", Errc::wrong_type,
               {"data-channel-open-request", "label"});
  expect_error("444d a4 00 03 01 f5 02 60 03 60", Errc::wrong_type,
               {"data-channel-open-request", "channel-id"});
  expect_error("444d a4 00 03 01 00 02 60 03 40", Errc::wrong_type,
               {"data-channel-open-request", "protocol"});
  expect_error("444d a4 00 61 33 01 00 02 60 03 60", Errc::wrong_type,
               {"data-channel-open-request", "request-id"});
  expect_error("0a a1 00 61 31", Errc::wrong_type, {"agent-info-request", "request-id"});
  expect_error("0a a1 00 20", Errc::wrong_type, {"agent-info-request", "request-id"});  // -1
  expect_error("0a a1 00 f6", Errc::wrong_type, {"agent-info-request", "request-id"});  // null
  expect_error("0a a1 00 f9 3c00", Errc::wrong_type, {"agent-info-request", "request-id"});
  expect_error("18 a2 00 01 04 65 68656c6c6f", Errc::wrong_type, {"data-frame", "payload"});
  expect_error("18 a2 00 61 31 04 40", Errc::wrong_type, {"data-frame", "encoding-id"});
  expect_error("0c a2 00 01 01 62 6f6b", Errc::wrong_type, {"agent-status-request", "status"});
  expect_error("0d a2 00 01 01 a1 00 01", Errc::wrong_type, {"agent-status-response", "status"});
  expect_error("43e9 a3 00 00 01 00 02 14", Errc::wrong_type,
               {"auth-capabilities", "psk-input-methods"});
  expect_error("43e9 a3 00 00 01 81 61 30 02 14", Errc::wrong_type,
               {"auth-capabilities", "psk-input-methods"});
  expect_error("43e9 a3 00 62 3530 01 80 02 14", Errc::wrong_type,
               {"auth-capabilities", "psk-ease-of-input"});
  expect_error("43ed a3 00 a0 01 00 02 61 41", Errc::wrong_type,
               {"auth-spake2-handshake", "public-value"});
  expect_error("43ed a2 00 61 41 01 00", Errc::wrong_type,
               {"auth-spake2-handshake", "initiation-token"});
  expect_error("43ed a2 00 a1 00 01 01 00", Errc::wrong_type, {"auth-spake2-handshake", "token"});
  expect_error("43ed a2 00 a0 01 40", Errc::wrong_type, {"auth-spake2-handshake", "psk-status"});
  expect_error("43eb a1 00 80", Errc::wrong_type,
               {"auth-spake2-confirmation", "confirmation-value"});
  expect_error("43ec a1 00 40", Errc::wrong_type, {"auth-status", "result"});
  expect_error("444e a2 00 03 01 62 6f6b", Errc::wrong_type,
               {"data-channel-open-response", "result"});
  // null is accepted for arrays and byte strings only, not for text.
  expect_error("444d a4 00 03 01 00 02 f6 03 60", Errc::wrong_type,
               {"data-channel-open-request", "label"});
}

TEST(CodecErrors, WrongTypesInsideAgentInfoNameThePath) {
  // {0: 1, 1: agent-info} with one bad field each.
  expect_error("0b a2 00 01 01 a5 00 01 01 60 02 80 03 60 04 80", Errc::wrong_type,
               {"agent-info-response", "agent-info", "display-name"});
  expect_error("0b a2 00 01 01 a5 00 60 01 60 02 81 61 31 03 60 04 80", Errc::wrong_type,
               {"agent-info-response", "agent-info", "capabilities"});
  expect_error("0b a2 00 01 01 a5 00 60 01 60 02 a0 03 60 04 80", Errc::wrong_type,
               {"agent-info-response", "capabilities"});
  expect_error("0b a2 00 01 01 a5 00 60 01 60 02 80 03 60 04 81 01", Errc::wrong_type,
               {"agent-info-response", "locales"});
  expect_error("4078 a1 00 a5 00 60 01 60 02 80 03 40 04 80", Errc::wrong_type,
               {"agent-info-event", "state-token"});
  expect_error("4078 a1 00 81 00", Errc::wrong_type, {"agent-info-event", "agent-info"});
}

TEST(CodecErrors, WrongTypeAtTheTop) {
  for (const char* text : {"0a 81 00", "0a 01", "0a 61 61", "0a f6", "0a 40", "18 82 00 40",
                           "444d 9f ff", "43ec c1 a1 00 00"}) {
    SCOPED_TRACE(text);
    const auto decoded = decode_hex(text);
    ASSERT_FALSE(decoded.has_value()) << describe_result(decoded);
    EXPECT_EQ(decoded.error().code, Errc::wrong_type) << decoded.error().describe();
    const auto key = decode_varint(unhex(text));
    ASSERT_TRUE(key.has_value());
    EXPECT_NE(decoded.error().message.find(std::string(*type_name(key->value))), std::string::npos)
        << decoded.error().describe();
  }
}

TEST(CodecErrors, MissingRequiredFieldsAreNamed) {
  expect_error("0a a0", Errc::missing_field, {"agent-info-request", "request-id"});
  expect_error("0c a1 01 a1 00 60", Errc::missing_field, {"agent-status-request", "request-id"});
  expect_error("0c a2 00 01 01 a0", Errc::missing_field, {"agent-status-request", "status"});
  expect_error("0b a1 00 01", Errc::missing_field, {"agent-info-response", "agent-info"});
  expect_error("0b a1 01 a5 00 60 01 60 02 80 03 60 04 80", Errc::missing_field,
               {"agent-info-response", "request-id"});
  expect_error("4078 a0", Errc::missing_field, {"agent-info-event", "agent-info"});
  expect_error("4078 a1 00 a4 01 60 02 80 03 60 04 80", Errc::missing_field,
               {"agent-info-event", "display-name"});
  expect_error("4078 a1 00 a4 00 60 01 60 02 80 04 80", Errc::missing_field,
               {"agent-info-event", "state-token"});
  expect_error("444d a3 00 03 01 00 03 60", Errc::missing_field,
               {"data-channel-open-request", "label"});
  expect_error("444d a3 01 00 02 60 03 60", Errc::missing_field,
               {"data-channel-open-request", "request-id"});
  expect_error("444d a3 00 03 02 60 03 60", Errc::missing_field,
               {"data-channel-open-request", "channel-id"});
  expect_error("444e a1 00 03", Errc::missing_field, {"data-channel-open-response", "result"});
  expect_error("444e a1 01 01", Errc::missing_field, {"data-channel-open-response", "request-id"});
  expect_error("18 a1 00 01", Errc::missing_field, {"data-frame", "payload"});
  expect_error("18 a1 04 40", Errc::missing_field, {"data-frame", "encoding-id"});
  expect_error("18 a0", Errc::missing_field, {"data-frame"});
  expect_error("43ec a0", Errc::missing_field, {"auth-status", "result"});
  expect_error("43eb a0", Errc::missing_field, {"auth-spake2-confirmation", "confirmation-value"});
  expect_error("43ed a2 00 a0 02 40", Errc::missing_field, {"auth-spake2-handshake", "psk-status"});
  expect_error("43e9 a2 01 80 02 14", Errc::missing_field,
               {"auth-capabilities", "psk-ease-of-input"});
  // Text keys do not stand in for integer keys.
  expect_error("0a a1 61 30 01", Errc::missing_field, {"agent-info-request", "request-id"});
}

TEST(CodecErrors, EveryTruncationIsAnError) {
  for (const char* example : kExamples) {
    const auto bytes = unhex(example);
    for (std::size_t n = 0; n < bytes.size(); ++n) {
      SCOPED_TRACE(std::string(example) + " cut to " + std::to_string(n) + " bytes");
      const auto decoded = decode(std::span(bytes).first(n));
      ASSERT_FALSE(decoded.has_value()) << describe_result(decoded);
      EXPECT_EQ(decoded.error().code, Errc::truncated) << decoded.error().describe();
    }
  }
}

TEST(CodecErrors, TrailingBytesAreAnError) {
  for (const char* example : kExamples) {
    for (const char* trailer : {"00", "ff", "0aa10001", "a0"}) {
      SCOPED_TRACE(std::string(example) + " + " + trailer);
      const auto bytes = test::concat({unhex(example), unhex(trailer)});
      const auto decoded = decode(bytes);
      ASSERT_FALSE(decoded.has_value()) << describe_result(decoded);
      EXPECT_EQ(decoded.error().code, Errc::malformed) << decoded.error().describe();
    }
  }
}

TEST(CodecErrors, DuplicateKeysAreAnError) {
  for (const char* text : {
           "0a a2 00 01 00 02",
           "0a a2 00 01 00 01",
           "444d a5 00 03 01 00 02 60 03 60 02 60",
           "18 a3 00 01 04 40 04 41 00",
           "43ed a4 00 a0 01 00 02 40 01 00",
           "4078 a1 00 a6 00 60 01 60 02 80 03 60 04 80 00 60",
           "43ed a2 00 a2 00 60 00 60 01 00",
           "0a bf 00 01 00 01 ff",
       }) {
    SCOPED_TRACE(text);
    const auto decoded = decode_hex(text);
    ASSERT_FALSE(decoded.has_value()) << describe_result(decoded);
    EXPECT_EQ(decoded.error().code, Errc::malformed) << decoded.error().describe();
  }
}

class LargestAllocation {
 public:
  LargestAllocation() {
    g_largest_allocation = 0;
    g_tracking = true;
  }
  ~LargestAllocation() { g_tracking = false; }
  LargestAllocation(const LargestAllocation&) = delete;
  LargestAllocation& operator=(const LargestAllocation&) = delete;
  [[nodiscard]] std::size_t bytes() const { return g_largest_allocation; }
};

TEST(CodecErrors, AllocationTrackerWorks) {
  // Guards the tracker: a real 1 MiB byte string does get allocated when copied.
  std::vector<std::uint8_t> body = unhex("43eb a1 00 5a00100000");
  body.resize(body.size() + (std::size_t{1} << 20), 0x5a);
  LargestAllocation tracker;
  const auto decoded = decode(body);
  ASSERT_TRUE(decoded.has_value()) << describe_result(decoded);
  EXPECT_GE(tracker.bytes(), std::size_t{1} << 20);
}

TEST(CodecErrors, LengthsBeyondTheInputFailWithoutAllocating) {
  for (const char* text : {
           "18 a2 00 01 04 5b ffffffffffffffff",        // payload of 2^64-1 bytes
           "18 a2 00 01 04 5a ffffffff 00",             // payload of 2^32-1 bytes
           "18 a2 00 01 04 5f 5b ffffffffffffffff ff",  // indefinite payload, one huge chunk
           "43eb a1 00 5b ffffffffffffffff",            // confirmation-value
           "43ed a3 00 a0 01 00 02 5b 7fffffffffffffff",
           "444d a4 00 03 01 00 02 7b ffffffffffffffff",  // label
           "444d a4 00 03 01 00 02 7f 7b ffffffffffffffff ff",
           "0b a2 00 01 01 a5 00 60 01 60 02 9b ffffffffffffffff",  // capabilities: 2^64-1 items
           "0b a2 00 01 01 a5 00 60 01 60 02 80 03 60 04 9b ffffffffffffffff",
           "43e9 a3 00 00 01 9a ffffffff 02 14",
           "0a bb ffffffffffffffff",                 // map of 2^64-1 pairs
           "0a a2 00 01 61 78 9b ffffffffffffffff",  // inside an extension field
           "0a a2 00 01 61 78 bb ffffffffffffffff", "0a a2 00 01 61 78 5b ffffffffffffffff",
           "0a a2 00 01 7b ffffffffffffffff",  // a text key
       }) {
    SCOPED_TRACE(text);
    const auto bytes = unhex(text);
    LargestAllocation tracker;
    expect_error_in(bytes, {Errc::truncated, Errc::too_large, Errc::malformed});
    EXPECT_LT(tracker.bytes(), std::size_t{1} << 20) << "decode allocated " << tracker.bytes();
  }
}

std::vector<std::uint8_t> nested(std::string_view prefix_hex, std::uint8_t opener,
                                 std::size_t depth, std::string_view inner_hex,
                                 std::string_view suffix_hex = "") {
  auto bytes = unhex(prefix_hex);
  bytes.insert(bytes.end(), depth, opener);
  const auto inner = unhex(inner_hex);
  bytes.insert(bytes.end(), inner.begin(), inner.end());
  const auto suffix = unhex(suffix_hex);
  for (std::size_t i = 0; i < depth && !suffix.empty(); ++i) {
    bytes.insert(bytes.end(), suffix.begin(), suffix.end());
  }
  return bytes;
}

TEST(CodecErrors, DepthBombsFailWithoutOverflowingTheStack) {
  constexpr std::size_t kBomb = 10000;
  // In an extension field: 10 000 nested arrays, indefinite arrays, maps and tags.
  expect_error_in(nested("0a a2 00 01 6178", 0x81, kBomb, "00"), {Errc::too_deep, Errc::malformed});
  expect_error_in(nested("0a a2 00 01 6178", 0x9f, kBomb, "00", "ff"),
                  {Errc::too_deep, Errc::malformed});
  expect_error_in(nested("0a a2 00 01 6178", 0xc1, kBomb, "00"), {Errc::too_deep, Errc::malformed});
  {
    // {0: {0: {0: ...}}}
    auto bytes = unhex("0a a2 00 01 6178");
    for (std::size_t i = 0; i < kBomb; ++i) bytes.insert(bytes.end(), {0xa1, 0x00});
    bytes.push_back(0x00);
    expect_error_in(bytes, {Errc::too_deep, Errc::malformed});
  }
  // In an unknown integer key, in an unknown key of a nested map, and as a known field's value.
  expect_error_in(nested("0a a2 00 01 07", 0x81, kBomb, "00"), {Errc::too_deep, Errc::malformed});
  expect_error_in(nested("0b a2 00 01 01 a6 00 60 01 60 02 80 03 60 04 80 09", 0x81, kBomb, "00"),
                  {Errc::too_deep, Errc::malformed});
  expect_error_in(nested("0a a1 00", 0xc1, kBomb, "01"),
                  {Errc::too_deep, Errc::malformed, Errc::wrong_type});
  expect_error_in(nested("18 a2 00 01 04", 0xc1, kBomb, "40"),
                  {Errc::too_deep, Errc::malformed, Errc::wrong_type});
  // Cut short (the bomb's closing items never arrive).
  expect_error_in(nested("0a a2 00 01 6178", 0x81, kBomb, ""),
                  {Errc::too_deep, Errc::malformed, Errc::truncated});
  // A text key whose value is a bomb, and a bomb used as a map key.
  expect_error_in(nested("0a a2 00 01", 0x81, kBomb, "00", ""), {Errc::too_deep, Errc::malformed});
}

TEST(CodecErrors, DepthAtTheLimitIsAccepted) {
  // The top-level map and kMaxCborDepth - 1 arrays: kMaxCborDepth levels in all.
  const auto bytes = nested("0a a2 00 01 6178", 0x81, kMaxCborDepth - 1, "00");
  const auto decoded = decode(bytes);
  ASSERT_TRUE(decoded.has_value()) << describe_result(decoded);
  EXPECT_EQ(decoded.value(), Message{AgentInfoRequest{1}});
}

TEST(CodecErrors, DepthJustOverTheLimitIsTooDeep) {
  // kMaxCborDepth arrays nested inside an extension value of the top-level map go past the limit
  // (the map itself is one level).
  expect_error_in(nested("0a a2 00 01 6178", 0x81, kMaxCborDepth, "00"), {Errc::too_deep});
  expect_error_in(nested("0a a2 00 01 6178", 0x81, 100, "00"), {Errc::too_deep});
}

TEST(CodecErrors, MalformedCbor) {
  for (const char* text : {
           "0a a2 00 01 ff 00",  // break as a key of a definite map
           "0a a1 00 1c",        // reserved additional information 28..30
           "0a a1 00 1d",
           "0a a1 00 1e",
           "0a a1 00 1f",             // indefinite unsigned integer
           "0a a1 00 3f",             // indefinite negative integer
           "0a a2 00 01 6178 df 00",  // indefinite tag
           "0a a2 00 01 6178 5c",     // reserved byte string length
           "0a a2 00 01 6178 7d",
           "0a a2 00 01 6178 9e",
           "0a a2 00 01 6178 be",
           "0a a2 00 01 6178 dc 00",
           "0a a2 00 01 6178 fc",         // reserved simple-value encodings
           "18 a2 00 01 04 5f 61 61 ff",  // text chunk inside the payload
           "444d a4 00 03 01 00 02 7f 41 61 ff 03 60",
           "0a bf 00 01 6178 ff",  // indefinite map ending after a key
           "0a a3 00 01 ff",
       }) {
    SCOPED_TRACE(text);
    const auto bytes = unhex(text);
    expect_error_in(bytes, {Errc::malformed});
  }
}

TEST(CodecErrors, StrayBreakIsMalformed) {
  // A break outside an indefinite-length item is not well-formed CBOR (RFC 8949 §3.2.1): it is
  // not a data item of the wrong type.
  for (const char* text :
       {"0a ff", "0a a1 00 ff", "444d a4 00 ff 01 00 02 60 03 60", "18 a2 00 01 04 ff"}) {
    SCOPED_TRACE(text);
    expect_error_in(unhex(text), {Errc::malformed});
  }
}

TEST(CodecErrors, BadChunksInSkippedIndefiniteStringsAreMalformed) {
  // RFC 8949 §3.2.3: the chunks of an indefinite-length string are definite strings of the same
  // major type. Inside an extension field (skipped, not read) too: the StreamReader rejects these.
  for (const char* text : {
           "0a a2 00 01 6178 5f 61 61 ff",  // text chunk inside an indefinite byte string
           "0a a2 00 01 6178 7f 41 61 ff",  // byte chunk inside an indefinite text string
           "0a a2 00 01 6178 5f 5f ff ff",  // nested indefinite byte strings
           "0a a2 00 01 6178 5f 01 ff",     // an integer chunk
           "0a a2 00 01 07 7f 81 00 ff",    // an array chunk, in an unknown integer key
       }) {
    SCOPED_TRACE(text);
    expect_error_in(unhex(text), {Errc::malformed});
  }
}

TEST(CodecErrors, TwoByteSimpleValuesBelow32AreMalformed) {
  // RFC 8949 §3.3: f8 followed by a byte < 0x20 is not well-formed.
  expect_error_in(unhex("0a a2 00 01 6178 f8 00"), {Errc::malformed});
  expect_error_in(unhex("0a a2 00 01 6178 f8 1f"), {Errc::malformed});
}

TEST(CodecErrors, MalformedTypeKeys) {
  expect_error_in(std::vector<std::uint8_t>{}, {Errc::truncated});
  expect_error_in(unhex("43"), {Errc::truncated});
  expect_error_in(unhex("800182"), {Errc::truncated});
  expect_error_in(unhex("c0000000000000"), {Errc::truncated});
}

}  // namespace
}  // namespace lp2p::wire
