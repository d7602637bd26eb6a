// ASCII case folding, as DNS names and TXT keys compare (RFC 1035 §2.3.3, RFC 6763 §6.4): bytes
// outside A-Z are left alone, whatever the locale.
#pragma once

#include <algorithm>
#include <string>
#include <string_view>

namespace lp2p {

constexpr char ascii_lower(char c) {
  return (c >= 'A' && c <= 'Z') ? static_cast<char>(c - 'A' + 'a') : c;
}

inline std::string ascii_lower(std::string text) {
  for (char& c : text) c = ascii_lower(c);
  return text;
}

inline bool ascii_iequals(std::string_view a, std::string_view b) {
  return std::ranges::equal(a, b, [](char x, char y) { return ascii_lower(x) == ascii_lower(y); });
}

}  // namespace lp2p
