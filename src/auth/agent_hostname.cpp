#include "auth/agent_hostname.hpp"

namespace lp2p::auth {

std::string hostname_label(std::string_view text) {
  std::string out;
  out.reserve(text.size());
  for (std::size_t i = 0; i < text.size(); ++i) {
    const auto c = static_cast<unsigned char>(text[i]);
    const bool keep =
        (c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z') || (c >= '0' && c <= '9') || c == '-';
    out.push_back(keep ? static_cast<char>(c) : '-');
    // One '-' for a whole UTF-8 sequence: skip its continuation bytes (10xxxxxx).
    if (c >= 0xc0) {
      while (i + 1 < text.size() && (static_cast<unsigned char>(text[i + 1]) & 0xc0U) == 0x80U) ++i;
    }
  }
  return out;
}

std::string agent_hostname(const CertificateSerial& serial, std::string_view instance_name,
                           std::string_view domain) {
  return peer_hostname(serial.sn(), instance_name, domain);
}

std::string peer_hostname(std::string_view sn, std::string_view instance_name,
                          std::string_view domain) {
  if (domain.ends_with('.')) domain.remove_suffix(1);
  std::string name = hostname_label(instance_name) + "." + hostname_label(domain);
  return sn.empty() ? name : std::string(sn) + "." + name;
}

}  // namespace lp2p::auth
