#include "message_json.hpp"

#include <array>
#include <memory>
#include <optional>
#include <utility>

#include "common/hex.hpp"
#include "wire/codec.hpp"
#include "wire/names.hpp"
#include "wire/stream_reader.hpp"
#include "wire/varint.hpp"

namespace lp2p::cli {
namespace {

using wire::TypeKey;

// ---- Enum names (CDDL, from wire/names.hpp) ----

// The CDDL name of `value`, or its number when it has no name.
template <wire::NamedConstant E>
Json enum_to_json(E value) {
  if (const auto name = wire::name_of(value)) return std::string(*name);
  return static_cast<std::uint64_t>(value);
}

std::string join_names(std::span<const std::string_view> names) {
  std::string out;
  for (const std::string_view name : names) {
    if (!out.empty()) out += ", ";
    out += name;
  }
  return out;
}

// ---- Message → JSON ----

std::string hex_of(std::span<const std::uint8_t> bytes) {
  return to_hex(bytes);
}

Json agent_info_to_json(const wire::AgentInfo& info) {
  Json capabilities = Json::array();
  for (const wire::AgentCapability capability : info.capabilities) {
    capabilities.push_back(static_cast<std::uint64_t>(capability));
  }
  Json out = Json::object();
  out["display-name"] = info.display_name;
  out["model-name"] = info.model_name;
  out["capabilities"] = std::move(capabilities);
  out["state-token"] = info.state_token;
  out["locales"] = info.locales;
  return out;
}

Json status_to_json(const wire::Status& status) {
  Json out = Json::object();
  out["status"] = status.status;
  return out;
}

Json request_id_object(std::uint64_t request_id) {
  Json out = Json::object();
  out["request-id"] = request_id;
  return out;
}

template <class StatusMessage>
Json agent_status_fields(const StatusMessage& m) {
  Json out = request_id_object(m.request_id);
  if (m.status) out["status"] = status_to_json(*m.status);
  return out;
}

Json fields_of(const wire::AgentInfoRequest& m) {
  return request_id_object(m.request_id);
}

Json fields_of(const wire::AgentInfoResponse& m) {
  Json out = request_id_object(m.request_id);
  out["agent-info"] = agent_info_to_json(m.agent_info);
  return out;
}

Json fields_of(const wire::AgentInfoEvent& m) {
  Json out = Json::object();
  out["agent-info"] = agent_info_to_json(m.agent_info);
  return out;
}

Json fields_of(const wire::AgentStatusRequest& m) {
  return agent_status_fields(m);
}
Json fields_of(const wire::AgentStatusResponse& m) {
  return agent_status_fields(m);
}

Json fields_of(const wire::AuthCapabilities& m) {
  Json methods = Json::array();
  for (const wire::PskInputMethod method : m.psk_input_methods) {
    methods.push_back(enum_to_json(method));
  }
  Json out = Json::object();
  out["psk-ease-of-input"] = m.psk_ease_of_input;
  out["psk-input-methods"] = std::move(methods);
  out["psk-min-bits-of-entropy"] = m.psk_min_bits_of_entropy;
  return out;
}

Json fields_of(const wire::AuthSpake2Handshake& m) {
  Json token = Json::object();
  if (m.initiation_token.token) token["token"] = *m.initiation_token.token;
  Json out = Json::object();
  out["initiation-token"] = std::move(token);
  out["psk-status"] = enum_to_json(m.psk_status);
  if (m.public_value) out["public-value"] = hex_of(*m.public_value);
  return out;
}

Json fields_of(const wire::AuthSpake2Confirmation& m) {
  Json out = Json::object();
  out["confirmation-value"] = hex_of(m.confirmation_value);
  return out;
}

Json fields_of(const wire::AuthStatus& m) {
  Json out = Json::object();
  out["result"] = enum_to_json(m.result);
  return out;
}

Json fields_of(const wire::DataChannelOpenRequest& m) {
  Json out = request_id_object(m.request_id);
  out["channel-id"] = m.channel_id;
  out["label"] = m.label;
  out["protocol"] = m.protocol;
  return out;
}

Json fields_of(const wire::DataChannelOpenResponse& m) {
  Json out = request_id_object(m.request_id);
  out["result"] = enum_to_json(m.result);
  return out;
}

Json fields_of(const wire::DataFrame& m) {
  Json out = Json::object();
  out["encoding-id"] = enum_to_json(m.encoding_id);
  if (m.encoding_id == wire::EncodingId::string && is_valid_utf8(m.payload)) {
    out["payload-text"] = std::string(m.text());
  } else {
    out["payload"] = hex_of(m.payload);
  }
  return out;
}

// ---- JSON → message: locations and errors ----

// Where a JSON value sits, for error messages: `data-frame: field "payload"`. `message` is empty
// for the envelope keys ("type", "cbor"...).
struct Where {
  std::string message;
  std::string path;  // "agent-info.capabilities[1]"; empty for the "fields" object itself

  [[nodiscard]] Where field(std::string_view name) const {
    return {message, path.empty() ? std::string(name) : path + "." + std::string(name)};
  }
  [[nodiscard]] Where element(std::size_t index) const {
    return {message, path + "[" + std::to_string(index) + "]"};
  }
  // "data-frame: field \"payload\": ", "data-frame: ", or "".
  [[nodiscard]] std::string lead() const {
    std::string out = message;
    if (!path.empty()) out += (out.empty() ? "" : ": ") + std::string("field \"") + path + "\"";
    return out.empty() ? out : out + ": ";
  }
};

std::string_view json_kind(const Json& value) {
  switch (value.type()) {
    case Json::value_t::null:
      return "null";
    case Json::value_t::boolean:
      return "a boolean";
    case Json::value_t::string:
      return "a string";
    case Json::value_t::array:
      return "an array";
    case Json::value_t::object:
      return "an object";
    case Json::value_t::number_unsigned:
      return "an unsigned integer";
    case Json::value_t::number_integer:
      return "a negative integer";
    case Json::value_t::number_float:
      return "a non-integer number";
    case Json::value_t::binary:
      return "binary data";
    case Json::value_t::discarded:
      return "nothing";
  }
  return "an unknown JSON value";
}

Error wrong_type(const Where& where, std::string_view expected, const Json& got) {
  return make_error(Errc::wrong_type, where.lead() + "expected " + std::string(expected) +
                                          ", got " + std::string(json_kind(got)));
}

Error invalid(const Where& where, const std::string& what) {
  return make_error(Errc::invalid_argument, where.lead() + what);
}

// The members of one JSON object, restricted to the names that object may have.
class Object {
 public:
  static Result<Object> open(const Json& value, Where where,
                             std::span<const std::string_view> allowed) {
    if (!value.is_object()) return wrong_type(where, "an object", value);
    for (const auto& item : value.items()) {
      if (std::find(allowed.begin(), allowed.end(), item.key()) == allowed.end()) {
        return invalid(
            where, "unknown field \"" + item.key() + "\"; valid fields: " + join_names(allowed));
      }
    }
    return Object(value, std::move(where), allowed);
  }

  // Nullptr when the member is absent or null.
  [[nodiscard]] const Json* find(std::string_view name) const {
    const auto it = value_->find(name);
    return it == value_->end() || it->is_null() ? nullptr : &*it;
  }

  [[nodiscard]] Result<const Json*> require(std::string_view name) const {
    if (const Json* member = find(name)) return member;
    return make_error(Errc::missing_field, where_.lead() + "\"" + std::string(name) +
                                               "\" is required (fields: " + join_names(allowed_) +
                                               ")");
  }

  [[nodiscard]] Where at(std::string_view name) const { return where_.field(name); }
  [[nodiscard]] const Where& where() const { return where_; }

 private:
  Object(const Json& value, Where where, std::span<const std::string_view> allowed)
      : value_(&value), where_(std::move(where)), allowed_(allowed) {}

  const Json* value_;
  Where where_;
  std::span<const std::string_view> allowed_;
};

// ---- JSON → values ----

Result<std::uint64_t> to_uint(const Json& value, const Where& where) {
  if (!value.is_number_unsigned()) return wrong_type(where, "an unsigned integer", value);
  return value.get<std::uint64_t>();
}

Result<std::string> to_text(const Json& value, const Where& where) {
  if (!value.is_string()) return wrong_type(where, "a string", value);
  return value.get<std::string>();
}

Result<wire::Bytes> to_bytes(const Json& value, const Where& where) {
  if (!value.is_string()) return wrong_type(where, "a hex string", value);
  auto bytes = from_hex(value.get_ref<const std::string&>());
  if (!bytes) return invalid(where, bytes.error().message);
  return bytes;
}

// A value of E from its CDDL name (any accepted name) or its number.
template <wire::NamedConstant E>
Result<E> to_enum(const Json& value, const Where& where) {
  if (value.is_number_unsigned()) return static_cast<E>(value.get<std::uint64_t>());
  if (!value.is_string()) {
    return wrong_type(
        where, "a name (" + join_names(wire::names_of<E>()) + ") or an unsigned integer", value);
  }
  const auto& text = value.get_ref<const std::string&>();
  if (const auto named = wire::enum_from_name<E>(text)) return *named;
  return invalid(where, "unknown value \"" + text + "\"; expected one of " +
                            join_names(wire::names_of<E>()) + ", or a number");
}

template <class T, class ConvertItem>
Result<std::vector<T>> to_array(const Json& value, const Where& where, ConvertItem convert_item) {
  if (!value.is_array()) return wrong_type(where, "an array", value);
  std::vector<T> items;
  items.reserve(value.size());
  for (std::size_t i = 0; i < value.size(); ++i) {
    Result<T> item = convert_item(value[i], where.element(i));
    if (!item) return std::move(item).error();
    items.push_back(std::move(*item));
  }
  return items;
}

// Converts the required member `name` of `object` into `out`.
template <class T, class Convert>
Result<void> read(const Object& object, std::string_view name, T& out, Convert convert) {
  auto member = object.require(name);
  if (!member) return std::move(member).error();
  auto value = convert(**member, object.at(name));
  if (!value) return std::move(value).error();
  out = std::move(*value);
  return {};
}

// Converts the optional member `name` (absent or null = nullopt).
template <class T, class Convert>
Result<void> read_optional(const Object& object, std::string_view name, std::optional<T>& out,
                           Convert convert) {
  const Json* member = object.find(name);
  if (member == nullptr) {
    out.reset();
    return {};
  }
  auto value = convert(*member, object.at(name));
  if (!value) return std::move(value).error();
  out = std::move(*value);
  return {};
}

template <wire::NamedConstant E>
auto enum_reader() {
  return [](const Json& value, const Where& where) { return to_enum<E>(value, where); };
}

// ---- JSON → message ----

constexpr std::array<std::string_view, 5> kAgentInfoFields{
    "display-name", "model-name", "capabilities", "state-token", "locales"};
constexpr std::array<std::string_view, 1> kStatusFields{"status"};
constexpr std::array<std::string_view, 1> kTokenFields{"token"};

Result<wire::AgentInfo> to_agent_info(const Json& value, const Where& where) {
  auto object = Object::open(value, where, kAgentInfoFields);
  if (!object) return std::move(object).error();
  wire::AgentInfo info;
  LP2P_TRY(read(*object, "display-name", info.display_name, to_text));
  LP2P_TRY(read(*object, "model-name", info.model_name, to_text));
  LP2P_TRY(read(*object, "capabilities", info.capabilities, [](const Json& list, const Where& at) {
    return to_array<wire::AgentCapability>(list, at, enum_reader<wire::AgentCapability>());
  }));
  LP2P_TRY(read(*object, "state-token", info.state_token, to_text));
  LP2P_TRY(read(*object, "locales", info.locales, [](const Json& list, const Where& at) {
    return to_array<std::string>(list, at, to_text);
  }));
  return info;
}

Result<wire::Status> to_status(const Json& value, const Where& where) {
  auto object = Object::open(value, where, kStatusFields);
  if (!object) return std::move(object).error();
  wire::Status status;
  LP2P_TRY(read(*object, "status", status.status, to_text));
  return status;
}

Result<wire::AuthInitiationToken> to_initiation_token(const Json& value, const Where& where) {
  auto object = Object::open(value, where, kTokenFields);
  if (!object) return std::move(object).error();
  wire::AuthInitiationToken token;
  LP2P_TRY(read_optional(*object, "token", token.token, to_text));
  return token;
}

Result<wire::Message> agent_info_request_from(const Object& o) {
  wire::AgentInfoRequest m;
  LP2P_TRY(read(o, "request-id", m.request_id, to_uint));
  return wire::Message{m};
}

Result<wire::Message> agent_info_response_from(const Object& o) {
  wire::AgentInfoResponse m;
  LP2P_TRY(read(o, "request-id", m.request_id, to_uint));
  LP2P_TRY(read(o, "agent-info", m.agent_info, to_agent_info));
  return wire::Message{std::move(m)};
}

Result<wire::Message> agent_info_event_from(const Object& o) {
  wire::AgentInfoEvent m;
  LP2P_TRY(read(o, "agent-info", m.agent_info, to_agent_info));
  return wire::Message{std::move(m)};
}

template <class StatusMessage>
Result<wire::Message> agent_status_from(const Object& o) {
  StatusMessage m;
  LP2P_TRY(read(o, "request-id", m.request_id, to_uint));
  LP2P_TRY(read_optional(o, "status", m.status, to_status));
  return wire::Message{std::move(m)};
}

Result<wire::Message> auth_capabilities_from(const Object& o) {
  wire::AuthCapabilities m;
  LP2P_TRY(read(o, "psk-ease-of-input", m.psk_ease_of_input, to_uint));
  LP2P_TRY(read(o, "psk-input-methods", m.psk_input_methods, [](const Json& list, const Where& at) {
    return to_array<wire::PskInputMethod>(list, at, enum_reader<wire::PskInputMethod>());
  }));
  LP2P_TRY(read(o, "psk-min-bits-of-entropy", m.psk_min_bits_of_entropy, to_uint));
  return wire::Message{std::move(m)};
}

Result<wire::Message> auth_spake2_handshake_from(const Object& o) {
  wire::AuthSpake2Handshake m;
  LP2P_TRY(read(o, "initiation-token", m.initiation_token, to_initiation_token));
  LP2P_TRY(read(o, "psk-status", m.psk_status, enum_reader<wire::PskStatus>()));
  LP2P_TRY(read_optional(o, "public-value", m.public_value, to_bytes));
  return wire::Message{std::move(m)};
}

Result<wire::Message> auth_spake2_confirmation_from(const Object& o) {
  wire::AuthSpake2Confirmation m;
  LP2P_TRY(read(o, "confirmation-value", m.confirmation_value, to_bytes));
  return wire::Message{std::move(m)};
}

Result<wire::Message> auth_status_from(const Object& o) {
  wire::AuthStatus m;
  LP2P_TRY(read(o, "result", m.result, enum_reader<wire::AuthStatusResult>()));
  return wire::Message{m};
}

Result<wire::Message> data_channel_open_request_from(const Object& o) {
  wire::DataChannelOpenRequest m;
  LP2P_TRY(read(o, "request-id", m.request_id, to_uint));
  LP2P_TRY(read(o, "channel-id", m.channel_id, to_uint));
  LP2P_TRY(read(o, "label", m.label, to_text));
  LP2P_TRY(read(o, "protocol", m.protocol, to_text));
  return wire::Message{std::move(m)};
}

Result<wire::Message> data_channel_open_response_from(const Object& o) {
  wire::DataChannelOpenResponse m;
  LP2P_TRY(read(o, "request-id", m.request_id, to_uint));
  LP2P_TRY(read(o, "result", m.result, enum_reader<wire::ResultCode>()));
  return wire::Message{m};
}

// The payload comes from "payload" (hex) or "payload-text" (UTF-8), exactly one of them.
Result<wire::Bytes> data_frame_payload(const Object& o) {
  const Json* hex = o.find("payload");
  const Json* text = o.find("payload-text");
  if (hex != nullptr && text != nullptr) {
    return invalid(o.where(), R"(give "payload" (hex) or "payload-text", not both)");
  }
  if (hex != nullptr) return to_bytes(*hex, o.at("payload"));
  if (text == nullptr) {
    return make_error(Errc::missing_field,
                      o.where().lead() + R"("payload" (hex) or "payload-text" is required)");
  }
  auto value = to_text(*text, o.at("payload-text"));
  if (!value) return std::move(value).error();
  return wire::Bytes(value->begin(), value->end());
}

Result<wire::Message> data_frame_from(const Object& o) {
  wire::DataFrame m;
  LP2P_TRY(read(o, "encoding-id", m.encoding_id, enum_reader<wire::EncodingId>()));
  auto payload = data_frame_payload(o);
  if (!payload) return std::move(payload).error();
  auto storage = std::make_shared<const wire::Bytes>(std::move(*payload));
  m.payload = *storage;
  m.payload_storage = std::move(storage);
  return wire::Message{std::move(m)};
}

struct Schema {
  TypeKey key;
  std::span<const std::string_view> fields;
  Result<wire::Message> (*from_fields)(const Object&);
};

constexpr std::array<std::string_view, 1> kRequestIdFields{"request-id"};
constexpr std::array<std::string_view, 2> kAgentInfoResponseFields{"request-id", "agent-info"};
constexpr std::array<std::string_view, 1> kAgentInfoEventFields{"agent-info"};
constexpr std::array<std::string_view, 2> kAgentStatusFields{"request-id", "status"};
constexpr std::array<std::string_view, 3> kAuthCapabilitiesFields{
    "psk-ease-of-input", "psk-input-methods", "psk-min-bits-of-entropy"};
constexpr std::array<std::string_view, 3> kHandshakeFields{"initiation-token", "psk-status",
                                                           "public-value"};
constexpr std::array<std::string_view, 1> kConfirmationFields{"confirmation-value"};
constexpr std::array<std::string_view, 1> kAuthStatusFields{"result"};
constexpr std::array<std::string_view, 4> kOpenRequestFields{"request-id", "channel-id", "label",
                                                             "protocol"};
constexpr std::array<std::string_view, 2> kOpenResponseFields{"request-id", "result"};
constexpr std::array<std::string_view, 3> kDataFrameFields{"encoding-id", "payload",
                                                           "payload-text"};

const Schema& schema_of(TypeKey key) {
  static const std::array<Schema, 12> kSchemas{{
      {TypeKey::agent_info_request, kRequestIdFields, agent_info_request_from},
      {TypeKey::agent_info_response, kAgentInfoResponseFields, agent_info_response_from},
      {TypeKey::agent_status_request, kAgentStatusFields,
       agent_status_from<wire::AgentStatusRequest>},
      {TypeKey::agent_status_response, kAgentStatusFields,
       agent_status_from<wire::AgentStatusResponse>},
      {TypeKey::data_frame, kDataFrameFields, data_frame_from},
      {TypeKey::agent_info_event, kAgentInfoEventFields, agent_info_event_from},
      {TypeKey::auth_capabilities, kAuthCapabilitiesFields, auth_capabilities_from},
      {TypeKey::auth_spake2_confirmation, kConfirmationFields, auth_spake2_confirmation_from},
      {TypeKey::auth_status, kAuthStatusFields, auth_status_from},
      {TypeKey::auth_spake2_handshake, kHandshakeFields, auth_spake2_handshake_from},
      {TypeKey::data_channel_open_request, kOpenRequestFields, data_channel_open_request_from},
      {TypeKey::data_channel_open_response, kOpenResponseFields, data_channel_open_response_from},
  }};
  for (const Schema& schema : kSchemas) {
    if (schema.key == key) return schema;
  }
  return kSchemas.front();  // unreachable: every TypeKey has a schema
}

// ---- The envelope: {"type", "type-key", "fields" | "cbor"} ----

constexpr std::array<std::string_view, 4> kEnvelopeFields{"type", "type-key", "fields", "cbor"};

struct Envelope {
  std::uint64_t type_key = 0;
  std::optional<TypeKey> known;
  const Json* fields = nullptr;  // absent or null = nullptr
  const Json* cbor = nullptr;
};

Result<std::optional<std::uint64_t>> key_from_type_name(const Object& object) {
  const Json* type = object.find("type");
  if (type == nullptr) return std::optional<std::uint64_t>{};
  auto name = to_text(*type, object.at("type"));
  if (!name) return std::move(name).error();
  const auto key = wire::type_key_from_name(*name);
  if (!key) {
    return invalid(object.at("type"), "unknown message type \"" + *name +
                                          "\"; known types: " + join_names(known_type_names()));
  }
  return std::optional<std::uint64_t>{static_cast<std::uint64_t>(*key)};
}

Result<std::optional<std::uint64_t>> key_from_type_key(const Object& object) {
  const Json* member = object.find("type-key");
  if (member == nullptr) return std::optional<std::uint64_t>{};
  auto key = to_uint(*member, object.at("type-key"));
  if (!key) return std::move(key).error();
  if (*key > wire::kMaxVarint) {
    return invalid(object.at("type-key"),
                   std::to_string(*key) + " does not fit a QUIC varint (at most 2^62-1)");
  }
  return std::optional<std::uint64_t>{*key};
}

Result<std::uint64_t> resolve_type_key(const Object& object) {
  auto by_name = key_from_type_name(object);
  if (!by_name) return std::move(by_name).error();
  auto by_key = key_from_type_key(object);
  if (!by_key) return std::move(by_key).error();
  if (*by_name && *by_key && **by_name != **by_key) {
    return invalid(object.where(), "\"type\" has type key " + std::to_string(**by_name) +
                                       " but \"type-key\" is " + std::to_string(**by_key));
  }
  if (*by_name) return **by_name;
  if (*by_key) return **by_key;
  return make_error(Errc::missing_field, R"("type" (or "type-key") is required)");
}

Result<Envelope> open_envelope(const Json& value) {
  auto object = Object::open(value, Where{}, kEnvelopeFields);
  if (!object) return std::move(object).error();
  Envelope envelope;
  auto key = resolve_type_key(*object);
  if (!key) return std::move(key).error();
  envelope.type_key = *key;
  if (wire::type_name(*key)) envelope.known = static_cast<TypeKey>(*key);
  envelope.fields = object->find("fields");
  envelope.cbor = object->find("cbor");
  if (envelope.fields != nullptr && envelope.cbor != nullptr) {
    return invalid(Where{}, R"(give "fields" or "cbor", not both)");
  }
  return envelope;
}

Result<wire::Message> message_from_envelope(const Envelope& envelope) {
  if (!envelope.known) {
    return make_error(Errc::unknown_type_key,
                      "type key " + std::to_string(envelope.type_key) +
                          " is not known to this build; give its body as \"cbor\" (hex)");
  }
  const Schema& schema = schema_of(*envelope.known);
  const std::string name(*wire::type_name(envelope.type_key));
  if (envelope.fields == nullptr) {
    return make_error(Errc::missing_field, name + ": \"fields\" is required");
  }
  auto object = Object::open(*envelope.fields, Where{name, {}}, schema.fields);
  if (!object) return std::move(object).error();
  return schema.from_fields(*object);
}

// Checks that `body` is exactly one well-formed CBOR item, using the stream framer.
Result<void> check_single_item(std::uint64_t type_key, std::span<const std::uint8_t> body) {
  std::vector<std::uint8_t> whole;
  wire::append_varint(type_key, whole);
  whole.insert(whole.end(), body.begin(), body.end());
  wire::StreamReader reader;
  std::size_t first_size = 0;
  const auto on_frame = [&first_size](const wire::Frame& frame) {
    if (first_size == 0) first_size = frame.bytes.size();
  };
  auto fed = reader.feed(whole, on_frame);
  if (first_size != 0 && first_size != whole.size()) {
    return invalid(Where{{}, "cbor"}, "holds more than one CBOR item");
  }
  if (fed) fed = reader.finish();
  if (!fed) {
    return invalid(Where{{}, "cbor"}, "not one well-formed CBOR item: " + fed.error().describe());
  }
  return {};
}

}  // namespace

bool is_valid_utf8(std::span<const std::uint8_t> bytes) {
  std::size_t i = 0;
  while (i < bytes.size()) {
    const std::uint8_t lead = bytes[i];
    std::size_t length = 1;
    std::uint32_t code_point = lead;
    std::uint32_t minimum = 0;
    if (lead >= 0x80) {
      if ((lead & 0xe0U) == 0xc0U) {
        length = 2, code_point = lead & 0x1fU, minimum = 0x80;
      } else if ((lead & 0xf0U) == 0xe0U) {
        length = 3, code_point = lead & 0x0fU, minimum = 0x800;
      } else if ((lead & 0xf8U) == 0xf0U) {
        length = 4, code_point = lead & 0x07U, minimum = 0x10000;
      } else {
        return false;
      }
    }
    if (bytes.size() - i < length) return false;
    for (std::size_t k = 1; k < length; ++k) {
      const std::uint8_t next = bytes[i + k];
      if ((next & 0xc0U) != 0x80U) return false;
      code_point = (code_point << 6U) | (next & 0x3fU);
    }
    if (code_point < minimum || code_point > 0x10ffff ||
        (code_point >= 0xd800 && code_point <= 0xdfff)) {
      return false;
    }
    i += length;
  }
  return true;
}

std::vector<std::string_view> known_type_names() {
  std::vector<std::string_view> names;
  for (const TypeKey key : wire::all_type_keys()) {
    if (auto name = wire::name_of(key)) names.push_back(*name);
  }
  return names;
}

Json message_to_json(const wire::Message& message) {
  const auto key = static_cast<std::uint64_t>(wire::type_key_of(message));
  Json out = Json::object();
  out["type"] = std::string(wire::type_name(key).value_or(""));
  out["type-key"] = key;
  out["fields"] = std::visit([](const auto& m) { return fields_of(m); }, message);
  return out;
}

Json unknown_message_to_json(std::uint64_t type_key, std::span<const std::uint8_t> body) {
  Json out = Json::object();
  out["type"] = nullptr;
  out["type-key"] = type_key;
  out["cbor"] = to_hex(body);
  return out;
}

Result<wire::Message> message_from_json(const Json& object) {
  auto envelope = open_envelope(object);
  if (!envelope) return std::move(envelope).error();
  if (envelope->cbor != nullptr) {
    return invalid(Where{{}, "cbor"},
                   "a raw CBOR body cannot be turned into a message; give \"fields\"");
  }
  return message_from_envelope(*envelope);
}

Result<void> encode_json_message(const Json& object, std::vector<std::uint8_t>& out) {
  auto envelope = open_envelope(object);
  if (!envelope) return std::move(envelope).error();
  if (envelope->cbor == nullptr) {
    auto message = message_from_envelope(*envelope);
    if (!message) return std::move(message).error();
    wire::encode(*message, out);
    return {};
  }
  auto body = to_bytes(*envelope->cbor, Where{{}, "cbor"});
  if (!body) return std::move(body).error();
  LP2P_TRY(check_single_item(envelope->type_key, *body));
  wire::append_varint(envelope->type_key, out);
  out.insert(out.end(), body->begin(), body->end());
  return {};
}

}  // namespace lp2p::cli
