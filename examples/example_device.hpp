// The device every example runs: its command-line options (--name, --state-dir, --group, --yes,
// --peer, -v) and its Agent, answered in the terminal (TerminalConsent).
#pragma once

#include <CLI/CLI.hpp>
#include <iostream>
#include <memory>
#include <string>

#include "terminal_consent.hpp"

namespace lp2p::examples {

struct Device {
  explicit Device(std::string default_name) : name(std::move(default_name)) {}

  void add_options(CLI::App& app) {
    app.add_option("--name", name, "This device's name, as others see it")->capture_default_str();
    app.add_option("--state-dir", state_dir, "Where this device keeps its identity")->required();
    app.add_option("--group", group, "App group (only devices of the same group see each other)");
    app.add_option("--peer", peer, "Connect to the first device whose name starts so (else ask)");
    app.add_flag("--yes", yes, "Allow advertising and grant every paired device without asking");
    app.add_flag("-v,--verbose", verbose, "Log what the agent does (standard error)");
  }

  // After parsing: the terminal UI and the Agent; false (and a message) if the agent failed.
  bool start(const std::string& program) {
    if (verbose) set_log_level(LogLevel::debug);
    consent = std::make_shared<TerminalConsent>(TerminalConsent::Options{yes, peer});
    AgentOptions options;
    options.device_name = name;
    options.state_dir = state_dir;
    options.group = group;
    auto created = Agent::create(options, consent);
    if (!created) {
      std::cerr << program << ": " << created.error().describe() << '\n';
      return false;
    }
    agent = std::move(*created);
    return true;
  }

  std::string name;
  std::string state_dir;
  std::string group;
  std::string peer;
  bool yes = false;
  bool verbose = false;
  std::shared_ptr<TerminalConsent> consent;
  std::unique_ptr<Agent> agent;
};

// Waits for a Request's connection; a message and nullopt if none came.
inline std::optional<Connection> wait_for_connection(std::future<Result<Connection>>& pending,
                                                     double timeout, const std::string& program) {
  if (pending.wait_for(std::chrono::duration<double>(timeout)) != std::future_status::ready) {
    std::cerr << program << ": no connection within " << timeout << " s\n";
    return std::nullopt;
  }
  auto conn = pending.get();
  if (!conn) {
    std::cerr << program << ": " << conn.error().describe() << '\n';
    return std::nullopt;
  }
  return *conn;
}

}  // namespace lp2p::examples
