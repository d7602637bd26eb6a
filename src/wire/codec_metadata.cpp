// agent-info-request/response/event and agent-status-request/response
// (application_messages.cddl; type keys 10, 11, 120, 12, 13).
#include "wire/codec_detail.hpp"

namespace lp2p::wire::detail {
namespace {

void encode_agent_info(CborWriter& w, const AgentInfo& info) {
  w.map(5);
  w.uint(0);
  w.text(info.display_name);
  w.uint(1);
  w.text(info.model_name);
  w.uint(2);
  w.array_of(info.capabilities, [&](AgentCapability c) { w.uint(static_cast<std::uint64_t>(c)); });
  w.uint(3);
  w.text(info.state_token);
  w.uint(4);
  w.array_of(info.locales, [&](const std::string& l) { w.text(l); });
}

Result<AgentInfo> decode_agent_info(CborCursor& c, const Where& where) {
  AgentInfo info;
  auto seen = read_map(c, where, [&](std::uint64_t key) -> Result<bool> {
    switch (key) {
      case 0:
        return store(info.display_name, read_text(c, where.at(0, "display-name")));
      case 1:
        return store(info.model_name, read_text(c, where.at(1, "model-name")));
      case 2:
        return store(info.capabilities, read_array<AgentCapability>(c, where.at(2, "capabilities"),
                                                                    read_enum<AgentCapability>));
      case 3:
        return store(info.state_token, read_text(c, where.at(3, "state-token")));
      case 4:
        return store(info.locales, read_array<std::string>(c, where.at(4, "locales"), read_text));
      default:
        return false;
    }
  });
  if (!seen) return std::move(seen).error();
  // model-name is "optional" in the prose though required in the CDDL, and a missing array reads
  // as empty (osp-brief §7 #21): only the display name and state token are insisted on.
  LP2P_TRY(require(*seen, where, {{0, "display-name"}, {3, "state-token"}}));
  return info;
}

Result<Status> decode_status(CborCursor& c, const Where& where) {
  Status status;
  auto seen = read_map(c, where, [&](std::uint64_t key) -> Result<bool> {
    if (key != 0) return false;
    return store(status.status, read_text(c, where.at(0, "status")));
  });
  if (!seen) return std::move(seen).error();
  LP2P_TRY(require(*seen, where, {{0, "status"}}));
  return status;
}

// agent-status-request and -response share their shape: {0: request-id, ? 1: status}.
template <class T>
void encode_agent_status(CborWriter& w, const T& m) {
  w.map(m.status ? 2 : 1);
  w.uint(0);
  w.uint(m.request_id);
  if (m.status) {
    w.uint(1);
    w.map(1);
    w.uint(0);
    w.text(m.status->status);
  }
}

template <class T>
Result<Message> decode_agent_status(CborCursor& c, const Where& where) {
  T m;
  auto seen = read_map(c, where, [&](std::uint64_t key) -> Result<bool> {
    switch (key) {
      case 0:
        return store(m.request_id, read_uint(c, where.at(0, "request-id")));
      case 1:
        return store(m.status, decode_status(c, where.at(1, "status")));
      default:
        return false;
    }
  });
  if (!seen) return std::move(seen).error();
  LP2P_TRY(require(*seen, where, {{0, "request-id"}}));
  return Message{std::move(m)};
}

}  // namespace

void encode_body(CborWriter& w, const AgentInfoRequest& m) {
  w.map(1);
  w.uint(0);
  w.uint(m.request_id);
}

void encode_body(CborWriter& w, const AgentInfoResponse& m) {
  w.map(2);
  w.uint(0);
  w.uint(m.request_id);
  w.uint(1);
  encode_agent_info(w, m.agent_info);
}

void encode_body(CborWriter& w, const AgentInfoEvent& m) {
  w.map(1);
  w.uint(0);
  encode_agent_info(w, m.agent_info);
}

void encode_body(CborWriter& w, const AgentStatusRequest& m) {
  encode_agent_status(w, m);
}
void encode_body(CborWriter& w, const AgentStatusResponse& m) {
  encode_agent_status(w, m);
}

Result<Message> decode_agent_info_request(CborCursor& c, const Where& where) {
  AgentInfoRequest m;
  auto seen = read_map(c, where, [&](std::uint64_t key) -> Result<bool> {
    if (key != 0) return false;
    return store(m.request_id, read_uint(c, where.at(0, "request-id")));
  });
  if (!seen) return std::move(seen).error();
  LP2P_TRY(require(*seen, where, {{0, "request-id"}}));
  return Message{m};
}

Result<Message> decode_agent_info_response(CborCursor& c, const Where& where) {
  AgentInfoResponse m;
  auto seen = read_map(c, where, [&](std::uint64_t key) -> Result<bool> {
    switch (key) {
      case 0:
        return store(m.request_id, read_uint(c, where.at(0, "request-id")));
      case 1:
        return store(m.agent_info, decode_agent_info(c, where.at(1, "agent-info")));
      default:
        return false;
    }
  });
  if (!seen) return std::move(seen).error();
  LP2P_TRY(require(*seen, where, {{0, "request-id"}, {1, "agent-info"}}));
  return Message{std::move(m)};
}

Result<Message> decode_agent_info_event(CborCursor& c, const Where& where) {
  AgentInfoEvent m;
  auto seen = read_map(c, where, [&](std::uint64_t key) -> Result<bool> {
    if (key != 0) return false;
    return store(m.agent_info, decode_agent_info(c, where.at(0, "agent-info")));
  });
  if (!seen) return std::move(seen).error();
  LP2P_TRY(require(*seen, where, {{0, "agent-info"}}));
  return Message{std::move(m)};
}

Result<Message> decode_agent_status_request(CborCursor& c, const Where& where) {
  return decode_agent_status<AgentStatusRequest>(c, where);
}

Result<Message> decode_agent_status_response(CborCursor& c, const Where& where) {
  return decode_agent_status<AgentStatusResponse>(c, where);
}

}  // namespace lp2p::wire::detail
