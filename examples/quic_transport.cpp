// The spec's LP2PQuicTransport examples (LP2P §9.2, §11.2) with the C++ API: both sides open a
// QUIC transport on their connection; the requester sends a greeting on a bidirectional stream
// and the receiver answers on the same stream.
//
//   lp2p-example-quic-transport --listen --name Kitchen --state-dir ~/.kitchen --yes
//   lp2p-example-quic-transport --name Laptop --state-dir ~/.laptop --peer Kitchen
#include <atomic>
#include <iostream>
#include <string>

#include "example_device.hpp"

namespace {

std::string text_of(std::span<const std::uint8_t> bytes) {
  return {reinterpret_cast<const char*>(bytes.data()), bytes.size()};
}

// Writes a short message whole (a new stream's buffer takes it at once) and ends the stream.
bool say(lp2p::QuicStream& stream, const std::string& text) {
  auto taken = stream.write({reinterpret_cast<const std::uint8_t*>(text.data()), text.size()});
  return taken && *taken == text.size() && stream.finish();
}

}  // namespace

int main(int argc, char** argv) {
  CLI::App app{"The LP2P spec's QUIC transport example: raw QUIC streams between two devices"};
  std::atomic<bool> done{false};  // before the device: the agent's handlers use it until it stops
  lp2p::examples::Device device("QUIC example");
  device.add_options(app);
  bool listen = false;
  double timeout = 120;
  app.add_flag("--listen", listen, "Be the receiver (else the requester)");
  app.add_option("--timeout", timeout, "Stop after this many seconds")->capture_default_str();
  CLI11_PARSE(app, argc, argv);
  if (!device.start("quic-transport")) return 1;

  if (listen) {
    lp2p::Receiver receiver(*device.agent, {"app:quic-example", "example-receiver"});
    receiver.on_connection([&done](lp2p::Connection conn) {
      auto transport = lp2p::QuicTransport::open(conn);
      if (!transport) return void(std::cerr << "receiver: " << transport.error().message << '\n');
      transport->on_ready([](lp2p::Result<void> ready) {
        if (ready) std::cout << "Receiver: transport ready" << std::endl;
      });
      transport->on_incoming_stream([&done](lp2p::QuicStream stream) {
        auto got = std::make_shared<std::string>();
        stream.on_data([stream, got, &done](std::span<const std::uint8_t> bytes, bool fin) mutable {
          *got += text_of(bytes);
          if (!fin) return;
          std::cout << "Receiver: Received on a QUIC stream: " << *got << std::endl;
          say(stream, "Good day to you over QUIC, requester!");
          done = true;
        });
      });
    });
    if (auto started = receiver.start().get(); !started) {
      std::cerr << "receiver: " << started.error().describe() << '\n';
      return 1;
    }
    std::cout << "Receiver: discoverable as \"" << device.name << "\"" << std::endl;
    lp2p::examples::wait_until([&done] { return done.load(); }, timeout);
    std::this_thread::sleep_for(std::chrono::milliseconds(500));  // the answer's last packets
    return done ? 0 : 1;
  }

  auto pending = lp2p::Request(*device.agent, {"app:quic-example", "example-request"}).start();
  auto conn = lp2p::examples::wait_for_connection(pending, timeout, "requester");
  if (!conn) return 3;
  auto transport = lp2p::QuicTransport::open(*conn);
  // Blocks until the transport is ready.
  if (auto ready = transport ? transport->ready().get() : transport.error(); !ready) {
    std::cerr << "requester: " << ready.error().describe() << '\n';
    return 1;
  }
  std::cout << "Requester: transport ready" << std::endl;
  auto stream = transport->open_bidirectional_stream();
  if (!stream) {
    std::cerr << "requester: " << stream.error().describe() << '\n';
    return 1;
  }
  auto answer = std::make_shared<std::string>();
  stream->on_data([answer, &done](std::span<const std::uint8_t> bytes, bool fin) {
    *answer += text_of(bytes);
    if (!fin) return;
    std::cout << "Requester: Received on a QUIC stream: " << *answer << std::endl;
    done = true;
  });
  if (!say(*stream, "Good day to you over QUIC, receiver!")) {
    std::cerr << "requester: the stream did not take the greeting\n";
    return 1;
  }
  lp2p::examples::wait_until([&done] { return done.load(); }, timeout);
  return done ? 0 : 1;
}
