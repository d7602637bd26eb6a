// The peers this agent knows of, keyed by fingerprint. Providers report sightings (one per
// provider and provider-chosen key, e.g. an mDNS instance on one interface); the directory merges
// the sightings of a fingerprint into one Peer — addresses across interfaces and providers — and
// reports changes in batches: take_events() returns one event per peer that changed since the
// last call, with add-then-remove collapsing to nothing.
//
// Not thread-safe: used on the agent's loop thread.
#pragma once

#include <map>
#include <optional>
#include <string>
#include <vector>

#include "discovery/metadata.hpp"
#include "mdns/endpoint.hpp"

namespace lp2p::discovery {

struct PeerAddress {
  mdns::IpAddress ip;
  std::uint16_t port = 0;
  std::uint32_t interface_index = 0;  // needed to dial IPv6 link-local addresses
  bool operator==(const PeerAddress&) const = default;
  auto operator<=>(const PeerAddress&) const =
      default;  // NOLINT(modernize-use-nullptr): clang-tidy 14 bug
};

struct Sighting {
  std::string provider;  // "dns-sd", "manual", ...
  std::string key;       // unique within the provider
  std::string fingerprint;
  std::string name;  // display name as advertised
  bool name_truncated = false;
  std::vector<PeerAddress> addresses;
  Metadata metadata;
};

struct Peer {
  std::string fingerprint;
  std::string name;
  bool name_truncated = false;
  std::vector<PeerAddress>
      addresses;      // sorted, without duplicates; interface only for IPv6 link-local
  Metadata metadata;  // from the most recent sighting
  std::optional<std::uint64_t> metadata_version;
  std::vector<std::string> providers;  // sorted
  bool operator==(const Peer&) const = default;
};

struct DirectoryEvent {
  enum class Kind { added, removed, metadata_changed, addresses_changed } kind = Kind::added;
  Peer peer;  // for removed: the peer as it was
};

class PeerDirectory {
 public:
  void update(Sighting sighting);
  void remove(std::string_view provider, std::string_view key);
  std::vector<DirectoryEvent> take_events();
  [[nodiscard]] bool has_events() const { return !before_.empty(); }

  [[nodiscard]] std::optional<Peer> find(std::string_view fingerprint) const;
  [[nodiscard]] std::vector<Peer> peers() const;
  // Peers whose fingerprint starts with `text`, or whose name equals it (case-insensitively).
  [[nodiscard]] std::vector<Peer> match(std::string_view text) const;

 private:
  [[nodiscard]] std::optional<Peer> merged(const std::string& fingerprint) const;
  void remember(const std::string& fingerprint);

  // fingerprint → (provider + '\0' + key) → sighting; sequence numbers order the sightings.
  std::map<std::string, std::map<std::string, std::pair<std::uint64_t, Sighting>>> sightings_;
  std::map<std::string, std::string> owner_;           // provider + '\0' + key → fingerprint
  std::map<std::string, std::optional<Peer>> before_;  // state at the start of the batch
  std::uint64_t sequence_ = 0;
};

}  // namespace lp2p::discovery
