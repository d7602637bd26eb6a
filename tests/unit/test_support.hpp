// Helpers shared by the unit tests: hex literals, an independent reference CBOR writer (so that
// expected bytes are not produced by the code under test), and printers for gtest messages.
#pragma once

#include <gtest/gtest.h>

#include <cstdint>
#include <ostream>
#include <span>
#include <sstream>
#include <string>
#include <string_view>
#include <variant>
#include <vector>

#include "common/hex.hpp"
#include "wire/codec.hpp"
#include "wire/messages.hpp"
#include "wire/varint.hpp"

namespace lp2p::test {

using ByteVec = std::vector<std::uint8_t>;

// Bytes from hex text (spaces allowed). A bad literal fails the calling test.
inline ByteVec unhex(std::string_view text) {
  auto bytes = from_hex(text);
  if (!bytes) {
    ADD_FAILURE() << "bad hex literal in test: " << text << ": " << bytes.error().describe();
    return {};
  }
  return std::move(bytes).value();
}

inline std::string hex(std::span<const std::uint8_t> bytes) {
  return to_hex(bytes);
}

inline ByteVec concat(std::initializer_list<std::span<const std::uint8_t>> parts) {
  ByteVec out;
  for (const auto part : parts) out.insert(out.end(), part.begin(), part.end());
  return out;
}

// A minimal CBOR writer written for the tests from RFC 8949 §3 and §4.2.1 (canonical heads), kept
// independent of src/wire so that golden and round-trip checks compare two implementations.
class RefCbor {
 public:
  RefCbor& head(unsigned major, std::uint64_t value) {
    const auto mt = static_cast<std::uint8_t>(major << 5);
    if (value < 24) {
      out_.push_back(static_cast<std::uint8_t>(mt | value));
    } else if (value <= 0xff) {
      out_.push_back(static_cast<std::uint8_t>(mt | 24));
      be(value, 1);
    } else if (value <= 0xffff) {
      out_.push_back(static_cast<std::uint8_t>(mt | 25));
      be(value, 2);
    } else if (value <= 0xffffffff) {
      out_.push_back(static_cast<std::uint8_t>(mt | 26));
      be(value, 4);
    } else {
      out_.push_back(static_cast<std::uint8_t>(mt | 27));
      be(value, 8);
    }
    return *this;
  }
  RefCbor& uint(std::uint64_t value) { return head(0, value); }
  RefCbor& bytes(std::span<const std::uint8_t> value) {
    head(2, value.size());
    out_.insert(out_.end(), value.begin(), value.end());
    return *this;
  }
  RefCbor& text(std::string_view value) {
    head(3, value.size());
    out_.insert(out_.end(), value.begin(), value.end());
    return *this;
  }
  RefCbor& array(std::uint64_t size) { return head(4, size); }
  RefCbor& map(std::uint64_t size) { return head(5, size); }
  RefCbor& raw(std::span<const std::uint8_t> bytes) {
    out_.insert(out_.end(), bytes.begin(), bytes.end());
    return *this;
  }
  RefCbor& raw_hex(std::string_view text) { return raw(unhex(text)); }
  [[nodiscard]] const ByteVec& bytes_out() const { return out_; }
  ByteVec take() { return std::move(out_); }

 private:
  void be(std::uint64_t value, int n) {
    for (int i = n - 1; i >= 0; --i) out_.push_back(static_cast<std::uint8_t>(value >> (8 * i)));
  }
  ByteVec out_;
};

// QUIC varint, written here from RFC 9000 §16 (minimal length).
inline ByteVec ref_varint(std::uint64_t value) {
  ByteVec out;
  int n = 8;
  std::uint64_t prefix = 3;
  if (value < 64) {
    n = 1;
    prefix = 0;
  } else if (value < 16384) {
    n = 2;
    prefix = 1;
  } else if (value < (std::uint64_t{1} << 30)) {
    n = 4;
    prefix = 2;
  }
  const std::uint64_t tagged = value | (prefix << (8 * n - 2));
  for (int i = n - 1; i >= 0; --i) out.push_back(static_cast<std::uint8_t>(tagged >> (8 * i)));
  return out;
}

// The canonical encoding of a message as the brief (§3, §5) describes it: integer keys ascending,
// every required key written, optional ones only when present.
namespace ref_detail {
using namespace lp2p::wire;

inline void agent_info(RefCbor& c, const AgentInfo& a) {
  c.map(5);
  c.uint(0).text(a.display_name);
  c.uint(1).text(a.model_name);
  c.uint(2).array(a.capabilities.size());
  for (const auto cap : a.capabilities) c.uint(static_cast<std::uint64_t>(cap));
  c.uint(3).text(a.state_token);
  c.uint(4).array(a.locales.size());
  for (const auto& l : a.locales) c.text(l);
}

inline void status(RefCbor& c, std::uint64_t request_id, const std::optional<Status>& s) {
  c.map(s ? 2 : 1);
  c.uint(0).uint(request_id);
  if (s) c.uint(1).map(1).uint(0).text(s->status);
}

struct Body {
  RefCbor& c;
  void operator()(const AgentInfoRequest& m) const { c.map(1).uint(0).uint(m.request_id); }
  void operator()(const AgentInfoResponse& m) const {
    c.map(2).uint(0).uint(m.request_id).uint(1);
    agent_info(c, m.agent_info);
  }
  void operator()(const AgentInfoEvent& m) const {
    c.map(1).uint(0);
    agent_info(c, m.agent_info);
  }
  void operator()(const AgentStatusRequest& m) const { status(c, m.request_id, m.status); }
  void operator()(const AgentStatusResponse& m) const { status(c, m.request_id, m.status); }
  void operator()(const AuthCapabilities& m) const {
    c.map(3).uint(0).uint(m.psk_ease_of_input).uint(1).array(m.psk_input_methods.size());
    for (const auto method : m.psk_input_methods) c.uint(static_cast<std::uint64_t>(method));
    c.uint(2).uint(m.psk_min_bits_of_entropy);
  }
  void operator()(const AuthSpake2Handshake& m) const {
    c.map(m.public_value ? 3 : 2).uint(0);
    if (m.initiation_token.token) {
      c.map(1).uint(0).text(*m.initiation_token.token);
    } else {
      c.map(0);
    }
    c.uint(1).uint(static_cast<std::uint64_t>(m.psk_status));
    if (m.public_value) c.uint(2).bytes(*m.public_value);
  }
  void operator()(const AuthSpake2Confirmation& m) const {
    c.map(1).uint(0).bytes(m.confirmation_value);
  }
  void operator()(const AuthStatus& m) const {
    c.map(1).uint(0).uint(static_cast<std::uint64_t>(m.result));
  }
  void operator()(const DataChannelOpenRequest& m) const {
    c.map(4).uint(0).uint(m.request_id).uint(1).uint(m.channel_id);
    c.uint(2).text(m.label).uint(3).text(m.protocol);
  }
  void operator()(const DataChannelOpenResponse& m) const {
    c.map(2).uint(0).uint(m.request_id).uint(1).uint(static_cast<std::uint64_t>(m.result));
  }
  void operator()(const DataFrame& m) const {
    c.map(2).uint(0).uint(static_cast<std::uint64_t>(m.encoding_id)).uint(4).bytes(m.payload);
  }
};
}  // namespace ref_detail

inline ByteVec ref_encode(const wire::Message& message) {
  RefCbor c;
  c.raw(ref_varint(static_cast<std::uint64_t>(wire::type_key_of(message))));
  std::visit(ref_detail::Body{c}, message);
  return c.take();
}

// --- Printing, so that failed comparisons show the message and not a byte dump. ---

inline std::string quote(std::string_view s) {
  return "\"" + std::string(s) + "\"";
}

inline std::string describe_agent_info(const wire::AgentInfo& a) {
  std::ostringstream os;
  os << "{display_name " << quote(a.display_name) << ", model_name " << quote(a.model_name)
     << ", capabilities [";
  for (const auto cap : a.capabilities) os << static_cast<std::uint64_t>(cap) << " ";
  os << "], state_token " << quote(a.state_token) << ", locales [";
  for (const auto& l : a.locales) os << quote(l) << " ";
  os << "]}";
  return os.str();
}

inline std::string describe_message(const wire::Message& message) {
  using namespace lp2p::wire;
  std::ostringstream os;
  const auto name = type_name(static_cast<std::uint64_t>(type_key_of(message)));
  os << (name ? *name : "?") << " ";
  std::visit(
      [&os](const auto& m) {
        using T = std::decay_t<decltype(m)>;
        if constexpr (std::is_same_v<T, AgentInfoRequest>) {
          os << "{request_id " << m.request_id << "}";
        } else if constexpr (std::is_same_v<T, AgentInfoResponse>) {
          os << "{request_id " << m.request_id << ", " << describe_agent_info(m.agent_info) << "}";
        } else if constexpr (std::is_same_v<T, AgentInfoEvent>) {
          os << describe_agent_info(m.agent_info);
        } else if constexpr (std::is_same_v<T, AgentStatusRequest> ||
                             std::is_same_v<T, AgentStatusResponse>) {
          os << "{request_id " << m.request_id << ", status "
             << (m.status ? quote(m.status->status) : "none") << "}";
        } else if constexpr (std::is_same_v<T, AuthCapabilities>) {
          os << "{ease " << m.psk_ease_of_input << ", methods [";
          for (const auto x : m.psk_input_methods) os << static_cast<std::uint64_t>(x) << " ";
          os << "], bits " << m.psk_min_bits_of_entropy << "}";
        } else if constexpr (std::is_same_v<T, AuthSpake2Handshake>) {
          os << "{token " << (m.initiation_token.token ? quote(*m.initiation_token.token) : "none")
             << ", psk_status " << static_cast<std::uint64_t>(m.psk_status) << ", public_value "
             << (m.public_value ? to_hex(*m.public_value) : "none") << "}";
        } else if constexpr (std::is_same_v<T, AuthSpake2Confirmation>) {
          os << "{" << to_hex(m.confirmation_value) << "}";
        } else if constexpr (std::is_same_v<T, AuthStatus>) {
          os << "{result " << static_cast<std::uint64_t>(m.result) << "}";
        } else if constexpr (std::is_same_v<T, DataChannelOpenRequest>) {
          os << "{request_id " << m.request_id << ", channel_id " << m.channel_id << ", label "
             << quote(m.label) << ", protocol " << quote(m.protocol) << "}";
        } else if constexpr (std::is_same_v<T, DataChannelOpenResponse>) {
          os << "{request_id " << m.request_id << ", result "
             << static_cast<std::uint64_t>(m.result) << "}";
        } else if constexpr (std::is_same_v<T, DataFrame>) {
          os << "{encoding " << static_cast<std::uint64_t>(m.encoding_id) << ", payload ("
             << m.payload.size() << " bytes) "
             << to_hex(m.payload.first(std::min<std::size_t>(m.payload.size(), 32)))
             << (m.payload.size() > 32 ? "..." : "") << "}";
        }
      },
      message);
  return os.str();
}

template <class T>
const T* get_if_message(const Result<wire::Message>& result) {
  return result ? std::get_if<T>(&result.value()) : nullptr;
}

// "ok: <message>" or the error, for assertion messages.
inline std::string describe_result(const Result<wire::Message>& result) {
  return result ? "ok: " + describe_message(result.value()) : "error: " + result.error().describe();
}

}  // namespace lp2p::test

namespace lp2p::wire {
// Found by ADL for std::variant<lp2p::wire::...> (gtest's PrintTo hook).
inline void PrintTo(const Message& message, std::ostream* os) {
  *os << lp2p::test::describe_message(message);
}
}  // namespace lp2p::wire
