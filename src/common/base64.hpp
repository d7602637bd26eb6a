// Base64 (RFC 4648 §4, with padding) and base64url (§5, without padding).
#pragma once

#include <cstdint>
#include <optional>
#include <span>
#include <string>
#include <string_view>
#include <vector>

namespace lp2p {

std::string base64(std::span<const std::uint8_t> bytes);
std::string base64url(std::span<const std::uint8_t> bytes);  // no padding
// Accepts either alphabet, with or without padding; nullopt on any other character.
std::optional<std::vector<std::uint8_t>> from_base64(std::string_view text);

}  // namespace lp2p
