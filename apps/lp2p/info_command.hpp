// `lp2p info PEER`: connect to a peer, show its agent-info, fingerprint, the negotiated QUIC
// parameters and the connection set-up time. The diagnostic for "why does it not connect?".
#pragma once

#include "wire_command.hpp"

namespace lp2p::cli {

void add_info_command(CLI::App& parent, const Io& io, int& exit_code);

}  // namespace lp2p::cli
