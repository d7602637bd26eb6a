// What the user agent tells about a peer device. An application sees a PeerInfo only for a
// Connection it was granted (after the peer authenticated and the user consented, LP2P §6); the
// consent delegate (the user agent's own UI) sees PeerCandidates while the person picks.
#pragma once

#include <string>

namespace lp2p {

struct PeerInfo {
  std::string id;          // the peer's agent fingerprint (44 characters of base64): stable
                           // across sessions. A daemon serving web pages must not hand it to
                           // script unmasked (it identifies the device across origins).
  std::string name;        // display name, verified by pairing
  std::string model_name;  // e.g. "lp2p 0.1.0"
};

struct PeerCandidate {
  std::string id;          // fingerprint
  std::string name;        // as advertised (not yet verified unless `paired`)
  bool paired = false;     // authenticated before: no code needed
  bool connected = false;  // a QUIC connection to it is open now
  bool operator==(const PeerCandidate&) const = default;
};

}  // namespace lp2p
