// The agent certificate of osp-brief §2.2: X.509 v3, self-signed with the agent's P-256 key,
// 160-bit serial (serial.hpp), Subject CN = SAN dNSName = agent hostname (agent_hostname.hpp),
// Issuer CN = model name, key usage digitalSignature, extended key usage serverAuth + clientAuth
// (what go-lp2p checks, §8), valid from a day ago for a year (§7 #19). Peers verify it by pinning
// the SPKI fingerprint, not by PKI, so re-issuing it with the same key keeps the identity.
#pragma once

#include <chrono>
#include <cstdint>
#include <string>
#include <vector>

#include "auth/serial.hpp"
#include "lp2p/result.hpp"

using EVP_PKEY = struct evp_pkey_st;

namespace lp2p::auth {

struct CertificateRequest {
  std::string hostname;    // Subject CN and SAN dNSName
  std::string model_name;  // Issuer CN
  CertificateSerial serial;
  std::chrono::system_clock::time_point now = std::chrono::system_clock::now();
};

// The certificate, DER-encoded, signed with `key` (ECDSA with SHA-256).
Result<std::vector<std::uint8_t>> make_agent_certificate(EVP_PKEY* key,
                                                         const CertificateRequest& request);

}  // namespace lp2p::auth
