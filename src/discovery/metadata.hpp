// Peer metadata: the key/value pairs a peer publishes (the DNS-SD TXT record, RFC 6763 §6), with
// the OSP keys of osp-brief §1.2: fp (fingerprint), mv (metadata version, a binary QUIC varint),
// at (auth-initiation token) and sn (certificate serial).
#pragma once

#include <cstdint>
#include <map>
#include <optional>
#include <string>
#include <vector>

#include "lp2p/result.hpp"

namespace lp2p::discovery {

inline constexpr std::string_view kTxtFingerprint = "fp";
inline constexpr std::string_view kTxtMetadataVersion = "mv";
inline constexpr std::string_view kTxtAuthToken = "at";
inline constexpr std::string_view kTxtSerial = "sn";
inline constexpr std::size_t kFingerprintSize = 44;  // base64 of a SHA-256 digest, with padding

// Keys lower-cased; values are raw bytes (mv is binary).
using Metadata = std::map<std::string, std::string>;

// TXT strings → metadata: keys compared case-insensitively, the first of a repeated key wins,
// strings without '=' are boolean keys with an empty value (RFC 6763 §6.4).
Metadata parse_txt(const std::vector<std::string>& strings);
std::vector<std::string> to_txt(const Metadata& metadata);

// The OSP fields of a peer's metadata, validated.
struct OspMetadata {
  std::string fingerprint;
  std::optional<std::uint64_t> metadata_version;  // nullopt when mv is missing or not a varint
  std::string auth_token;
  std::string serial;
};
// An error when fp is missing or not a 44-character base64 string: such a peer cannot be dialed.
Result<OspMetadata> osp_metadata(const Metadata& metadata);
Metadata make_metadata(const OspMetadata& osp);

bool is_fingerprint(std::string_view text);

}  // namespace lp2p::discovery
