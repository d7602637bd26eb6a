// The `lp2p` commands that move files and text run the public C++ API (lp2p/agent.hpp), as any
// application would, with this delegate playing the user agent's part in the terminal: the
// person named the peer on the command line (that is the picker's choice), pairing codes are
// shown or asked for here, and only authenticated (paired) peers are ever granted.
//
// Contract: CliConsent's methods run on the agent's loop thread and never block it: a code
// typed at the terminal is read on a thread of its own.
#pragma once

#include <atomic>
#include <chrono>
#include <functional>
#include <memory>
#include <mutex>
#include <optional>
#include <string>
#include <thread>
#include <vector>

#include "agent_options.hpp"
#include "event_printer.hpp"
#include "lp2p/agent.hpp"
#include "lp2p/connection.hpp"
#include "lp2p/receiver.hpp"

namespace lp2p::cli {

struct ConsentOptions {
  std::optional<std::string> code;  // --code: the code the other device shows
  bool qr = true;
  // Which authenticated peers a Receiver may be granted ("" = any paired peer).
  std::string only_peer;
};

class CliConsent : public ConsentDelegate {
 public:
  CliConsent(EventPrinter& printer, ConsentOptions options);

  void allow_advertising(const AdvertiseRequest& request, Reply<bool> reply) override;
  void pick_peer(std::shared_ptr<PeerPicker> picker) override;
  void grant_peer(const GrantRequest& request, Reply<GrantScope> reply) override;
  void show_pairing_code(const PairingCode& code) override;
  void ask_pairing_code(const PairingCodeRequest& request,
                        Reply<std::optional<std::string>> reply) override;
  void pairing_finished(const PeerCandidate& peer, const Result<void>& outcome) override;
  void choice_failed(const PeerCandidate& peer, const Error& error) override;

  // Why the choice of a peer matching `target` failed ("" if it did not), for the command.
  [[nodiscard]] std::string failure_for(const std::string& target) const;

  // A picker's peer is the one its Request names as its nickname (connect_to sets it): a name
  // (case-insensitive), a fingerprint prefix (≥ 4 characters) or a whole fingerprint.
  static bool matches(const PeerCandidate& candidate, const std::string& target);

 private:
  struct Failed {
    PeerCandidate peer;
    std::string message;
  };
  EventPrinter& printer_;
  ConsentOptions options_;
  mutable std::mutex mutex_;
  std::vector<Failed> failures_;
  std::vector<std::shared_ptr<PeerPicker>> pickers_;
};

// The API's options for this command's agent, from the CLI's (state dir, name, the remembered
// port, interfaces, pairing settings).
Result<lp2p::AgentOptions> api_agent_options(const AgentOptions& cli);

// A command's agent with its terminal consent delegate.
struct CommandAgent {
  lp2p::AgentOptions options;
  std::shared_ptr<CliConsent> consent;
  std::unique_ptr<Agent> agent;
};
Result<CommandAgent> make_command_agent(const AgentOptions& cli, EventPrinter& printer,
                                        const ConsentOptions& consent);

// Receiver::start, waiting at most 10 s for it, then up to kDiscoverableWait for peers browsing
// with mDNS to be able to find the agent (Agent::wait_discoverable): a command that says it is
// waiting should be findable by then. The value: whether it is (false: tickets still work).
inline constexpr std::chrono::seconds kDiscoverableWait{3};
Result<bool> start_receiver(Agent& agent, Receiver& receiver);

// One thread per accepted connection, all joined when the command ends. Thread-safe.
class WorkerThreads {
 public:
  WorkerThreads() = default;
  WorkerThreads(const WorkerThreads&) = delete;
  WorkerThreads& operator=(const WorkerThreads&) = delete;
  WorkerThreads(WorkerThreads&&) = delete;
  WorkerThreads& operator=(WorkerThreads&&) = delete;
  ~WorkerThreads() { join_all(); }
  void add(std::function<void()> work);
  void join_all();

 private:
  std::mutex mutex_;
  std::vector<std::thread> threads_;
};

// Connects to the peer named `target` for `origin`: a ticket ("lp2p1:...") is added first;
// names and prefixes are found by discovery. Pairs if needed (codes through `consent`).
// Errors: timed_out (not found or not reached in time, with the last failure), closed.
Result<Connection> connect_to(Agent& agent, CliConsent& consent, const std::string& target,
                              const std::string& origin, std::chrono::milliseconds timeout);

// Ctrl-C / SIGTERM: set once a signal came (installed by install_interrupt_flag()).
const std::atomic<bool>& interrupted();
void install_interrupt_flag();

}  // namespace lp2p::cli
