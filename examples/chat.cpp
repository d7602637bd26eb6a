// A small chat on a data channel: one side listens (a Receiver), the other connects (a Request);
// lines typed on either side appear on the other.
//
//   lp2p-example-chat --name Kitchen --state-dir ~/.kitchen --listen
//   lp2p-example-chat --name Laptop --state-dir ~/.laptop [--peer Kitchen]
#include <atomic>
#include <iostream>
#include <mutex>

#include "example_device.hpp"

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
  ChatRoom room;  // before the device: the agent's handlers use it until the agent stops
  lp2p::examples::Device device("Chat");
  device.add_options(app);
  bool listen = false;
  app.add_flag("--listen", listen, "Wait for someone to connect (else connect to someone)");
  CLI11_PARSE(app, argc, argv);
  if (!device.start("chat")) return 1;
  device.consent->on_line([&room](const std::string& line) { room.say(line); });

  std::unique_ptr<lp2p::Receiver> receiver;
  if (listen) {
    receiver =
        std::make_unique<lp2p::Receiver>(*device.agent, lp2p::ReceiverOptions{"app:chat", "chat"});
    receiver->on_connection([&room](lp2p::Connection conn) {
      std::cout << "(" << conn.peer().name << " joined)" << std::endl;
      conn.on_data_channel([&room](lp2p::DataChannel channel) { room.join(channel); });
    });
    if (auto started = receiver->start().get(); !started) {
      std::cerr << "chat: " << started.error().describe() << '\n';
      return 1;
    }
    std::cout << "(waiting for someone to connect to \"" << device.name << "\")" << std::endl;
  } else {
    auto pending = lp2p::Request(*device.agent, {"app:chat", "chat"}).start();
    auto conn = lp2p::examples::wait_for_connection(pending, 600, "chat");
    if (!conn) return 3;
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
