#include "quic/config.hpp"

namespace lp2p::quic {

std::string_view to_string(CongestionControl cc) {
  switch (cc) {
    case CongestionControl::cubic:
      return "cubic";
    case CongestionControl::bbr2:
      return "bbr2";
    case CongestionControl::reno:
      return "reno";
  }
  return "?";
}

bool parse_congestion_control(std::string_view text, CongestionControl& out) {
  for (auto cc : {CongestionControl::cubic, CongestionControl::bbr2, CongestionControl::reno}) {
    if (text == to_string(cc)) {
      out = cc;
      return true;
    }
  }
  return false;
}

}  // namespace lp2p::quic
