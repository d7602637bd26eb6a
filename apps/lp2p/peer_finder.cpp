#include "peer_finder.hpp"

#include <fmt/format.h>

#include <boost/asio/post.hpp>

#include "auth/agent_hostname.hpp"
#include "common/ascii.hpp"
#include "discovery/dns_sd_provider.hpp"
#include "discovery/metadata.hpp"
#include "discovery/ticket.hpp"
#include "peer_address.hpp"

namespace lp2p::cli {
namespace {

// The peer as discovery knows it, with the addresses of the families the user allows.
std::optional<Target> target_of_peer(const discovery::Peer& peer, const AgentOptions& agent) {
  auto osp = discovery::osp_metadata(peer.metadata);
  if (!osp) return std::nullopt;
  Target target{peer.fingerprint, peer.name, osp->serial, osp->auth_token, {}};
  for (const auto& a : peer.addresses) {
    if ((a.ip.v6 && !agent.no_ipv6) || (!a.ip.v6 && !agent.no_ipv4)) target.addresses.push_back(a);
  }
  if (target.addresses.empty()) return std::nullopt;
  return target;
}

bool matches(const discovery::Peer& peer, const std::string& wanted) {
  if (ascii_lower(peer.name).starts_with(ascii_lower(wanted))) return true;
  return wanted.size() >= 4 && peer.fingerprint.starts_with(wanted);
}

}  // namespace

std::string Target::sni() const {
  return name.empty() && sn.empty() ? std::string() : auth::peer_hostname(sn, name);
}

PeerFinder::PeerFinder(boost::asio::io_context& io, std::string command, const AgentOptions& agent,
                       std::chrono::milliseconds timeout)
    : io_(io), command_(std::move(command)), agent_(agent), timeout_(timeout), deadline_(io) {}

void PeerFinder::find(const std::string& peer, const std::string& fingerprint, Found found,
                      Failed failed) {
  found_ = std::move(found);
  failed_ = std::move(failed);
  const auto fail = [this](int code, std::string message) {
    done_ = true;
    boost::asio::post(io_, [this, code, message = std::move(message)] {
      failed_(code, command_ + ": " + message);
    });
  };
  const auto succeed = [this](Target target) {
    done_ = true;
    boost::asio::post(io_, [this, target = std::move(target)] { found_(target); });
  };
  if (peer.starts_with(discovery::kTicketPrefix)) {
    auto ticket = discovery::decode_ticket(peer);
    if (!ticket) return fail(kExitUsage, "this ticket is not valid: " + ticket.error().message);
    std::optional<std::string> token;
    if (!ticket->auth_token.empty()) token = ticket->auth_token;
    return succeed(
        Target{ticket->fingerprint, ticket->name, ticket->serial, token, ticket->addresses});
  }
  if (auto address = parse_host_port(peer)) {
    if (!discovery::is_fingerprint(fingerprint)) {
      return fail(kExitUsage,
                  "connecting to an address needs the peer's fingerprint: --fp FP (44 "
                  "characters, as `lp2p discover` or `lp2p advertise` show it)");
    }
    return succeed(Target{fingerprint, "", "", std::nullopt, {*address}});
  }
  wanted_ = peer;
  auto created = discovery::Discovery::create(io_, {{std::string(discovery::kDnsSdProvider)},
                                                    agent_.group,
                                                    agent_.interfaces,
                                                    !agent_.no_ipv4,
                                                    !agent_.no_ipv6});
  if (!created) return fail(kExitFailed, created.error().message);
  discovery_ = std::move(*created);
  discovery_->on_events([this](const std::vector<discovery::DirectoryEvent>&) { look(); });
  if (auto started = discovery_->start_browsing(); !started) {
    return fail(kExitFailed, started.error().message);
  }
  deadline_.expires_after(timeout_);
  deadline_.async_wait([this](const boost::system::error_code& ec) {
    if (ec || done_) return;
    done_ = true;
    discovery_->stop_browsing();
    failed_(kExitNotFound, command_ + ": no device named \"" + wanted_ +
                               "\" (or with a fingerprint starting so) found within " +
                               fmt::format("{:g}", static_cast<double>(timeout_.count()) / 1000) +
                               " s. `lp2p discover` lists the devices in reach.");
  });
}

void PeerFinder::look() {
  if (done_) return;
  std::vector<discovery::Peer> found;
  for (const auto& peer : discovery_->directory().peers()) {
    if (matches(peer, wanted_)) found.push_back(peer);
  }
  if (found.empty()) return;
  std::optional<Target> target;
  if (found.size() == 1) {
    target = target_of_peer(found.front(), agent_);
    if (!target) return;  // no usable address of an allowed family yet: keep looking
  }
  done_ = true;
  deadline_.cancel();
  discovery_->stop_browsing();
  if (!target) {
    std::string message = command_ + ": \"" + wanted_ + "\" matches several devices:\n";
    for (const auto& p : found) message += "  " + p.name + "  " + p.fingerprint + "\n";
    message += "Name one by a longer fingerprint prefix.";
    failed_(kExitUsage, std::move(message));
    return;
  }
  found_(*target);
}

}  // namespace lp2p::cli
