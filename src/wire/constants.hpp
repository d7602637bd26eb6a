// OSP and LP2P wire constants, named as in the CDDL (../shared/spec/cddl and osp-brief.md §3.2,
// §4.1). This is the only place these numbers are written down.
#pragma once

#include <cstddef>
#include <cstdint>

namespace lp2p::wire {

// TLS application protocols (ALPN): OSP connections (network.bs#transport), and the LP2P QUIC
// transport extension's own connections (LP2P §11: "a new QUIC connection ... ALPN q2q").
inline constexpr const char* kOspAlpn = "osp";
inline constexpr const char* kQuicTransportAlpn = "q2q";

// Message type keys (QUIC varint before each CBOR body).
enum class TypeKey : std::uint64_t {
  agent_info_request = 10,
  agent_info_response = 11,
  agent_status_request = 12,
  agent_status_response = 13,
  data_frame = 24,
  agent_info_event = 120,
  auth_capabilities = 1001,
  auth_spake2_confirmation = 1003,
  auth_status = 1004,
  auth_spake2_handshake = 1005,
  data_channel_open_request = 1101,
  data_channel_open_response = 1102,
};

// agent-capability. OSP ids 1..999; LP2P adds 1100 and 1200 (the CDDL's "11OO"/"12OO" typo fixed).
enum class AgentCapability : std::uint64_t {
  receive_audio = 1,
  receive_video = 2,
  receive_presentation = 3,
  control_presentation = 4,
  receive_remote_playback = 5,
  control_remote_playback = 6,
  receive_streaming = 7,
  send_streaming = 8,
  data_channels = 1100,
  quick_transport = 1200,
};

enum class PskInputMethod : std::uint64_t { numeric = 0, qr_code = 1 };

enum class PskStatus : std::uint64_t {
  psk_needs_presentation = 0,
  psk_shown = 1,
  psk_input = 2,
};

enum class AuthStatusResult : std::uint64_t {
  authenticated = 0,
  unknown_error = 1,
  timeout = 2,
  secret_unknown = 3,
  validation_took_too_long = 4,
  proof_invalid = 5,
};

// The OSP `result` group, used by data-channel-open-response.
enum class ResultCode : std::uint64_t {
  success = 1,
  invalid_url = 10,
  invalid_presentation_id = 11,
  timeout = 100,
  transient_error = 101,
  permanent_error = 102,
  terminating = 103,
  unknown_error = 199,
};

enum class EncodingId : std::uint64_t { blob = 0, string = 1, array_buffer = 2 };

// Limits of this implementation (not from the spec).
inline constexpr std::size_t kDefaultMaxMessageSize = std::size_t{16} << 20;  // 16 MiB
// Deepest CBOR nesting accepted (maps, arrays, tags, indefinite strings). OSP messages need 3.
inline constexpr unsigned kMaxCborDepth = 32;

}  // namespace lp2p::wire
