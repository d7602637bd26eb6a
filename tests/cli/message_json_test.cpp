// The JSON form of messages (message_json.hpp) and the `lp2p wire` command functions
// (wire_command.hpp), driven with in-memory streams.
#include "message_json.hpp"

#include <gtest/gtest.h>

#include <algorithm>
#include <cstdint>
#include <memory>
#include <sstream>
#include <string>
#include <vector>

#include "common/hex.hpp"
#include "wire/codec.hpp"
#include "wire_command.hpp"

namespace lp2p::cli {
namespace {

using wire::Bytes;
using wire::Message;

// ---- Helpers ----

struct Outcome {
  int status = -1;
  std::string out;
  std::string err;
};

Outcome decode(const std::string& stdin_text, const DecodeOptions& options = {}) {
  std::istringstream in(stdin_text);
  std::ostringstream out;
  std::ostringstream err;
  const int status = run_wire_decode(options, Io{in, out, err});
  return {status, out.str(), err.str()};
}

Outcome decode_args(std::vector<std::string> inputs, bool pretty = false) {
  DecodeOptions options;
  options.inputs = std::move(inputs);
  options.pretty = pretty;
  return decode("", options);
}

Outcome encode(const std::string& stdin_text, bool binary = false) {
  std::istringstream in(stdin_text);
  std::ostringstream out;
  std::ostringstream err;
  EncodeOptions options;
  options.binary = binary;
  const int status = run_wire_encode(options, Io{in, out, err});
  return {status, out.str(), err.str()};
}

Bytes hex(std::string_view text) {
  return from_hex(text).value();
}

std::string text_of(const Bytes& bytes) {
  return {bytes.begin(), bytes.end()};
}

wire::DataFrame frame(wire::EncodingId encoding, Bytes payload) {
  wire::DataFrame out;
  out.encoding_id = encoding;
  auto storage = std::make_shared<const Bytes>(std::move(payload));
  out.payload = *storage;
  out.payload_storage = std::move(storage);
  return out;
}

wire::AgentInfo sample_agent_info() {
  return {"Living room",
          "TV 3000",
          {wire::AgentCapability::data_channels, wire::AgentCapability::receive_audio,
           static_cast<wire::AgentCapability>(4242)},
          "a1B2c3D4",
          {"en-US", "fr"}};
}

// One or more of every message type, with optional fields present and absent, and enum values
// both known and unknown.
std::vector<Message> sample_messages() {
  return {
      wire::AgentInfoRequest{7},
      wire::AgentInfoResponse{7, sample_agent_info()},
      wire::AgentInfoResponse{8, wire::AgentInfo{}},
      wire::AgentInfoEvent{sample_agent_info()},
      wire::AgentStatusRequest{1, std::nullopt},
      wire::AgentStatusRequest{2, wire::Status{"busy"}},
      wire::AgentStatusResponse{2, wire::Status{"ok"}},
      wire::AgentStatusResponse{3, std::nullopt},
      wire::AuthCapabilities{50,
                             {wire::PskInputMethod::numeric, wire::PskInputMethod::qr_code,
                              static_cast<wire::PskInputMethod>(9)},
                             20},
      wire::AuthSpake2Handshake{{"Ab3+9xYz/"}, wire::PskStatus::psk_shown, Bytes{4, 1, 2, 3}},
      wire::AuthSpake2Handshake{
          {std::nullopt}, wire::PskStatus::psk_needs_presentation, std::nullopt},
      wire::AuthSpake2Handshake{{"t"}, static_cast<wire::PskStatus>(7), Bytes{}},
      wire::AuthSpake2Confirmation{Bytes(32, 0xab)},
      wire::AuthStatus{wire::AuthStatusResult::proof_invalid},
      wire::AuthStatus{static_cast<wire::AuthStatusResult>(77)},
      wire::DataChannelOpenRequest{3, 65534, "chat", "json"},
      wire::DataChannelOpenResponse{3, wire::ResultCode::permanent_error},
      wire::DataChannelOpenResponse{4, static_cast<wire::ResultCode>(5)},
      frame(wire::EncodingId::string, Bytes{'h', 0xc3, 0xa9, 'l', 'l', 'o', '\n', 0}),
      frame(wire::EncodingId::string, Bytes{0xff, 0xfe}),
      frame(wire::EncodingId::blob, Bytes{0, 1, 2}),
      frame(wire::EncodingId::array_buffer, Bytes{}),
      frame(static_cast<wire::EncodingId>(9), Bytes{'x'}),
  };
}

// ---- Round trips of every message type ----

TEST(MessageJson, EveryMessageRoundTripsThroughJson) {
  for (const Message& message : sample_messages()) {
    const Json json = message_to_json(message);
    SCOPED_TRACE(json.dump());
    auto back = message_from_json(json);
    ASSERT_TRUE(back) << back.error().describe();
    EXPECT_EQ(*back, message);

    auto reparsed = message_from_json(Json::parse(json.dump()));
    ASSERT_TRUE(reparsed) << reparsed.error().describe();
    EXPECT_EQ(*reparsed, message);

    std::vector<std::uint8_t> bytes;
    ASSERT_TRUE(encode_json_message(json, bytes));
    EXPECT_EQ(bytes, wire::encode(message));
  }
}

TEST(MessageJson, EveryMessageRoundTripsThroughTheCommands) {
  for (const Message& message : sample_messages()) {
    const std::string wire_hex = to_hex(wire::encode(message));
    SCOPED_TRACE(wire_hex);
    const Outcome decoded = decode_args({wire_hex});
    ASSERT_EQ(decoded.status, 0) << decoded.err;
    EXPECT_EQ(decoded.err, "");
    const Outcome encoded = encode(decoded.out);
    ASSERT_EQ(encoded.status, 0) << encoded.err;
    EXPECT_EQ(encoded.out, wire_hex + "\n");
  }
}

TEST(MessageJson, JsonShape) {
  const Json json = message_to_json(sample_messages()[1]);
  EXPECT_EQ(json.dump(),
            R"({"type":"agent-info-response","type-key":11,"fields":{"request-id":7,)"
            R"("agent-info":{"display-name":"Living room","model-name":"TV 3000",)"
            R"("capabilities":[1100,1,4242],"state-token":"a1B2c3D4","locales":["en-US","fr"]}}})");
  EXPECT_EQ(message_to_json(wire::AgentStatusRequest{1, std::nullopt})["fields"].dump(),
            R"({"request-id":1})");
  EXPECT_EQ(message_to_json(wire::AgentStatusRequest{1, wire::Status{"ok"}})["fields"].dump(),
            R"({"request-id":1,"status":{"status":"ok"}})");
  EXPECT_EQ(message_to_json(sample_messages()[10])["fields"].dump(),
            R"({"initiation-token":{},"psk-status":"psk-needs-presentation"})");
  EXPECT_EQ(message_to_json(sample_messages()[8])["fields"]["psk-input-methods"].dump(),
            R"(["numeric","qr-code",9])");
  EXPECT_EQ(message_to_json(sample_messages()[14])["fields"].dump(), R"({"result":77})");
  EXPECT_EQ(message_to_json(sample_messages()[16])["fields"]["result"], "permanent-error");
}

TEST(MessageJson, DataFramePayloadAsTextOnlyForValidUtf8Strings) {
  const auto fields = [](const wire::DataFrame& f) { return message_to_json(f)["fields"].dump(); };
  EXPECT_EQ(fields(frame(wire::EncodingId::string, Bytes{'h', 'i'})),
            R"({"encoding-id":"string","payload-text":"hi"})");
  EXPECT_EQ(fields(frame(wire::EncodingId::string, Bytes{0xff})),
            R"({"encoding-id":"string","payload":"ff"})");
  EXPECT_EQ(fields(frame(wire::EncodingId::blob, Bytes{'h', 'i'})),
            R"({"encoding-id":"blob","payload":"6869"})");
  EXPECT_EQ(fields(frame(wire::EncodingId::array_buffer, Bytes{})),
            R"({"encoding-id":"array-buffer","payload":""})");
}

TEST(MessageJson, AcceptsNumbersForEnumsAndNamesForCapabilities) {
  auto message = message_from_json(Json::parse(R"({"type":"agent-info-event","fields":{
      "agent-info":{"display-name":"d","model-name":"m","capabilities":["data-channels",1200,1],
                    "state-token":"s","locales":[]}}})"));
  ASSERT_TRUE(message) << message.error().describe();
  const auto& info = std::get<wire::AgentInfoEvent>(*message).agent_info;
  EXPECT_EQ(info.capabilities, (std::vector{wire::AgentCapability::data_channels,
                                            wire::AgentCapability::quick_transport,
                                            wire::AgentCapability::receive_audio}));

  auto status = message_from_json(Json::parse(R"({"type-key":1004,"fields":{"result":3}})"));
  ASSERT_TRUE(status) << status.error().describe();
  EXPECT_EQ(std::get<wire::AuthStatus>(*status).result, wire::AuthStatusResult::secret_unknown);

  auto data = message_from_json(Json::parse(
      R"({"type":"data-frame","fields":{"encoding-id":"encoding-id-blob","payload":"0a0B"}})"));
  ASSERT_TRUE(data) << data.error().describe();
  EXPECT_EQ(std::get<wire::DataFrame>(*data), frame(wire::EncodingId::blob, Bytes{10, 11}));
}

TEST(MessageJson, OptionalFieldsMayBeNull) {
  auto message = message_from_json(Json::parse(
      R"({"type":"auth-spake2-handshake","type-key":null,"fields":{"initiation-token":{"token":null},
          "psk-status":"psk-input","public-value":null}})"));
  ASSERT_TRUE(message) << message.error().describe();
  EXPECT_EQ(std::get<wire::AuthSpake2Handshake>(*message),
            (wire::AuthSpake2Handshake{{std::nullopt}, wire::PskStatus::psk_input, std::nullopt}));
}

// ---- The wire examples of osp-brief.md §3.2 ----

struct Example {
  std::string hex;
  std::string json;
};

std::string handshake_point_hex() {
  std::string out = "04";
  for (int i = 1; i <= 64; ++i) out += to_hex(Bytes{static_cast<std::uint8_t>(i)});
  return out;
}

std::vector<Example> brief_examples() {
  return {
      {"0aa10001", R"({"type":"agent-info-request","type-key":10,"fields":{"request-id":1}})"},
      {"0ca10002", R"({"type":"agent-status-request","type-key":12,"fields":{"request-id":2}})"},
      {"43e9a30018320181000214",
       R"({"type":"auth-capabilities","type-key":1001,"fields":{"psk-ease-of-input":50,)"
       R"("psk-input-methods":["numeric"],"psk-min-bits-of-entropy":20}})"},
      {"43eca10000",
       R"({"type":"auth-status","type-key":1004,"fields":{"result":"authenticated"}})"},
      {"444da4000301000264636861740360",
       R"({"type":"data-channel-open-request","type-key":1101,"fields":{"request-id":3,)"
       R"("channel-id":0,"label":"chat","protocol":""}})"},
      {"444ea200030101",
       R"({"type":"data-channel-open-response","type-key":1102,"fields":{"request-id":3,)"
       R"("result":"success"}})"},
      {"18a20001044568656c6c6f",
       R"({"type":"data-frame","type-key":24,"fields":{"encoding-id":"string",)"
       R"("payload-text":"hello"}})"},
      {"43eda300a100694162332b3978597a2f0101025841" + handshake_point_hex(),
       R"({"type":"auth-spake2-handshake","type-key":1005,"fields":{"initiation-token":)"
       R"({"token":"Ab3+9xYz/"},"psk-status":"psk-shown","public-value":")" +
           handshake_point_hex() + R"("}})"},
  };
}

TEST(WireCommand, BriefExamplesDecodeToTheExpectedJsonAndEncodeBack) {
  for (const Example& example : brief_examples()) {
    SCOPED_TRACE(example.hex);
    const Outcome decoded = decode_args({example.hex});
    EXPECT_EQ(decoded.status, 0);
    EXPECT_EQ(decoded.err, "");
    EXPECT_EQ(decoded.out, example.json + "\n");

    const Outcome encoded = encode(example.json);
    EXPECT_EQ(encoded.status, 0);
    EXPECT_EQ(encoded.err, "");
    EXPECT_EQ(encoded.out, example.hex + "\n");
  }
}

TEST(WireCommand, ConcatenatedMessagesFromStdinRoundTrip) {
  std::string all_hex;
  std::string all_json;
  for (const Example& example : brief_examples()) {
    all_hex += example.hex;
    all_json += example.json + "\n";
  }
  const Outcome decoded = decode(all_hex + "\n");
  EXPECT_EQ(decoded.status, 0) << decoded.err;
  EXPECT_EQ(decoded.out, all_json);
  const Outcome encoded = encode(decoded.out);
  EXPECT_EQ(encoded.status, 0) << encoded.err;
  EXPECT_EQ(encoded.out, all_hex + "\n");
}

TEST(WireCommand, HexMaySpanSeveralArgumentsWithSeparators) {
  const Outcome decoded = decode_args({"43e9", "a3 00 18 32", "01:81:00", "0x0214"});
  EXPECT_EQ(decoded.status, 0) << decoded.err;
  EXPECT_EQ(decoded.out, brief_examples()[2].json + "\n");
}

TEST(WireCommand, PrettyOutputEncodesBack) {
  const Outcome decoded = decode_args({"0aa10001", "444ea200030101"}, /*pretty=*/true);
  ASSERT_EQ(decoded.status, 0) << decoded.err;
  EXPECT_NE(decoded.out.find("{\n  \"type\": \"agent-info-request\""), std::string::npos);
  const Outcome encoded = encode(decoded.out);
  EXPECT_EQ(encoded.status, 0) << encoded.err;
  EXPECT_EQ(encoded.out, "0aa10001444ea200030101\n");
}

TEST(WireCommand, EncodeAcceptsAnArrayOfMessages) {
  const Outcome encoded = encode(R"([{"type":"agent-info-request","fields":{"request-id":1}},
                                 {"type-key":12,"fields":{"request-id":2}}])");
  EXPECT_EQ(encoded.status, 0) << encoded.err;
  EXPECT_EQ(encoded.out, "0aa100010ca10002\n");
}

TEST(WireCommand, BinaryBothWays) {
  const std::string all = "0aa10001444ea200030101";
  const Outcome encoded = encode(decode_args({all}).out, /*binary=*/true);
  ASSERT_EQ(encoded.status, 0) << encoded.err;
  EXPECT_EQ(encoded.out, text_of(hex(all)));

  DecodeOptions options;
  options.binary = true;
  const Outcome decoded = decode(encoded.out, options);
  EXPECT_EQ(decoded.status, 0) << decoded.err;
  EXPECT_EQ(decoded.out, decode_args({all}).out);
}

TEST(WireCommand, BinaryStreamWithMessagesAcrossReadChunks) {
  // A data-frame larger than the command's read chunk, between two small messages.
  Bytes payload(150000);
  for (std::size_t i = 0; i < payload.size(); ++i) payload[i] = static_cast<std::uint8_t>(i);
  Bytes stream = wire::encode(wire::AgentInfoRequest{1});
  wire::encode(frame(wire::EncodingId::blob, payload), stream);
  wire::encode(wire::AuthStatus{wire::AuthStatusResult::timeout}, stream);

  DecodeOptions options;
  options.binary = true;
  const Outcome decoded = decode(text_of(stream), options);
  ASSERT_EQ(decoded.status, 0) << decoded.err;
  EXPECT_EQ(decoded.err, "");
  EXPECT_EQ(std::count(decoded.out.begin(), decoded.out.end(), '\n'), 3);
  const Outcome encoded = encode(decoded.out, /*binary=*/true);
  ASSERT_EQ(encoded.status, 0) << encoded.err;
  EXPECT_EQ(encoded.out, text_of(stream));
}

TEST(WireCommand, UnknownTypeKeyIsShownRawAndEncodesBackVerbatim) {
  // go-lp2p's private need-psk message (osp-brief §3.2), then a known one.
  const std::string input = "800182b9a100a00aa10001";
  const Outcome decoded = decode_args({input});
  EXPECT_EQ(decoded.status, 0);
  EXPECT_EQ(decoded.out, R"({"type":null,"type-key":99001,"cbor":"a100a0"})"
                         "\n" +
                             brief_examples()[0].json + "\n");
  EXPECT_NE(decoded.err.find("note: message 1"), std::string::npos) << decoded.err;
  EXPECT_NE(decoded.err.find("99001"), std::string::npos) << decoded.err;
  const Outcome encoded = encode(decoded.out);
  EXPECT_EQ(encoded.status, 0) << encoded.err;
  EXPECT_EQ(encoded.out, input + "\n");
}

TEST(WireCommand, NotesNonCanonicalInput) {
  // request-id 1 written with a one-byte argument (18 01) instead of inline.
  const Outcome body = decode_args({"0aa1001801"});
  EXPECT_EQ(body.status, 0);
  EXPECT_EQ(body.out, brief_examples()[0].json + "\n");
  EXPECT_NE(body.err.find("note: message 1 is not in canonical form"), std::string::npos)
      << body.err;
  EXPECT_NE(body.err.find("gives 0aa10001"), std::string::npos) << body.err;

  // Type key 10 as a two-byte varint.
  const Outcome key = decode_args({"400aa10001"});
  EXPECT_EQ(key.status, 0);
  EXPECT_NE(key.err.find("type key is not a minimal varint"), std::string::npos) << key.err;

  // An unknown integer key and a text key are ignored by the decoder, so they are lost.
  const Outcome unknown = decode_args({"0aa3000105f66178f5"});
  EXPECT_EQ(unknown.status, 0);
  EXPECT_NE(unknown.err.find("gives 0aa10001"), std::string::npos) << unknown.err;
}

TEST(WireCommand, DecodeErrorNamesMessageAndOffsetAndGoesOn) {
  // Message 2 has a text request-id; message 3 is fine.
  const Outcome decoded = decode_args({"0aa10001", "0aa1006178", "0ca10002"});
  EXPECT_EQ(decoded.status, 1);
  EXPECT_EQ(decoded.out, brief_examples()[0].json + "\n" + brief_examples()[1].json + "\n");
  EXPECT_NE(decoded.err.find("error: message 2 (byte offset 4)"), std::string::npos) << decoded.err;
  EXPECT_NE(decoded.err.find("agent-info-request"), std::string::npos) << decoded.err;
}

TEST(WireCommand, TruncatedInputFails) {
  const Outcome decoded = decode_args({"0aa10001", "0aa100"});
  EXPECT_EQ(decoded.status, 1);
  EXPECT_EQ(decoded.out, brief_examples()[0].json + "\n");
  EXPECT_NE(decoded.err.find("ends inside message 2 (byte offset 4"), std::string::npos)
      << decoded.err;
}

TEST(WireCommand, MalformedCborFails) {
  const Outcome decoded = decode_args({"0aff"});  // a lone "break"
  EXPECT_EQ(decoded.status, 1);
  EXPECT_EQ(decoded.out, "");
  EXPECT_NE(decoded.err.find("error: message 1 (byte offset 0)"), std::string::npos) << decoded.err;
}

TEST(WireCommand, BadHexFails) {
  const Outcome decoded = decode_args({"0aa1zz01"});
  EXPECT_EQ(decoded.status, 1);
  EXPECT_EQ(decoded.out, "");
  EXPECT_NE(decoded.err.find("bad hex"), std::string::npos) << decoded.err;
}

TEST(WireCommand, EmptyInputIsNoMessages) {
  EXPECT_EQ(decode("").status, 0);
  EXPECT_EQ(decode("").out, "");
  EXPECT_EQ(encode(" \n").out, "\n");
}

// ---- Encode errors ----

TEST(WireCommand, EncodeUnknownFieldListsTheValidOnes) {
  const Outcome run = encode(R"({"type":"auth-status","fields":{"reslt":"authenticated"}})");
  EXPECT_EQ(run.status, 1);
  EXPECT_EQ(run.out, "");
  EXPECT_NE(run.err.find("message 1"), std::string::npos) << run.err;
  EXPECT_NE(run.err.find(R"(auth-status: unknown field "reslt"; valid fields: result)"),
            std::string::npos)
      << run.err;

  const Outcome nested =
      encode(R"({"type":"agent-info-event","fields":{"agent-info":{"name":"x"}}})");
  EXPECT_EQ(nested.status, 1);
  EXPECT_NE(nested.err.find(R"(field "agent-info": unknown field "name"; valid fields: )"
                            R"(display-name, model-name, capabilities, state-token, locales)"),
            std::string::npos)
      << nested.err;

  const Outcome envelope = encode(R"({"type":"auth-status","feilds":{}})");
  EXPECT_EQ(envelope.status, 1);
  EXPECT_NE(envelope.err.find(R"(unknown field "feilds"; valid fields: type, type-key)"),
            std::string::npos)
      << envelope.err;
}

TEST(WireCommand, EncodeWrongTypeNamesMessageAndField) {
  const Outcome run = encode(R"({"type":"data-channel-open-request",
      "fields":{"request-id":"3","channel-id":0,"label":"chat","protocol":""}})");
  EXPECT_EQ(run.status, 1);
  EXPECT_NE(run.err.find(R"(data-channel-open-request: field "request-id": expected an )"
                         R"(unsigned integer, got a string)"),
            std::string::npos)
      << run.err;

  const Outcome negative = encode(R"({"type":"agent-info-request","fields":{"request-id":-1}})");
  EXPECT_NE(negative.err.find("got a negative integer"), std::string::npos) << negative.err;

  const Outcome element = encode(R"({"type":"auth-capabilities","fields":{"psk-ease-of-input":1,
      "psk-input-methods":["numeric",true],"psk-min-bits-of-entropy":20}})");
  EXPECT_NE(element.err.find(R"(field "psk-input-methods[1]": expected a name)"), std::string::npos)
      << element.err;

  const Outcome bad_enum = encode(R"({"type":"auth-status","fields":{"result":"great"}})");
  EXPECT_NE(bad_enum.err.find(R"(unknown value "great"; expected one of authenticated)"),
            std::string::npos)
      << bad_enum.err;
}

TEST(WireCommand, EncodeMissingFieldIsAnError) {
  const Outcome run = encode(R"({"type":"auth-capabilities",
      "fields":{"psk-ease-of-input":50,"psk-min-bits-of-entropy":20}})");
  EXPECT_EQ(run.status, 1);
  EXPECT_NE(run.err.find(R"(missing field: auth-capabilities: "psk-input-methods" is required)"),
            std::string::npos)
      << run.err;

  const Outcome no_payload = encode(R"({"type":"data-frame","fields":{"encoding-id":0}})");
  EXPECT_NE(no_payload.err.find(R"("payload" (hex) or "payload-text" is required)"),
            std::string::npos)
      << no_payload.err;

  const Outcome no_fields = encode(R"({"type":"auth-status"})");
  EXPECT_NE(no_fields.err.find(R"(auth-status: "fields" is required)"), std::string::npos)
      << no_fields.err;

  const Outcome no_type = encode(R"({"fields":{}})");
  EXPECT_NE(no_type.err.find(R"("type" (or "type-key") is required)"), std::string::npos)
      << no_type.err;
}

TEST(WireCommand, EncodeReportsEveryBadMessageAndWritesNothing) {
  const Outcome run = encode(R"({"type":"agent-info-request","fields":{"request-id":1}}
      {"type":"nope","fields":{}}
      {"type-key":4242,"fields":{}}
      {"type":"agent-info-request","type-key":11,"fields":{"request-id":1}})");
  EXPECT_EQ(run.status, 1);
  EXPECT_EQ(run.out, "");
  EXPECT_NE(
      run.err.find(R"(message 2: invalid argument: field "type": unknown message type "nope")"),
      std::string::npos)
      << run.err;
  EXPECT_NE(run.err.find("message 3: unknown type key: type key 4242 is not known"),
            std::string::npos)
      << run.err;
  EXPECT_NE(run.err.find("message 4: invalid argument:"), std::string::npos) << run.err;
}

TEST(WireCommand, EncodeRawCborMustBeOneItem) {
  EXPECT_EQ(encode(R"({"type-key":99001,"cbor":"a0"})").out, "800182b9a0\n");
  // A known type may be given raw too, e.g. to craft a non-canonical message.
  EXPECT_EQ(encode(R"({"type":"agent-info-request","cbor":"a1001801"})").out, "0aa1001801\n");

  const Outcome two = encode(R"({"type-key":99001,"cbor":"a0a0"})");
  EXPECT_EQ(two.status, 1);
  EXPECT_NE(two.err.find("more than one CBOR item"), std::string::npos) << two.err;
  const Outcome partial = encode(R"({"type-key":99001,"cbor":"a1"})");
  EXPECT_EQ(partial.status, 1);
  EXPECT_NE(partial.err.find(R"(field "cbor": not one well-formed CBOR item)"), std::string::npos)
      << partial.err;
  const Outcome both = encode(R"({"type-key":10,"cbor":"a0","fields":{}})");
  EXPECT_NE(both.err.find(R"(give "fields" or "cbor", not both)"), std::string::npos) << both.err;
}

TEST(WireCommand, EncodeBadJsonGivesThePosition) {
  const Outcome run = encode("{\"type\":\"auth-status\",\"fields\":{\"result\":0}}\n{\"type\":,}");
  EXPECT_EQ(run.status, 1);
  EXPECT_EQ(run.out, "");
  EXPECT_NE(run.err.find("invalid JSON at line 2, column 9"), std::string::npos) << run.err;
}

TEST(WireCommand, EncodeDataFramePayloadForms) {
  EXPECT_EQ(
      encode(R"({"type":"data-frame","fields":{"encoding-id":"string","payload":"68656c6c6f"}})")
          .out,
      "18a20001044568656c6c6f\n");
  const Outcome both = encode(
      R"({"type":"data-frame","fields":{"encoding-id":1,"payload":"00","payload-text":"x"}})");
  EXPECT_EQ(both.status, 1);
  EXPECT_NE(both.err.find("not both"), std::string::npos) << both.err;
  const Outcome bad_hex =
      encode(R"({"type":"data-frame","fields":{"encoding-id":1,"payload":"0g"}})");
  EXPECT_NE(bad_hex.err.find(R"(data-frame: field "payload": not a hex digit)"), std::string::npos)
      << bad_hex.err;
}

TEST(Utf8, Validation) {
  const auto valid = [](std::vector<std::uint8_t> bytes) { return is_valid_utf8(bytes); };
  EXPECT_TRUE(valid({}));
  EXPECT_TRUE(valid({'a', 0xc3, 0xa9, 0xe2, 0x82, 0xac, 0xf0, 0x9f, 0x98, 0x80}));
  EXPECT_FALSE(valid({0xc3}));                    // truncated
  EXPECT_FALSE(valid({0xc0, 0x80}));              // overlong NUL
  EXPECT_FALSE(valid({0xed, 0xa0, 0x80}));        // surrogate
  EXPECT_FALSE(valid({0xf4, 0x90, 0x80, 0x80}));  // above U+10FFFF
  EXPECT_FALSE(valid({0x80}));                    // stray continuation byte
}

}  // namespace
}  // namespace lp2p::cli
