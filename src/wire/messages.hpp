// The OSP / LP2P messages an LP2P agent exchanges (osp-brief.md §5 "Needed by LP2P"), as plain
// structs. Field names follow the CDDL; integer map keys are given beside each field.
//
// Ownership: every message owns its data except DataFrame, whose payload is a view (see there).
#pragma once

#include <cstdint>
#include <memory>
#include <optional>
#include <span>
#include <string>
#include <string_view>
#include <variant>
#include <vector>

#include "wire/constants.hpp"
#include "wire/names.hpp"  // type_name(), type_key_from_name(): the names of TypeKey values

namespace lp2p::wire {

using Bytes = std::vector<std::uint8_t>;

struct AgentInfo {
  std::string display_name;                   // 0
  std::string model_name;                     // 1
  std::vector<AgentCapability> capabilities;  // 2 (unknown ids are kept as their number)
  std::string state_token;                    // 3
  std::vector<std::string> locales;           // 4
  bool operator==(const AgentInfo&) const = default;
};

struct Status {
  std::string status;  // 0
  bool operator==(const Status&) const = default;
};

struct AgentInfoRequest {
  std::uint64_t request_id = 0;  // 0
  bool operator==(const AgentInfoRequest&) const = default;
};

struct AgentInfoResponse {
  std::uint64_t request_id = 0;  // 0
  AgentInfo agent_info;          // 1
  bool operator==(const AgentInfoResponse&) const = default;
};

struct AgentInfoEvent {
  AgentInfo agent_info;  // 0
  bool operator==(const AgentInfoEvent&) const = default;
};

struct AgentStatusRequest {
  std::uint64_t request_id = 0;  // 0
  std::optional<Status> status;  // 1
  bool operator==(const AgentStatusRequest&) const = default;
};

struct AgentStatusResponse {
  std::uint64_t request_id = 0;  // 0
  std::optional<Status> status;  // 1
  bool operator==(const AgentStatusResponse&) const = default;
};

struct AuthCapabilities {
  std::uint64_t psk_ease_of_input = 0;            // 0 (0..100)
  std::vector<PskInputMethod> psk_input_methods;  // 1
  std::uint64_t psk_min_bits_of_entropy = 0;      // 2 (20..60)
  bool operator==(const AuthCapabilities&) const = default;
};

struct AuthInitiationToken {
  std::optional<std::string> token;  // 0
  bool operator==(const AuthInitiationToken&) const = default;
};

struct AuthSpake2Handshake {
  AuthInitiationToken initiation_token;                      // 0
  PskStatus psk_status = PskStatus::psk_needs_presentation;  // 1
  // 2. Required by the CDDL, but omitted by a consumer asking for presentation (osp-brief §4.5
  // REC): nullopt encodes as "key absent", and an absent key decodes as nullopt.
  std::optional<Bytes> public_value;
  bool operator==(const AuthSpake2Handshake&) const = default;
};

struct AuthSpake2Confirmation {
  Bytes confirmation_value;  // 0 (32 bytes with HMAC-SHA-256; the CDDL's .size 64 is not enforced)
  bool operator==(const AuthSpake2Confirmation&) const = default;
};

struct AuthStatus {
  AuthStatusResult result = AuthStatusResult::authenticated;  // 0
  bool operator==(const AuthStatus&) const = default;
};

struct DataChannelOpenRequest {
  std::uint64_t request_id = 0;  // 0
  std::uint64_t channel_id = 0;  // 1 (LP2P allows 0..65534; the session layer enforces it)
  std::string label;             // 2
  std::string protocol;          // 3
  bool operator==(const DataChannelOpenRequest&) const = default;
};

struct DataChannelOpenResponse {
  std::uint64_t request_id = 0;             // 0
  ResultCode result = ResultCode::success;  // 1
  bool operator==(const DataChannelOpenResponse&) const = default;
};

// LP2P data-frame. `payload` is a view: after decoding it points into the decoded input (no copy),
// so it is valid only as long as that input is. The one exception is an indefinite-length byte
// string, whose chunks must be joined: then `payload_storage` owns the joined bytes and `payload`
// points into it (copies of the frame share that storage).
struct DataFrame {
  EncodingId encoding_id = EncodingId::array_buffer;  // 0
  std::span<const std::uint8_t> payload;              // 4
  std::shared_ptr<const Bytes> payload_storage;

  [[nodiscard]] std::string_view text() const {
    return {reinterpret_cast<const char*>(payload.data()), payload.size()};
  }
  bool operator==(const DataFrame& other) const;  // compares encoding and payload bytes
};

using Message =
    std::variant<AgentInfoRequest, AgentInfoResponse, AgentInfoEvent, AgentStatusRequest,
                 AgentStatusResponse, AuthCapabilities, AuthSpake2Handshake, AuthSpake2Confirmation,
                 AuthStatus, DataChannelOpenRequest, DataChannelOpenResponse, DataFrame>;

TypeKey type_key_of(const Message& message);

}  // namespace lp2p::wire
