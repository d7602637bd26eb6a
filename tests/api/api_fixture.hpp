// The two-device fixture of the API tests: "Kitchen" (a Receiver when started) and "Laptop" (whose
// Requests pick Kitchen), sharing one code board so that pairings complete.
#pragma once

#include <gtest/gtest.h>

#include "api_test_support.hpp"

namespace lp2p::test {

class ApiTest : public testing::Test {
 protected:
  void SetUp() override {
    ASSERT_TRUE(kitchen_.agent && laptop_.agent);
    ASSERT_TRUE(laptop_.agent->add_ticket(kitchen_.agent->ticket()));
    laptop_.consent->pick = kitchen_.agent->fingerprint();
  }

  void TearDown() override {
    laptop_.agent->stop();
    kitchen_.agent->stop();
  }

  // The receiver side: started, handing its connections to `received_`.
  void start_receiver(const std::string& origin = "https://kitchen.example") {
    receiver_ = std::make_unique<Receiver>(*kitchen_.agent, ReceiverOptions{origin, "kitchen"});
    receiver_->on_connection([this](Connection c) {
      const std::scoped_lock lock(mutex_);
      received_.push_back(c);
    });
    auto started = receiver_->start();
    auto result = wait_for(started);
    ASSERT_TRUE(result && *result) << (result ? result->error().describe() : "no answer");
  }

  // The requester side: a Request of `origin`, completed.
  Connection request(const std::string& origin = "https://laptop.example") {
    auto future = Request(*laptop_.agent, {origin, "laptop"}).start();
    auto result = wait_for(future);
    EXPECT_TRUE(result) << "the request did not complete";
    if (!result) return {};
    EXPECT_TRUE(*result) << result->error().describe();
    return *result ? **result : Connection{};
  }

  Connection received(std::size_t index = 0) {
    EXPECT_TRUE(eventually([&] {
      const std::scoped_lock lock(mutex_);
      return received_.size() > index;
    }));
    const std::scoped_lock lock(mutex_);
    return received_.size() > index ? received_[index] : Connection{};
  }

  std::shared_ptr<CodeBoard> board_ = std::make_shared<CodeBoard>();
  Device kitchen_{"Kitchen", board_};
  Device laptop_{"Laptop", board_};
  std::unique_ptr<Receiver> receiver_;
  std::mutex mutex_;
  std::vector<Connection> received_;
};

// An echo on every incoming channel of `connection`, replying "echo: " + text.
inline void echo_channels(Connection connection) {
  connection.on_data_channel([](DataChannel channel) {
    channel.on_message([channel](const Message& m) mutable {
      if (m.is_text()) {
        (void)channel.send("echo: " + std::string(m.text()));
      } else {
        (void)channel.send(m.bytes(), m.kind());
      }
    });
  });
}

// Collects a channel's events and messages. The handlers share the state, so events that come
// after the test body (while the agents stop) land safely.
struct ChannelLog {
  struct State {
    Log log;
    std::mutex mutex;
    std::vector<Message> messages;
  };
  explicit ChannelLog(DataChannel c) : channel(std::move(c)), state(std::make_shared<State>()) {
    auto s = state;
    channel.on_open([s] { s->log.add("open"); });
    channel.on_message([s](const Message& m) {
      const std::scoped_lock lock(s->mutex);
      s->messages.push_back(m);
    });
    channel.on_error([s](const Error& e) { s->log.add("error: " + e.message); });
    channel.on_closing([s] { s->log.add("closing"); });
    channel.on_close([s] { s->log.add("close"); });
  }
  std::size_t message_count() {
    const std::scoped_lock lock(state->mutex);
    return state->messages.size();
  }
  std::vector<Message> messages() {
    const std::scoped_lock lock(state->mutex);
    return state->messages;
  }
  [[nodiscard]] Log& log() const { return state->log; }
  DataChannel channel;
  std::shared_ptr<State> state;
};

}  // namespace lp2p::test
