// What this device's store says about a device seen on the network: paired, not paired, or
// using the name of a paired device with another key (osp-brief §1: a different, unverified
// device, whatever it calls itself).
#pragma once

#include <string>
#include <string_view>

#include "store/store.hpp"

namespace lp2p::cli {

struct Trust {
  enum class Kind { paired, unpaired, impostor, unknown };
  Kind kind = Kind::unknown;
  std::string paired_fingerprint;  // impostor: the key of the paired device with that name
};

// `store` may be null (no store could be opened): unknown.
Trust trust_of(store::Store* store, const std::string& fingerprint, const std::string& name);

// "paired", "unpaired", "impostor", "unknown" (the JSON form).
std::string_view to_string(Trust::Kind kind);
// For people: "paired", "not paired", "NOT the paired \"NAME\": another key (FP…)", "".
std::string describe(const Trust& trust, const std::string& name);

}  // namespace lp2p::cli
