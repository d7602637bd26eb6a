// CDDL names of the wire constants (wire/names.hpp): every type key and enum value round-trips
// through its name, aliases parse, and unknown names or values give nullopt.
#include "wire/names.hpp"

#include <gtest/gtest.h>

#include <algorithm>
#include <array>
#include <cstddef>
#include <cstdint>
#include <set>
#include <string>
#include <string_view>
#include <vector>

namespace lp2p::wire {
namespace {

// Every enumerator of wire/constants.hpp, written out independently of the name tables so that a
// value missing from a table is caught.
constexpr auto kEveryTypeKey = std::to_array<TypeKey>({
    TypeKey::agent_info_request,
    TypeKey::agent_info_response,
    TypeKey::agent_status_request,
    TypeKey::agent_status_response,
    TypeKey::data_frame,
    TypeKey::agent_info_event,
    TypeKey::auth_capabilities,
    TypeKey::auth_spake2_confirmation,
    TypeKey::auth_status,
    TypeKey::auth_spake2_handshake,
    TypeKey::data_channel_open_request,
    TypeKey::data_channel_open_response,
});
constexpr auto kEveryCapability = std::to_array<AgentCapability>({
    AgentCapability::receive_audio,
    AgentCapability::receive_video,
    AgentCapability::receive_presentation,
    AgentCapability::control_presentation,
    AgentCapability::receive_remote_playback,
    AgentCapability::control_remote_playback,
    AgentCapability::receive_streaming,
    AgentCapability::send_streaming,
    AgentCapability::data_channels,
    AgentCapability::quick_transport,
});
constexpr auto kEveryPskInputMethod =
    std::to_array<PskInputMethod>({PskInputMethod::numeric, PskInputMethod::qr_code});
constexpr auto kEveryPskStatus = std::to_array<PskStatus>(
    {PskStatus::psk_needs_presentation, PskStatus::psk_shown, PskStatus::psk_input});
constexpr auto kEveryAuthStatusResult = std::to_array<AuthStatusResult>({
    AuthStatusResult::authenticated,
    AuthStatusResult::unknown_error,
    AuthStatusResult::timeout,
    AuthStatusResult::secret_unknown,
    AuthStatusResult::validation_took_too_long,
    AuthStatusResult::proof_invalid,
});
constexpr auto kEveryResultCode = std::to_array<ResultCode>({
    ResultCode::success,
    ResultCode::invalid_url,
    ResultCode::invalid_presentation_id,
    ResultCode::timeout,
    ResultCode::transient_error,
    ResultCode::permanent_error,
    ResultCode::terminating,
    ResultCode::unknown_error,
});
constexpr auto kEveryEncodingId =
    std::to_array<EncodingId>({EncodingId::blob, EncodingId::string, EncodingId::array_buffer});

std::uint64_t number(auto value) {
  return static_cast<std::uint64_t>(value);
}

// Every value has a name, the name parses back to the value, names are distinct, and the table
// lists nothing beyond the enumerators (aliases only for listed values).
template <NamedConstant E, std::size_t N>
void expect_round_trips(const std::array<E, N>& values) {
  std::set<std::string_view> printed;
  for (const E value : values) {
    const auto name = name_of(value);
    ASSERT_TRUE(name.has_value()) << number(value);
    EXPECT_FALSE(name->empty()) << number(value);
    EXPECT_TRUE(printed.insert(*name).second) << "duplicate name " << *name;
    const auto parsed = enum_from_name<E>(*name);
    ASSERT_TRUE(parsed.has_value()) << *name;
    EXPECT_EQ(*parsed, value) << *name;
  }
  std::set<std::string_view> accepted;
  for (const NamedValue<E>& entry : named_values<E>()) {
    EXPECT_TRUE(accepted.insert(entry.name).second) << "name listed twice: " << entry.name;
    EXPECT_NE(std::ranges::find(values, entry.value), values.end()) << entry.name;
    EXPECT_EQ(enum_from_name<E>(entry.name), entry.value) << entry.name;
  }
  const std::vector<std::string_view> names = names_of<E>();
  ASSERT_EQ(names.size(), named_values<E>().size());
  for (std::size_t i = 0; i < names.size(); ++i) EXPECT_EQ(names[i], named_values<E>()[i].name);
}

// Unknown names and values give nullopt.
template <NamedConstant E>
void expect_unknowns_rejected(std::uint64_t unknown_value) {
  EXPECT_FALSE(name_of(static_cast<E>(unknown_value)).has_value()) << unknown_value;
  EXPECT_FALSE(enum_from_name<E>("").has_value());
  EXPECT_FALSE(enum_from_name<E>("no-such-name").has_value());
  for (const std::string_view name : names_of<E>()) {
    std::string upper(name);
    std::ranges::transform(upper, upper.begin(), [](char c) {
      return c >= 'a' && c <= 'z' ? static_cast<char>(c - 'a' + 'A') : c;
    });
    EXPECT_FALSE(enum_from_name<E>(upper).has_value()) << "names are case-sensitive: " << upper;
    EXPECT_FALSE(enum_from_name<E>(std::string(name) + " ").has_value()) << name;
    std::string underscored(name);
    std::ranges::replace(underscored, '-', '_');
    if (underscored != name) {
      EXPECT_FALSE(enum_from_name<E>(underscored).has_value()) << name;
    }
  }
}

TEST(Names, EveryTypeKeyRoundTripsThroughItsName) {
  expect_round_trips(kEveryTypeKey);
  for (const TypeKey key : kEveryTypeKey) {
    const auto name = type_name(number(key));
    ASSERT_TRUE(name.has_value()) << number(key);
    EXPECT_EQ(name, name_of(key));
    EXPECT_EQ(type_key_from_name(*name), key) << *name;
  }
}

TEST(Names, AllTypeKeysListsEveryKeyInTypeKeyOrder) {
  const auto keys = all_type_keys();
  ASSERT_EQ(keys.size(), kEveryTypeKey.size());
  EXPECT_TRUE(std::ranges::equal(keys, kEveryTypeKey));
  EXPECT_TRUE(std::ranges::is_sorted(keys, {}, [](TypeKey key) { return number(key); }));
  EXPECT_EQ(named_values<TypeKey>().size(), keys.size());  // no aliases for message types
}

TEST(Names, TypeKeyNamesAreTheCddlNames) {
  EXPECT_EQ(type_name(10), "agent-info-request");
  EXPECT_EQ(type_name(24), "data-frame");
  EXPECT_EQ(type_name(120), "agent-info-event");
  EXPECT_EQ(type_name(1005), "auth-spake2-handshake");
  EXPECT_EQ(type_name(1102), "data-channel-open-response");
  EXPECT_EQ(type_key_from_name("auth-spake2-confirmation"), TypeKey::auth_spake2_confirmation);
}

TEST(Names, UnknownTypeKeysAndNamesGiveNullopt) {
  constexpr auto kUnknownKeys = std::to_array<std::uint64_t>(
      {0, 1, 9, 14, 1002, 1100, 99001, (std::uint64_t{1} << 62U) - 1, ~std::uint64_t{0}});
  for (const std::uint64_t key : kUnknownKeys) {
    EXPECT_FALSE(type_name(key).has_value()) << key;
  }
  EXPECT_FALSE(type_key_from_name("").has_value());
  EXPECT_FALSE(type_key_from_name("agent-info").has_value());
  EXPECT_FALSE(type_key_from_name("auth-spake2-need-psk").has_value());
  EXPECT_FALSE(type_key_from_name("Agent-Info-Request").has_value());
  expect_unknowns_rejected<TypeKey>(1002);
}

TEST(Names, EveryAgentCapabilityRoundTrips) {
  expect_round_trips(kEveryCapability);
  EXPECT_EQ(name_of(AgentCapability::data_channels), "data-channels");
  EXPECT_EQ(name_of(AgentCapability::quick_transport), "quick-transport");
  EXPECT_EQ(number(*enum_from_name<AgentCapability>("quick-transport")), 1200U);
  expect_unknowns_rejected<AgentCapability>(9);
  EXPECT_FALSE(name_of(static_cast<AgentCapability>(0)).has_value());
}

TEST(Names, EveryPskInputMethodRoundTrips) {
  expect_round_trips(kEveryPskInputMethod);
  EXPECT_EQ(name_of(PskInputMethod::qr_code), "qr-code");
  expect_unknowns_rejected<PskInputMethod>(2);
}

TEST(Names, EveryPskStatusRoundTrips) {
  expect_round_trips(kEveryPskStatus);
  EXPECT_EQ(name_of(PskStatus::psk_needs_presentation), "psk-needs-presentation");
  expect_unknowns_rejected<PskStatus>(3);
}

TEST(Names, EveryAuthStatusResultRoundTrips) {
  expect_round_trips(kEveryAuthStatusResult);
  EXPECT_EQ(name_of(AuthStatusResult::validation_took_too_long), "validation-took-too-long");
  expect_unknowns_rejected<AuthStatusResult>(6);
}

TEST(Names, EveryResultCodeRoundTrips) {
  expect_round_trips(kEveryResultCode);
  EXPECT_EQ(name_of(ResultCode::invalid_presentation_id), "invalid-presentation-id");
  EXPECT_EQ(enum_from_name<ResultCode>("unknown-error"), ResultCode::unknown_error);
  expect_unknowns_rejected<ResultCode>(0);
  expect_unknowns_rejected<ResultCode>(198);
}

TEST(Names, EveryEncodingIdRoundTripsAndLongAliasesParse) {
  expect_round_trips(kEveryEncodingId);
  // Printed: the short names. Parsed: the short names and the CDDL's long ones.
  EXPECT_EQ(name_of(EncodingId::blob), "blob");
  EXPECT_EQ(name_of(EncodingId::string), "string");
  EXPECT_EQ(name_of(EncodingId::array_buffer), "array-buffer");
  EXPECT_EQ(enum_from_name<EncodingId>("encoding-id-blob"), EncodingId::blob);
  EXPECT_EQ(enum_from_name<EncodingId>("encoding-id-string"), EncodingId::string);
  EXPECT_EQ(enum_from_name<EncodingId>("encoding-id-array-buffer"), EncodingId::array_buffer);
  EXPECT_EQ(names_of<EncodingId>(),
            (std::vector<std::string_view>{"blob", "string", "array-buffer", "encoding-id-blob",
                                           "encoding-id-string", "encoding-id-array-buffer"}));
  EXPECT_FALSE(enum_from_name<EncodingId>("encoding-id-").has_value());
  expect_unknowns_rejected<EncodingId>(3);
}

}  // namespace
}  // namespace lp2p::wire
