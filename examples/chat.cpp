// A small chat on a data channel: one side listens (a Receiver), the other connects (a Request);
// lines typed on either side appear on the other.
//
//   lp2p-example-chat --name Kitchen --state-dir ~/.kitchen --listen
//   lp2p-example-chat --name Laptop --state-dir ~/.laptop [--peer Kitchen]
#include <CLI/CLI.hpp>
#include <atomic>
#include <iostream>
#include <mutex>

#include "terminal_consent.hpp"

namespace {

// The chat's one channel at a time, shared by the stdin reader and the agent's thread.
class ChatRoom {
 public:
  void join(lp2p::DataChannel channel) {
    channel.on_message([](const lp2p::Message& m) { std::cout << "> " << m.text() << std::endl; });
    channel.on_close([this] {
      std::cout << "(the chat closed)" << std::endl;
      ended_ = true;
    });
    const std::scoped_lock lock(mutex_);
    channel_ = channel;
  }
  void say(const std::string& line) {
    const std::scoped_lock lock(mutex_);
    if (!channel_) return void(std::cout << "(nobody is here yet)" << std::endl);
    if (auto sent = channel_.send(line); !sent) std::cout << "(" << sent.error().message << ")\n";
  }
  [[nodiscard]] bool ended() const { return ended_; }

 private:
  std::mutex mutex_;
  lp2p::DataChannel channel_;
  std::atomic<bool> ended_{false};
};

}  // namespace

int main(int argc, char** argv) {
  CLI::App app{"Chat with a nearby device over an LP2P data channel"};
  std::string name = "Chat";
  std::string state_dir;
  std::string peer;
  bool listen = false;
  bool yes = false;
  app.add_option("--name", name, "This device's name, as others see it");
  app.add_option("--state-dir", state_dir, "Where this device keeps its identity")->required();
  app.add_flag("--listen", listen, "Wait for someone to connect (else connect to someone)");
  app.add_option("--peer", peer, "Connect to the first device whose name starts so");
  app.add_flag("--yes", yes, "Allow advertising and grant every paired device without asking");
  CLI11_PARSE(app, argc, argv);

  auto consent = std::make_shared<lp2p::examples::TerminalConsent>(
      lp2p::examples::TerminalConsent::Options{yes, peer});
  lp2p::AgentOptions options;
  options.device_name = name;
  options.state_dir = state_dir;
  auto agent = lp2p::Agent::create(options, consent);
  if (!agent) {
    std::cerr << "chat: " << agent.error().describe() << '\n';
    return 1;
  }
  ChatRoom room;
  consent->on_line([&room](const std::string& line) { room.say(line); });

  std::unique_ptr<lp2p::Receiver> receiver;
  if (listen) {
    receiver = std::make_unique<lp2p::Receiver>(**agent, lp2p::ReceiverOptions{"app:chat", "chat"});
    receiver->on_connection([&room](lp2p::Connection conn) {
      std::cout << "(" << conn.peer().name << " joined)" << std::endl;
      conn.on_data_channel([&room](lp2p::DataChannel channel) { room.join(channel); });
    });
    if (auto started = receiver->start().get(); !started) {
      std::cerr << "chat: " << started.error().describe() << '\n';
      return 1;
    }
    std::cout << "(waiting for someone to connect to \"" << name << "\")" << std::endl;
  } else {
    auto conn = lp2p::Request(**agent, {"app:chat", "chat"}).start().get();
    if (!conn) {
      std::cerr << "chat: " << conn.error().describe() << '\n';
      return 1;
    }
    lp2p::DataChannelInit init;
    init.protocol = "text-chat";
    auto channel = conn->create_data_channel("chat", init);
    if (!channel) {
      std::cerr << "chat: " << channel.error().describe() << '\n';
      return 1;
    }
    room.join(*channel);
    channel->on_open([peer = conn->peer().name] {
      std::cout << "(connected to " << peer << "; type and press Enter)" << std::endl;
    });
  }
  lp2p::examples::wait_until([&room] { return room.ended(); });
  return 0;
}
