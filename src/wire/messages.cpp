#include "wire/messages.hpp"

#include <algorithm>
#include <array>
#include <utility>

namespace lp2p::wire {
namespace {

constexpr std::array<std::pair<TypeKey, std::string_view>, 12> kTypeNames{{
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

template <class T>
constexpr TypeKey key_of();
template <> constexpr TypeKey key_of<AgentInfoRequest>() { return TypeKey::agent_info_request; }
template <> constexpr TypeKey key_of<AgentInfoResponse>() { return TypeKey::agent_info_response; }
template <> constexpr TypeKey key_of<AgentInfoEvent>() { return TypeKey::agent_info_event; }
template <> constexpr TypeKey key_of<AgentStatusRequest>() { return TypeKey::agent_status_request; }
template <> constexpr TypeKey key_of<AgentStatusResponse>() { return TypeKey::agent_status_response; }
template <> constexpr TypeKey key_of<AuthCapabilities>() { return TypeKey::auth_capabilities; }
template <> constexpr TypeKey key_of<AuthSpake2Handshake>() { return TypeKey::auth_spake2_handshake; }
template <> constexpr TypeKey key_of<AuthSpake2Confirmation>() { return TypeKey::auth_spake2_confirmation; }
template <> constexpr TypeKey key_of<AuthStatus>() { return TypeKey::auth_status; }
template <> constexpr TypeKey key_of<DataChannelOpenRequest>() { return TypeKey::data_channel_open_request; }
template <> constexpr TypeKey key_of<DataChannelOpenResponse>() { return TypeKey::data_channel_open_response; }
template <> constexpr TypeKey key_of<DataFrame>() { return TypeKey::data_frame; }

}  // namespace

bool DataFrame::operator==(const DataFrame& other) const {
  return encoding_id == other.encoding_id && std::ranges::equal(payload, other.payload);
}

TypeKey type_key_of(const Message& message) {
  return std::visit([](const auto& m) { return key_of<std::decay_t<decltype(m)>>(); }, message);
}

std::optional<std::string_view> type_name(std::uint64_t type_key) {
  for (const auto& [key, name] : kTypeNames) {
    if (static_cast<std::uint64_t>(key) == type_key) return name;
  }
  return std::nullopt;
}

std::optional<TypeKey> type_key_from_name(std::string_view name) {
  for (const auto& [key, entry] : kTypeNames) {
    if (entry == name) return key;
  }
  return std::nullopt;
}

}  // namespace lp2p::wire
