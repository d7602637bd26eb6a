#include "discovery/metadata.hpp"

#include <algorithm>
#include <cctype>

#include "common/ascii.hpp"
#include "wire/varint.hpp"

namespace lp2p::discovery {

Metadata parse_txt(const std::vector<std::string>& strings) {
  Metadata out;
  for (const auto& s : strings) {
    const std::size_t eq = s.find('=');
    std::string key = ascii_lower(s.substr(0, eq));
    if (key.empty()) continue;  // RFC 6763 §6.4: a string starting with '=' is ignored
    std::string value = eq == std::string::npos ? std::string() : s.substr(eq + 1);
    out.emplace(std::move(key), std::move(value));  // emplace keeps the first
  }
  return out;
}

std::vector<std::string> to_txt(const Metadata& metadata) {
  std::vector<std::string> out;
  out.reserve(metadata.size());
  for (const auto& [key, value] : metadata) {
    std::string entry = key;
    entry.push_back('=');
    entry.append(value);
    out.push_back(std::move(entry));
  }
  return out;
}

bool is_fingerprint(std::string_view text) {
  if (text.size() != kFingerprintSize || !text.ends_with('=')) return false;
  return std::ranges::all_of(text.substr(0, kFingerprintSize - 1), [](char c) {
    return std::isalnum(static_cast<unsigned char>(c)) != 0 || c == '+' || c == '/';
  });
}

Result<OspMetadata> osp_metadata(const Metadata& metadata) {
  OspMetadata out;
  const auto fp = metadata.find(std::string(kTxtFingerprint));
  if (fp == metadata.end()) return make_error(Errc::missing_field, "TXT record has no fp key");
  if (!is_fingerprint(fp->second)) {
    return make_error(Errc::malformed, "TXT fp is not a 44-character base64 SHA-256 fingerprint");
  }
  out.fingerprint = fp->second;
  if (const auto mv = metadata.find(std::string(kTxtMetadataVersion)); mv != metadata.end()) {
    const auto bytes =
        std::span(reinterpret_cast<const std::uint8_t*>(mv->second.data()), mv->second.size());
    const auto v = wire::decode_varint(bytes);
    // osp-brief §7 #9: a bad mv means "changed"; nullopt makes the caller refresh agent-info.
    if (v && v->length == bytes.size()) out.metadata_version = v->value;
  }
  if (const auto at = metadata.find(std::string(kTxtAuthToken)); at != metadata.end())
    out.auth_token = at->second;
  if (const auto sn = metadata.find(std::string(kTxtSerial)); sn != metadata.end())
    out.serial = sn->second;
  return out;
}

Metadata make_metadata(const OspMetadata& osp) {
  Metadata m;
  m[std::string(kTxtFingerprint)] = osp.fingerprint;
  std::vector<std::uint8_t> mv;
  wire::append_varint(osp.metadata_version.value_or(0), mv);
  m[std::string(kTxtMetadataVersion)] = std::string(mv.begin(), mv.end());
  m[std::string(kTxtAuthToken)] = osp.auth_token;
  if (!osp.serial.empty()) m[std::string(kTxtSerial)] = osp.serial;
  return m;
}

}  // namespace lp2p::discovery
