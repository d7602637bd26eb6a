// The pairing code (PSK) of OSP authentication (osp-brief §4.3, §7 #29, §7 #30): generation,
// numeric display and parsing, and the QR text form.
//
// Contract: pure functions; generate_psk draws from OpenSSL's CSPRNG.
#pragma once

#include <array>
#include <cstdint>
#include <string>
#include <string_view>

#include "lp2p/result.hpp"

namespace lp2p::auth {

// psk-min-bits-of-entropy limits (osp-brief §4.1, §7 #30).
inline constexpr unsigned kPskMinBits = 20;           // also the default we advertise
inline constexpr unsigned kPskMaxAcceptedBits = 60;   // received values are clamped to 20..60
inline constexpr unsigned kPskMaxGeneratedBits = 64;  // P must fit the 8-byte pw (§7 #8)

// Clamps a peer's psk-min-bits-of-entropy to [20, 60] (0, i.e. absent, reads as 20).
unsigned clamp_psk_bits(std::uint64_t bits);

// A fresh PSK with `bits` bits of entropy (20..64): uniform in [0, 2^bits). Bits outside 20..64
// are an invalid_argument error.
Result<std::uint64_t> generate_psk(unsigned bits);

// Numeric display: ≤ 9 digits → groups of 3, else groups of 4, left-padded with zeros to whole
// groups, joined by '-'. 61488548833 → "0614-8854-8833"; 1048575 → "001-048-575".
std::string format_psk(std::uint64_t psk);
// The same, first left-padded with zeros to the digits of the largest `bits`-bit code, so that
// every code of one strength looks alike (20 bits: 7 digits, "000-789-185"); parse_psk reads
// both forms.
std::string format_psk(std::uint64_t psk, unsigned bits);
// Parses what a person typed: digits with optional dashes and spaces (leading zeros ignored).
Result<std::uint64_t> parse_psk(std::string_view typed);

// QR text: the PSK as lowercase hex ASCII without leading zeros (61488548833 → "e5100cbe1").
std::string psk_qr_text(std::uint64_t psk);
Result<std::uint64_t> parse_psk_qr_text(std::string_view text);

// pw of the SPAKE2 profile: the PSK as 8 bytes big-endian.
std::array<std::uint8_t, 8> psk_password(std::uint64_t psk);

}  // namespace lp2p::auth
