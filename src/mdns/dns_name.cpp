#include "mdns/dns_name.hpp"

#include <algorithm>

#include "common/ascii.hpp"

namespace lp2p::mdns {

bool labels_equal(std::string_view a, std::string_view b) {
  return ascii_iequals(a, b);
}

Result<DnsName> DnsName::parse(std::string_view dotted) {
  if (dotted.ends_with('.')) dotted.remove_suffix(1);
  std::vector<std::string> labels;
  while (!dotted.empty()) {
    const std::size_t dot = dotted.find('.');
    labels.emplace_back(dotted.substr(0, dot));
    if (dot == std::string_view::npos) break;
    dotted.remove_prefix(dot + 1);
  }
  DnsName name(std::move(labels));
  LP2P_TRY(name.validate());
  return name;
}

DnsName DnsName::with_prefix(std::string label) const {
  std::vector<std::string> labels;
  labels.reserve(labels_.size() + 1);
  labels.push_back(std::move(label));
  labels.insert(labels.end(), labels_.begin(), labels_.end());
  return DnsName(std::move(labels));
}

DnsName DnsName::parent(std::size_t count) const {
  if (count >= labels_.size()) return {};
  return DnsName({labels_.begin() + static_cast<std::ptrdiff_t>(count), labels_.end()});
}

std::size_t DnsName::wire_size() const {
  std::size_t size = 1;
  for (const auto& label : labels_) size += 1 + label.size();
  return size;
}

Result<void> DnsName::validate() const {
  for (const auto& label : labels_) {
    if (label.empty() || label.size() > kMaxLabelSize) {
      return make_error(Errc::invalid_argument, "DNS label of " + std::to_string(label.size()) +
                                                    " bytes (1 to 63 allowed) in " + to_string());
    }
  }
  if (wire_size() > kMaxNameSize) {
    return make_error(Errc::invalid_argument, "DNS name longer than 255 bytes: " + to_string());
  }
  return {};
}

std::string DnsName::to_string() const {
  std::string out;
  for (const auto& label : labels_) {
    for (const char c : label) {
      if (c == '.' || c == '\\') out.push_back('\\');
      out.push_back(c);
    }
    out.push_back('.');
  }
  return out.empty() ? "." : out;
}

bool operator==(const DnsName& a, const DnsName& b) {
  return std::ranges::equal(a.labels_, b.labels_, labels_equal);
}

bool DnsName::ends_with(const DnsName& suffix) const {
  if (suffix.labels_.size() > labels_.size()) return false;
  return std::equal(suffix.labels_.rbegin(), suffix.labels_.rend(), labels_.rbegin(), labels_equal);
}

}  // namespace lp2p::mdns
