#include "transfer/file_names.hpp"

#include <array>
#include <cstdint>

#include "common/ascii.hpp"
#include "transfer/path_rules.hpp"

namespace lp2p::transfer {
namespace {

constexpr std::size_t kMaxExtensionBytes = 16;  // after the dot

// Where the extension of `name` starts (its dot), or name.size() if it has none.
std::size_t extension_start(std::string_view name) {
  constexpr std::array<std::string_view, 4> kCompound{".tar.gz", ".tar.bz2", ".tar.xz", ".tar.zst"};
  for (const std::string_view compound : kCompound) {
    if (name.size() > compound.size() &&
        ascii_iequals(name.substr(name.size() - compound.size()), compound)) {
      return name.size() - compound.size();
    }
  }
  const std::size_t dot = name.rfind('.');
  if (dot == std::string_view::npos || dot == 0) return name.size();
  const std::size_t after = name.size() - dot - 1;
  if (after == 0 || after > kMaxExtensionBytes) return name.size();
  return dot;
}

}  // namespace

std::string_view utf8_prefix(std::string_view text, std::size_t max_bytes) {
  if (text.size() <= max_bytes) return text;
  std::size_t cut = max_bytes;
  // Back off while the first byte left out continues a sequence (10xxxxxx).
  while (cut > 0 && (static_cast<std::uint8_t>(text[cut]) & 0xC0U) == 0x80U) --cut;
  return text.substr(0, cut);
}

std::string part_name_for(std::string_view name, std::string_view tag) {
  const std::size_t fixed = 1 + 1 + tag.size() + kPartSuffix.size();  // ".", ".", tag, suffix
  const std::size_t room = kMaxComponentBytes > fixed ? kMaxComponentBytes - fixed : 0;
  std::string part = ".";
  part += utf8_prefix(name, room);
  part += '.';
  part += tag;
  part += kPartSuffix;
  return part;
}

std::string numbered_name(std::string_view name, unsigned n) {
  const std::size_t ext_at = extension_start(name);
  const std::string_view extension = name.substr(ext_at);
  const std::string number = " (" + std::to_string(n) + ")";
  const std::size_t fixed = number.size() + extension.size();
  const std::size_t room = kMaxComponentBytes > fixed ? kMaxComponentBytes - fixed : 0;
  std::string numbered(utf8_prefix(name.substr(0, ext_at), room));
  numbered += number;
  numbered += extension;
  return numbered;
}

}  // namespace lp2p::transfer
