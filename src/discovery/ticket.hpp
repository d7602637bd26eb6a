// A ticket: everything needed to reach a peer without multicast, as one copy-pasteable string —
// fingerprint, every candidate address, port and display name. Format: "lp2p1" followed by the
// base64url (no padding) of a CBOR map {0: fingerprint (32 raw bytes), 1: [address bytes (4 or
// 16)], 2: port, 3: display name, ? 4: [interface index per address], ? 5: auth-initiation token
// `at` (text), ? 6: serial `sn` (text)}. Keys 5 and 6 let a ticket pair and name the TLS SNI
// like an mDNS answer; older tickets without them still decode. Letters, digits, '-' and '_'
// only, so it survives chat apps, shells and QR codes.
#pragma once

#include <string>
#include <vector>

#include "discovery/peer_directory.hpp"
#include "lp2p/result.hpp"

namespace lp2p::discovery {

inline constexpr std::string_view kTicketPrefix = "lp2p1";

struct Ticket {
  std::string fingerprint;  // 44-character base64
  std::vector<PeerAddress> addresses;
  std::string name;
  std::string auth_token;  // `at`; empty: unknown
  std::string serial;      // `sn`; empty: unknown
  bool operator==(const Ticket&) const = default;
};

Result<std::string> encode_ticket(const Ticket& ticket);
Result<Ticket> decode_ticket(std::string_view text);

}  // namespace lp2p::discovery
