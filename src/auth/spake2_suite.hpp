// The part of a SPAKE2 ciphersuite that Spake2Party uses (internal to src/auth). A suite is a
// group with its M and N, plus a hash, a KDF and a MAC (RFC 9382 §3.1, §4). Scalars and group
// elements cross this interface as bytes in the suite's own encoding, so a suite on another group
// (edwards25519, osp-brief §7 #4) fits without the party knowing any group type.
//
// Contract: every method is const and safe to call from several threads at once. Secrets (w, x,
// y, K, keys) travel in SecretBytes, which wipes them when they go away.
#pragma once

#include <openssl/crypto.h>

#include <cstddef>
#include <cstdint>
#include <span>
#include <string_view>
#include <vector>

#include "auth/spake2.hpp"
#include "lp2p/result.hpp"

namespace lp2p::auth {

// A byte buffer wiped with OPENSSL_cleanse on destruction and before being overwritten.
class SecretBytes {
 public:
  SecretBytes() = default;
  explicit SecretBytes(std::size_t size) : bytes_(size) {}
  explicit SecretBytes(std::span<const std::uint8_t> bytes) : bytes_(bytes.begin(), bytes.end()) {}
  SecretBytes(const SecretBytes&) = delete;
  SecretBytes& operator=(const SecretBytes&) = delete;
  SecretBytes(SecretBytes&& other) noexcept = default;
  SecretBytes& operator=(SecretBytes&& other) noexcept {
    if (this != &other) {
      wipe();
      bytes_ = std::move(other.bytes_);
    }
    return *this;
  }
  ~SecretBytes() { wipe(); }

  [[nodiscard]] std::vector<std::uint8_t>& bytes() { return bytes_; }
  [[nodiscard]] const std::vector<std::uint8_t>& bytes() const { return bytes_; }
  [[nodiscard]] std::span<const std::uint8_t> view() const { return bytes_; }
  [[nodiscard]] std::size_t size() const { return bytes_.size(); }

 private:
  void wipe() { OPENSSL_cleanse(bytes_.data(), bytes_.size()); }
  std::vector<std::uint8_t> bytes_;
};

class Spake2GroupSuite : public Spake2Suite {
 public:
  // Size of a scalar, and of w inside TT (big-endian, zero-padded).
  [[nodiscard]] virtual std::size_t scalar_size() const = 0;

  // `bytes` (a hash of pw) as an integer mod the group order: w of RFC 9382 §3.2.
  [[nodiscard]] virtual Result<SecretBytes> reduce_to_scalar(
      std::span<const std::uint8_t> bytes) const = 0;
  // A scalar from the CSPRNG, uniform in [1, order).
  [[nodiscard]] virtual Result<SecretBytes> random_scalar() const = 0;
  // A caller's scalar (test vectors): at most scalar_size() bytes and below the order; padded.
  [[nodiscard]] virtual Result<SecretBytes> import_scalar(
      std::span<const std::uint8_t> bytes) const = 0;

  // Alice: w·M + s·P; Bob: w·N + s·P (the `role` is ours).
  [[nodiscard]] virtual Result<std::vector<std::uint8_t>> public_value(
      Spake2Role role, const SecretBytes& w, const SecretBytes& s) const = 0;
  // Alice: K = h·s·(peer − w·N); Bob: K = h·s·(peer − w·M). An Errc::protocol_error when `peer`
  // does not decode to a valid element other than the identity, or when K is the identity.
  [[nodiscard]] virtual Result<SecretBytes> shared_element(
      Spake2Role role, const SecretBytes& w, const SecretBytes& s,
      std::span<const std::uint8_t> peer) const = 0;

  [[nodiscard]] virtual std::size_t hash_size() const = 0;
  [[nodiscard]] virtual Result<SecretBytes> hash(std::span<const std::uint8_t> data) const = 0;
  // KDF(ikm, salt = empty, info) producing `size` bytes.
  [[nodiscard]] virtual Result<SecretBytes> kdf(std::span<const std::uint8_t> ikm,
                                                std::string_view info, std::size_t size) const = 0;
  [[nodiscard]] virtual Result<std::vector<std::uint8_t>> mac(
      std::span<const std::uint8_t> key, std::span<const std::uint8_t> data) const = 0;
  [[nodiscard]] virtual std::size_t confirmation_keys_size() const = 0;
  [[nodiscard]] virtual std::string_view confirmation_keys_info() const = 0;
};

}  // namespace lp2p::auth
