// The names a file manifest may carry, checked for the receiving platform (Linux), and their
// display for terminals and logs.
//
// A manifest path comes from the peer: it must name a file strictly below the destination
// directory, whatever the sender put in it. check_relative_path() is the one gate; the file
// system layer (dest_dir.hpp) still refuses symbolic links on the way, because a valid name can
// meet a link that already exists in the destination.
#pragma once

#include <cstddef>
#include <string>
#include <string_view>
#include <vector>

#include "lp2p/result.hpp"

namespace lp2p::transfer {

inline constexpr std::size_t kMaxPathBytes = 4096;      // Linux PATH_MAX, with the NUL
inline constexpr std::size_t kMaxComponentBytes = 255;  // NAME_MAX of the common file systems
inline constexpr std::size_t kMaxPathDepth = 64;        // components

// The suffix of this program's temporary files (dest_dir.hpp's part files).
inline constexpr std::string_view kPartSuffix = ".lp2p-part";

// A manifest path: relative, '/'-separated, UTF-8. Returns its components, or invalid_argument
// whose message says what is wrong and quotes the path escaped with display_path().
// Refused: empty; longer than kMaxPathBytes; deeper than kMaxPathDepth; a leading '/'
// (absolute); an empty component ("a//b", trailing '/'); "." or ".."; a component longer than
// kMaxComponentBytes; invalid UTF-8 (overlong forms, surrogates, > U+10FFFF, truncated); NUL or
// any control character (U+0000–U+001F, U+007F, and C1 U+0080–U+009F); a component that is a
// reserved part-file name (is_part_name).
// Accepted as they are on Linux: '\\', ':', leading dots (".bashrc"), names that differ only
// by case or Unicode normalisation.
Result<std::vector<std::string>> check_relative_path(std::string_view path);

// Names ending in ".lp2p-part" are this program's temporary files; they are never sent/accepted.
bool is_part_name(std::string_view component);

// For terminals and logs: printable UTF-8 kept, everything else as \xNN; at most 200 bytes shown
// then "…". Escaped besides the invalid bytes and control characters: '\\' itself (so that the
// output reads back unambiguously) and the Unicode bidirectional controls U+202A–U+202E and
// U+2066–U+2069 (they reorder what the terminal shows). A character or an escape is never cut.
inline constexpr std::size_t kMaxDisplayBytes = 200;
std::string display_path(std::string_view path);

}  // namespace lp2p::transfer
