// `lp2p advertise`, `lp2p discover` and `lp2p ticket`: being found, finding, and the copy-paste
// way to be found where multicast does not reach.
#pragma once

#include "wire_command.hpp"

namespace lp2p::cli {

void add_advertise_command(CLI::App& parent, const Io& io, int& exit_code);
void add_discover_command(CLI::App& parent, const Io& io, int& exit_code);
void add_ticket_command(CLI::App& parent, const Io& io, int& exit_code);

}  // namespace lp2p::cli
