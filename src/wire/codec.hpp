// Encoding and decoding of whole OSP messages: a QUIC varint type key followed by exactly one
// CBOR item (osp-brief.md §3.1).
//
// Encoders write canonical CBOR (RFC 8949 §4.2.1: shortest heads, definite lengths, integer keys
// in ascending order) and always write every required key. Decoders are liberal: they accept
// non-minimal varints and heads, indefinite lengths, keys in any order, `null` for arrays and
// byte strings (osp-brief §7 #21), and they ignore unknown integer keys and text-keyed extension
// fields. Wrong types, missing required fields and malformed CBOR give an Error naming the
// message and the field.
#pragma once

#include <cstdint>
#include <span>
#include <vector>

#include "lp2p/result.hpp"
#include "wire/messages.hpp"

namespace lp2p::wire {

// Appends the type key and CBOR body of `message` to `out`.
void encode(const Message& message, std::vector<std::uint8_t>& out);
std::vector<std::uint8_t> encode(const Message& message);

// Appends everything of a data-frame except its payload bytes (type key, map head, encoding id,
// payload head), so that a sender can hand the payload to the transport without copying it:
// header ‖ payload is a complete data-frame message.
void encode_data_frame_header(EncodingId encoding_id, std::size_t payload_size,
                              std::vector<std::uint8_t>& out);

// Decodes the CBOR body of a message whose type key is already known. `body` must hold exactly
// one CBOR item. A DataFrame's payload points into `body`.
Result<Message> decode_body(std::uint64_t type_key, std::span<const std::uint8_t> body);

// Decodes one whole message (type key ‖ body) that fills `bytes` exactly.
Result<Message> decode(std::span<const std::uint8_t> bytes);

}  // namespace lp2p::wire
