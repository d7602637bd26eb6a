// `lp2p peers`: the devices this agent knows, whether they are paired, and which origins they are
// granted to; `forget`, `grant` and `revoke` change that. Reads and writes the state directory's
// database (src/store), so it works while an agent runs there.
#pragma once

#include "wire_command.hpp"

namespace lp2p::cli {

void add_peers_command(CLI::App& parent, const Io& io, int& exit_code);

}  // namespace lp2p::cli
