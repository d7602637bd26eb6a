#include "transfer/path_rules.hpp"

#include <array>
#include <cstdint>
#include <optional>
#include <string>

namespace lp2p::transfer {
namespace {

// One UTF-8 sequence decoded strictly (RFC 3629): `length` 0 means the bytes at the position are
// not a valid sequence (stray continuation byte, overlong form, surrogate, above U+10FFFF, or
// cut short).
struct Decoded {
  char32_t code_point = 0;
  std::size_t length = 0;
};

Decoded decode_at(std::string_view text, std::size_t at) {
  const auto lead = static_cast<std::uint8_t>(text[at]);
  if (lead < 0x80) return {lead, 1};
  std::size_t length = 0;
  char32_t code_point = 0;
  char32_t min = 0;
  if ((lead & 0xE0) == 0xC0) {
    length = 2, code_point = lead & 0x1FU, min = 0x80;
  } else if ((lead & 0xF0) == 0xE0) {
    length = 3, code_point = lead & 0x0FU, min = 0x800;
  } else if ((lead & 0xF8) == 0xF0) {
    length = 4, code_point = lead & 0x07U, min = 0x10000;
  } else {
    return {};  // a continuation byte, or 0xF8..0xFF
  }
  if (text.size() - at < length) return {};
  for (std::size_t i = 1; i < length; ++i) {
    const auto next = static_cast<std::uint8_t>(text[at + i]);
    if ((next & 0xC0) != 0x80) return {};
    code_point = (code_point << 6U) | (next & 0x3FU);
  }
  if (code_point < min || code_point > 0x10FFFF) return {};
  if (code_point >= 0xD800 && code_point <= 0xDFFF) return {};
  return {code_point, length};
}

bool is_control(char32_t c) {
  return c < 0x20 || (c >= 0x7F && c <= 0x9F);
}

// Characters that reorder the text a terminal shows: a name could look like another one.
bool is_bidi_control(char32_t c) {
  return (c >= 0x202A && c <= 0x202E) || (c >= 0x2066 && c <= 0x2069);
}

std::string hex_escape(std::uint8_t byte) {
  constexpr std::string_view kDigits = "0123456789abcdef";
  return {'\\', 'x', kDigits[byte >> 4U], kDigits[byte & 0x0FU]};
}

Error refuse(std::string_view path, std::string_view why) {
  return make_error(Errc::invalid_argument,
                    "manifest path \"" + display_path(path) + "\": " + std::string(why));
}

// The whole path is valid UTF-8 without control characters, or the reason it is not.
std::optional<std::string> text_problem(std::string_view path) {
  for (std::size_t at = 0; at < path.size();) {
    const Decoded d = decode_at(path, at);
    if (d.length == 0) {
      return "invalid UTF-8 at byte " + std::to_string(at) + " (" +
             hex_escape(static_cast<std::uint8_t>(path[at])) + ")";
    }
    if (d.code_point == 0) return "contains a NUL byte at byte " + std::to_string(at);
    if (is_control(d.code_point)) {
      return "contains a control character at byte " + std::to_string(at);
    }
    at += d.length;
  }
  return std::nullopt;
}

}  // namespace

bool is_part_name(std::string_view component) {
  return component.ends_with(kPartSuffix);
}

Result<std::vector<std::string>> check_relative_path(std::string_view path) {
  if (path.empty()) return refuse(path, "is empty");
  if (path.size() > kMaxPathBytes) {
    return refuse(path, "is longer than " + std::to_string(kMaxPathBytes) + " bytes (" +
                            std::to_string(path.size()) + ")");
  }
  if (path.front() == '/') return refuse(path, "is absolute (starts with '/')");
  if (auto problem = text_problem(path)) return refuse(path, *problem);

  std::vector<std::string> components;
  std::size_t start = 0;
  for (;;) {
    const std::size_t slash = path.find('/', start);
    const std::string_view component = path.substr(
        start, slash == std::string_view::npos ? std::string_view::npos : slash - start);
    if (component.empty()) {
      return refuse(path, slash == std::string_view::npos
                              ? "ends with '/' (names a directory, not a file)"
                              : "has an empty component (\"//\")");
    }
    if (component == "." || component == "..") {
      return refuse(path, "has a \"" + std::string(component) + "\" component");
    }
    if (component.size() > kMaxComponentBytes) {
      return refuse(path, "has a component longer than " + std::to_string(kMaxComponentBytes) +
                              " bytes (" + std::to_string(component.size()) + ")");
    }
    if (is_part_name(component)) {
      return refuse(path, "has a component ending in \"" + std::string(kPartSuffix) +
                              "\" (reserved for lp2p's temporary files)");
    }
    components.emplace_back(component);
    if (components.size() > kMaxPathDepth) {
      return refuse(path, "is deeper than " + std::to_string(kMaxPathDepth) + " components");
    }
    if (slash == std::string_view::npos) break;
    start = slash + 1;
  }
  return components;
}

std::string display_path(std::string_view path) {
  std::string shown;
  for (std::size_t at = 0; at < path.size();) {
    const Decoded d = decode_at(path, at);
    std::string piece;
    if (d.length == 0 || is_control(d.code_point) || is_bidi_control(d.code_point) ||
        d.code_point == '\\') {
      const std::size_t length = d.length == 0 ? 1 : d.length;
      for (std::size_t i = 0; i < length; ++i) {
        piece += hex_escape(static_cast<std::uint8_t>(path[at + i]));
      }
      at += length;
    } else {
      piece = path.substr(at, d.length);
      at += d.length;
    }
    if (shown.size() + piece.size() > kMaxDisplayBytes) return shown + "…";
    shown += piece;
  }
  return shown;
}

}  // namespace lp2p::transfer
