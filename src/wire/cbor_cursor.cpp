#include "wire/cbor_cursor.hpp"

#include <cbor.h>

#include <string>

namespace lp2p::wire {
namespace {

// libcbor reports each head through one of these callbacks; `context` is the CborEvent to fill.
CborEvent& event(void* context) {
  return *static_cast<CborEvent*>(context);
}

template <class Int>
void on_uint(void* c, Int v) {
  event(c) = {CborKind::unsigned_int, v, {}};
}
template <class Int>
void on_negint(void* c, Int v) {
  event(c) = {CborKind::negative_int, v, {}};
}
void on_bytes(void* c, cbor_data data, std::size_t size) {
  event(c) = {CborKind::bytes, size, {data, size}};
}
void on_text(void* c, cbor_data data, std::size_t size) {
  event(c) = {CborKind::text, size, {data, size}};
}
void on_bytes_start(void* c) {
  event(c) = {CborKind::bytes_start, 0, {}};
}
void on_text_start(void* c) {
  event(c) = {CborKind::text_start, 0, {}};
}
void on_array(void* c, std::size_t n) {
  event(c) = {CborKind::array, n, {}};
}
void on_array_start(void* c) {
  event(c) = {CborKind::array_start, 0, {}};
}
void on_map(void* c, std::size_t n) {
  event(c) = {CborKind::map, n, {}};
}
void on_map_start(void* c) {
  event(c) = {CborKind::map_start, 0, {}};
}
void on_tag(void* c, std::uint64_t tag) {
  event(c) = {CborKind::tag, tag, {}};
}
void on_float(void* c, float /*value*/) {
  event(c) = {CborKind::floating, 0, {}};
}
void on_double(void* c, double /*value*/) {
  event(c) = {CborKind::floating, 0, {}};
}
void on_undefined(void* c) {
  event(c) = {CborKind::undefined, 0, {}};
}
void on_null(void* c) {
  event(c) = {CborKind::null, 0, {}};
}
void on_bool(void* c, bool v) {
  event(c) = {CborKind::boolean, v ? 1U : 0U, {}};
}
void on_break(void* c) {
  event(c) = {CborKind::brk, 0, {}};
}

constexpr cbor_callbacks kCallbacks{
    .uint8 = on_uint<std::uint8_t>,
    .uint16 = on_uint<std::uint16_t>,
    .uint32 = on_uint<std::uint32_t>,
    .uint64 = on_uint<std::uint64_t>,
    .negint64 = on_negint<std::uint64_t>,
    .negint32 = on_negint<std::uint32_t>,
    .negint16 = on_negint<std::uint16_t>,
    .negint8 = on_negint<std::uint8_t>,
    .byte_string_start = on_bytes_start,
    .byte_string = on_bytes,
    .string = on_text,
    .string_start = on_text_start,
    .indef_array_start = on_array_start,
    .array_start = on_array,
    .indef_map_start = on_map_start,
    .map_start = on_map,
    .tag = on_tag,
    .float2 = on_float,
    .float4 = on_float,
    .float8 = on_double,
    .undefined = on_undefined,
    .null = on_null,
    .boolean = on_bool,
    .indef_break = on_break,
};

bool is_indefinite(CborKind kind) {
  return kind == CborKind::bytes_start || kind == CborKind::text_start ||
         kind == CborKind::array_start || kind == CborKind::map_start;
}

}  // namespace

std::string_view describe(CborKind kind) {
  switch (kind) {
    case CborKind::unsigned_int:
      return "unsigned integer";
    case CborKind::negative_int:
      return "negative integer";
    case CborKind::bytes:
    case CborKind::bytes_start:
      return "byte string";
    case CborKind::text:
    case CborKind::text_start:
      return "text string";
    case CborKind::array:
    case CborKind::array_start:
      return "array";
    case CborKind::map:
    case CborKind::map_start:
      return "map";
    case CborKind::tag:
      return "tag";
    case CborKind::floating:
      return "float";
    case CborKind::boolean:
      return "boolean";
    case CborKind::null:
      return "null";
    case CborKind::undefined:
      return "undefined";
    case CborKind::simple:
      return "simple value";
    case CborKind::brk:
      return "break";
  }
  return "unknown";
}

Result<CborEvent> CborCursor::next() {
  if (at_end()) {
    return make_error(Errc::truncated, "CBOR ends at offset " + std::to_string(offset_) +
                                           " where an item should start");
  }
  // Simple values other than false/true/null/undefined/floats/break: libcbor 0.8 rejects them,
  // but they are well-formed CBOR, and an extension field may carry one.
  const std::uint8_t initial = input_[offset_];
  if (initial >= 0xe0 && initial <= 0xf3) {
    ++offset_;
    return CborEvent{CborKind::simple, initial - 0xe0U, {}};
  }
  if (initial == 0xf8) {
    if (input_.size() - offset_ < 2) {
      return make_error(Errc::truncated, "CBOR simple value at offset " + std::to_string(offset_) +
                                             " runs past the end of the input");
    }
    const std::uint8_t value = input_[offset_ + 1];
    if (value < 32) {  // RFC 8949 §3.3: not well-formed
      return make_error(Errc::malformed,
                        "two-byte CBOR simple value below 32 at offset " + std::to_string(offset_));
    }
    offset_ += 2;
    return CborEvent{CborKind::simple, value, {}};
  }
  CborEvent result;
  const cbor_decoder_result r =
      cbor_stream_decode(input_.data() + offset_, input_.size() - offset_, &kCallbacks, &result);
  switch (r.status) {
    case CBOR_DECODER_FINISHED:
      offset_ += r.read;
      return result;
    case CBOR_DECODER_NEDATA:
      return make_error(Errc::truncated, "CBOR item at offset " + std::to_string(offset_) +
                                             " runs past the end of the input");
    case CBOR_DECODER_ERROR:
      break;
  }
  return make_error(Errc::malformed, "invalid CBOR at offset " + std::to_string(offset_));
}

Result<void> CborCursor::enter() {
  if (depth_ + 1 > max_depth_) {
    return make_error(Errc::too_deep, "CBOR nested deeper than " + std::to_string(max_depth_) +
                                          " levels at offset " + std::to_string(offset_));
  }
  ++depth_;
  return {};
}

Result<void> CborCursor::skip() {
  auto head = next();
  if (!head) return std::move(head).error();
  if (head->kind == CborKind::brk) {
    return make_error(Errc::malformed,
                      "unexpected CBOR break at offset " + std::to_string(offset_ - 1));
  }
  return skip_rest(*head, depth_);
}

Result<void> CborCursor::skip_rest(const CborEvent& head, unsigned depth) {
  std::uint64_t items = 0;
  switch (head.kind) {
    case CborKind::array:
    case CborKind::map:
      items = head.value;
      break;  // a map's pairs are doubled below
    case CborKind::tag:
      items = 1;
      break;
    default:
      if (!is_indefinite(head.kind)) return {};  // scalars and definite strings are whole
  }
  if (depth + 1 > max_depth_) {
    return make_error(Errc::too_deep, "CBOR nested deeper than " + std::to_string(max_depth_) +
                                          " levels at offset " + std::to_string(offset_));
  }
  const bool indefinite = is_indefinite(head.kind);
  // Every item takes at least one byte: reject impossible counts before looping over them.
  const std::size_t remaining = input_.size() - offset_;
  if (items > remaining || (head.kind == CborKind::map && items > remaining / 2)) {
    return make_error(Errc::truncated, "CBOR " + std::string(describe(head.kind)) + " of " +
                                           std::to_string(head.value) + " entries at offset " +
                                           std::to_string(offset_) +
                                           " runs past the end of the input");
  }
  if (head.kind == CborKind::map) items *= 2;
  for (std::uint64_t i = 0; indefinite || i < items; ++i) {
    auto item = next();
    if (!item) return std::move(item).error();
    if (item->kind == CborKind::brk) {
      if (indefinite) return {};
      return make_error(Errc::malformed,
                        "unexpected CBOR break at offset " + std::to_string(offset_ - 1));
    }
    // The chunks of an indefinite string are definite strings of the same type.
    const bool bad_chunk = (head.kind == CborKind::bytes_start && item->kind != CborKind::bytes) ||
                           (head.kind == CborKind::text_start && item->kind != CborKind::text);
    if (bad_chunk) {
      return make_error(Errc::malformed, "indefinite-length " + std::string(describe(head.kind)) +
                                             " has a chunk of type " +
                                             std::string(describe(item->kind)));
    }
    if (auto nested = skip_rest(*item, depth + 1); !nested) return nested;
  }
  return {};
}

}  // namespace lp2p::wire
