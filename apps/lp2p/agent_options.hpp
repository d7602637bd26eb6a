// Options shared by the commands that act as an agent (advertise, discover, ticket, ...) and the
// set-up they share: state directory, identity, the agent's UDP port, interfaces and app group.
#pragma once

#include <cstdint>
#include <filesystem>
#include <string>
#include <vector>

#include "auth/identity.hpp"
#include "lp2p/result.hpp"
#include "osp/local_agent.hpp"

namespace CLI {
class App;
}  // namespace CLI

namespace lp2p::cli {

struct AgentOptions {
  std::string state_dir;  // empty: default_state_dir()
  std::vector<std::string> interfaces;
  std::string group;
  std::string name;        // display name; empty: the host name
  std::uint16_t port = 0;  // 0: the port remembered in the state directory
  bool verbose = false;
  bool no_ipv4 = false;
  bool no_ipv6 = false;
  std::string congestion_control = "bbr2";
  // Pairing (osp-brief §4): how easily codes are typed here (the lower side shows the code),
  // the code's minimum entropy, the `at` check, and the first back-off after failed attempts.
  unsigned psk_ease = 50;
  unsigned psk_bits = 20;
  bool no_token_check = false;
  unsigned pairing_backoff_ms = 1000;
  unsigned pairing_attempts_per_minute = 20;
};

// `lp2p send` uses --group for a group of peers: its app group option is --app-group there.
enum class AppGroupOption { group, app_group };
void add_agent_options(CLI::App& command, AgentOptions& options,
                       AppGroupOption app_group = AppGroupOption::group);
// Only --state-dir, for commands that read the state but run no agent (`lp2p peers`).
void add_state_dir_option(CLI::App& command, AgentOptions& options);

[[nodiscard]] std::filesystem::path state_dir_of(const AgentOptions& options);
[[nodiscard]] std::string display_name_of(const AgentOptions& options);
void configure_logging(const AgentOptions& options);

// The UDP port this agent listens on: the one asked for, else the one remembered in the state
// directory, else a free one from the dynamic range, remembered for next time (tickets stay valid).
Result<std::uint16_t> agent_port(const AgentOptions& options);

// The settings of this agent's OSP agent (identity, certificate, QUIC endpoint) on `port`
// (0: any free port, for commands that only dial).
Result<osp::LocalAgent::Options> local_agent_options(const AgentOptions& options,
                                                     std::uint16_t port);

}  // namespace lp2p::cli
