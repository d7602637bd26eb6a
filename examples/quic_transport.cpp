// The spec's LP2PQuicTransport examples (LP2P §9.2, §11.2) with the C++ API: both sides open a
// QUIC transport on their connection; the requester sends a greeting on a bidirectional stream
// and the receiver answers on the same stream.
//
//   lp2p-example-quic-transport --listen --name Kitchen --state-dir ~/.kitchen --yes
//   lp2p-example-quic-transport --name Laptop --state-dir ~/.laptop --peer Kitchen
#include <CLI/CLI.hpp>
#include <atomic>
#include <iostream>
#include <string>

#include "terminal_consent.hpp"

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
  std::string name = "QUIC example";
  std::string state_dir;
  std::string peer;
  bool listen = false;
  bool yes = false;
  double timeout = 120;
  app.add_option("--name", name, "This device's name, as others see it");
  app.add_option("--state-dir", state_dir, "Where this device keeps its identity")->required();
  app.add_flag("--listen", listen, "Be the receiver (else the requester)");
  app.add_option("--peer", peer, "Requester: pick the first device whose name starts so");
  app.add_flag("--yes", yes, "Allow advertising and grant every paired device without asking");
  app.add_option("--timeout", timeout, "Stop after this many seconds")->capture_default_str();
  bool verbose = false;
  app.add_flag("-v,--verbose", verbose, "Log what the agent does (standard error)");
  CLI11_PARSE(app, argc, argv);
  if (verbose) lp2p::set_log_level(lp2p::LogLevel::debug);

  std::atomic<bool> done{false};  // before the agent: its handlers use it until the agent stops
  auto consent = std::make_shared<lp2p::examples::TerminalConsent>(
      lp2p::examples::TerminalConsent::Options{yes, peer});
  lp2p::AgentOptions options;
  options.device_name = name;
  options.state_dir = state_dir;
  auto agent = lp2p::Agent::create(options, consent);
  if (!agent) {
    std::cerr << "quic-transport: " << agent.error().describe() << '\n';
    return 1;
  }

  if (listen) {
    lp2p::Receiver receiver(**agent, {"app:quic-example", "example-receiver"});
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
    std::cout << "Receiver: discoverable as \"" << name << "\"" << std::endl;
    lp2p::examples::wait_until([&done] { return done.load(); }, timeout);
    std::this_thread::sleep_for(std::chrono::milliseconds(500));  // the answer's last packets
    return done ? 0 : 1;
  }

  auto pending = lp2p::Request(**agent, {"app:quic-example", "example-request"}).start();
  if (pending.wait_for(std::chrono::duration<double>(timeout)) != std::future_status::ready) {
    std::cerr << "requester: no connection within " << timeout << " s\n";
    return 3;
  }
  auto conn = pending.get();
  if (!conn) {
    std::cerr << "requester: " << conn.error().describe() << '\n';
    return 1;
  }
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
