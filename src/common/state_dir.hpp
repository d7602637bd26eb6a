// Where an agent keeps its state (identity, settings, later its database): --state-dir, else
// $XDG_STATE_HOME/lp2p, else ~/.local/state/lp2p.
#pragma once

#include <filesystem>
#include <optional>

namespace lp2p {

std::filesystem::path default_state_dir();

}  // namespace lp2p
