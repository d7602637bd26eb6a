#include "info_command.hpp"

#include <CLI/CLI.hpp>
#include <algorithm>
#include <boost/asio/io_context.hpp>
#include <boost/asio/signal_set.hpp>
#include <boost/asio/steady_timer.hpp>
#include <chrono>
#include <iomanip>
#include <nlohmann/json.hpp>
#include <optional>

#include "agent_options.hpp"
#include "common/ascii.hpp"
#include "discovery/discovery.hpp"
#include "discovery/dns_sd_provider.hpp"
#include "discovery/metadata.hpp"
#include "discovery/ticket.hpp"
#include "message_json.hpp"
#include "osp/local_agent.hpp"
#include "peer_address.hpp"
#include "peer_finder.hpp"

namespace lp2p::cli {
namespace {

using Json = nlohmann::ordered_json;
using Clock = std::chrono::steady_clock;

struct InfoOptions {
  AgentOptions agent;
  std::string peer;
  std::string fingerprint;
  bool json = false;
  double timeout = 10;
  unsigned count = 1;
  double stay = 0;  // seconds to keep the connection after agent-info
};

std::string millis(std::chrono::nanoseconds d) {
  std::ostringstream out;
  out << std::fixed << std::setprecision(2) << std::chrono::duration<double, std::milli>(d).count();
  return out.str();
}

std::string capability_name(wire::AgentCapability c) {
  const auto name = wire::name_of(c);
  const auto number = std::to_string(static_cast<std::uint64_t>(c));
  return name ? std::string(*name) + " (" + number + ")" : number;
}

struct Measurement {
  wire::AgentInfo info;
  std::string fingerprint;
  std::string address;
  quic::ConnectionInfo quic;
  std::chrono::nanoseconds setup{0};
  std::chrono::nanoseconds handshake{0};
  bool verified = false;  // the peer is paired with us
};

Json measurement_json(const Measurement& m) {
  Json quic{{"version", m.quic.quic_version},
            {"alpn", m.quic.alpn},
            {"tls", m.quic.tls},
            {"congestion_control", m.quic.congestion_control},
            {"idle_timeout_ms", m.quic.local_idle_timeout.count()},
            {"peer_idle_timeout_ms", m.quic.peer_idle_timeout.count()},
            {"max_udp_payload", m.quic.max_udp_payload},
            {"local_cid_length", m.quic.local_cid_length},
            {"peer_cid_length", m.quic.peer_cid_length},
            {"peer_initial_max_data", m.quic.peer_initial_max_data},
            {"peer_initial_max_stream_data", m.quic.peer_initial_max_stream_data_bidi},
            {"peer_max_streams_bidi", m.quic.peer_initial_max_streams_bidi},
            {"peer_max_streams_uni", m.quic.peer_initial_max_streams_uni},
            {"smoothed_rtt_us", m.quic.smoothed_rtt.count() / 1000}};
  Json agent_info = message_to_json(wire::AgentInfoEvent{m.info})["fields"]["agent-info"];
  return Json{{"event", "info"},
              {"fingerprint", m.fingerprint},
              {"address", m.address},
              {"verified", m.verified},
              {"agent-info", agent_info},
              {"quic", quic},
              {"setup_ms", std::chrono::duration<double, std::milli>(m.setup).count()},
              {"handshake_ms", std::chrono::duration<double, std::milli>(m.handshake).count()}};
}

void print_measurement(const Measurement& m, std::ostream& out) {
  const auto& q = m.quic;
  out << "Peer:          " << m.info.display_name
      << (m.verified ? "  (verified: paired)\n"
                     : "  (unverified: not paired, anyone can claim this name)\n")
      << "Fingerprint:   " << m.fingerprint << "  (checked against the one expected)\n"
      << "Address:       " << m.address << "\n"
      << "Model:         " << m.info.model_name << "\n"
      << "Capabilities:  ";
  for (std::size_t i = 0; i < m.info.capabilities.size(); ++i) {
    out << (i > 0 ? ", " : "") << capability_name(m.info.capabilities[i]);
  }
  out << "\nState token:   " << m.info.state_token << "\n"
      << "Locales:       ";
  for (std::size_t i = 0; i < m.info.locales.size(); ++i) {
    out << (i > 0 ? ", " : "") << m.info.locales[i];
  }
  if (m.info.locales.empty()) out << "(none given)";
  out << "\nConnection:    QUIC v" << q.quic_version << ", ALPN " << q.alpn << ", " << q.tls << ", "
      << q.congestion_control << "\n"
      << "               idle timeout " << q.local_idle_timeout.count() << " ms (peer "
      << q.peer_idle_timeout.count() << " ms), max UDP payload " << q.max_udp_payload
      << ", connection IDs " << q.local_cid_length << "/" << q.peer_cid_length << " bytes\n"
      << "               peer allows " << (q.peer_initial_max_data >> 20) << " MiB per connection, "
      << (q.peer_initial_max_stream_data_bidi >> 20) << " MiB per stream, "
      << q.peer_initial_max_streams_bidi << " bidi / " << q.peer_initial_max_streams_uni
      << " uni streams\n"
      << "Set-up time:   " << millis(m.setup) << " ms to agent-info (TLS handshake "
      << millis(m.handshake) << " ms), RTT " << millis(q.smoothed_rtt) << " ms\n";
}

// Connects (count times), collecting a measurement per connection.
class InfoRun {
 public:
  InfoRun(boost::asio::io_context& io, osp::LocalAgent& agent, const InfoOptions& options,
          const Io& out)
      : io_(io), agent_(agent), options_(options), out_(out), deadline_(io) {}

  void start(Target target) {
    target_ = std::move(target);
    next_connection();
  }

  [[nodiscard]] int exit_code() const { return exit_code_; }

 private:
  void next_connection() {
    if (done_ == options_.count) return finish();
    address_index_ = 0;
    try_address();
  }

  void try_address() {
    const discovery::PeerAddress& address = target_.addresses[address_index_];
    const std::string sni = target_.sni();
    started_ = Clock::now();
    arm_deadline();
    const auto attempt = ++attempt_;
    agent_.connect(socket_address_of(address), target_.fingerprint, sni,
                   [this, attempt, address](Result<std::shared_ptr<osp::PeerSession>> session) {
                     if (attempt != attempt_) return;
                     if (!session) return failed(address, session.error().message);
                     wait_for_info(*session, address);
                   });
  }

  void wait_for_info(const std::shared_ptr<osp::PeerSession>& session,
                     const discovery::PeerAddress& address) {
    session_ = session;
    auto on_info = [this, address](const wire::AgentInfo& info, bool verified) {
      auto s = session_;
      if (!s) return;
      session_.reset();
      deadline_.cancel();
      Measurement m{info,
                    s->connection().peer_fingerprint(),
                    format_address(address),
                    s->connection().info(),
                    Clock::now() - started_,
                    s->connection().handshake_duration(),
                    verified};
      report(m);
      if (options_.stay > 0) return stay(s);
      close_and_continue(s);
    };
    if (session->session().peer_info()) {
      return on_info(*session->session().peer_info(), session->session().authenticated());
    }
    osp::PeerSession::Events events;
    events.on_peer_info = on_info;
    events.on_closed = [this, address](const quic::CloseInfo& info) {
      if (session_) failed(address, "the connection ended before agent-info: " + info.describe());
    };
    session->set_events(std::move(events));
  }

  // Keeps the connection open (keepalives flow) for --stay seconds, then closes it.
  void stay(const std::shared_ptr<osp::PeerSession>& session) {
    held_ = session;
    osp::PeerSession::Events events;
    events.on_keepalive = [this](std::chrono::nanoseconds round_trip) {
      if (options_.json) {
        out_.out << Json{{"event", "keepalive"},
                         {"rtt_ms", std::chrono::duration<double, std::milli>(round_trip).count()}}
                        .dump()
                 << std::endl;
      }
    };
    events.on_closed = [this](const quic::CloseInfo& info) {
      if (!held_) return;
      held_.reset();
      deadline_.cancel();
      ++failures_;
      ++done_;
      out_.err << "lp2p info: the connection ended early: " << info.describe() << '\n';
      next_connection();
    };
    session->set_events(std::move(events));
    deadline_.expires_after(
        std::chrono::duration_cast<Clock::duration>(std::chrono::duration<double>(options_.stay)));
    deadline_.async_wait([this](const boost::system::error_code& ec) {
      if (ec || !held_) return;
      auto s = std::move(held_);
      close_and_continue(s);
    });
  }

  void close_and_continue(const std::shared_ptr<osp::PeerSession>& session) {
    session->close(osp::CloseCode::normal, "done");
    ++done_;
    // Let the close go out before the next connection from the same port.
    boost::asio::post(io_, [this] { next_connection(); });
  }

  void arm_deadline() {
    deadline_.expires_after(std::chrono::duration_cast<Clock::duration>(
        std::chrono::duration<double>(options_.timeout)));
    deadline_.async_wait([this](const boost::system::error_code& ec) {
      if (ec) return;
      failed(target_.addresses[address_index_],
             "no agent-info within " + std::to_string(options_.timeout) + " s");
    });
  }

  void failed(const discovery::PeerAddress& address, const std::string& why) {
    deadline_.cancel();
    ++attempt_;
    if (session_) {
      session_->close(osp::CloseCode::timed_out, "no agent-info");
      session_.reset();
    }
    const std::string message = "cannot reach " + format_address(address) + ": " + why;
    if (++address_index_ < target_.addresses.size()) {
      out_.err << "lp2p info: " << message << "; trying the next address\n";
      return try_address();
    }
    ++failures_;
    ++done_;
    if (options_.json) {
      out_.out << Json{{"event", "error"}, {"message", message}}.dump() << std::endl;
    } else {
      out_.err << "lp2p info: " << message << '\n';
    }
    next_connection();
  }

  void report(const Measurement& m) {
    setups_.push_back(m.setup);
    if (options_.json) {
      out_.out << measurement_json(m).dump() << std::endl;
    } else if (options_.count == 1) {
      print_measurement(m, out_.out);
    }
  }

  void finish() {
    exit_code_ = failures_ == 0 ? 0 : kExitFailed;
    if (options_.count > 1) {
      std::sort(setups_.begin(), setups_.end());
      auto quantile = [this](double q) {
        if (setups_.empty()) return 0.0;
        const auto index = static_cast<std::size_t>(q * static_cast<double>(setups_.size() - 1));
        return std::chrono::duration<double, std::milli>(setups_[index]).count();
      };
      if (options_.json) {
        out_.out << Json{{"event", "summary"},
                         {"count", options_.count},
                         {"setup_ms_median", quantile(0.5)},
                         {"setup_ms_p90", quantile(0.9)},
                         {"failures", failures_}}
                        .dump()
                 << std::endl;
      } else {
        out_.out << options_.count << " connections, " << failures_
                 << " failed; set-up time median " << quantile(0.5) << " ms, p90 " << quantile(0.9)
                 << " ms\n";
      }
    }
    agent_.stop();
    // A moment for the last CONNECTION_CLOSE to leave.
    deadline_.expires_after(std::chrono::milliseconds(20));
    deadline_.async_wait([this](const boost::system::error_code&) { io_.stop(); });
  }

  boost::asio::io_context& io_;
  osp::LocalAgent& agent_;
  const InfoOptions& options_;
  const Io& out_;
  Target target_;
  std::size_t address_index_ = 0;
  std::uint64_t attempt_ = 0;
  unsigned done_ = 0;
  unsigned failures_ = 0;
  std::vector<std::chrono::nanoseconds> setups_;
  std::shared_ptr<osp::PeerSession> session_;
  std::shared_ptr<osp::PeerSession> held_;  // during --stay
  Clock::time_point started_;
  boost::asio::steady_timer deadline_;
  int exit_code_ = kExitFailed;
};

int run_info(const InfoOptions& options, const Io& io) {
  configure_logging(options.agent);
  auto agent_options = local_agent_options(options.agent, 0);
  if (!agent_options) {
    io.err << "lp2p info: " << agent_options.error().message << '\n';
    return kExitUsage;
  }
  agent_options->transport.handshake_timeout =
      std::chrono::milliseconds(static_cast<std::int64_t>(std::min(options.timeout, 10.0) * 1000));
  boost::asio::io_context ctx;
  auto agent = osp::LocalAgent::create(ctx, *agent_options);
  if (!agent) {
    io.err << "lp2p info: " << agent.error().message << '\n';
    return kExitFailed;
  }
  InfoRun run(ctx, **agent, options, io);
  int exit_code = -1;
  PeerFinder finder(ctx, "lp2p info", options.agent,
                    std::chrono::milliseconds(static_cast<std::int64_t>(options.timeout * 1000)));
  finder.find(
      options.peer, options.fingerprint, [&run](const Target& target) { run.start(target); },
      [&](int code, const std::string& message) {
        io.err << message << '\n';
        exit_code = code;
        ctx.stop();
      });
  boost::asio::signal_set signals(ctx, SIGINT, SIGTERM);
  signals.async_wait([&](const boost::system::error_code& ec, int) {
    if (ec) return;
    exit_code = kExitFailed;
    ctx.stop();
  });
  ctx.run();
  return exit_code >= 0 ? exit_code : run.exit_code();
}

}  // namespace

void add_info_command(CLI::App& parent, const Io& io, int& exit_code) {
  auto options = std::make_shared<InfoOptions>();
  CLI::App* command = parent.add_subcommand(
      "info",
      "Connect to a device and show what it says about itself, and how the connection went");
  command
      ->add_option("peer", options->peer,
                   "The device: its name (or the start of it) or a fingerprint prefix (found with "
                   "mDNS), a ticket "
                   "(lp2p1...), or HOST:PORT with --fp")
      ->required();
  command->add_option("--fp", options->fingerprint,
                      "The fingerprint the device must have (with HOST:PORT)");
  command->add_flag("--json", options->json, "One JSON object per line instead of text");
  command->add_option("--timeout", options->timeout,
                      "Seconds to find the device and get its answer (default 10)");
  command
      ->add_option("--count", options->count,
                   "Connect this many times, one after the other, and summarise the set-up "
                   "times (a benchmark)")
      ->check(CLI::Range(1U, 100000U));
  command->add_option("--stay", options->stay,
                      "Keep each connection open this many seconds after the answer (keepalives "
                      "keep it up past the 25 s idle timeout), then close it");
  add_agent_options(*command, options->agent);
  command->footer(R"(
The device's answer (its agent-info: name, model, capabilities) is shown as unverified until
the two devices are paired (`lp2p pair`): anyone on the network could send the same. Its fingerprint, however,
is checked: the connection is refused when the device's key does not match.

Exit status: 0 the device answered; 1 it could not be reached or refused (the message says
why, e.g. "fingerprint ... was expected"); 2 usage error or ambiguous name; 3 not found.

Examples:
  lp2p info "Kitchen laptop"
  lp2p info XNJS+wzo
  lp2p info 10.0.0.7:50123 --fp XNJS+wzokyQ2+vjM0QQJgbie5K1rn+niorfnGqyyfNM=
  lp2p info lp2p1... --json)");
  command->callback([options, &io, &exit_code] { exit_code = run_info(*options, io); });
}

}  // namespace lp2p::cli
