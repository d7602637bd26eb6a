// The JSON form of OSP / LP2P messages used by `lp2p wire`:
//
//   {"type": "agent-info-request", "type-key": 10, "fields": {"request-id": 1}}
//
// Field names are the CDDL names. Enum values are written by CDDL name when known and as numbers
// otherwise (both are read back); agent capabilities are written as numbers (names are read
// too). Byte strings are lowercase hex. A data-frame whose encoding is "string" and whose payload
// is valid UTF-8 shows it as "payload-text" instead of "payload". Absent optional fields are
// left out.
//
// A message whose type key this build does not know is {"type": null, "type-key": N,
// "cbor": "<hex of the body>"}; such an object encodes back to varint(N) ‖ body verbatim, so that
// decode → encode reproduces any well-framed input.
//
// JSON objects keep their keys in insertion order (ordered_json), so output reads in CDDL order.
#pragma once

#include <cstdint>
#include <nlohmann/json.hpp>
#include <span>
#include <string>
#include <string_view>
#include <vector>

#include "lp2p/result.hpp"
#include "wire/messages.hpp"

namespace lp2p::cli {

using Json = nlohmann::ordered_json;

// {"type", "type-key", "fields"} for a message of a known type.
Json message_to_json(const wire::Message& message);

// {"type": null, "type-key", "cbor"} for a message whose type key is unknown.
Json unknown_message_to_json(std::uint64_t type_key, std::span<const std::uint8_t> body);

// The message described by `object`, which must name a known type ("type" or "type-key") and
// give its "fields". Errors name the message and field: an unknown field (listing the valid
// ones), a value of the wrong JSON type, a missing required field, an unknown enum name.
// A DataFrame result owns its payload (payload_storage).
Result<wire::Message> message_from_json(const Json& object);

// Appends the wire bytes of the message described by `object` to `out`: either a known message
// (as message_from_json, canonically encoded) or {"type-key", "cbor"}, whose body must be exactly
// one well-formed CBOR item and is copied verbatim. On error `out` is unchanged.
Result<void> encode_json_message(const Json& object, std::vector<std::uint8_t>& out);

// The names accepted in "type", in type-key order, e.g. for help texts.
std::vector<std::string_view> known_type_names();

// True when `bytes` is well-formed UTF-8 (no overlong forms, surrogates or values > U+10FFFF).
bool is_valid_utf8(std::span<const std::uint8_t> bytes);

}  // namespace lp2p::cli
