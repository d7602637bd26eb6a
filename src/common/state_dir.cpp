#include "common/state_dir.hpp"

#include <cstdlib>

namespace lp2p {

std::filesystem::path default_state_dir() {
  if (const char* xdg = std::getenv("XDG_STATE_HOME"); xdg != nullptr && *xdg == '/') {
    return std::filesystem::path(xdg) / "lp2p";
  }
  if (const char* home = std::getenv("HOME"); home != nullptr && *home != '\0') {
    return std::filesystem::path(home) / ".local" / "state" / "lp2p";
  }
  return std::filesystem::current_path() / ".lp2p-state";
}

}  // namespace lp2p
