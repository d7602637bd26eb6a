// Building blocks shared by the per-message codecs (codec_*.cpp). Internal to wire/.
#pragma once

#include <algorithm>
#include <cstdint>
#include <initializer_list>
#include <memory>
#include <span>
#include <string>
#include <string_view>
#include <vector>

#include "lp2p/result.hpp"
#include "wire/cbor_cursor.hpp"
#include "wire/cbor_writer.hpp"
#include "wire/messages.hpp"

namespace lp2p::wire::detail {

// Where a value sits, for error messages: "agent-info-response: field 1 (agent-info): field 2
// (capabilities)". A chain of stack objects, so that naming costs nothing until an error occurs.
struct Where {
  std::string_view message;       // set on the root only
  const Where* parent = nullptr;  // null on the root
  std::uint64_t key = 0;
  std::string_view field;

  [[nodiscard]] Where at(std::uint64_t field_key, std::string_view field_name) const {
    return Where{{}, this, field_key, field_name};
  }
  [[nodiscard]] std::string text() const;
};

Error wrong_type(const Where& where, std::string_view expected, const CborEvent& got);
Error missing_field(const Where& where, std::uint64_t key, std::string_view name);

Result<std::uint64_t> read_uint(CborCursor& cursor, const Where& where);
Result<std::string> read_text(CborCursor& cursor, const Where& where);
Result<Bytes> read_bytes(CborCursor& cursor, const Where& where);  // null reads as empty

// A byte string as a view into the input; an indefinite-length one is joined into `storage`.
struct BytesView {
  std::span<const std::uint8_t> bytes;
  std::shared_ptr<const Bytes> storage;
};
Result<BytesView> read_bytes_view(CborCursor& cursor, const Where& where);

// Reads the head of an array (definite or indefinite) or null (an empty array).
struct ArrayHead {
  std::uint64_t size = 0;
  bool indefinite = false;
};
Result<ArrayHead> read_array_head(CborCursor& cursor, const Where& where);

// Reads an unsigned integer into an enum; values the enum does not name are kept as numbers.
template <class Enum>
Result<Enum> read_enum(CborCursor& cursor, const Where& where) {
  auto value = read_uint(cursor, where);
  if (!value) return std::move(value).error();
  return static_cast<Enum>(*value);
}

// Stores a successfully read value into a message field: the usual body of a read_map handler,
// `case 0: return store(m.request_id, read_uint(c, where.at(0, "request-id")));`.
template <class Field, class Value>
Result<bool> store(Field& field, Result<Value> value) {
  if (!value) return std::move(value).error();
  field = Field(std::move(*value));
  return true;
}

// Consumes a break if one is next (the end of an indefinite item); false otherwise.
Result<bool> consume_break(CborCursor& cursor);

template <class T, class ReadItem>
Result<std::vector<T>> read_array(CborCursor& cursor, const Where& where, ReadItem read_item) {
  auto head = read_array_head(cursor, where);
  if (!head) return std::move(head).error();
  LP2P_TRY(cursor.enter());
  std::vector<T> items;  // not reserved from the head: the count is untrusted
  for (std::uint64_t i = 0; head->indefinite || i < head->size; ++i) {
    if (head->indefinite) {
      auto end = consume_break(cursor);
      if (!end) return std::move(end).error();
      if (*end) break;
    }
    auto item = read_item(cursor, where);
    if (!item) return std::move(item).error();
    items.push_back(std::move(*item));
  }
  cursor.leave();
  return items;
}

// Which integer keys a map had, to check the required ones afterwards and refuse repeats.
class SeenKeys {
 public:
  // False when the key was seen before.
  bool mark(std::uint64_t key) {
    if (key >= 64) {  // unknown keys beyond the bitmask: rare, kept in a list
      if (std::ranges::find(large_, key) != large_.end()) return false;
      large_.push_back(key);
      return true;
    }
    const std::uint64_t bit = std::uint64_t{1} << key;
    const bool fresh = (bits_ & bit) == 0;
    bits_ |= bit;
    return fresh;
  }
  [[nodiscard]] bool has(std::uint64_t key) const { return key < 64 && ((bits_ >> key) & 1U) != 0; }

 private:
  std::uint64_t bits_ = 0;
  std::vector<std::uint64_t> large_;
};

// One step of iterating a map's keys.
struct MapKey {
  enum class Kind { end, integer, skipped } kind = Kind::end;
  std::uint64_t key = 0;
};
Result<ArrayHead> read_map_head(CborCursor& cursor, const Where& where);
// Reads the key of entry `index` (the map's head was read by read_map_head, which entered a
// nesting level that this leaves at the map's end). Non-integer keys (text-keyed extension fields
// and others) are skipped with their values. A repeated integer key is an error.
Result<MapKey> next_map_key(CborCursor& cursor, const Where& where, const ArrayHead& head,
                            std::uint64_t index, SeenKeys& seen);

// Iterates the map at the cursor. For each integer key, `on_field(key)` reads the value and returns
// true, or returns false without reading when it does not know the key (the value is skipped).
// Returns the keys seen, for the caller to check required ones (missing_field).
template <class OnField>
Result<SeenKeys> read_map(CborCursor& cursor, const Where& where, OnField on_field) {
  auto head = read_map_head(cursor, where);
  if (!head) return std::move(head).error();
  SeenKeys seen;
  for (std::uint64_t i = 0;; ++i) {
    auto step = next_map_key(cursor, where, *head, i, seen);
    if (!step) return std::move(step).error();
    if (step->kind == MapKey::Kind::end) return seen;
    if (step->kind == MapKey::Kind::skipped) continue;
    Result<bool> known = on_field(step->key);
    if (!known) return std::move(known).error();
    if (!*known) LP2P_TRY(cursor.skip());
  }
}

// Checks that every key of `required` was seen; the error names the first missing one.
struct FieldName {
  std::uint64_t key;
  std::string_view name;
};
Result<void> require(const SeenKeys& seen, const Where& where,
                     std::initializer_list<FieldName> required);

// Per-message encoders and decoders (codec_metadata.cpp, codec_auth.cpp, codec_data_channel.cpp).
void encode_body(CborWriter& w, const AgentInfoRequest& m);
void encode_body(CborWriter& w, const AgentInfoResponse& m);
void encode_body(CborWriter& w, const AgentInfoEvent& m);
void encode_body(CborWriter& w, const AgentStatusRequest& m);
void encode_body(CborWriter& w, const AgentStatusResponse& m);
void encode_body(CborWriter& w, const AuthCapabilities& m);
void encode_body(CborWriter& w, const AuthSpake2Handshake& m);
void encode_body(CborWriter& w, const AuthSpake2Confirmation& m);
void encode_body(CborWriter& w, const AuthStatus& m);
void encode_body(CborWriter& w, const DataChannelOpenRequest& m);
void encode_body(CborWriter& w, const DataChannelOpenResponse& m);
void encode_body(CborWriter& w, const DataFrame& m);

Result<Message> decode_agent_info_request(CborCursor& c, const Where& where);
Result<Message> decode_agent_info_response(CborCursor& c, const Where& where);
Result<Message> decode_agent_info_event(CborCursor& c, const Where& where);
Result<Message> decode_agent_status_request(CborCursor& c, const Where& where);
Result<Message> decode_agent_status_response(CborCursor& c, const Where& where);
Result<Message> decode_auth_capabilities(CborCursor& c, const Where& where);
Result<Message> decode_auth_spake2_handshake(CborCursor& c, const Where& where);
Result<Message> decode_auth_spake2_confirmation(CborCursor& c, const Where& where);
Result<Message> decode_auth_status(CborCursor& c, const Where& where);
Result<Message> decode_data_channel_open_request(CborCursor& c, const Where& where);
Result<Message> decode_data_channel_open_response(CborCursor& c, const Where& where);
Result<Message> decode_data_frame(CborCursor& c, const Where& where);

}  // namespace lp2p::wire::detail
