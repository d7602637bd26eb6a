// The agent certificate as kept in the state directory (agent-cert.der), re-issued only when it
// must be: when its hostname no longer matches (the instance name changed) or it expires within
// 30 days. Re-issuing keeps the key — hence the fingerprint, the agent's identity — and takes the
// next serial (osp-brief §2.2, §7 #19), so the `sn` TXT value changes with it.
#pragma once

#include <cstdint>
#include <filesystem>
#include <string>
#include <vector>

#include "auth/identity.hpp"
#include "auth/serial.hpp"
#include "lp2p/result.hpp"

namespace lp2p::auth {

struct AgentCertificate {
  std::vector<std::uint8_t> der;
  CertificateSerial serial;
  std::string hostname;  // Subject CN and SAN; the SNI peers use
};

Result<AgentCertificate> load_or_issue_certificate(const std::filesystem::path& dir,
                                                   const Identity& identity,
                                                   const std::string& instance_name,
                                                   const std::string& model_name);

}  // namespace lp2p::auth
