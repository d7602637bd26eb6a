// The `lp2p` command: a CLI11 app whose subcommands come from the registry below.
#include <unistd.h>

#include <CLI/CLI.hpp>
#include <array>
#include <exception>
#include <iostream>
#include <string>

#include "discovery_commands.hpp"
#include "info_command.hpp"
#include "lp2p/version.hpp"
#include "pair_command.hpp"
#include "peers_command.hpp"
#include "transfer_commands.hpp"
#include "wire_command.hpp"

namespace {

// Adds one subcommand (with its own subcommands and options) to the app; when it runs it stores
// its exit status in the int.
using AddCommand = void (*)(CLI::App&, const lp2p::cli::Io&, int&);

// Every subcommand of `lp2p`. Adding one (advertise, discover, pair, send...) is one line here.
constexpr std::array<AddCommand, 12> kCommands{
    &lp2p::cli::add_receive_command,  &lp2p::cli::add_send_command,
    &lp2p::cli::add_share_command,    &lp2p::cli::add_pull_command,
    &lp2p::cli::add_chat_command,     &lp2p::cli::add_advertise_command,
    &lp2p::cli::add_discover_command, &lp2p::cli::add_info_command,
    &lp2p::cli::add_pair_command,     &lp2p::cli::add_peers_command,
    &lp2p::cli::add_ticket_command,   &lp2p::cli::add_wire_command,
};

constexpr const char* kFooter = R"(
Run `lp2p COMMAND --help` for the details of a command, e.g. `lp2p wire --help`.)";

int run(int argc, char** argv) {
  CLI::App app{
      "lp2p: Local Peer-to-Peer API over the Open Screen Protocol (OSP), from the "
      "command line"};
  app.name("lp2p");
  app.set_version_flag("--version", std::string("lp2p ") + lp2p::kVersion);
  app.require_subcommand(1);
  app.footer(kFooter);

  const lp2p::cli::Io io{std::cin, std::cout, std::cerr, isatty(STDIN_FILENO) != 0};
  int exit_code = 0;
  for (const AddCommand add : kCommands) add(app, io, exit_code);

  try {
    app.parse(argc, argv);
  } catch (const CLI::ParseError& e) {
    // --help and --version are "errors" with status 0; real usage errors exit with 2.
    return app.exit(e) == 0 ? 0 : 2;
  }
  return exit_code;
}

}  // namespace

int main(int argc, char** argv) {
  std::ios::sync_with_stdio(false);
  // Commands report errors as values; what gets here is a bug or exhaustion (std::bad_alloc).
  try {
    return run(argc, argv);
  } catch (const std::exception& e) {
    std::cerr << "lp2p: internal error: " << e.what() << '\n';
  } catch (...) {
    std::cerr << "lp2p: internal error\n";
  }
  return 1;
}
