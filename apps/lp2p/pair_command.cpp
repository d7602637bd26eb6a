#include "pair_command.hpp"

#include <CLI/CLI.hpp>
#include <boost/asio/io_context.hpp>
#include <boost/asio/signal_set.hpp>
#include <chrono>
#include <nlohmann/json.hpp>

#include "agent_options.hpp"
#include "osp/local_agent.hpp"
#include "pairing_ui.hpp"
#include "peer_address.hpp"
#include "peer_finder.hpp"
#include "peer_trust.hpp"

namespace lp2p::cli {
namespace {

using Json = nlohmann::ordered_json;

struct PairOptions {
  AgentOptions agent;
  std::string peer;
  std::string fingerprint;
  std::string code;
  bool json = false;
  bool no_qr = false;
  double timeout = 10;
};

class PairRun {
 public:
  PairRun(boost::asio::io_context& io, osp::LocalAgent& agent, const PairOptions& options,
          const Io& out)
      : io_(io),
        agent_(agent),
        options_(options),
        out_(out),
        ui_(io, out,
            {options.json, !options.no_qr,
             options.code.empty() ? std::nullopt : std::optional(options.code)}) {}

  void start(const Target& target) {
    target_ = target;
    warn_if_impostor();
    if (auto known = agent_.store().peer(target.fingerprint);
        known && *known && (*known)->authenticated_at) {
      report_already_paired(**known);
      return finish(0);
    }
    try_address(0);
  }
  void finish(int code) {
    exit_code_ = code;
    io_.stop();
  }
  [[nodiscard]] int exit_code() const { return exit_code_; }
  void cancel() {
    if (auto s = session_.lock()) s->cancel_pairing();
  }

 private:
  // osp-brief §1: a device reusing a paired device's name with another key is another device.
  void warn_if_impostor() {
    const Trust trust = trust_of(&agent_.store(), target_.fingerprint, target_.name);
    if (trust.kind != Trust::Kind::impostor) return;
    const std::string message = "\"" + target_.name + "\" (" + target_.fingerprint + ") is " +
                                describe(trust, target_.name) + ": it is a different device.";
    if (options_.json) {
      out_.out << Json{{"event", "warning"}, {"message", message}}.dump() << std::endl;
    } else {
      out_.err << "lp2p pair: warning: " << message << std::endl;
    }
  }

  void report_already_paired(const store::KnownPeer& peer) {
    if (options_.json) {
      out_.out << Json{{"event", "already-paired"},
                       {"fingerprint", peer.fingerprint},
                       {"display-name", peer.display_name}}
                      .dump()
               << std::endl;
    } else {
      out_.out << "Already paired with \"" << peer.display_name << "\" (" << peer.fingerprint
               << "). To pair again: lp2p peers forget " << peer.fingerprint.substr(0, 8)
               << std::endl;
    }
  }

  void try_address(std::size_t index) {
    if (index >= target_.addresses.size()) {
      out_.err << "lp2p pair: could not connect to " << target_.fingerprint << ": " << last_error_
               << std::endl;
      return finish(kExitFailed);
    }
    const auto& address = target_.addresses[index];
    const std::string sni = target_.sni();
    agent_.connect(
        socket_address_of(address), target_.fingerprint, sni,
        [this, index, address](Result<std::shared_ptr<osp::PeerSession>> session) {
          if (!session) {
            last_error_ = format_address(address) + ": " + session.error().message;
            return try_address(index + 1);
          }
          paired_over(*session, format_address(address));
        },
        target_.auth_token);
  }

  void paired_over(const std::shared_ptr<osp::PeerSession>& session, const std::string& address) {
    session_ = session;
    if (options_.json) {
      out_.out << Json{{"event", "connected"},
                       {"fingerprint", target_.fingerprint},
                       {"address", address}}
                      .dump()
               << std::endl;
    } else {
      out_.out << "Connected to " << (target_.name.empty() ? address : "\"" + target_.name + "\"")
               << " (fingerprint " << target_.fingerprint << "). Pairing..." << std::endl;
    }
    if (!target_.auth_token) {
      out_.err << "lp2p pair: note: the device's `at` token is unknown (found by address); it "
                  "may refuse to pair"
               << std::endl;
    }
    osp::PeerSession::Events events;
    ui_.attach(events, session, [this](const PairingUi::Outcome& outcome) {
      if (!outcome.paired) {
        if (options_.json) {
          out_.out << Json{{"event", "failed"}, {"reason", outcome.message}}.dump() << std::endl;
        } else {
          out_.err << "lp2p pair: " << outcome.message << std::endl;
        }
        return finish(kExitFailed);
      }
      // Close politely once the peer has our last message (its auth-status).
      if (auto s = session_.lock()) s->close(osp::CloseCode::normal, "paired");
      finish(0);
    });
    session->set_events(std::move(events));
    session->pair();
  }

  boost::asio::io_context& io_;
  osp::LocalAgent& agent_;
  const PairOptions& options_;
  const Io& out_;
  PairingUi ui_;
  Target target_;
  std::weak_ptr<osp::PeerSession> session_;
  std::string last_error_ = "no address";
  int exit_code_ = kExitFailed;
};

int run_pair(const PairOptions& options, const Io& io) {
  configure_logging(options.agent);
  auto agent_options = local_agent_options(options.agent, 0);
  if (!agent_options) {
    io.err << "lp2p pair: " << agent_options.error().message << '\n';
    return kExitUsage;
  }
  agent_options->pairing.accept_pairing = true;
  boost::asio::io_context ctx;
  auto agent = osp::LocalAgent::create(ctx, *agent_options);
  if (!agent) {
    io.err << "lp2p pair: " << agent.error().message << '\n';
    return kExitFailed;
  }
  PairRun run(ctx, **agent, options, io);
  PeerFinder finder(ctx, "lp2p pair", options.agent,
                    std::chrono::milliseconds(static_cast<std::int64_t>(options.timeout * 1000)));
  finder.find(
      options.peer, options.fingerprint, [&run](const Target& target) { run.start(target); },
      [&](int code, const std::string& message) {
        io.err << message << '\n';
        run.finish(code);
      });
  boost::asio::signal_set signals(ctx, SIGINT, SIGTERM);
  signals.async_wait([&](const boost::system::error_code& ec, int) {
    if (ec) return;
    run.cancel();
    run.finish(kExitFailed);
  });
  ctx.run();
  // Let the close (or the cancelling auth-status) go out before the agent goes away: what is
  // ready to run now, not the timers of discovery and the endpoint.
  (*agent)->stop();
  ctx.restart();
  ctx.poll();
  return run.exit_code();
}

}  // namespace

void add_pair_command(CLI::App& parent, const Io& io, int& exit_code) {
  auto options = std::make_shared<PairOptions>();
  CLI::App* command = parent.add_subcommand(
      "pair",
      "Pair with a device: one shows a short code, the other types it; then they trust "
      "each other");
  command
      ->add_option("peer", options->peer,
                   "The device: its name (or the start of it) or a fingerprint prefix (found with "
                   "mDNS), a ticket (lp2p1...), or HOST:PORT with --fp")
      ->required();
  command->add_option("--fp", options->fingerprint,
                      "The fingerprint the device must have (with HOST:PORT)");
  command->add_option("--code", options->code,
                      "The code shown on the other device, for scripts (one attempt); without it "
                      "the code is asked on the terminal, or read as a line of standard input");
  command->add_flag("--json", options->json,
                    "One JSON event per line: connected, pairing-code (when this device shows "
                    "the code), code-needed, paired, pairing-failed, failed, already-paired, "
                    "warning");
  command->add_flag("--no-qr", options->no_qr, "Show the code as digits only");
  command->add_option("--timeout", options->timeout,
                      "Seconds to find the device (default 10); typing the code has 60 s");
  add_agent_options(*command, options->agent);
  command->footer(R"(
Which device shows the code: the one where typing is harder (psk-ease-of-input, --psk-ease);
when both are alike, the device being connected to (the one advertising) shows it, and you type
it here. Every attempt gets a new code. After a wrong code both sides disconnect; after three
failures in a row the showing device makes you wait (1 s, 2 s, 4 s, ... up to 60 s), and it
takes at most 20 attempts a minute in all.

Once paired, both devices remember each other (`lp2p peers`): connections skip pairing. A device
that reuses a paired device's name with another key is reported as a different device.

Exit status: 0 paired (or already paired); 1 pairing failed or the device could not be reached
(the message says why: wrong code, timeout, refused, back-off); 2 usage error or ambiguous
name; 3 not found.

Examples:
  lp2p pair "Kitchen laptop"
  lp2p pair XNJS+wzo --json
  lp2p pair lp2p1...                 (a ticket from `lp2p ticket` on the other device))");
  command->callback([options, &io, &exit_code] { exit_code = run_pair(*options, io); });
}

}  // namespace lp2p::cli
