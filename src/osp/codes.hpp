// Application error codes this agent uses in QUIC CONNECTION_CLOSE, RESET_STREAM and
// STOP_SENDING. 5139 and 404 are OSP's (osp-brief §2.1); the others are lp2p's own choices,
// documented in docs/transport.md: OSP defines no code for them, and they follow the HTTP-like
// style of 404 so that a packet capture reads naturally.
#pragma once

#include <cstdint>

namespace lp2p::osp {

enum class CloseCode : std::uint64_t {
  normal = 5139,            // OSP: neither side needs the connection any more
  bad_message = 400,        // malformed framing or CBOR, or a message where it may not be
  auth_failed = 401,        // pairing failed (wrong code, refused, cancelled); reason says why
  not_authenticated = 403,  // stream refused: the message needs authentication first
  unknown_type_key = 404,   // OSP: a type key this agent does not know (reason names it)
  timed_out = 408,          // a step the peer had to take did not happen in time
  too_many_attempts = 429,  // pairing refused by back-off; the reason says when to retry
};

}  // namespace lp2p::osp
