// The agent certificate's serial number (osp-brief §2.2): 160 bits, big-endian — a random UUID
// (RFC 4122 §4.4) made once per agent as the upper 128 bits, with its most significant bit cleared
// so that DER needs no 21st byte (§7 #3), and a 32-bit counter as the lower bits, incremented
// before each new certificate. Kept in the state directory (agent-serial) so that the `sn` TXT key
// stays the same across runs until a certificate is re-issued.
#pragma once

#include <array>
#include <cstdint>
#include <filesystem>
#include <string>

#include "lp2p/result.hpp"

namespace lp2p::auth {

struct CertificateSerial {
  std::array<std::uint8_t, 16> base{};
  std::uint32_t counter = 0;

  [[nodiscard]] std::array<std::uint8_t, 20> bytes() const;
  // The `sn` TXT value: base64url without padding of bytes() (osp-brief §7 #2), 27 characters.
  [[nodiscard]] std::string sn() const;
  // True when sn() has no '_': base64url's '_' is not a hostname character, and GnuTLS servers
  // (ours among them) refuse such an SNI with illegal_parameter, so a peer that builds our SNI
  // from `sn` could not connect. Counter values whose sn has one are skipped.
  [[nodiscard]] bool sn_is_hostname_safe() const;
  bool operator==(const CertificateSerial&) const = default;
};

// The serial of the current certificate; on first use a new base with counter 1 (the first
// certificate's: the counter starts at 0 and is incremented before each certificate), or the
// next value whose sn is hostname-safe.
Result<CertificateSerial> load_or_create_serial(const std::filesystem::path& dir);
// Increments the counter and stores it: the serial for a re-issued certificate.
Result<CertificateSerial> next_serial(const std::filesystem::path& dir);

}  // namespace lp2p::auth
