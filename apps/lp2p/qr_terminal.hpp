// Renders text as a QR code for a terminal, two modules per character cell (Unicode half blocks),
// dark on light with the quiet zone the standard asks for, so phones scan it from the screen.
#pragma once

#include <string>
#include <string_view>

#include "lp2p/result.hpp"

namespace lp2p::cli {

Result<std::string> qr_for_terminal(std::string_view text);

}  // namespace lp2p::cli
