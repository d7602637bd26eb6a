#include "cli_agent.hpp"

#include <unistd.h>

#include <csignal>
#include <future>
#include <iostream>
#include <thread>

#include "common/ascii.hpp"
#include "discovery/ticket.hpp"
#include "lp2p/request.hpp"
#include "qr_terminal.hpp"

namespace lp2p::cli {
namespace {

std::atomic<bool> g_interrupted{false};

extern "C" void on_signal(int /*signal*/) {
  g_interrupted.store(true);
}

}  // namespace

const std::atomic<bool>& interrupted() {
  return g_interrupted;
}

void install_interrupt_flag() {
  struct sigaction action {};
  action.sa_handler = on_signal;
  sigemptyset(&action.sa_mask);
  sigaction(SIGINT, &action, nullptr);
  sigaction(SIGTERM, &action, nullptr);
}

CliConsent::CliConsent(EventPrinter& printer, ConsentOptions options)
    : printer_(printer), options_(std::move(options)) {}

bool CliConsent::matches(const PeerCandidate& c, const std::string& target) {
  if (target.empty()) return false;
  if (ascii_lower(c.name) == ascii_lower(target)) return true;
  return target.size() >= 4 && c.id.starts_with(target);
}

void CliConsent::allow_advertising(const AdvertiseRequest& /*request*/, Reply<bool> reply) {
  reply(true);  // the person ran a command that listens
}

void CliConsent::pick_peer(std::shared_ptr<PeerPicker> picker) {
  const std::weak_ptr<PeerPicker> weak = picker;
  {
    const std::lock_guard lock(mutex_);
    pickers_.push_back(picker);
  }
  auto chose = std::make_shared<bool>(false);  // loop thread only
  picker->on_candidates([weak, chose](const std::vector<PeerCandidate>& candidates) {
    auto p = weak.lock();
    if (!p || *chose) return;
    for (const PeerCandidate& c : candidates) {
      if (matches(c, p->nickname())) {
        // One choice: a failed pairing is reported, not retried with the same code.
        *chose = true;
        p->choose(c.id, GrantScope::always);
        return;
      }
    }
  });
}

void CliConsent::grant_peer(const GrantRequest& request, Reply<GrantScope> reply) {
  const bool allowed = options_.only_peer.empty() || request.peer.id == options_.only_peer;
  if (!allowed) {
    printer_.event("refused", {{"peer", request.peer.name}, {"fingerprint", request.peer.id}},
                   request.peer.name + " connected, but this command serves only another device");
  }
  reply(allowed ? GrantScope::session : GrantScope::deny);
}

void CliConsent::show_pairing_code(const PairingCode& code) {
  printer_.event("pairing-code",
                 {{"peer", code.peer.name}, {"fingerprint", code.peer.id}, {"code", code.code}},
                 "Pairing with " + code.peer.name + ": type this code there: " + code.code);
  if (!printer_.json() && options_.qr && isatty(STDERR_FILENO) != 0) {
    if (auto qr = qr_for_terminal(code.qr_text)) printer_.event("qr", {}, *qr);
  }
}

void CliConsent::ask_pairing_code(const PairingCodeRequest& request,
                                  Reply<std::optional<std::string>> reply) {
  if (options_.code) {
    // A code given in advance is tried once; a second question means it was not a code.
    if (request.retry_reason.empty()) {
      reply(options_.code);
    } else {
      printer_.event("pairing-failed", {{"message", request.retry_reason}},
                     "The code given with --code was not accepted: " + request.retry_reason);
      reply(std::nullopt);
    }
    return;
  }
  // Read on a thread of our own (the agent's loop must not wait for a person), one question at
  // a time: a group send may pair with several devices, and each code must go to its own.
  std::thread([this, request, reply = std::move(reply)] {
    static std::mutex asking;
    const std::lock_guard one_at_a_time(asking);
    printer_.event("code-needed", {{"peer", request.peer.name}, {"fingerprint", request.peer.id}},
                   (request.retry_reason.empty() ? "" : request.retry_reason + "\n") +
                       "Type the code shown on " + request.peer.name + ": ");
    std::string line;
    if (std::getline(std::cin, line)) {
      reply(line);
    } else {
      reply(std::nullopt);
    }
  }).detach();
}

void CliConsent::pairing_finished(const PeerCandidate& peer, const Result<void>& outcome) {
  if (outcome) {
    printer_.event("paired", {{"peer", peer.name}, {"fingerprint", peer.id}},
                   "Paired with " + peer.name + ".");
  } else {
    printer_.event("pairing-failed", {{"peer", peer.name}, {"message", outcome.error().message}},
                   "Pairing with " + peer.name + " failed: " + outcome.error().message);
  }
}

void CliConsent::choice_failed(const PeerCandidate& peer, const Error& error) {
  const std::lock_guard lock(mutex_);
  failures_.push_back({peer, error.message});
}

std::string CliConsent::failure_for(const std::string& target) const {
  const std::lock_guard lock(mutex_);
  for (const Failed& f : failures_) {
    if (matches(f.peer, target)) return f.peer.name + ": " + f.message;
  }
  return {};
}

Result<lp2p::AgentOptions> api_agent_options(const AgentOptions& cli) {
  lp2p::AgentOptions o;
  o.device_name = display_name_of(cli);
  o.state_dir = state_dir_of(cli);
  auto port = agent_port(cli);
  if (!port) return std::move(port).error();
  o.port = *port;
  o.group = cli.group;
  o.interfaces = cli.interfaces;
  o.ipv4 = !cli.no_ipv4;
  o.ipv6 = !cli.no_ipv6;
  o.psk_ease_of_input = cli.psk_ease;
  o.psk_min_bits = cli.psk_bits;
  o.require_auth_token = !cli.no_token_check;
  o.inactivity_timeout = std::chrono::hours(24);  // a command ends its connections itself
  return o;
}

Result<CommandAgent> make_command_agent(const AgentOptions& cli, EventPrinter& printer,
                                        const ConsentOptions& consent) {
  auto options = api_agent_options(cli);
  if (!options) return std::move(options).error();
  auto delegate = std::make_shared<CliConsent>(printer, consent);
  auto agent = Agent::create(*options, delegate);
  if (!agent) return std::move(agent).error();
  return CommandAgent{std::move(*options), std::move(delegate), std::move(*agent)};
}

Result<bool> start_receiver(Agent& agent, Receiver& receiver) {
  auto started = receiver.start();
  if (started.wait_for(std::chrono::seconds(10)) != std::future_status::ready) {
    return make_error(Errc::timed_out, "could not start listening");
  }
  LP2P_TRY(started.get());
  return agent.wait_discoverable(kDiscoverableWait);
}

void WorkerThreads::add(std::function<void()> work) {
  const std::lock_guard lock(mutex_);
  threads_.emplace_back(std::move(work));
}

void WorkerThreads::join_all() {
  std::vector<std::thread> joining;
  {
    const std::lock_guard lock(mutex_);
    joining.swap(threads_);
  }
  for (std::thread& t : joining) t.join();
}

Result<Connection> connect_to(Agent& agent, CliConsent& consent, const std::string& target,
                              const std::string& origin, std::chrono::milliseconds timeout) {
  std::string wanted = target;
  if (target.starts_with(discovery::kTicketPrefix)) {
    auto ticket = discovery::decode_ticket(target);
    if (!ticket) return std::move(ticket).error();
    LP2P_TRY(agent.add_ticket(target));
    wanted = ticket->fingerprint;
  }
  Request request(agent, RequestOptions{origin, wanted});
  auto connection = request.start();
  const auto deadline = std::chrono::steady_clock::now() + timeout;
  while (connection.wait_for(std::chrono::milliseconds(100)) != std::future_status::ready) {
    const std::string failure = consent.failure_for(wanted);
    if (!failure.empty() || interrupted() || std::chrono::steady_clock::now() > deadline) {
      request.cancel();
      if (interrupted()) return make_error(Errc::closed, "interrupted");
      if (!failure.empty()) return make_error(Errc::refused, failure);
      return make_error(Errc::timed_out, "no device \"" + target + "\" answered within " +
                                             std::to_string(timeout.count() / 1000) + " s");
    }
  }
  return connection.get();
}

}  // namespace lp2p::cli
