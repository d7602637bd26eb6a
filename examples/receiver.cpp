// The spec's receiver examples (LP2P §7.5 and §10.8) with the C++ API: become discoverable
// (after consent), take connections, answer every data channel with a greeting and print what
// arrives on it.
//
//   lp2p-example-receiver --name Kitchen --state-dir ~/.kitchen [--yes] [--timeout S]
#include <iostream>

#include "example_device.hpp"

int main(int argc, char** argv) {
  CLI::App app{"The LP2P spec's receiver example: be discoverable, greet every data channel"};
  lp2p::examples::Device device("Example receiver");
  device.add_options(app);
  double timeout = 0;
  app.add_option("--timeout", timeout, "Stop after this many seconds (default: Ctrl-C)");
  CLI11_PARSE(app, argc, argv);
  if (!device.start("receiver")) return 1;

  lp2p::Receiver receiver(*device.agent, {"app:example-receiver", "example-receiver"});
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
  std::cout << "Receiver: discoverable as \"" << device.name << "\"" << std::endl;
  lp2p::examples::wait_until([] { return false; }, timeout);
  return 0;
}
