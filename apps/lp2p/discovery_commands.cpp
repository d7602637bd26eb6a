#include "discovery_commands.hpp"

#include <arpa/inet.h>
#include <net/if.h>

#include <CLI/CLI.hpp>
#include <array>
#include <boost/asio/io_context.hpp>
#include <boost/asio/ip/udp.hpp>
#include <boost/asio/ip/v6_only.hpp>
#include <boost/asio/signal_set.hpp>
#include <boost/asio/steady_timer.hpp>
#include <chrono>
#include <cmath>
#include <csignal>
#include <cstdlib>
#include <iomanip>
#include <memory>
#include <nlohmann/json.hpp>
#include <optional>
#include <ostream>

#include "agent_options.hpp"
#include "auth/serial.hpp"
#include "discovery/discovery.hpp"
#include "discovery/dns_sd_provider.hpp"
#include "mdns/interfaces.hpp"
#include "pairing_ui.hpp"
#include "peer_address.hpp"
#include "peer_trust.hpp"
#include "qr_terminal.hpp"

namespace lp2p::cli {
namespace {

using Json = nlohmann::ordered_json;
using discovery::DirectoryEvent;

discovery::Discovery::Options discovery_options(const AgentOptions& agent, bool with_manual) {
  discovery::Discovery::Options o;
  o.providers = {std::string(discovery::kDnsSdProvider)};
  if (with_manual) o.providers.emplace_back(discovery::kManualProvider);
  o.group = agent.group;
  o.interfaces = agent.interfaces;
  o.ipv4 = !agent.no_ipv4;
  o.ipv6 = !agent.no_ipv6;
  return o;
}

// mDNS traffic counters, printed on exit with --json (for benchmarks and curious users).
Json stats_json(const discovery::Discovery& d) {
  Json j{{"event", "stats"}};
  const auto* provider =
      dynamic_cast<const discovery::DnsSdProvider*>(d.provider(discovery::kDnsSdProvider));
  if (provider == nullptr || provider->engine() == nullptr) return j;
  const auto& s = provider->engine()->stats();
  j["packets-sent"] = s.packets_sent;
  j["packets-received"] = s.packets_received;
  j["malformed-packets"] = s.malformed_packets;
  return j;
}

std::string short_fingerprint(const std::string& fp) {
  return fp.substr(0, 8);
}

const char* event_name(DirectoryEvent::Kind kind) {
  switch (kind) {
    case DirectoryEvent::Kind::added:
      return "added";
    case DirectoryEvent::Kind::removed:
      return "removed";
    case DirectoryEvent::Kind::metadata_changed:
      return "metadata-changed";
    case DirectoryEvent::Kind::addresses_changed:
      return "addresses-changed";
  }
  return "changed";
}

char event_mark(DirectoryEvent::Kind kind) {
  switch (kind) {
    case DirectoryEvent::Kind::added:
      return '+';
    case DirectoryEvent::Kind::removed:
      return '-';
    default:
      return '~';
  }
}

double seconds_since(std::chrono::steady_clock::time_point start) {
  return std::chrono::duration<double>(std::chrono::steady_clock::now() - start).count();
}

Json peer_json(const DirectoryEvent& e, double t, const Trust& trust) {
  Json j;
  j["event"] = event_name(e.kind);
  j["time"] = std::round(t * 1000) / 1000;
  j["name"] = e.peer.name;
  j["name-truncated"] = e.peer.name_truncated;
  j["fingerprint"] = e.peer.fingerprint;
  Json addresses = Json::array();
  for (const auto& a : e.peer.addresses) addresses.push_back(format_address(a));
  j["addresses"] = std::move(addresses);
  if (e.peer.metadata_version) {
    j["metadata-version"] = *e.peer.metadata_version;
  } else {
    j["metadata-version"] = nullptr;
  }
  j["providers"] = e.peer.providers;
  j["trust"] = to_string(trust.kind);
  if (trust.kind == Trust::Kind::impostor) j["paired-fingerprint"] = trust.paired_fingerprint;
  return j;
}

void print_peer_line(std::ostream& out, const DirectoryEvent& e, const Trust& trust) {
  std::string addresses;
  for (const auto& a : e.peer.addresses)
    addresses += (addresses.empty() ? "" : " ") + format_address(a);
  std::string providers;
  for (const auto& p : e.peer.providers) providers += (providers.empty() ? "" : ",") + p;
  const std::string mv = e.peer.metadata_version ? std::to_string(*e.peer.metadata_version) : "?";
  out << event_mark(e.kind) << ' ' << std::left << std::setw(24)
      << (e.peer.name + (e.peer.name_truncated ? "…" : "")) << ' ' << std::setw(9)
      << short_fingerprint(e.peer.fingerprint) << ' ' << std::setw(4) << mv << ' ' << std::setw(8)
      << providers << ' ' << addresses;
  if (const auto what = describe(trust, e.peer.name); !what.empty()) out << "  [" << what << ']';
  out << std::endl;  // flushed: a live view
}

// Runs `io` until Ctrl-C / SIGTERM or `timeout_s` (0: no timeout); `on_stop` runs first.
// SIGUSR1 and SIGUSR2 call their handlers (each may be empty).
void run_until_stopped(boost::asio::io_context& io, double timeout_s,
                       const std::function<void()>& on_stop,
                       const std::function<void()>& on_usr1 = {},
                       const std::function<void()>& on_usr2 = {}) {
  boost::asio::signal_set stop_signals(io, SIGINT, SIGTERM);
  boost::asio::signal_set usr1(io, SIGUSR1);
  boost::asio::signal_set usr2(io, SIGUSR2);
  boost::asio::steady_timer timeout(io);
  auto stop = [&] {
    on_stop();
    io.stop();
  };
  stop_signals.async_wait([&](const boost::system::error_code& ec, int) {
    if (!ec) stop();
  });
  std::function<void()> wait_usr1 = [&] {
    usr1.async_wait([&](const boost::system::error_code& ec, int) {
      if (ec) return;
      if (on_usr1) on_usr1();
      wait_usr1();
    });
  };
  wait_usr1();
  std::function<void()> wait_usr2 = [&] {
    usr2.async_wait([&](const boost::system::error_code& ec, int) {
      if (ec) return;
      if (on_usr2) on_usr2();
      wait_usr2();
    });
  };
  wait_usr2();
  if (timeout_s > 0) {
    timeout.expires_after(std::chrono::duration_cast<std::chrono::steady_clock::duration>(
        std::chrono::duration<double>(timeout_s)));
    timeout.async_wait([&](const boost::system::error_code& ec) {
      if (!ec) stop();
    });
  }
  io.run();
}

// Says who connects, what they tell about themselves, and how their connection ends.
void watch_sessions(osp::LocalAgent& agent, bool json, const Io& io, PairingUi& pairing) {
  agent.on_session([json, &io, &pairing](const std::shared_ptr<osp::PeerSession>& session) {
    const std::string fp = session->connection().peer_fingerprint();
    const std::string from = session->connection().remote().to_string();
    if (json) {
      io.out << Json{{"event", "connected"}, {"fingerprint", fp}, {"address", from}}.dump()
             << std::endl;
    } else {
      io.out << "Connection from " << from << " (fingerprint " << fp << ")" << std::endl;
    }
    osp::PeerSession::Events events;
    events.on_peer_info = [json, &io, fp](const wire::AgentInfo& info, bool verified) {
      if (json) {
        io.out << Json{{"event", "peer-info"},
                       {"fingerprint", fp},
                       {"display-name", info.display_name},
                       {"model-name", info.model_name},
                       {"verified", verified}}
                      .dump()
               << std::endl;
      } else {
        io.out << "  it says it is \"" << info.display_name << "\" (" << info.model_name
               << (verified ? ")" : "; unverified)") << std::endl;
      }
    };
    events.on_closed = [json, &io, fp](const quic::CloseInfo& info) {
      if (json) {
        io.out << Json{{"event", "disconnected"},
                       {"fingerprint", fp},
                       {"application", info.application},
                       {"code", info.code},
                       {"reason", info.describe()}}
                      .dump()
               << std::endl;
      } else {
        io.out << "  " << fp.substr(0, 8) << "... disconnected: " << info.describe() << std::endl;
      }
    };
    pairing.attach(events, session);
    session->set_events(std::move(events));
  });
}

struct AdvertiseOptions {
  AgentOptions agent;
  bool json = false;
  double timeout = 0;
};

int run_advertise(const AdvertiseOptions& options, const Io& io) {
  configure_logging(options.agent);
  auto port = agent_port(options.agent);
  if (!port) {
    io.err << "lp2p advertise: " << port.error().message << '\n';
    return 1;
  }
  auto agent_options = local_agent_options(options.agent, *port);
  if (agent_options) agent_options->pairing.accept_pairing = true;  // it shows codes on request
  if (!agent_options) {
    io.err << "lp2p advertise: " << agent_options.error().message << '\n';
    return 2;
  }
  boost::asio::io_context ctx;
  // The agent's QUIC endpoint listens on the advertised port: peers that find us can connect.
  auto agent = osp::LocalAgent::create(ctx, *agent_options);
  if (!agent) {
    io.err << "lp2p advertise: " << agent.error().message;
    if (agent.error().code == Errc::io_error) {
      io.err << " (UDP port " << *port
             << "; is another agent running with this state directory? Use --port or "
                "--state-dir)";
    }
    io.err << '\n';
    return 1;
  }
  PairingUi pairing(ctx, io, {options.json, true, std::nullopt});
  watch_sessions(**agent, options.json, io, pairing);
  auto discovery = discovery::Discovery::create(ctx, discovery_options(options.agent, false));
  if (!discovery) {
    io.err << "lp2p advertise: " << discovery.error().message << '\n';
    return 1;
  }
  const std::string fingerprint = (*agent)->fingerprint();
  discovery::OspMetadata osp{fingerprint, 0, (*agent)->auth_token(),
                             (*agent)->certificate().serial.sn()};
  const std::string name = display_name_of(options.agent);
  if (auto r =
          (*discovery)->start_publishing({name, *port, discovery::make_metadata(osp), fingerprint});
      !r) {
    io.err << "lp2p advertise: " << r.error().message << '\n';
    return 1;
  }
  const auto* provider = dynamic_cast<const discovery::DnsSdProvider*>(
      (*discovery)->provider(discovery::kDnsSdProvider));
  std::vector<std::string> interfaces;
  if (provider != nullptr && provider->engine() != nullptr) {
    for (const auto& itf : provider->engine()->interfaces()) {
      std::string text = itf.name;
      for (const auto& a : itf.addresses) text += " " + a.to_string();
      interfaces.push_back(text);
    }
  }
  if (options.json) {
    Json j;
    j["event"] = "advertising";
    j["name"] = name;
    j["fingerprint"] = fingerprint;
    j["port"] = *port;
    j["group"] = options.agent.group;
    j["interfaces"] = interfaces;
    io.out << j.dump() << std::endl;
  } else {
    io.out << "Advertising \"" << name << "\" (fingerprint " << fingerprint << ") on UDP port "
           << *port;
    if (!options.agent.group.empty()) io.out << " in group \"" << options.agent.group << '"';
    io.out << "\n";
    for (const auto& i : interfaces) io.out << "  interface " << i << "\n";
    io.out << "Other devices see it with `lp2p discover`. Ctrl-C stops (and says goodbye).\n"
           << std::flush;
  }
  run_until_stopped(
      ctx, options.timeout,
      [&] {
        (*discovery)->stop_publishing();
        (*agent)->stop();
      },
      [&] {
        // Our agent-info changed: bump `mv` for those who browse, and push agent-info-event to
        // those connected (osp-brief §3.2).
        osp.metadata_version = *osp.metadata_version + 1;
        (*discovery)->update_metadata(discovery::make_metadata(osp));
        (*agent)->set_display_name(name);
        if (options.json) {
          io.out << Json{{"event", "metadata-version"}, {"metadata-version", *osp.metadata_version}}
                        .dump()
                 << std::endl;
        } else {
          io.out << "Metadata version is now " << *osp.metadata_version << std::endl;
        }
      },
      [&] { io.out << stats_json(**discovery).dump() << std::endl; });
  if (options.json) {
    io.out << stats_json(**discovery).dump() << '\n'
           << Json{{"event", "stopped"}}.dump() << std::endl;
  }
  return 0;
}

struct DiscoverOptions {
  AgentOptions agent;
  bool json = false;
  double timeout = 0;
  std::vector<std::string> tickets;
  std::string peer;  // HOST:PORT, with `fingerprint`
  std::string fingerprint;
};

int run_discover(const DiscoverOptions& options, const Io& io) {
  configure_logging(options.agent);
  boost::asio::io_context ctx;
  auto discovery = discovery::Discovery::create(ctx, discovery_options(options.agent, true));
  if (!discovery) {
    io.err << "lp2p discover: " << discovery.error().message << '\n';
    return 1;
  }
  if (!options.peer.empty() || !options.fingerprint.empty()) {
    const auto address = parse_host_port(options.peer);
    if (!address || options.fingerprint.empty()) {
      io.err << "lp2p discover: --peer HOST:PORT and --fp FINGERPRINT go together, e.g. --peer "
                "10.0.0.7:4433 "
                "--fp XNJS+wzokyQ2+vjM0QQJgbie5K1rn+niorfnGqyyfNM=\n";
      return 2;
    }
    if (auto r = (*discovery)->add_ticket({options.fingerprint, {*address}, options.peer, {}, {}});
        !r) {
      io.err << "lp2p discover: " << r.error().message << '\n';
      return 1;
    }
  }
  for (const auto& text : options.tickets) {
    auto ticket = discovery::decode_ticket(text);
    if (!ticket) {
      io.err << "lp2p discover: " << ticket.error().message << '\n';
      return 1;
    }
    if (auto r = (*discovery)->add_ticket(*ticket); !r) {
      io.err << "lp2p discover: " << r.error().message << '\n';
      return 1;
    }
  }
  // Only to say which devices are paired; discovery works without it.
  auto store = store::Store::open(state_dir_of(options.agent));
  store::Store* known = store ? store->get() : nullptr;
  const auto start = std::chrono::steady_clock::now();
  (*discovery)->on_events([&](const std::vector<DirectoryEvent>& events) {
    for (const auto& e : events) {
      const Trust trust = trust_of(known, e.peer.fingerprint, e.peer.name);
      if (options.json) {
        io.out << peer_json(e, seconds_since(start), trust).dump() << std::endl;
      } else {
        print_peer_line(io.out, e, trust);
      }
    }
  });
  if (auto r = (*discovery)->start_browsing(); !r) {
    io.err << "lp2p discover: " << r.error().message << '\n';
    return 1;
  }
  if (!options.json) {
    io.out << "Looking for devices"
           << (options.agent.group.empty() ? "" : " in group \"" + options.agent.group + "\"")
           << " (Ctrl-C stops). + found, - gone, ~ changed\n"
           << "  " << std::left << std::setw(24) << "NAME" << ' ' << std::setw(9) << "FP" << ' '
           << std::setw(4) << "MV" << ' ' << std::setw(8) << "VIA"
           << " ADDRESSES" << std::endl;
  }
  run_until_stopped(
      ctx, options.timeout, [] {}, {},
      [&] { io.out << stats_json(**discovery).dump() << std::endl; });
  if (options.json) io.out << stats_json(**discovery).dump() << std::endl;
  return 0;
}

struct TicketOptions {
  AgentOptions agent;
  bool no_qr = false;
};

int run_ticket(const TicketOptions& options, const Io& io) {
  configure_logging(options.agent);
  auto identity = auth::Identity::load_or_create(state_dir_of(options.agent));
  if (!identity) {
    io.err << "lp2p ticket: " << identity.error().message << '\n';
    return 1;
  }
  auto port = agent_port(options.agent);
  if (!port) {
    io.err << "lp2p ticket: " << port.error().message << '\n';
    return 1;
  }
  auto interfaces = mdns::multicast_interfaces(options.agent.interfaces);
  if (!interfaces) {
    io.err << "lp2p ticket: " << interfaces.error().message << '\n';
    return 1;
  }
  auto auth_token = osp::load_or_create_auth_token(state_dir_of(options.agent));
  if (!auth_token) {
    io.err << "lp2p ticket: " << auth_token.error().message << '\n';
    return 1;
  }
  discovery::Ticket ticket{
      identity->fingerprint(), {}, display_name_of(options.agent), *auth_token, {}};
  for (const auto& itf : *interfaces) {
    for (const auto& a : itf.addresses) ticket.addresses.push_back({a, *port, itf.index});
  }
  auto text = discovery::encode_ticket(ticket);
  if (!text) {
    io.err << "lp2p ticket: " << text.error().message << '\n';
    return 1;
  }
  io.out << *text << '\n';
  if (!options.no_qr) {
    if (auto qr = qr_for_terminal(*text)) io.out << '\n' << *qr;
    io.out << "\nOn the other device: lp2p discover --ticket " << text->substr(0, 12)
           << "…  (the whole line above)\n";
  }
  return 0;
}

}  // namespace

void add_advertise_command(CLI::App& parent, const Io& io, int& exit_code) {
  auto options = std::make_shared<AdvertiseOptions>();
  CLI::App* cmd = parent.add_subcommand(
      "advertise", "Be discoverable and reachable on the local network until Ctrl-C");
  cmd->footer(
      "Publishes this agent as an Open Screen agent (_openscreen._udp over mDNS/DNS-SD) with its\n"
      "fingerprint (fp), metadata version (mv), auth token (at) and serial (sn), and accepts QUIC\n"
      "connections (TLS 1.3, ALPN osp) on the advertised UDP port: peers that connect exchange\n"
      "agent-info with it (shown as connected / peer-info / disconnected; unverified until "
      "paired).\n"
      "Pairing: when a device runs `lp2p pair` against this one, the code to type there is shown\n"
      "here (digits and a QR code; with --json a pairing-code event); when this device has the\n"
      "higher --psk-ease the other shows it and the code is read here from standard input.\n"
      "Paired devices are remembered (`lp2p peers`) and connect without a code from then on.\n"
      "Ctrl-C closes connections (code 5139) and says goodbye so that other devices drop it at "
      "once.\n"
      "kill -USR1 <pid> bumps the metadata version and sends agent-info-event to connected peers;\n"
      "kill -USR2 <pid> prints the mDNS traffic counters.\n\n"
      "Example: lp2p advertise --name \"Kitchen laptop\" --group photos");
  add_agent_options(*cmd, options->agent);
  cmd->add_flag("--json", options->json, "Print events as JSON lines");
  cmd->add_option("--timeout", options->timeout, "Stop after this many seconds");
  cmd->callback([options, &io, &exit_code] { exit_code = run_advertise(*options, io); });
}

void add_discover_command(CLI::App& parent, const Io& io, int& exit_code) {
  auto options = std::make_shared<DiscoverOptions>();
  CLI::App* cmd = parent.add_subcommand("discover", "List devices on the local network, live");
  cmd->footer(
      "Browses for Open Screen agents (mDNS/DNS-SD) and prints each device as it appears (+),\n"
      "changes (~) or goes away (-): name, fingerprint prefix, metadata version, how it was "
      "found,\n"
      "and its addresses. Peers given by --ticket are listed too, without multicast.\n"
      "kill -USR2 <pid> prints the mDNS traffic counters.\n\n"
      "Examples: lp2p discover --timeout 5\n"
      "          lp2p discover --json | jq .name");
  add_agent_options(*cmd, options->agent);
  cmd->add_flag(
      "--json", options->json,
      "Print one JSON object per event (added, removed, metadata-changed, addresses-changed)");
  cmd->add_option("--timeout", options->timeout,
                  "Stop after this many seconds (default: until Ctrl-C)");
  cmd->add_option("--ticket", options->tickets,
                  "Also list the peer of this ticket (from `lp2p ticket` on that device)");
  cmd->add_option("--peer", options->peer,
                  "Also list the peer at HOST:PORT (IPv6 as [addr%if]:port); needs --fp");
  cmd->add_option("--fp", options->fingerprint,
                  "The fingerprint of the --peer (44 base64 characters)");
  cmd->callback([options, &io, &exit_code] { exit_code = run_discover(*options, io); });
}

void add_ticket_command(CLI::App& parent, const Io& io, int& exit_code) {
  auto options = std::make_shared<TicketOptions>();
  CLI::App* cmd = parent.add_subcommand(
      "ticket", "Print this device's ticket: how to reach it without multicast");
  cmd->footer(
      "A ticket is one line (and a QR code) with this device's fingerprint, addresses, port and "
      "name.\n"
      "Give it to a device on a network that blocks multicast: `lp2p discover --ticket TICKET`.");
  add_agent_options(*cmd, options->agent);
  cmd->add_flag("--no-qr", options->no_qr, "Print only the text");
  cmd->callback([options, &io, &exit_code] { exit_code = run_ticket(*options, io); });
}

}  // namespace lp2p::cli
