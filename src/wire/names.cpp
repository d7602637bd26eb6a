#include "wire/names.hpp"

#include <algorithm>
#include <array>
#include <concepts>

namespace lp2p::wire {
namespace {

// Message types, in type-key order.
constexpr std::array<NamedValue<TypeKey>, 12> kTypeNames{{
    {TypeKey::agent_info_request, "agent-info-request"},
    {TypeKey::agent_info_response, "agent-info-response"},
    {TypeKey::agent_status_request, "agent-status-request"},
    {TypeKey::agent_status_response, "agent-status-response"},
    {TypeKey::data_frame, "data-frame"},
    {TypeKey::agent_info_event, "agent-info-event"},
    {TypeKey::auth_capabilities, "auth-capabilities"},
    {TypeKey::auth_spake2_confirmation, "auth-spake2-confirmation"},
    {TypeKey::auth_status, "auth-status"},
    {TypeKey::auth_spake2_handshake, "auth-spake2-handshake"},
    {TypeKey::data_channel_open_request, "data-channel-open-request"},
    {TypeKey::data_channel_open_response, "data-channel-open-response"},
}};

constexpr auto kTypeKeys = [] {
  std::array<TypeKey, kTypeNames.size()> keys{};
  std::ranges::transform(kTypeNames, keys.begin(), &NamedValue<TypeKey>::value);
  return keys;
}();

constexpr std::array<NamedValue<AgentCapability>, 10> kCapabilities{{
    {AgentCapability::receive_audio, "receive-audio"},
    {AgentCapability::receive_video, "receive-video"},
    {AgentCapability::receive_presentation, "receive-presentation"},
    {AgentCapability::control_presentation, "control-presentation"},
    {AgentCapability::receive_remote_playback, "receive-remote-playback"},
    {AgentCapability::control_remote_playback, "control-remote-playback"},
    {AgentCapability::receive_streaming, "receive-streaming"},
    {AgentCapability::send_streaming, "send-streaming"},
    {AgentCapability::data_channels, "data-channels"},
    {AgentCapability::quick_transport, "quick-transport"},
}};

constexpr std::array<NamedValue<PskInputMethod>, 2> kPskInputMethods{{
    {PskInputMethod::numeric, "numeric"},
    {PskInputMethod::qr_code, "qr-code"},
}};

constexpr std::array<NamedValue<PskStatus>, 3> kPskStatuses{{
    {PskStatus::psk_needs_presentation, "psk-needs-presentation"},
    {PskStatus::psk_shown, "psk-shown"},
    {PskStatus::psk_input, "psk-input"},
}};

constexpr std::array<NamedValue<AuthStatusResult>, 6> kAuthStatusResults{{
    {AuthStatusResult::authenticated, "authenticated"},
    {AuthStatusResult::unknown_error, "unknown-error"},
    {AuthStatusResult::timeout, "timeout"},
    {AuthStatusResult::secret_unknown, "secret-unknown"},
    {AuthStatusResult::validation_took_too_long, "validation-took-too-long"},
    {AuthStatusResult::proof_invalid, "proof-invalid"},
}};

constexpr std::array<NamedValue<ResultCode>, 8> kResultCodes{{
    {ResultCode::success, "success"},
    {ResultCode::invalid_url, "invalid-url"},
    {ResultCode::invalid_presentation_id, "invalid-presentation-id"},
    {ResultCode::timeout, "timeout"},
    {ResultCode::transient_error, "transient-error"},
    {ResultCode::permanent_error, "permanent-error"},
    {ResultCode::terminating, "terminating"},
    {ResultCode::unknown_error, "unknown-error"},
}};

// The short names come first, so they are the ones printed; the CDDL's long names are accepted.
constexpr std::array<NamedValue<EncodingId>, 6> kEncodingIds{{
    {EncodingId::blob, "blob"},
    {EncodingId::string, "string"},
    {EncodingId::array_buffer, "array-buffer"},
    {EncodingId::blob, "encoding-id-blob"},
    {EncodingId::string, "encoding-id-string"},
    {EncodingId::array_buffer, "encoding-id-array-buffer"},
}};

}  // namespace

std::span<const TypeKey> all_type_keys() {
  return kTypeKeys;
}

template <NamedConstant E>
std::span<const NamedValue<E>> named_values() {
  if constexpr (std::same_as<E, TypeKey>) {
    return kTypeNames;
  } else if constexpr (std::same_as<E, AgentCapability>) {
    return kCapabilities;
  } else if constexpr (std::same_as<E, PskInputMethod>) {
    return kPskInputMethods;
  } else if constexpr (std::same_as<E, PskStatus>) {
    return kPskStatuses;
  } else if constexpr (std::same_as<E, AuthStatusResult>) {
    return kAuthStatusResults;
  } else if constexpr (std::same_as<E, ResultCode>) {
    return kResultCodes;
  } else {
    static_assert(std::same_as<E, EncodingId>, "every NamedConstant needs a table here");
    return kEncodingIds;
  }
}

// The only instantiations: the header declares named_values() for NamedConstant types.
template std::span<const NamedValue<TypeKey>> named_values<TypeKey>();
template std::span<const NamedValue<AgentCapability>> named_values<AgentCapability>();
template std::span<const NamedValue<PskInputMethod>> named_values<PskInputMethod>();
template std::span<const NamedValue<PskStatus>> named_values<PskStatus>();
template std::span<const NamedValue<AuthStatusResult>> named_values<AuthStatusResult>();
template std::span<const NamedValue<ResultCode>> named_values<ResultCode>();
template std::span<const NamedValue<EncodingId>> named_values<EncodingId>();

std::optional<std::string_view> type_name(std::uint64_t type_key) {
  return name_of(static_cast<TypeKey>(type_key));
}

std::optional<TypeKey> type_key_from_name(std::string_view name) {
  return enum_from_name<TypeKey>(name);
}

}  // namespace lp2p::wire
