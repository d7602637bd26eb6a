#include "wire/messages.hpp"

#include <algorithm>

namespace lp2p::wire {
namespace {

template <class T>
constexpr TypeKey key_of();
template <>
constexpr TypeKey key_of<AgentInfoRequest>() {
  return TypeKey::agent_info_request;
}
template <>
constexpr TypeKey key_of<AgentInfoResponse>() {
  return TypeKey::agent_info_response;
}
template <>
constexpr TypeKey key_of<AgentInfoEvent>() {
  return TypeKey::agent_info_event;
}
template <>
constexpr TypeKey key_of<AgentStatusRequest>() {
  return TypeKey::agent_status_request;
}
template <>
constexpr TypeKey key_of<AgentStatusResponse>() {
  return TypeKey::agent_status_response;
}
template <>
constexpr TypeKey key_of<AuthCapabilities>() {
  return TypeKey::auth_capabilities;
}
template <>
constexpr TypeKey key_of<AuthSpake2Handshake>() {
  return TypeKey::auth_spake2_handshake;
}
template <>
constexpr TypeKey key_of<AuthSpake2Confirmation>() {
  return TypeKey::auth_spake2_confirmation;
}
template <>
constexpr TypeKey key_of<AuthStatus>() {
  return TypeKey::auth_status;
}
template <>
constexpr TypeKey key_of<DataChannelOpenRequest>() {
  return TypeKey::data_channel_open_request;
}
template <>
constexpr TypeKey key_of<DataChannelOpenResponse>() {
  return TypeKey::data_channel_open_response;
}
template <>
constexpr TypeKey key_of<DataFrame>() {
  return TypeKey::data_frame;
}

}  // namespace

bool DataFrame::operator==(const DataFrame& other) const {
  return encoding_id == other.encoding_id && std::ranges::equal(payload, other.payload);
}

TypeKey type_key_of(const Message& message) {
  return std::visit([](const auto& m) { return key_of<std::decay_t<decltype(m)>>(); }, message);
}

}  // namespace lp2p::wire
