// SPAKE2 (RFC 9382) with explicit key confirmation, in the LP2P-OSP profile of osp-brief §4.7:
// P-256, SHA-256, HKDF-SHA-256 (salt empty, info "ConfirmationKeys", AAD empty), HMAC-SHA-256;
// public values uncompressed SEC1 (65 bytes); confirmations 32 bytes. The group arithmetic is
// OpenSSL's (EC_POINT_*); nothing here hand-rolls curve math.
//
// A Spake2Suite names one ciphersuite (group + hash + KDF + MAC); P-256/SHA-256 is the one we
// ship, and an edwards25519 suite could be added behind the same interface (osp-brief §7 #4).
//
// Contract: a Spake2Party is one side of one attempt. Its secret scalar comes from the CSPRNG
// (or, for test vectors only, from the caller). Call receive_peer_public_value() exactly once;
// after it succeeds confirmation() and check_peer_confirmation() are available. Peer input that
// is not a valid point, is the identity, or yields K = identity is an Error, never a crash.
// A second receive_peer_public_value() is an invalid_argument error, whatever the first returned:
// an attempt that failed is over. A moved-from party answers with errors and empty values.
// Not thread-safe; cheap to move.
#pragma once

#include <cstdint>
#include <memory>
#include <span>
#include <string>
#include <string_view>
#include <vector>

#include "lp2p/result.hpp"

namespace lp2p::auth {

enum class Spake2Role { alice, bob };  // Alice = the PSK presenter (osp-brief §4.4)

// How `w` is derived from pw (osp-brief §4.7 / §7 #8): SHA-256 for go-lp2p interop (default), or
// SHA-512 as the spec text says.
enum class PasswordHash { sha256, sha512 };

class Spake2Suite {
 public:
  Spake2Suite() = default;
  Spake2Suite(const Spake2Suite&) = delete;
  Spake2Suite& operator=(const Spake2Suite&) = delete;
  Spake2Suite(Spake2Suite&&) = delete;
  Spake2Suite& operator=(Spake2Suite&&) = delete;
  virtual ~Spake2Suite() = default;
  [[nodiscard]] virtual std::string_view name() const = 0;  // "SPAKE2-P256-SHA256-HKDF-HMAC"
  [[nodiscard]] virtual std::size_t public_value_size() const = 0;
  [[nodiscard]] virtual std::size_t confirmation_size() const = 0;
  // The group and primitive operations a party needs are in the internal Spake2GroupSuite
  // (src/auth/spake2_suite.hpp); every suite derives from it.
};

// The suite of osp-brief §4.7 (a process-wide constant).
const Spake2Suite& p256_sha256_suite();

// w for `psk`: H(pw) mod the group order with pw = the PSK as 8 bytes big-endian, as the suite's
// scalar bytes (32, big-endian, for P-256). start() derives it itself; this is for tests and
// diagnostics (osp-brief §4.10 prints w).
Result<std::vector<std::uint8_t>> spake2_password_scalar(const Spake2Suite& suite,
                                                         std::uint64_t psk,
                                                         PasswordHash hash = PasswordHash::sha256);

class Spake2Party {
 public:
  struct Params {
    Spake2Role role = Spake2Role::alice;
    std::string identity_a;  // Alice's (presenter's) fingerprint, 44-char base64 ASCII
    std::string identity_b;  // Bob's (consumer's) fingerprint
  };

  // w derived from the PSK P: pw = P as 8-byte big-endian, w = H(pw) mod n.
  static Result<Spake2Party> start(const Spake2Suite& suite, const Params& params,
                                   std::uint64_t psk, PasswordHash hash = PasswordHash::sha256);
  // Test vectors: w and the secret scalar (x or y) given as big-endian bytes.
  static Result<Spake2Party> start_with(const Spake2Suite& suite, const Params& params,
                                        std::span<const std::uint8_t> w,
                                        std::span<const std::uint8_t> scalar);

  Spake2Party(Spake2Party&& other) noexcept;
  Spake2Party& operator=(Spake2Party&& other) noexcept;
  Spake2Party(const Spake2Party&) = delete;
  Spake2Party& operator=(const Spake2Party&) = delete;
  ~Spake2Party();

  // pA (Alice) or pB (Bob).
  [[nodiscard]] const std::vector<std::uint8_t>& public_value() const;

  // The peer's pB (we are Alice) or pA (we are Bob): computes K, TT and the confirmation keys.
  Result<void> receive_peer_public_value(std::span<const std::uint8_t> peer);

  // Our confirmation (cA or cB); empty before receive_peer_public_value() succeeded.
  [[nodiscard]] const std::vector<std::uint8_t>& confirmation() const;
  // Constant-time check of the peer's confirmation (cB or cA); false before the peer's value.
  [[nodiscard]] bool check_peer_confirmation(std::span<const std::uint8_t> peer) const;
  // Ke, the shared secret (unused by OSP; exposed for tests).
  [[nodiscard]] const std::vector<std::uint8_t>& shared_secret() const;

 private:
  struct State;
  explicit Spake2Party(std::unique_ptr<State> state);
  std::unique_ptr<State> state_;
};

}  // namespace lp2p::auth
