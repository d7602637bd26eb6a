// Peer addresses as people type and read them: "10.0.0.7:4433", "[fd00::7]:4433",
// "[fe80::1%eth0]:4433".
#pragma once

#include <cstdint>
#include <optional>
#include <string>

#include "discovery/peer_directory.hpp"
#include "quic/socket_address.hpp"

namespace lp2p::cli {

std::string interface_name(std::uint32_t index);
std::string format_address(const discovery::PeerAddress& a);
// "10.0.0.7:4433", "[fd00::7]:4433" or "[fe80::1%eth0]:4433" → an address; nullopt for anything
// else: IPv6 only in brackets, IPv4 never; a link-local address only with its interface.
std::optional<discovery::PeerAddress> parse_host_port(const std::string& text);

// The address to dial: IPv4 as IPv4-mapped IPv6 on the agent's dual-stack socket.
quic::SocketAddress socket_address_of(const discovery::PeerAddress& a);

}  // namespace lp2p::cli
