// The agent's long-lived key (ECDSA P-256, osp-brief §2.2) and the fingerprint derived from it:
// base64(SHA-256(DER SubjectPublicKeyInfo)), 44 characters, the peer ID everywhere in OSP.
// The certificate built on this key comes with the transport; the fingerprint covers the key
// only, so re-issuing the certificate never changes the identity.
#pragma once

#include <filesystem>
#include <memory>
#include <span>
#include <string>
#include <vector>

#include "lp2p/result.hpp"

using EVP_PKEY = struct evp_pkey_st;

namespace lp2p::auth {

std::string fingerprint_of_spki(std::span<const std::uint8_t> spki_der);

class Identity {
 public:
  // Loads the key from `dir`/agent-key.pem, or creates it there (mode 0600) on first use.
  static Result<Identity> load_or_create(const std::filesystem::path& dir);

  [[nodiscard]] const std::string& fingerprint() const { return fingerprint_; }
  [[nodiscard]] const std::vector<std::uint8_t>& spki() const { return spki_; }
  [[nodiscard]] EVP_PKEY* key() const { return key_.get(); }

 private:
  struct KeyDeleter {
    void operator()(EVP_PKEY* key) const;
  };
  Identity(std::unique_ptr<EVP_PKEY, KeyDeleter> key, std::vector<std::uint8_t> spki);

  std::unique_ptr<EVP_PKEY, KeyDeleter> key_;
  std::vector<std::uint8_t> spki_;
  std::string fingerprint_;
};

}  // namespace lp2p::auth
