// The wire examples of osp-brief.md §3.2 (and a few more built the same way): each decodes to the
// stated fields and re-encodes to exactly the same bytes.
#include <gtest/gtest.h>

#include <cstdint>
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

// P-256 generator in uncompressed form (65 bytes, 04 ‖ x ‖ y).
constexpr const char* kP256Generator =
    "046b17d1f2e12c4247f8bce6e563a440f277037d812deb33a0f4a13945d898c296"
    "4fe342e2fe1a7f9b8ee7eb4a7c0f9e162bce33576b315ececbb6406837bf51f5";

// The agent-info used by the agent-info-response/-event examples:
// {0: "TV", 1: "lp2p", 2: [1100, 1200], 3: "aB3dE6gH", 4: ["en-US"]}
constexpr const char* kAgentInfoHex =
    "a5"
    "00 62 5456"
    "01 64 6c703270"
    "02 82 19044c 1904b0"
    "03 68 6142336445366748"
    "04 81 65 656e2d5553";

AgentInfo example_agent_info() {
  return AgentInfo{"TV",
                   "lp2p",
                   {AgentCapability::data_channels, AgentCapability::quick_transport},
                   "aB3dE6gH",
                   {"en-US"}};
}

struct Golden {
  std::string name;
  std::string hex_text;
  Message message;
};

std::vector<Golden> goldens() {
  return {
      {"agent-info-request id 1", "0aa10001", AgentInfoRequest{1}},
      {"agent-status-request id 2", "0ca10002", AgentStatusRequest{2, std::nullopt}},
      {"auth-capabilities {ease 50, [numeric], 20 bits}", "43e9a30018320181000214",
       AuthCapabilities{50, {PskInputMethod::numeric}, 20}},
      {"auth-status authenticated", "43eca10000", AuthStatus{AuthStatusResult::authenticated}},
      {"data-channel-open-request {3, 0, chat, empty}", "444da4000301000264636861740360",
       DataChannelOpenRequest{3, 0, "chat", ""}},
      {"data-channel-open-response {3, success}", "444ea200030101",
       DataChannelOpenResponse{3, ResultCode::success}},
      {"auth-spake2-handshake {Ab3+9xYz/, psk-shown, P-256 G}",
       std::string("43eda300a100694162332b3978597a2f0101025841") + kP256Generator,
       AuthSpake2Handshake{AuthInitiationToken{"Ab3+9xYz/"}, PskStatus::psk_shown,
                           unhex(kP256Generator)}},
      // Built from the CDDL the same way as the brief's examples.
      {"agent-info-response {7, agent-info}", std::string("0ba2000701") + kAgentInfoHex,
       AgentInfoResponse{7, example_agent_info()}},
      {"agent-info-event {agent-info}", std::string("4078a100") + kAgentInfoHex,
       AgentInfoEvent{example_agent_info()}},
      {"agent-status-response {5, status ok}", "0d a2 00 05 01 a1 00 62 6f6b",
       AgentStatusResponse{5, Status{"ok"}}},
      {"agent-status-request {2, status empty}", "0ca2000201a10060",
       AgentStatusRequest{2, Status{""}}},
      {"auth-spake2-handshake {no token, needs-presentation, no public-value}", "43eda200a00100",
       AuthSpake2Handshake{AuthInitiationToken{std::nullopt}, PskStatus::psk_needs_presentation,
                           std::nullopt}},
      {"auth-spake2-handshake {no token, psk-input, empty public-value}", "43eda300a001020240",
       AuthSpake2Handshake{AuthInitiationToken{std::nullopt}, PskStatus::psk_input, Bytes{}}},
      {"auth-spake2-confirmation {32 bytes}",
       "43eba1005820000102030405060708090a0b0c0d0e0f101112131415161718191a1b1c1d1e1f",
       AuthSpake2Confirmation{
           unhex("000102030405060708090a0b0c0d0e0f101112131415161718191a1b1c1d1e1f")}},
      {"auth-status proof-invalid", "43eca10005", AuthStatus{AuthStatusResult::proof_invalid}},
      {"auth-capabilities {0, [], 60}", "43e9 a3 00 00 01 80 02 183c", AuthCapabilities{0, {}, 60}},
      {"data-channel-open-response {65536, permanent-error}", "444e a2 00 1a00010000 01 1866",
       DataChannelOpenResponse{65536, ResultCode::permanent_error}},
      {"data-channel-open-request {2^64-1, 65534, é, proto}",
       "444d a4 00 1bffffffffffffffff 01 19fffe 02 62c3a9 03 6570726f746f",
       DataChannelOpenRequest{~std::uint64_t{0}, 65534, "\xc3\xa9", "proto"}},
  };
}

TEST(CodecGolden, DecodesToTheStatedFields) {
  for (const auto& golden : goldens()) {
    SCOPED_TRACE(golden.name);
    const auto bytes = unhex(golden.hex_text);
    const auto decoded = decode(bytes);
    ASSERT_TRUE(decoded.has_value()) << describe_result(decoded);
    EXPECT_EQ(decoded.value(), golden.message);
    EXPECT_EQ(type_key_of(decoded.value()), type_key_of(golden.message));
  }
}

TEST(CodecGolden, EncodesToTheExactBytes) {
  for (const auto& golden : goldens()) {
    SCOPED_TRACE(golden.name);
    const auto expected = hex(unhex(golden.hex_text));
    EXPECT_EQ(hex(encode(golden.message)), expected);
    // The test's own reference encoder agrees (guards the golden table itself).
    EXPECT_EQ(hex(test::ref_encode(golden.message)), expected);
  }
}

TEST(CodecGolden, ReEncodingTheDecodedMessageGivesTheSameBytes) {
  for (const auto& golden : goldens()) {
    SCOPED_TRACE(golden.name);
    const auto bytes = unhex(golden.hex_text);
    const auto decoded = decode(bytes);
    ASSERT_TRUE(decoded.has_value()) << describe_result(decoded);
    EXPECT_EQ(hex(encode(decoded.value())), hex(bytes));
  }
}

TEST(CodecGolden, DecodeBodyTakesTheBodyAlone) {
  for (const auto& golden : goldens()) {
    SCOPED_TRACE(golden.name);
    const auto bytes = unhex(golden.hex_text);
    const auto key = decode_varint(bytes);
    ASSERT_TRUE(key.has_value());
    const auto decoded = decode_body(key->value, std::span(bytes).subspan(key->length));
    ASSERT_TRUE(decoded.has_value()) << describe_result(decoded);
    EXPECT_EQ(decoded.value(), golden.message);
  }
}

TEST(CodecGolden, DataFrameHelloIsAViewIntoTheInput) {
  const auto bytes = unhex("18a20001044568656c6c6f");
  const auto decoded = decode(bytes);
  ASSERT_TRUE(decoded.has_value()) << describe_result(decoded);
  const auto* frame = std::get_if<DataFrame>(&decoded.value());
  ASSERT_NE(frame, nullptr);
  EXPECT_EQ(frame->encoding_id, EncodingId::string);
  EXPECT_EQ(frame->text(), "hello");
  ASSERT_EQ(frame->payload.size(), 5U);
  // No copy: the payload is the last 5 bytes of the input.
  EXPECT_EQ(frame->payload.data(), bytes.data() + 6);
  EXPECT_EQ(hex(encode(decoded.value())), "18a20001044568656c6c6f");

  const std::string hello = "hello";
  const DataFrame built{
      EncodingId::string,
      std::span(reinterpret_cast<const std::uint8_t*>(hello.data()), hello.size()), nullptr};
  EXPECT_EQ(hex(encode(Message{built})), "18a20001044568656c6c6f");
}

TEST(CodecGolden, AgentInfoCarriesCapabilitiesAndLocales) {
  const auto bytes = unhex(std::string("0ba2000701") + kAgentInfoHex);
  const auto decoded = decode(bytes);
  const auto* response = test::get_if_message<AgentInfoResponse>(decoded);
  ASSERT_NE(response, nullptr) << describe_result(decoded);
  EXPECT_EQ(response->request_id, 7U);
  EXPECT_EQ(response->agent_info.display_name, "TV");
  EXPECT_EQ(response->agent_info.model_name, "lp2p");
  ASSERT_EQ(response->agent_info.capabilities.size(), 2U);
  EXPECT_EQ(static_cast<std::uint64_t>(response->agent_info.capabilities[0]), 1100U);
  EXPECT_EQ(static_cast<std::uint64_t>(response->agent_info.capabilities[1]), 1200U);
  EXPECT_EQ(response->agent_info.state_token, "aB3dE6gH");
  ASSERT_EQ(response->agent_info.locales.size(), 1U);
  EXPECT_EQ(response->agent_info.locales[0], "en-US");
}

TEST(CodecGolden, SpakeHandshakeFields) {
  const auto bytes =
      unhex(std::string("43eda300a100694162332b3978597a2f0101025841") + kP256Generator);
  ASSERT_EQ(bytes.size(), 21U + 65U);
  const auto decoded = decode(bytes);
  const auto* handshake = test::get_if_message<AuthSpake2Handshake>(decoded);
  ASSERT_NE(handshake, nullptr) << describe_result(decoded);
  ASSERT_TRUE(handshake->initiation_token.token.has_value());
  EXPECT_EQ(*handshake->initiation_token.token, "Ab3+9xYz/");
  EXPECT_EQ(handshake->psk_status, PskStatus::psk_shown);
  ASSERT_TRUE(handshake->public_value.has_value());
  ASSERT_EQ(handshake->public_value->size(), 65U);
  EXPECT_EQ(handshake->public_value->front(), 0x04);
  EXPECT_EQ(hex(*handshake->public_value), kP256Generator);
}

TEST(CodecGolden, UnknownTypeKey99001) {
  // go-lp2p's private "need PSK" message: 4-byte varint 800182b9, body {0: "Ab3+9xYz/"}.
  const auto bytes = unhex("800182b9 a1 00 69 4162332b3978597a2f");
  const auto key = decode_varint(bytes);
  ASSERT_TRUE(key.has_value());
  EXPECT_EQ(key->value, 99001U);
  EXPECT_EQ(key->length, 4U);
  EXPECT_FALSE(type_name(99001).has_value());

  const auto decoded = decode(bytes);
  ASSERT_FALSE(decoded.has_value()) << describe_result(decoded);
  EXPECT_EQ(decoded.error().code, Errc::unknown_type_key) << decoded.error().describe();
  EXPECT_NE(decoded.error().message.find("99001"), std::string::npos) << decoded.error().describe();

  const auto body = decode_body(99001, std::span(bytes).subspan(4));
  ASSERT_FALSE(body.has_value());
  EXPECT_EQ(body.error().code, Errc::unknown_type_key);
}

TEST(CodecGolden, OtherUnknownTypeKeys) {
  // 1002 (auth-spake2-need-psk, removed), 1201 (go-lp2p WIP), 0, 2^62-1.
  for (const char* text : {"43eaa1006141", "44b1a0", "00a0", "ffffffffffffffffa0"}) {
    const auto decoded = decode(unhex(text));
    ASSERT_FALSE(decoded.has_value()) << text << ": " << describe_result(decoded);
    EXPECT_EQ(decoded.error().code, Errc::unknown_type_key) << text;
  }
}

TEST(CodecGolden, TypeKeysAndNames) {
  const std::pair<std::uint64_t, const char*> table[] = {
      {10, "agent-info-request"},
      {11, "agent-info-response"},
      {12, "agent-status-request"},
      {13, "agent-status-response"},
      {24, "data-frame"},
      {120, "agent-info-event"},
      {1001, "auth-capabilities"},
      {1003, "auth-spake2-confirmation"},
      {1004, "auth-status"},
      {1005, "auth-spake2-handshake"},
      {1101, "data-channel-open-request"},
      {1102, "data-channel-open-response"},
  };
  for (const auto& [key, name] : table) {
    ASSERT_TRUE(type_name(key).has_value()) << key;
    EXPECT_EQ(*type_name(key), name);
    ASSERT_TRUE(type_key_from_name(name).has_value()) << name;
    EXPECT_EQ(static_cast<std::uint64_t>(*type_key_from_name(name)), key);
  }
  EXPECT_FALSE(type_key_from_name("auth-spake2-need-psk").has_value());
  EXPECT_FALSE(type_name(1002).has_value());
}

TEST(CodecGolden, EncodeAppendsToWhatIsThere) {
  std::vector<std::uint8_t> out = {0xee};
  encode(Message{AgentInfoRequest{1}}, out);
  encode(Message{AgentStatusRequest{2, std::nullopt}}, out);
  EXPECT_EQ(hex(out), "ee0aa100010ca10002");
}

TEST(CodecGolden, DataFrameHeaderPlusPayloadIsTheWholeMessage) {
  for (const std::size_t size : {0UL, 1UL, 5UL, 23UL, 24UL, 255UL, 256UL, 65535UL, 65536UL}) {
    SCOPED_TRACE(size);
    std::vector<std::uint8_t> payload(size);
    for (std::size_t i = 0; i < size; ++i) payload[i] = static_cast<std::uint8_t>(i * 7 + 1);
    for (const auto encoding : {EncodingId::blob, EncodingId::string, EncodingId::array_buffer}) {
      std::vector<std::uint8_t> header = {0x99};  // appends
      encode_data_frame_header(encoding, size, header);
      header.erase(header.begin());
      test::RefCbor ref;
      ref.raw_hex("18 a2 00").uint(static_cast<std::uint64_t>(encoding)).uint(4).head(2, size);
      EXPECT_EQ(hex(header), hex(ref.bytes_out()));

      std::vector<std::uint8_t> whole = header;
      whole.insert(whole.end(), payload.begin(), payload.end());
      const DataFrame frame{encoding, payload, nullptr};
      EXPECT_EQ(whole, encode(Message{frame}));
      const auto decoded = decode(whole);
      ASSERT_TRUE(decoded.has_value()) << describe_result(decoded);
      EXPECT_EQ(decoded.value(), Message{frame});
    }
  }
  // Only the head: sizes needing 4- and 8-byte heads.
  std::vector<std::uint8_t> big;
  encode_data_frame_header(EncodingId::blob, std::size_t{1} << 32, big);
  EXPECT_EQ(hex(big), "18a20000045b0000000100000000");
  big.clear();
  encode_data_frame_header(EncodingId::blob, 0x12345678, big);
  EXPECT_EQ(hex(big), "18a20000045a12345678");
}

}  // namespace
}  // namespace lp2p::wire
