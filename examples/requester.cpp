// The spec's requester examples (LP2P §8.2 and §10.8) with the C++ API: pick a device (the
// picker is the user agent's, in the terminal), pair if needed, open "My Channel", greet the
// receiver and print its answer.
//
//   lp2p-example-requester --name Laptop --state-dir ~/.laptop [--peer Kitchen] [--timeout S]
#include <atomic>
#include <iostream>

#include "example_device.hpp"

int main(int argc, char** argv) {
  CLI::App app{"The LP2P spec's requester example: connect to a device and say good day"};
  lp2p::examples::Device device("Example requester");
  device.add_options(app);
  double timeout = 120;
  app.add_option("--timeout", timeout, "Give up after this many seconds")->capture_default_str();
  CLI11_PARSE(app, argc, argv);
  if (!device.start("requester")) return 1;

  // Blocks until a connection is received (a dismissed picker never completes).
  auto pending = lp2p::Request(*device.agent, {"app:example-requester", "example-request"}).start();
  auto conn = lp2p::examples::wait_for_connection(pending, timeout, "requester");
  if (!conn) return 3;
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
