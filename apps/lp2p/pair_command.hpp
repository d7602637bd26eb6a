// `lp2p pair PEER`: pair with a device (OSP authentication with a short code, osp-brief §4), so
// that both trust each other from then on.
#pragma once

#include "wire_command.hpp"

namespace lp2p::cli {

void add_pair_command(CLI::App& parent, const Io& io, int& exit_code);

}  // namespace lp2p::cli
