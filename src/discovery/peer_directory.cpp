#include "discovery/peer_directory.hpp"

#include <algorithm>

#include "common/ascii.hpp"

namespace lp2p::discovery {
namespace {

std::string slot(std::string_view provider, std::string_view key) {
  std::string s(provider);
  s.push_back('\0');
  s.append(key);
  return s;
}

}  // namespace

void PeerDirectory::remember(const std::string& fingerprint) {
  if (!before_.contains(fingerprint)) before_[fingerprint] = merged(fingerprint);
}

void PeerDirectory::update(Sighting sighting) {
  const std::string s = slot(sighting.provider, sighting.key);
  // The same slot may now name another fingerprint (a device re-keyed): drop the old one.
  if (auto previous = owner_.find(s);
      previous != owner_.end() && previous->second != sighting.fingerprint) {
    remove(sighting.provider, sighting.key);
  }
  const std::string fp = sighting.fingerprint;
  remember(fp);
  owner_[s] = fp;
  sightings_[fp][s] = {++sequence_, std::move(sighting)};
}

void PeerDirectory::remove(std::string_view provider, std::string_view key) {
  const std::string s = slot(provider, key);
  auto owner = owner_.find(s);
  if (owner == owner_.end()) return;
  const std::string fp = owner->second;
  remember(fp);
  owner_.erase(owner);
  auto& of_peer = sightings_[fp];
  of_peer.erase(s);
  if (of_peer.empty()) sightings_.erase(fp);
}

std::optional<Peer> PeerDirectory::merged(const std::string& fingerprint) const {
  auto it = sightings_.find(fingerprint);
  if (it == sightings_.end() || it->second.empty()) return std::nullopt;
  Peer peer;
  peer.fingerprint = fingerprint;
  std::uint64_t newest = 0;
  for (const auto& [s, entry] : it->second) {
    const auto& [seq, sighting] = entry;
    peer.addresses.insert(peer.addresses.end(), sighting.addresses.begin(),
                          sighting.addresses.end());
    peer.providers.push_back(sighting.provider);
    if (seq >= newest) {
      newest = seq;
      peer.name = sighting.name;
      peer.name_truncated = sighting.name_truncated;
      peer.metadata = sighting.metadata;
    }
  }
  // The interface matters only to reach an IPv6 link-local address; elsewhere routing picks it,
  // and the same address seen through two providers must be one address.
  for (auto& a : peer.addresses) {
    if (!a.ip.is_link_local()) a.interface_index = 0;
  }
  // std::unique, not std::ranges::unique: clang 14 cannot compile the latter with libstdc++ 12.
  std::ranges::sort(peer.addresses);
  peer.addresses.erase(std::unique(peer.addresses.begin(), peer.addresses.end()),
                       peer.addresses.end());
  std::ranges::sort(peer.providers);
  peer.providers.erase(std::unique(peer.providers.begin(), peer.providers.end()),
                       peer.providers.end());
  if (auto osp = osp_metadata(peer.metadata)) peer.metadata_version = osp->metadata_version;
  return peer;
}

std::vector<DirectoryEvent> PeerDirectory::take_events() {
  std::vector<DirectoryEvent> events;
  for (auto& [fp, before] : before_) {
    const std::optional<Peer> after = merged(fp);
    if (!before && after) {
      events.push_back({DirectoryEvent::Kind::added, *after});
    } else if (before && !after) {
      events.push_back({DirectoryEvent::Kind::removed, *before});
    } else if (before && after) {
      if (before->metadata != after->metadata || before->name != after->name) {
        events.push_back({DirectoryEvent::Kind::metadata_changed, *after});
      }
      if (before->addresses != after->addresses) {
        events.push_back({DirectoryEvent::Kind::addresses_changed, *after});
      }
    }
  }
  before_.clear();
  return events;
}

std::optional<Peer> PeerDirectory::find(std::string_view fingerprint) const {
  return merged(std::string(fingerprint));
}

std::vector<Peer> PeerDirectory::peers() const {
  std::vector<Peer> out;
  for (const auto& [fp, s] : sightings_) {
    if (auto p = merged(fp)) out.push_back(std::move(*p));
  }
  return out;
}

std::vector<Peer> PeerDirectory::match(std::string_view text) const {
  std::vector<Peer> out;
  if (text.empty()) return out;
  for (auto& p : peers()) {
    if (p.fingerprint.starts_with(text) || ascii_iequals(p.name, text)) out.push_back(std::move(p));
  }
  return out;
}

}  // namespace lp2p::discovery
