#include "peer_trust.hpp"

namespace lp2p::cli {

Trust trust_of(store::Store* store, const std::string& fingerprint, const std::string& name) {
  if (store == nullptr) return {};
  const auto known = store->peer(fingerprint);
  if (!known) return {};
  if (*known && (*known)->authenticated_at) return {Trust::Kind::paired, {}};
  if (!name.empty()) {
    if (const auto named = store->trusted_peers_named(name); named) {
      for (const auto& peer : *named) {
        if (peer.fingerprint != fingerprint) return {Trust::Kind::impostor, peer.fingerprint};
      }
    }
  }
  return {Trust::Kind::unpaired, {}};
}

std::string_view to_string(Trust::Kind kind) {
  switch (kind) {
    case Trust::Kind::paired:
      return "paired";
    case Trust::Kind::unpaired:
      return "unpaired";
    case Trust::Kind::impostor:
      return "impostor";
    case Trust::Kind::unknown:
      return "unknown";
  }
  return "unknown";
}

std::string describe(const Trust& trust, const std::string& name) {
  switch (trust.kind) {
    case Trust::Kind::paired:
      return "paired";
    case Trust::Kind::unpaired:
      return "not paired";
    case Trust::Kind::impostor:
      return "NOT the paired \"" + name + "\": another key (the paired one is " +
             trust.paired_fingerprint.substr(0, 8) + "...)";
    case Trust::Kind::unknown:
      return "";
  }
  return "";
}

}  // namespace lp2p::cli
