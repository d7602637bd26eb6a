// Hexadecimal text <-> bytes, for logs, tests and the CLI.
#pragma once

#include <cstdint>
#include <span>
#include <string>
#include <string_view>
#include <vector>

#include "lp2p/result.hpp"

namespace lp2p {

std::string to_hex(std::span<const std::uint8_t> bytes);

// Accepts upper or lower case, and ignores whitespace, ':' separators and "0x" prefixes, so that
// hex copied from a packet dump or from the OSP brief parses as it is.
Result<std::vector<std::uint8_t>> from_hex(std::string_view text);

}  // namespace lp2p
