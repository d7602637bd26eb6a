#include "wire/codec.hpp"

#include <string>

#include "wire/codec_detail.hpp"
#include "wire/names.hpp"
#include "wire/varint.hpp"

namespace lp2p::wire {
namespace detail {

std::string Where::text() const {
  if (parent == nullptr) return std::string(message);
  return parent->text() + ": field " + std::to_string(key) + " (" + std::string(field) + ")";
}

Error wrong_type(const Where& where, std::string_view expected, const CborEvent& got) {
  // A break where an item must be is broken CBOR, not a value of the wrong type.
  if (got.kind == CborKind::brk) {
    return make_error(Errc::malformed, where.text() + ": unexpected CBOR break where " +
                                           std::string(expected) + " should be");
  }
  return make_error(Errc::wrong_type, where.text() + ": expected " + std::string(expected) +
                                          ", got " + std::string(describe(got.kind)));
}

Error missing_field(const Where& where, std::uint64_t key, std::string_view name) {
  return make_error(Errc::missing_field, where.text() + ": missing required field " +
                                             std::to_string(key) + " (" + std::string(name) + ")");
}

Result<void> require(const SeenKeys& seen, const Where& where,
                     std::initializer_list<FieldName> required) {
  for (const FieldName& f : required) {
    if (!seen.has(f.key)) return missing_field(where, f.key, f.name);
  }
  return {};
}

Result<std::uint64_t> read_uint(CborCursor& cursor, const Where& where) {
  auto head = cursor.next();
  if (!head) return std::move(head).error();
  if (head->kind != CborKind::unsigned_int) return wrong_type(where, "unsigned integer", *head);
  return head->value;
}

namespace {

// Reads a definite string of kind `definite`, or the chunks of an indefinite one (`indefinite`)
// joined, calling append(span) for each piece. Null reads as empty when `null_ok`.
template <class Append>
Result<void> read_string(CborCursor& cursor, const Where& where, CborKind definite,
                         CborKind indefinite, bool null_ok, Append append) {
  auto head = cursor.next();
  if (!head) return std::move(head).error();
  const std::string_view expected = describe(definite);
  if (head->kind == definite) {
    append(head->data);
    return {};
  }
  if (null_ok && head->kind == CborKind::null) return {};
  if (head->kind != indefinite) return wrong_type(where, expected, *head);
  for (;;) {
    auto chunk = cursor.next();
    if (!chunk) return std::move(chunk).error();
    if (chunk->kind == CborKind::brk) return {};
    if (chunk->kind != definite) {
      return make_error(Errc::malformed, where.text() + ": indefinite-length " +
                                             std::string(expected) + " has a chunk of type " +
                                             std::string(describe(chunk->kind)));
    }
    append(chunk->data);
  }
}

}  // namespace

Result<std::string> read_text(CborCursor& cursor, const Where& where) {
  std::string text;
  LP2P_TRY(read_string(cursor, where, CborKind::text, CborKind::text_start, false,
                       [&](std::span<const std::uint8_t> piece) {
                         text.append(reinterpret_cast<const char*>(piece.data()), piece.size());
                       }));
  return text;
}

Result<Bytes> read_bytes(CborCursor& cursor, const Where& where) {
  Bytes bytes;
  LP2P_TRY(read_string(cursor, where, CborKind::bytes, CborKind::bytes_start, true,
                       [&](std::span<const std::uint8_t> piece) {
                         bytes.insert(bytes.end(), piece.begin(), piece.end());
                       }));
  return bytes;
}

Result<BytesView> read_bytes_view(CborCursor& cursor, const Where& where) {
  auto head = cursor.peek();
  if (!head) return std::move(head).error();
  if (head->kind == CborKind::bytes) {
    (void)cursor.next();
    return BytesView{head->data, nullptr};
  }
  auto joined = read_bytes(cursor, where);
  if (!joined) return std::move(joined).error();
  auto storage = std::make_shared<const Bytes>(std::move(*joined));
  return BytesView{*storage, storage};
}

Result<ArrayHead> read_array_head(CborCursor& cursor, const Where& where) {
  auto head = cursor.next();
  if (!head) return std::move(head).error();
  switch (head->kind) {
    case CborKind::array:
      return ArrayHead{head->value, false};
    case CborKind::array_start:
      return ArrayHead{0, true};
    case CborKind::null:
      return ArrayHead{0, false};
    default:
      return wrong_type(where, "array", *head);
  }
}

Result<bool> consume_break(CborCursor& cursor) {
  auto head = cursor.peek();
  if (!head) return std::move(head).error();
  if (head->kind != CborKind::brk) return false;
  (void)cursor.next();
  return true;
}

Result<ArrayHead> read_map_head(CborCursor& cursor, const Where& where) {
  auto head = cursor.next();
  if (!head) return std::move(head).error();
  if (head->kind != CborKind::map && head->kind != CborKind::map_start)
    return wrong_type(where, "map", *head);
  LP2P_TRY(cursor.enter());  // left by next_map_key at the map's end
  return ArrayHead{head->value, head->kind == CborKind::map_start};
}

Result<MapKey> next_map_key(CborCursor& cursor, const Where& where, const ArrayHead& head,
                            std::uint64_t index, SeenKeys& seen) {
  if (!head.indefinite && index >= head.size) {
    cursor.leave();
    return MapKey{};
  }
  auto key = cursor.next();
  if (!key) return std::move(key).error();
  if (key->kind == CborKind::brk) {
    if (head.indefinite) {
      cursor.leave();
      return MapKey{};
    }
    return make_error(Errc::malformed, where.text() + ": unexpected CBOR break in a map");
  }
  if (key->kind != CborKind::unsigned_int) {
    LP2P_TRY(cursor.skip_rest(*key));
    LP2P_TRY(cursor.skip());
    return MapKey{MapKey::Kind::skipped, 0};
  }
  if (!seen.mark(key->value)) {
    return make_error(Errc::malformed,
                      where.text() + ": key " + std::to_string(key->value) + " appears twice");
  }
  return MapKey{MapKey::Kind::integer, key->value};
}

}  // namespace detail

void encode(const Message& message, std::vector<std::uint8_t>& out) {
  append_varint(static_cast<std::uint64_t>(type_key_of(message)), out);
  CborWriter writer(out);
  std::visit([&writer](const auto& m) { detail::encode_body(writer, m); }, message);
}

std::vector<std::uint8_t> encode(const Message& message) {
  std::vector<std::uint8_t> out;
  encode(message, out);
  return out;
}

void encode_data_frame_header(EncodingId encoding_id, std::size_t payload_size,
                              std::vector<std::uint8_t>& out) {
  append_varint(static_cast<std::uint64_t>(TypeKey::data_frame), out);
  CborWriter w(out);
  w.map(2);
  w.uint(0);
  w.uint(static_cast<std::uint64_t>(encoding_id));
  w.uint(4);
  w.bytes_head(payload_size);
}

Result<Message> decode_body(std::uint64_t type_key, std::span<const std::uint8_t> body) {
  using namespace detail;
  const auto name = type_name(type_key);
  if (!name) {
    return make_error(Errc::unknown_type_key,
                      "unknown message type key " + std::to_string(type_key));
  }
  CborCursor cursor(body);
  const Where where{*name, nullptr, 0, {}};
  Result<Message> message = [&]() -> Result<Message> {
    switch (static_cast<TypeKey>(type_key)) {
      case TypeKey::agent_info_request:
        return decode_agent_info_request(cursor, where);
      case TypeKey::agent_info_response:
        return decode_agent_info_response(cursor, where);
      case TypeKey::agent_info_event:
        return decode_agent_info_event(cursor, where);
      case TypeKey::agent_status_request:
        return decode_agent_status_request(cursor, where);
      case TypeKey::agent_status_response:
        return decode_agent_status_response(cursor, where);
      case TypeKey::auth_capabilities:
        return decode_auth_capabilities(cursor, where);
      case TypeKey::auth_spake2_handshake:
        return decode_auth_spake2_handshake(cursor, where);
      case TypeKey::auth_spake2_confirmation:
        return decode_auth_spake2_confirmation(cursor, where);
      case TypeKey::auth_status:
        return decode_auth_status(cursor, where);
      case TypeKey::data_channel_open_request:
        return decode_data_channel_open_request(cursor, where);
      case TypeKey::data_channel_open_response:
        return decode_data_channel_open_response(cursor, where);
      case TypeKey::data_frame:
        return decode_data_frame(cursor, where);
    }
    return make_error(Errc::unknown_type_key,
                      "unknown message type key " + std::to_string(type_key));
  }();
  if (!message) {
    Error error = std::move(message).error();
    // Errors from the CBOR layer know offsets, not messages: say which message they are in.
    if (!error.message.starts_with(*name))
      error.message = std::string(*name) + ": " + error.message;
    return error;
  }
  if (!cursor.at_end()) {
    return make_error(Errc::malformed, std::string(*name) + ": " +
                                           std::to_string(body.size() - cursor.offset()) +
                                           " bytes after the message's CBOR item");
  }
  return message;
}

Result<Message> decode(std::span<const std::uint8_t> bytes) {
  const auto key = decode_varint(bytes);
  if (!key) return make_error(Errc::truncated, "input ends inside the message type key");
  return decode_body(key->value, bytes.subspan(key->length));
}

}  // namespace lp2p::wire
