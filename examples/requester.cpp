// The spec's requester examples (LP2P §8.2 and §10.8) with the C++ API: pick a device (the
// picker is the user agent's, in the terminal), pair if needed, open "My Channel", greet the
// receiver and print its answer.
//
//   lp2p-example-requester --name Laptop --state-dir ~/.laptop [--peer Kitchen] [--timeout S]
#include <CLI/CLI.hpp>
#include <atomic>
#include <iostream>

#include "terminal_consent.hpp"

int main(int argc, char** argv) {
  CLI::App app{"The LP2P spec's requester example: connect to a device and say good day"};
  std::string name = "Example requester";
  std::string state_dir;
  std::string peer;
  std::string group;
  double timeout = 120;
  app.add_option("--name", name, "This device's name, as others see it");
  app.add_option("--state-dir", state_dir, "Where this device keeps its identity")->required();
  app.add_option("--peer", peer, "Pick the first device whose name starts so (default: ask)");
  app.add_option("--group", group, "App group (only devices of the same group see each other)");
  app.add_option("--timeout", timeout, "Give up after this many seconds")->capture_default_str();
  CLI11_PARSE(app, argc, argv);

  auto consent = std::make_shared<lp2p::examples::TerminalConsent>(
      lp2p::examples::TerminalConsent::Options{false, peer});
  lp2p::AgentOptions options;
  options.device_name = name;
  options.state_dir = state_dir;
  options.group = group;
  auto agent = lp2p::Agent::create(options, consent);
  if (!agent) {
    std::cerr << "requester: " << agent.error().describe() << '\n';
    return 1;
  }

  // Blocks until a connection is received (a dismissed picker never completes).
  auto pending = lp2p::Request(**agent, {"app:example-requester", "example-request"}).start();
  if (pending.wait_for(std::chrono::duration<double>(timeout)) != std::future_status::ready) {
    std::cerr << "requester: no connection within " << timeout << " s\n";
    return 3;
  }
  auto conn = pending.get();
  if (!conn) {
    std::cerr << "requester: " << conn.error().describe() << '\n';
    return 1;
  }
  std::cout << "Requester: Got a connection!" << std::endl;

  auto channel = conn->create_data_channel("My Channel");
  if (!channel) {
    std::cerr << "requester: " << channel.error().describe() << '\n';
    return 1;
  }
  auto answered = std::make_shared<std::atomic<bool>>(false);
  channel->on_open([channel = *channel, answered]() mutable {
    channel.on_message([answered](const lp2p::Message& message) {
      std::cout << "Requester: Received message: " << message.text() << std::endl;
      *answered = true;
    });
    (void)channel.send("Good day to you, receiver!");
  });
  lp2p::examples::wait_until([&] { return answered->load(); }, timeout);
  if (!*answered) {
    std::cerr << "requester: no answer on the channel\n";
    return 1;
  }
  channel->close();
  conn->close();
  return 0;
}
