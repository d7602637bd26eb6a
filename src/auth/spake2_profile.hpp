// The LP2P-OSP SPAKE2 profile (osp-brief §4.7): every constant of the P-256 suite, in one place.
// RFC 9382 §4 / Appendix B; M and N are the RFC's SEC1-compressed points for P-256.
#pragma once

#include <openssl/obj_mac.h>

#include <cstddef>
#include <string_view>

namespace lp2p::auth::spake2_profile {

inline constexpr std::string_view kSuiteName = "SPAKE2-P256-SHA256-HKDF-HMAC";

// Group: P-256, cofactor 1. The order is checked against OpenSSL's when the suite is created, so
// that a mismatch cannot go unnoticed.
inline constexpr int kCurveNid = NID_X9_62_prime256v1;
inline constexpr std::string_view kOrderHex =
    "ffffffff00000000ffffffffffffffffbce6faada7179e84f3b9cac2fc632551";
// Seed "1.2.840.10045.3.1.7 point generation seed (M)" / "... (N)".
inline constexpr std::string_view kMHex =
    "02886e2f97ace46e55ba9dd7242579f2993b64e16ef3dcab95afd497333d8fa12f";
inline constexpr std::string_view kNHex =
    "03d8bbd6c639c62937b04d997f38c3770719c629d7014d49a24b4f98baa1292b49";

// Hash of the transcript, digest of HKDF and of HMAC (OpenSSL digest name).
inline constexpr std::string_view kDigestName = "SHA256";
// HKDF info, followed by the AAD (empty in OSP).
inline constexpr std::string_view kConfirmationKeysInfo = "ConfirmationKeys";

inline constexpr std::size_t kScalarSize = 32;  // w, x, y as big-endian bytes (w in TT too)
inline constexpr std::size_t kPublicValueSize =
    65;                                       // pA, pB, K: SEC1 uncompressed (0x04 || X || Y)
inline constexpr std::size_t kHashSize = 32;  // H(TT) = Ke || Ka, 16 bytes each
inline constexpr std::size_t kConfirmationKeysSize = 32;  // KcA || KcB, 16 bytes each
inline constexpr std::size_t kConfirmationSize = 32;      // cA, cB: HMAC-SHA-256

}  // namespace lp2p::auth::spake2_profile
