// Decoders are liberal in what they accept (codec.hpp, osp-brief §3.1, §7 #21): unknown integer
// keys, text-keyed extension fields, keys in any order, null for arrays and byte strings,
// indefinite lengths, non-minimal integer heads and varint type keys.
#include <gtest/gtest.h>

#include <cstdint>
#include <memory>
#include <string>
#include <vector>

#include "test_support.hpp"
#include "wire/codec.hpp"
#include "wire/messages.hpp"

namespace lp2p::wire {
namespace {

using test::describe_result;
using test::hex;
using test::unhex;

// Decodes `hex_text` and expects `expected`.
void expect_decodes(std::string_view hex_text, const Message& expected) {
  SCOPED_TRACE(hex_text);
  const auto bytes = unhex(hex_text);
  const auto decoded = decode(bytes);
  ASSERT_TRUE(decoded.has_value()) << describe_result(decoded);
  EXPECT_EQ(decoded.value(), expected);
  // Whatever was accepted re-encodes canonically.
  EXPECT_EQ(hex(encode(decoded.value())), hex(test::ref_encode(expected)));
}

TEST(CodecLiberal, IgnoresUnknownIntegerKeys) {
  // agent-info-request {0: 1, 5: [1, 2]}
  expect_decodes("0a a2 00 01 05 820102", AgentInfoRequest{1});
  // Unknown key first, with a nested map value, and a 2-byte key 1000.
  expect_decodes("0a a3 07 a1 01 81 02 00 01 1903e8 f5", AgentInfoRequest{1});
}

TEST(CodecLiberal, IgnoresUnknownKeysInsideDataFrames) {
  // data-frame with OSP's optional keys 1, 2, 3 and 5 (sequence-number, start-time, duration,
  // sync-time), which LP2P does not use.
  const auto bytes = unhex("18 a6 00 02 01 05 02 1a00010000 03 00 04 41aa 05 82 00 00");
  const auto decoded = decode(bytes);
  const auto* frame = test::get_if_message<DataFrame>(decoded);
  ASSERT_NE(frame, nullptr) << describe_result(decoded);
  EXPECT_EQ(frame->encoding_id, EncodingId::array_buffer);
  EXPECT_EQ(hex(frame->payload), "aa");
}

TEST(CodecLiberal, IgnoresUnknownKeysInNestedMaps) {
  // agent-info-response whose agent-info has an extra key 9 and status with an extra key 1.
  expect_decodes("0b a2 00 01 01 a6 00 6141 01 6142 02 80 03 6143 04 80 09 a1 00 9f 01 ff",
                 AgentInfoResponse{1, AgentInfo{"A", "B", {}, "C", {}}});
  expect_decodes("0d a2 00 02 01 a2 01 00 00 62 6f6b", AgentStatusResponse{2, Status{"ok"}});
}

TEST(CodecLiberal, IgnoresTextKeyedExtensionFieldsWithNestedValues) {
  // {0: 1, "ext": {"a": [1, [_ 2], {"b": h'00'}], "c": 1(2), "d": 1.5, "e": true, "f": null}}
  expect_decodes(
      "0a a2"
      "00 01"
      "63 657874"
      "a5"
      "  61 61 83 01 9f 02 ff a1 61 62 41 00"
      "  61 63 c1 02"
      "  61 64 f9 3e00"
      "  61 65 f5"
      "  61 66 f6",
      AgentInfoRequest{1});
  // Extension fields before and between the integer keys, with indefinite-length values.
  expect_decodes(
      "444d a6"
      "6178 7f 6161 6162 ff"
      "00 03 01 00"
      "6179 5f 4101 4102 ff"
      "02 64 63686174 03 60",
      DataChannelOpenRequest{3, 0, "chat", ""});
  // A 64-bit float and a negative integer as extension values; an extension in auth-capabilities.
  expect_decodes("43e9 a4 00 18 32 01 81 00 02 14 6178 fb 3ff0000000000000",
                 AuthCapabilities{50, {PskInputMethod::numeric}, 20});
  expect_decodes("43ec a2 6178 38ff 00 00", AuthStatus{AuthStatusResult::authenticated});
}

TEST(CodecLiberal, IgnoresTwoByteSimpleValuesInExtensions) {
  // f8 20..f8 ff are well-formed (unassigned) simple values (RFC 8949 §3.3); an extension field
  // holding one is ignored like any other.
  expect_decodes("0a a2 00 01 6178 f8 20", AgentInfoRequest{1});
  expect_decodes("0a a2 00 01 6178 82 f8 ff f7", AgentInfoRequest{1});
}

TEST(CodecLiberal, AcceptsModeratelyNestedExtensionValues) {
  // Nesting 8 deep inside an extension field is well under the limit.
  expect_decodes("0a a2 00 01 6178 81 81 81 81 81 81 81 81 00", AgentInfoRequest{1});
  expect_decodes("0a a2 00 01 6178 c1 c1 c1 c1 00", AgentInfoRequest{1});
}

TEST(CodecLiberal, AcceptsKeysInAnyOrder) {
  expect_decodes("444d a4 03 60 02 64 63686174 01 00 00 03",
                 DataChannelOpenRequest{3, 0, "chat", ""});
  expect_decodes("43e9 a3 02 14 00 18 32 01 81 00",
                 AuthCapabilities{50, {PskInputMethod::numeric}, 20});
  expect_decodes("444e a2 01 01 00 03", DataChannelOpenResponse{3, ResultCode::success});
  expect_decodes("43ed a3 02 41 04 01 01 00 a1 00 61 54",
                 AuthSpake2Handshake{AuthInitiationToken{"T"}, PskStatus::psk_shown, Bytes{0x04}});
  expect_decodes("0b a2 01 a5 04 80 03 6143 02 80 01 6142 00 6141 00 09",
                 AgentInfoResponse{9, AgentInfo{"A", "B", {}, "C", {}}});

  const auto bytes = unhex("18 a2 04 43 010203 00 00");
  const auto decoded = decode(bytes);
  const auto* frame = test::get_if_message<DataFrame>(decoded);
  ASSERT_NE(frame, nullptr) << describe_result(decoded);
  EXPECT_EQ(frame->encoding_id, EncodingId::blob);
  EXPECT_EQ(hex(frame->payload), "010203");
}

TEST(CodecLiberal, NullArraysDecodeAsEmpty) {
  // agent-info with null capabilities and null locales (go-lp2p, osp-brief §7 #21).
  expect_decodes("4078 a1 00 a5 00 6141 01 6142 02 f6 03 6143 04 f6",
                 AgentInfoEvent{AgentInfo{"A", "B", {}, "C", {}}});
  expect_decodes("43e9 a3 00 00 01 f6 02 14", AuthCapabilities{0, {}, 20});
}

TEST(CodecLiberal, NullByteStringsDecodeAsEmpty) {
  // public-value null: present but empty (not nullopt).
  expect_decodes("43ed a3 00 a0 01 00 02 f6",
                 AuthSpake2Handshake{AuthInitiationToken{std::nullopt},
                                     PskStatus::psk_needs_presentation, Bytes{}});
  expect_decodes("43eb a1 00 f6", AuthSpake2Confirmation{Bytes{}});

  const auto bytes = unhex("18 a2 00 02 04 f6");
  const auto decoded = decode(bytes);
  const auto* frame = test::get_if_message<DataFrame>(decoded);
  ASSERT_NE(frame, nullptr) << describe_result(decoded);
  EXPECT_EQ(frame->encoding_id, EncodingId::array_buffer);
  EXPECT_TRUE(frame->payload.empty());
  EXPECT_EQ(hex(encode(decoded.value())), "18a200020440");
}

TEST(CodecLiberal, MissingPublicValueIsNullopt) {
  const auto decoded = decode(unhex("43ed a2 00 a1 00 61 54 01 00"));
  const auto* handshake = test::get_if_message<AuthSpake2Handshake>(decoded);
  ASSERT_NE(handshake, nullptr) << describe_result(decoded);
  EXPECT_FALSE(handshake->public_value.has_value());
  EXPECT_EQ(handshake->initiation_token.token, std::optional<std::string>("T"));
  EXPECT_EQ(handshake->psk_status, PskStatus::psk_needs_presentation);
  // and it re-encodes without key 2
  EXPECT_EQ(hex(encode(decoded.value())), "43eda200a10061540100");
}

TEST(CodecLiberal, AgentStatusStatusIsOptional) {
  expect_decodes("0c a1 00 05", AgentStatusRequest{5, std::nullopt});
  expect_decodes("0d a1 00 05", AgentStatusResponse{5, std::nullopt});
  expect_decodes("0c a2 01 a1 00 62 6f6b 00 05", AgentStatusRequest{5, Status{"ok"}});
}

TEST(CodecLiberal, MissingModelNameIsAccepted) {
  // model-name is optional in prose (osp-brief §7 #21).
  expect_decodes("4078 a1 00 a4 00 6141 02 80 03 6143 04 80",
                 AgentInfoEvent{AgentInfo{"A", "", {}, "C", {}}});
}

TEST(CodecLiberal, KeepsUnknownCapabilityIds) {
  // receive-data 9 (capabilities.md only), 99999 and 2^64-1.
  const auto decoded =
      decode(unhex("4078 a1 00 a5 00 60 01 60 02 83 09 1a0001869f 1bffffffffffffffff 03 60 04 80"));
  const auto* event = test::get_if_message<AgentInfoEvent>(decoded);
  ASSERT_NE(event, nullptr) << describe_result(decoded);
  ASSERT_EQ(event->agent_info.capabilities.size(), 3U);
  EXPECT_EQ(static_cast<std::uint64_t>(event->agent_info.capabilities[0]), 9U);
  EXPECT_EQ(static_cast<std::uint64_t>(event->agent_info.capabilities[1]), 99999U);
  EXPECT_EQ(static_cast<std::uint64_t>(event->agent_info.capabilities[2]), ~std::uint64_t{0});
}

TEST(CodecLiberal, AcceptsIndefiniteLengthMapsArraysAndStrings) {
  // Indefinite map, indefinite text chunks.
  expect_decodes("444d bf 00 03 01 00 02 7f 62 6368 62 6174 ff 03 7f ff ff",
                 DataChannelOpenRequest{3, 0, "chat", ""});
  // Indefinite arrays inside an indefinite agent-info map; an indefinite locale string.
  expect_decodes(
      "0b bf 00 01 01 bf 00 6141 01 6142 02 9f 19044c 1904b0 ff 03 6143 04 9f 7f 62656e 632d5553 "
      "ff ff ff ff",
      AgentInfoResponse{
          1, AgentInfo{"A",
                       "B",
                       {AgentCapability::data_channels, AgentCapability::quick_transport},
                       "C",
                       {"en-US"}}});
  // Indefinite byte strings for public-value and confirmation-value; empty indefinite array.
  expect_decodes("43ed bf 00 bf ff 01 01 02 5f 41 04 42 0102 ff ff",
                 AuthSpake2Handshake{AuthInitiationToken{std::nullopt}, PskStatus::psk_shown,
                                     Bytes{0x04, 0x01, 0x02}});
  expect_decodes("43eb a1 00 5f 42 abcd 40 41 ef ff",
                 AuthSpake2Confirmation{Bytes{0xab, 0xcd, 0xef}});
  expect_decodes("43e9 a3 00 00 01 9f ff 02 14", AuthCapabilities{0, {}, 20});
  expect_decodes("43e9 a3 00 00 01 9f 00 01 ff 02 14",
                 AuthCapabilities{0, {PskInputMethod::numeric, PskInputMethod::qr_code}, 20});
}

TEST(CodecLiberal, IndefiniteDataFramePayloadIsJoinedIntoStorage) {
  auto input = std::make_unique<std::vector<std::uint8_t>>(
      unhex("18 a2 00 01 04 5f 42 6865 40 43 6c6c6f ff"));
  auto decoded = decode(*input);
  ASSERT_TRUE(decoded.has_value()) << describe_result(decoded);
  auto* frame = std::get_if<DataFrame>(&decoded.value());
  ASSERT_NE(frame, nullptr);
  ASSERT_NE(frame->payload_storage, nullptr);
  EXPECT_EQ(frame->payload.data(), frame->payload_storage->data());
  EXPECT_EQ(frame->payload.size(), frame->payload_storage->size());
  EXPECT_EQ(frame->text(), "hello");

  // The joined payload does not depend on the input any more...
  input.reset();
  EXPECT_EQ(frame->text(), "hello");
  // ... and copies of the frame share the storage, so they outlive the original.
  const DataFrame copy = *frame;
  decoded = decode(unhex("0aa10001"));
  EXPECT_EQ(copy.text(), "hello");
  EXPECT_EQ(copy.payload.data(), copy.payload_storage->data());
  EXPECT_EQ(hex(encode(Message{copy})), "18a20001044568656c6c6f");
}

TEST(CodecLiberal, EmptyIndefiniteDataFramePayload) {
  const auto decoded = decode(unhex("18 a2 00 00 04 5f ff"));
  const auto* frame = test::get_if_message<DataFrame>(decoded);
  ASSERT_NE(frame, nullptr) << describe_result(decoded);
  EXPECT_TRUE(frame->payload.empty());
  EXPECT_EQ(frame->encoding_id, EncodingId::blob);
}

TEST(CodecLiberal, DefiniteDataFramePayloadInsideAnIndefiniteMapIsAView) {
  const auto bytes = unhex("18 bf 00 01 04 45 68656c6c6f 6178 00 ff");
  const auto decoded = decode(bytes);
  const auto* frame = test::get_if_message<DataFrame>(decoded);
  ASSERT_NE(frame, nullptr) << describe_result(decoded);
  EXPECT_EQ(frame->text(), "hello");
  EXPECT_EQ(frame->payload.data(), bytes.data() + 6);
}

TEST(CodecLiberal, AcceptsNonMinimalIntegerHeads) {
  // request-id 1 in 2, 3, 5 and 9 bytes; key 0 in 2 bytes.
  expect_decodes("0a a1 00 1801", AgentInfoRequest{1});
  expect_decodes("0a a1 00 190001", AgentInfoRequest{1});
  expect_decodes("0a a1 00 1a00000001", AgentInfoRequest{1});
  expect_decodes("0a a1 00 1b0000000000000001", AgentInfoRequest{1});
  expect_decodes("0a a1 1800 01", AgentInfoRequest{1});
  expect_decodes("0a a1 1b0000000000000000 01", AgentInfoRequest{1});
  // Non-minimal map, array and string length heads.
  expect_decodes("0a b801 00 01", AgentInfoRequest{1});
  expect_decodes("43e9 b90003 00 1832 01 9a00000001 00 02 1814",
                 AuthCapabilities{50, {PskInputMethod::numeric}, 20});
  expect_decodes("444d a4 00 03 01 00 02 7804 63686174 03 790000",
                 DataChannelOpenRequest{3, 0, "chat", ""});
  expect_decodes("43eb a1 00 5b0000000000000002 abcd", AuthSpake2Confirmation{Bytes{0xab, 0xcd}});
}

TEST(CodecLiberal, AcceptsNonMinimalVarintTypeKeys) {
  expect_decodes("400a a1 00 01", AgentInfoRequest{1});
  expect_decodes("8000000a a1 00 01", AgentInfoRequest{1});
  expect_decodes("c00000000000000a a1 00 01", AgentInfoRequest{1});
  expect_decodes("800003e9 a3 00 1832 01 81 00 02 14",
                 AuthCapabilities{50, {PskInputMethod::numeric}, 20});
  expect_decodes("c0000000000003ec a1 00 00", AuthStatus{AuthStatusResult::authenticated});
  // agent-info-event (120) as go-lp2p writes 2-byte keys.
  expect_decodes("4078 a1 00 a5 00 60 01 60 02 80 03 60 04 80", AgentInfoEvent{AgentInfo{}});
  // data-frame (24) in 2 bytes: the payload is still a view.
  const auto bytes = unhex("4018 a2 00 01 04 45 68656c6c6f");
  const auto decoded = decode(bytes);
  const auto* frame = test::get_if_message<DataFrame>(decoded);
  ASSERT_NE(frame, nullptr) << describe_result(decoded);
  EXPECT_EQ(frame->text(), "hello");
  EXPECT_EQ(frame->payload.data(), bytes.data() + 7);
}

}  // namespace
}  // namespace lp2p::wire
