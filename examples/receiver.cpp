// The spec's receiver examples (LP2P §7.5 and §10.8) with the C++ API: become discoverable
// (after consent), take connections, answer every data channel with a greeting and print what
// arrives on it.
//
//   lp2p-example-receiver --name Kitchen --state-dir ~/.kitchen [--yes] [--timeout S]
#include <CLI/CLI.hpp>
#include <iostream>

#include "terminal_consent.hpp"

int main(int argc, char** argv) {
  CLI::App app{"The LP2P spec's receiver example: be discoverable, greet every data channel"};
  std::string name = "Example receiver";
  std::string state_dir;
  std::string group;
  bool yes = false;
  double timeout = 0;
  app.add_option("--name", name, "This device's name, as others see it");
  app.add_option("--state-dir", state_dir, "Where this device keeps its identity")->required();
  app.add_option("--group", group, "App group (only devices of the same group see each other)");
  app.add_flag("--yes", yes, "Allow advertising and grant every paired device without asking");
  app.add_option("--timeout", timeout, "Stop after this many seconds (default: Ctrl-C)");
  CLI11_PARSE(app, argc, argv);

  auto consent = std::make_shared<lp2p::examples::TerminalConsent>(
      lp2p::examples::TerminalConsent::Options{yes, ""});
  lp2p::AgentOptions options;
  options.device_name = name;
  options.state_dir = state_dir;
  options.group = group;
  auto agent = lp2p::Agent::create(options, consent);
  if (!agent) {
    std::cerr << "receiver: " << agent.error().describe() << '\n';
    return 1;
  }

  lp2p::Receiver receiver(**agent, {"app:example-receiver", "example-receiver"});
  receiver.on_connection([](lp2p::Connection conn) {
    std::cout << "Receiver: Got a connection!" << std::endl;
    conn.on_data_channel([](lp2p::DataChannel channel) {
      channel.on_message([](const lp2p::Message& message) {
        std::cout << "Receiver: Received message: " << message.text() << std::endl;
      });
      (void)channel.send("Good day to you, requester!");
    });
  });
  // Blocks until permission is received.
  auto started = receiver.start().get();
  if (!started) {
    std::cerr << "receiver: " << started.error().describe() << '\n';
    return 1;
  }
  std::cout << "Receiver: discoverable as \"" << name << "\"" << std::endl;
  lp2p::examples::wait_until([] { return false; }, timeout);
  return 0;
}
