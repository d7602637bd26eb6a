#include "agent_options.hpp"

#include <netinet/in.h>
#include <openssl/rand.h>
#include <spdlog/sinks/stdout_color_sinks.h>
#include <spdlog/spdlog.h>
#include <sys/socket.h>
#include <unistd.h>

#include <CLI/CLI.hpp>
#include <array>
#include <fstream>

#include "common/base64.hpp"
#include "common/state_dir.hpp"

namespace lp2p::cli {
namespace {

constexpr const char* kPortFile = "agent-port";

// True when a UDP socket can bind `port` on every address (IPv6 socket, dual-stack).
bool port_free(std::uint16_t port) {
  const int fd = ::socket(AF_INET6, SOCK_DGRAM, 0);
  if (fd < 0) return false;
  const int off = 0;
  (void)setsockopt(fd, IPPROTO_IPV6, IPV6_V6ONLY, &off, sizeof off);
  sockaddr_in6 a{};
  a.sin6_family = AF_INET6;
  a.sin6_port = htons(port);
  const bool ok = ::bind(fd, reinterpret_cast<const sockaddr*>(&a), sizeof a) == 0;
  ::close(fd);
  return ok;
}

}  // namespace

void add_state_dir_option(CLI::App& command, AgentOptions& options) {
  command.add_option(
      "--state-dir", options.state_dir,
      "Where this agent keeps its identity, settings and known peers (default: "
      "$XDG_STATE_HOME/lp2p or ~/.local/state/lp2p). Two agents on one machine need two state "
      "directories.");
}

void add_agent_options(CLI::App& command, AgentOptions& options, AppGroupOption app_group) {
  add_state_dir_option(command, options);
  command.add_option("--interface,-i", options.interfaces,
                     "Network interface to use (repeatable; default: every interface that is up "
                     "and can multicast)");
  command.add_option(
      app_group == AppGroupOption::group ? "--group,-g" : "--app-group", options.group,
      "App group: only peers of the same group see each other (published as a DNS-SD subtype)");
  command.add_option("--name,-n", options.name,
                     "Display name shown to other devices (default: this host's name)");
  command.add_option("--port,-p", options.port,
                     "UDP port of this agent (default: remembered in the state directory)");
  command.add_flag("--verbose,-v", options.verbose, "Log what the agent does (to stderr)");
  command.add_flag("--no-ipv4", options.no_ipv4, "Do not use IPv4 for discovery");
  command.add_flag("--no-ipv6", options.no_ipv6, "Do not use IPv6 for discovery");
  command
      .add_option("--cc", options.congestion_control,
                  "QUIC congestion control: bbr2 (default), cubic or reno")
      ->check(CLI::IsMember({"bbr2", "cubic", "reno"}));
  command
      .add_option("--psk-ease", options.psk_ease,
                  "Pairing: how easily a code is typed on this device, 0 (cannot) to 100 "
                  "(default 50); the device with the lower value shows the code")
      ->check(CLI::Range(0U, 100U));
  command
      .add_option(
          "--psk-bits", options.psk_bits,
          "Pairing: minimum entropy of codes in bits, 20 (default: codes like 001-048-575) to 60")
      ->check(CLI::Range(20U, 60U));
  command.add_flag("--no-token-check", options.no_token_check,
                   "Pairing: accept requests without this agent's `at` token (for stacks that "
                   "send none, such as go-lp2p)");
  command.add_option("--pairing-backoff", options.pairing_backoff_ms,
                     "Pairing: milliseconds to wait after the third failed attempt in a row from "
                     "one device, doubling with each further failure up to 60 s (default 1000)");
  command
      .add_option("--pairing-attempts-per-minute", options.pairing_attempts_per_minute,
                  "Pairing: the most attempts this device takes in a minute, from all devices "
                  "together (default 20)")
      ->check(CLI::Range(1U, 100000U));
}

Result<osp::LocalAgent::Options> local_agent_options(const AgentOptions& options,
                                                     std::uint16_t port) {
  osp::LocalAgent::Options o;
  o.state_dir = state_dir_of(options);
  std::error_code ec;
  std::filesystem::create_directories(o.state_dir, ec);
  o.display_name = display_name_of(options);
  o.port = port;
  if (!quic::parse_congestion_control(options.congestion_control, o.transport.congestion_control)) {
    return make_error(Errc::invalid_argument,
                      "unknown congestion control \"" + options.congestion_control + "\"");
  }
  o.pairing.capabilities.psk_ease_of_input = options.psk_ease;
  o.pairing.capabilities.psk_min_bits_of_entropy = options.psk_bits;
  o.pairing.require_token = !options.no_token_check;
  o.pairing.limits.base_delay = std::chrono::milliseconds(options.pairing_backoff_ms);
  o.pairing.limits.max_attempts_per_minute = options.pairing_attempts_per_minute;
  return o;
}

std::filesystem::path state_dir_of(const AgentOptions& options) {
  return options.state_dir.empty() ? default_state_dir() : std::filesystem::path(options.state_dir);
}

std::string display_name_of(const AgentOptions& options) {
  if (!options.name.empty()) return options.name;
  std::array<char, 256> host{};
  if (gethostname(host.data(), host.size() - 1) == 0 && host[0] != '\0') return host.data();
  return "lp2p device";
}

void configure_logging(const AgentOptions& options) {
  // stderr: stdout carries the command's output (JSON lines with --json).
  spdlog::set_default_logger(spdlog::stderr_color_mt("lp2p"));
  spdlog::set_level(options.verbose ? spdlog::level::debug : spdlog::level::warn);
  spdlog::set_pattern("%H:%M:%S.%e %^%l%$ %v");
}

Result<std::uint16_t> agent_port(const AgentOptions& options) {
  if (options.port != 0) return options.port;
  const auto dir = state_dir_of(options);
  const auto path = dir / kPortFile;
  if (std::ifstream in(path); in) {
    unsigned port = 0;
    if (in >> port && port > 0 && port <= 65535) return static_cast<std::uint16_t>(port);
  }
  std::error_code ec;
  std::filesystem::create_directories(dir, ec);
  for (int attempt = 0; attempt < 64; ++attempt) {
    std::array<std::uint8_t, 2> r{};
    RAND_bytes(r.data(), 2);
    const auto port = static_cast<std::uint16_t>(49152 + ((r[0] << 8 | r[1]) % 16384));
    if (!port_free(port)) continue;
    std::ofstream out(path);
    out << port << '\n';
    if (!out) return make_error(Errc::io_error, "cannot write " + path.string());
    return port;
  }
  return make_error(Errc::io_error, "no free UDP port found in 49152-65535");
}

}  // namespace lp2p::cli
