// Transport settings of the agent's QUIC endpoint (osp-brief §2.1; ../shared/NGTCP2-NOTES.md).
#pragma once

#include <chrono>
#include <cstddef>
#include <cstdint>
#include <string>
#include <string_view>
#include <vector>

#include "wire/constants.hpp"

namespace lp2p::quic {

enum class CongestionControl { cubic, bbr2, reno };
std::string_view to_string(CongestionControl cc);
bool parse_congestion_control(std::string_view text, CongestionControl& out);

struct TransportConfig {
  std::string alpn = wire::kOspAlpn;  // what a client offers; a server accepts it and `also_accept`
  std::vector<std::string> also_accept;
  // BBRv2 by default: +7–17 % over 0.12's CUBIC on loopback and LAN (NOTES §14), whose
  // target_cwnd cap starves it at sub-millisecond RTTs, and far less sensitive to random loss.
  CongestionControl congestion_control = CongestionControl::bbr2;
  std::chrono::milliseconds idle_timeout{25000};  // osp-brief §2.1
  // The pacer uses it until the first RTT sample; ngtcp2's 333 ms default holds the handshake's
  // second flight back ~17 ms on a LAN (NOTES §13).
  std::chrono::milliseconds initial_rtt{10};
  std::chrono::milliseconds handshake_timeout{10000};
  // How long we may hold an ACK (a transport parameter; QUIC's default is 25 ms). The peer adds
  // it to every probe timeout, and when losses keep its window at a few packets, ACKs that wait
  // for the timer instead of arriving a round trip later set the pace: at 5 % random loss across
  // the lab 25 ms gave ~8 MB/s, 1–2 ms ~30 MB/s, what loss-based congestion control allows there.
  std::chrono::milliseconds max_ack_delay{2};
  // Flow control: initial windows, and the ceilings auto-tuning may grow them to (NOTES §12).
  std::uint64_t stream_window = std::uint64_t{16} << 20;
  std::uint64_t connection_window = std::uint64_t{32} << 20;
  std::uint64_t max_stream_window = std::uint64_t{32} << 20;
  std::uint64_t max_connection_window = std::uint64_t{64} << 20;
  // Generous, as network.bs#messages asks: OSP opens one stream per control message.
  std::uint64_t max_streams_bidi = 1000;
  std::uint64_t max_streams_uni = 1000;
  // Bytes a stream may hold unsent or unacknowledged before write() takes no more.
  std::size_t stream_send_buffer = std::size_t{16} << 20;
  std::size_t max_udp_payload = 1452;  // ngtcp2 0.12's PMTUD ceiling (NOTES §19)
};

}  // namespace lp2p::quic
