// Domain names as sequences of labels (RFC 1035 §3.1). Labels are raw bytes: DNS-SD instance
// names may hold any UTF-8, dots and even NUL (osp-brief §1.1), so nothing here parses dots.
// Comparison is ASCII case-insensitive, as DNS requires.
#pragma once

#include <string>
#include <string_view>
#include <vector>

#include "lp2p/result.hpp"

namespace lp2p::mdns {

inline constexpr std::size_t kMaxLabelSize = 63;
inline constexpr std::size_t kMaxNameSize = 255;  // wire form, length bytes and root included

class DnsName {
 public:
  DnsName() = default;
  explicit DnsName(std::vector<std::string> labels) : labels_(std::move(labels)) {}

  // Parses dotted text ("_openscreen._udp.local"); a trailing dot is allowed. For names built
  // by the program, not for instance names (which may contain dots: use with_prefix).
  static Result<DnsName> parse(std::string_view dotted);

  // The name with `label` added in front: instance + service type.
  [[nodiscard]] DnsName with_prefix(std::string label) const;
  // The name without its first `count` labels.
  [[nodiscard]] DnsName parent(std::size_t count = 1) const;

  [[nodiscard]] const std::vector<std::string>& labels() const { return labels_; }
  [[nodiscard]] bool empty() const { return labels_.empty(); }
  [[nodiscard]] std::size_t wire_size() const;  // uncompressed, root byte included
  // Valid for the wire: labels 1..63 bytes, whole name at most 255 bytes.
  [[nodiscard]] Result<void> validate() const;

  // Dotted text for logs; dots and backslashes inside labels are escaped as in RFC 4343.
  [[nodiscard]] std::string to_string() const;

  // Case-insensitive (ASCII) equality.
  friend bool operator==(const DnsName& a, const DnsName& b);
  // True when this name ends with `suffix` (a name is its own suffix).
  [[nodiscard]] bool ends_with(const DnsName& suffix) const;

 private:
  std::vector<std::string> labels_;
};

bool labels_equal(std::string_view a, std::string_view b);  // ASCII case-insensitive

}  // namespace lp2p::mdns
