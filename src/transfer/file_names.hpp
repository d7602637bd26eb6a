// The names DestDir derives from a final file name: its part file's name and the numbered
// alternatives offered when the name is taken. Pure functions (no file system).
#pragma once

#include <string>
#include <string_view>

namespace lp2p::transfer {

// ".<name>.<tag>.lp2p-part", with <name> cut at a UTF-8 character boundary when the whole would
// be longer than kMaxComponentBytes. `name` is a valid component, `tag` a short hex string.
std::string part_name_for(std::string_view name, std::string_view tag);

// "name (n).ext": n >= 1, the extension kept (the last ".xyz" with 1 to 16 bytes after the dot
// and not a leading dot, or a compound .tar.gz/.tar.bz2/.tar.xz/.tar.zst, any case). The stem is
// cut at a UTF-8 character boundary so that the result stays within kMaxComponentBytes.
std::string numbered_name(std::string_view name, unsigned n);

// `text` cut to at most `max_bytes` without splitting a UTF-8 sequence.
std::string_view utf8_prefix(std::string_view text, std::size_t max_bytes);

}  // namespace lp2p::transfer
