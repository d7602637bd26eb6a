#include "discovery/ticket.hpp"

#include <algorithm>
#include <cctype>
#include <cstring>

#include "common/base64.hpp"
#include "wire/cbor_cursor.hpp"
#include "wire/cbor_writer.hpp"
#include "wire/codec_detail.hpp"

namespace lp2p::discovery {

Result<std::string> encode_ticket(const Ticket& ticket) {
  const auto fp = from_base64(ticket.fingerprint);
  if (!is_fingerprint(ticket.fingerprint) || !fp || fp->size() != 32) {
    return make_error(Errc::invalid_argument, "ticket needs a 44-character base64 fingerprint");
  }
  if (ticket.addresses.empty())
    return make_error(Errc::invalid_argument, "ticket needs at least one address");
  std::vector<std::uint8_t> cbor;
  wire::CborWriter w(cbor);
  const std::size_t optional_keys =
      (ticket.auth_token.empty() ? 0U : 1U) + (ticket.serial.empty() ? 0U : 1U);
  w.map(5 + optional_keys);
  w.uint(0);
  w.bytes(*fp);
  w.uint(1);
  w.array(ticket.addresses.size());
  for (const auto& a : ticket.addresses) w.bytes(std::span(a.ip.bytes.data(), a.ip.v6 ? 16U : 4U));
  w.uint(2);
  w.uint(ticket.addresses.front().port);
  w.uint(3);
  w.text(ticket.name);
  w.uint(4);
  w.array(ticket.addresses.size());
  for (const auto& a : ticket.addresses) w.uint(a.interface_index);
  if (!ticket.auth_token.empty()) {
    w.uint(5);
    w.text(ticket.auth_token);
  }
  if (!ticket.serial.empty()) {
    w.uint(6);
    w.text(ticket.serial);
  }
  return std::string(kTicketPrefix) + base64url(cbor);
}

Result<Ticket> decode_ticket(std::string_view text) {
  while (!text.empty() && std::isspace(static_cast<unsigned char>(text.back())) != 0)
    text.remove_suffix(1);
  while (!text.empty() && std::isspace(static_cast<unsigned char>(text.front())) != 0)
    text.remove_prefix(1);
  if (!text.starts_with(kTicketPrefix)) {
    return make_error(Errc::invalid_argument, "not an lp2p ticket (tickets start with \"lp2p1\")");
  }
  const auto cbor = from_base64(text.substr(kTicketPrefix.size()));
  if (!cbor)
    return make_error(Errc::malformed, "ticket: damaged (not base64url); copy it again in full");
  using namespace wire::detail;
  wire::CborCursor c(*cbor);
  const Where where{"ticket", nullptr, 0, {}};
  Ticket t;
  std::vector<std::vector<std::uint8_t>> ips;
  std::vector<std::uint64_t> indexes;
  std::uint64_t port = 0;
  auto seen = read_map(c, where, [&](std::uint64_t key) -> Result<bool> {
    switch (key) {
      case 0: {
        auto fp = read_bytes(c, where.at(0, "fingerprint"));
        if (!fp) return std::move(fp).error();
        if (fp->size() != 32)
          return make_error(Errc::malformed, "ticket: fingerprint is not 32 bytes");
        t.fingerprint = base64(*fp);
        return true;
      }
      case 1:
        return store(ips, read_array<wire::Bytes>(c, where.at(1, "addresses"), read_bytes));
      case 2:
        return store(port, read_uint(c, where.at(2, "port")));
      case 3:
        return store(t.name, read_text(c, where.at(3, "name")));
      case 4:
        return store(indexes, read_array<std::uint64_t>(c, where.at(4, "interfaces"), read_uint));
      case 5:
        return store(t.auth_token, read_text(c, where.at(5, "auth token")));
      case 6:
        return store(t.serial, read_text(c, where.at(6, "serial")));
      default:
        return false;
    }
  });
  if (!seen) return std::move(seen).error();
  LP2P_TRY(require(*seen, where, {{0, "fingerprint"}, {1, "addresses"}, {2, "port"}}));
  if (port == 0 || port > 65535) return make_error(Errc::malformed, "ticket: bad port");
  for (std::size_t i = 0; i < ips.size(); ++i) {
    PeerAddress a;
    if (ips[i].size() == 4) {
      std::memcpy(a.ip.bytes.data(), ips[i].data(), 4);
    } else if (ips[i].size() == 16) {
      a.ip.v6 = true;
      std::memcpy(a.ip.bytes.data(), ips[i].data(), 16);
    } else {
      return make_error(Errc::malformed, "ticket: an address is neither IPv4 nor IPv6");
    }
    a.port = static_cast<std::uint16_t>(port);
    if (i < indexes.size()) a.interface_index = static_cast<std::uint32_t>(indexes[i]);
    t.addresses.push_back(a);
  }
  if (t.addresses.empty()) return make_error(Errc::malformed, "ticket: no address");
  return t;
}

}  // namespace lp2p::discovery
