// The agent hostname (osp-brief §2.3): TLS SNI and the certificate's Subject CN and SAN.
//   base64url(serial) "." enc(instance name) "." enc(domain)
// where enc() replaces every character outside [A-Za-z0-9-] by '-', one '-' per code point
// (§7 #10), and the serial is written base64url without padding (§7 #2, as go-lp2p does).
#pragma once

#include <string>
#include <string_view>

#include "auth/serial.hpp"

namespace lp2p::auth {

std::string hostname_label(std::string_view text);  // enc()
std::string agent_hostname(const CertificateSerial& serial, std::string_view instance_name,
                           std::string_view domain = "local");
// The SNI for dialing a discovered peer (osp-brief §7 #1): its `sn` TXT value verbatim; without
// one, "<enc(instance)>.local" as Chromium does.
std::string peer_hostname(std::string_view sn, std::string_view instance_name,
                          std::string_view domain = "local");

}  // namespace lp2p::auth
