// One device of the API's cross-namespace tests (api_test.py): a receiver that echoes every data
// channel, or a requester that runs checks against such a receiver. Public API only; JSON lines
// on stdout; pairing codes go out as events and come in on stdin.
//
//   lp2p_api_peer --role receiver --name Kitchen --state-dir D
//   lp2p_api_peer --role requester --name Laptop --state-dir D --peer Kitchen
//                 [--checks sizes,order,channels,close,revoke,inactivity] [--inactivity-ms N]
//                 [--no-pick] [--timeout S]
//
// Exit status: 0 every check passed, 1 a check failed, 3 no connection within the timeout.
#include <CLI/CLI.hpp>
#include <atomic>
#include <condition_variable>
#include <iostream>
#include <mutex>
#include <nlohmann/json.hpp>
#include <set>
#include <sstream>
#include <thread>

#include "lp2p/lp2p.hpp"

namespace {

using Json = nlohmann::json;
using namespace std::chrono_literals;

void emit(const Json& event) {
  static std::mutex out;
  const std::scoped_lock lock(out);
  std::cout << event.dump() << std::endl;
}

bool eventually(const std::function<bool()>& done, std::chrono::milliseconds timeout = 20s) {
  const auto deadline = std::chrono::steady_clock::now() + timeout;
  while (!done()) {
    if (std::chrono::steady_clock::now() > deadline) return false;
    std::this_thread::sleep_for(2ms);
  }
  return true;
}

// The person: grants and allows everything, picks the peer named on the command line (unless
// --no-pick), shows codes as events and reads typed codes from stdin.
class ScriptedPerson : public lp2p::ConsentDelegate {
 public:
  ScriptedPerson(std::string pick, bool no_pick) : pick_(std::move(pick)), no_pick_(no_pick) {}
  void allow_advertising(const lp2p::AdvertiseRequest&, lp2p::Reply<bool> reply) override {
    reply(true);
  }
  void pick_peer(std::shared_ptr<lp2p::PeerPicker> picker) override {
    std::weak_ptr<lp2p::PeerPicker> weak = picker;
    picker->on_candidates([this, weak](const std::vector<lp2p::PeerCandidate>& list) {
      auto p = weak.lock();
      if (!p || p->done()) return;
      for (const auto& c : list) {
        emit({{"event", "candidate"}, {"name", c.name}, {"paired", c.paired}});
        if (!no_pick_ && c.name == pick_) return p->choose(c.id, lp2p::GrantScope::session);
      }
    });
  }
  void grant_peer(const lp2p::GrantRequest& request, lp2p::Reply<lp2p::GrantScope> reply) override {
    emit({{"event", "grant-asked"}, {"origin", request.origin}, {"peer", request.peer.name}});
    reply(lp2p::GrantScope::session);
  }
  void show_pairing_code(const lp2p::PairingCode& code) override {
    emit({{"event", "pairing-code"}, {"code", code.code}, {"peer", code.peer.name}});
  }
  void ask_pairing_code(const lp2p::PairingCodeRequest&,
                        lp2p::Reply<std::optional<std::string>> reply) override {
    emit({{"event", "code-needed"}});
    std::thread([reply] {
      std::string line;
      if (std::getline(std::cin, line)) reply(line);
    }).detach();
  }
  void choice_failed(const lp2p::PeerCandidate& peer, const lp2p::Error& error) override {
    emit({{"event", "choice-failed"}, {"peer", peer.name}, {"error", error.describe()}});
  }

 private:
  std::string pick_;
  bool no_pick_;
};

std::string why_name(lp2p::ConnectionClosed::Why why) {
  switch (why) {
    case lp2p::ConnectionClosed::Why::closed_here:
      return "closed_here";
    case lp2p::ConnectionClosed::Why::closed_by_peer:
      return "closed_by_peer";
    case lp2p::ConnectionClosed::Why::revoked:
      return "revoked";
    case lp2p::ConnectionClosed::Why::inactive:
      return "inactive";
    case lp2p::ConnectionClosed::Why::lost:
      return "lost";
    case lp2p::ConnectionClosed::Why::agent_stopped:
      return "agent_stopped";
  }
  return "?";
}

// ---- receiver ----

void echo(lp2p::Connection conn) {
  conn.on_data_channel([](lp2p::DataChannel channel) {
    auto events = std::make_shared<std::vector<std::string>>();
    channel.on_message([channel](const lp2p::Message& m) mutable {
      if (m.is_text()) {
        (void)channel.send("echo: " + std::string(m.text()));
      } else {
        (void)channel.send(m.bytes(), m.kind());
      }
    });
    channel.on_closing([events] { events->push_back("closing"); });
    channel.on_error([events](const lp2p::Error&) { events->push_back("error"); });
    channel.on_close([events, label = channel.label()] {
      events->push_back("close");
      if (label.starts_with("close"))
        emit({{"event", "channel-events"}, {"label", label}, {"events", *events}});
    });
  });
  conn.on_close([](const lp2p::ConnectionClosed& c) {
    emit({{"event", "connection-closed"}, {"why", why_name(c.why)}});
  });
}

// ---- requester's checks ----

struct Channel {
  lp2p::DataChannel channel;
  std::shared_ptr<std::mutex> mutex = std::make_shared<std::mutex>();
  std::shared_ptr<std::vector<lp2p::Message>> messages =
      std::make_shared<std::vector<lp2p::Message>>();
  std::shared_ptr<std::vector<std::string>> events = std::make_shared<std::vector<std::string>>();

  explicit Channel(lp2p::DataChannel c) : channel(std::move(c)) {
    auto m = mutex;
    auto msgs = messages;
    auto ev = events;
    channel.on_open([m, ev] {
      const std::scoped_lock lock(*m);
      ev->push_back("open");
    });
    channel.on_message([m, msgs](const lp2p::Message& message) {
      const std::scoped_lock lock(*m);
      msgs->push_back(message);
    });
    for (const char* name : {"closing", "close"}) {
      auto record = [m, ev, name] {
        const std::scoped_lock lock(*m);
        ev->push_back(name);
      };
      if (std::string(name) == "closing")
        channel.on_closing(record);
      else
        channel.on_close(record);
    }
    channel.on_error([m, ev](const lp2p::Error&) {
      const std::scoped_lock lock(*m);
      ev->push_back("error");
    });
  }
  std::size_t count() const {
    const std::scoped_lock lock(*mutex);
    return messages->size();
  }
  bool has(const std::string& event) const {
    const std::scoped_lock lock(*mutex);
    return std::find(events->begin(), events->end(), event) != events->end();
  }
};

// Closes a check's channel and waits for its end, so that its QUIC stream goes back to the pool
// (a peer allows 1000 at once).
void finish(Channel& c) {
  c.channel.close();
  eventually([&] { return c.has("close"); });
}

std::optional<Channel> open_channel(lp2p::Connection& conn, const std::string& label) {
  auto made = conn.create_data_channel(label);
  // After many channels the peer may not have given the QUIC streams back yet (1000 at once).
  for (int i = 0; i < 200 && !made && made.error().code == lp2p::Errc::would_block; ++i) {
    std::this_thread::sleep_for(50ms);
    made = conn.create_data_channel(label);
  }
  if (!made) return std::nullopt;
  Channel c(*made);
  if (!eventually([&] { return c.has("open"); })) return std::nullopt;
  return c;
}

Json check_sizes(lp2p::Connection& conn) {
  auto c = open_channel(conn, "sizes");
  if (!c) return {{"ok", false}, {"detail", "no channel"}};
  const std::vector<std::size_t> sizes{0, 1, 1000, 65536, lp2p::DataChannel::kMaxMessageSize};
  std::vector<std::vector<std::uint8_t>> sent;
  for (std::size_t i = 0; i < sizes.size(); ++i) {
    std::vector<std::uint8_t> bytes(sizes[i]);
    for (std::size_t j = 0; j < bytes.size(); ++j) bytes[j] = static_cast<std::uint8_t>(j * 7 + i);
    (void)c->channel.send(bytes,
                          i % 2 == 0 ? lp2p::MessageKind::array_buffer : lp2p::MessageKind::blob);
    sent.push_back(std::move(bytes));
  }
  (void)c->channel.send("text after binary");
  std::vector<std::uint8_t> too_big(lp2p::DataChannel::kMaxMessageSize + 1);
  const bool refused = !c->channel.send(too_big);
  if (!eventually([&] { return c->count() == sizes.size() + 1; })) {
    return {{"ok", false}, {"detail", "echoes missing: " + std::to_string(c->count())}};
  }
  finish(*c);
  const std::scoped_lock lock(*c->mutex);
  for (std::size_t i = 0; i < sizes.size(); ++i) {
    const auto& m = (*c->messages)[i];
    const auto kind = i % 2 == 0 ? lp2p::MessageKind::array_buffer : lp2p::MessageKind::blob;
    if (m.kind() != kind ||
        !std::equal(m.bytes().begin(), m.bytes().end(), sent[i].begin(), sent[i].end())) {
      return {{"ok", false}, {"detail", "message " + std::to_string(i) + " differs"}};
    }
  }
  const auto& last = c->messages->back();
  const bool ok = refused && last.is_text() && last.text() == "echo: text after binary";
  return {
      {"ok", ok},
      {"detail", "sizes 0..256 KiB, kinds kept, 256 KiB + 1 refused: " + std::to_string(refused)}};
}

Json check_order(lp2p::Connection& conn) {
  auto c = open_channel(conn, "order");
  if (!c) return {{"ok", false}, {"detail", "no channel"}};
  constexpr std::size_t kCount = 5000;
  for (std::size_t i = 0; i < kCount;) {
    if (c->channel.send(std::to_string(i)))
      ++i;
    else
      std::this_thread::sleep_for(1ms);
  }
  if (!eventually([&] { return c->count() == kCount; }, 60s)) {
    return {{"ok", false}, {"detail", std::to_string(c->count()) + " of 5000 echoes"}};
  }
  finish(*c);
  const std::scoped_lock lock(*c->mutex);
  for (std::size_t i = 0; i < kCount; ++i) {
    if ((*c->messages)[i].text() != "echo: " + std::to_string(i)) {
      return {{"ok", false}, {"detail", "out of order at " + std::to_string(i)}};
    }
  }
  return {{"ok", true}, {"detail", "5000 messages in order"}};
}

Json check_channels(lp2p::Connection& conn) {
  constexpr std::size_t kChannels = 1000;
  std::this_thread::sleep_for(300ms);  // the peer returns the earlier checks' streams
  std::vector<Channel> channels;
  for (std::size_t i = 0; i < kChannels; ++i) {
    auto made = conn.create_data_channel("many " + std::to_string(i));
    if (!made)
      return {{"ok", false}, {"detail", std::to_string(i) + ": " + made.error().describe()}};
    channels.emplace_back(*made);
  }
  const auto all = [&](auto pred) { return std::all_of(channels.begin(), channels.end(), pred); };
  if (!eventually([&] { return all([](const Channel& c) { return c.has("open"); }); }, 60s)) {
    return {{"ok", false}, {"detail", "not all 1000 channels opened"}};
  }
  for (std::size_t i = 0; i < kChannels; ++i) (void)channels[i].channel.send(std::to_string(i));
  if (!eventually([&] { return all([](const Channel& c) { return c.count() == 1; }); }, 60s)) {
    return {{"ok", false}, {"detail", "not every channel echoed"}};
  }
  for (std::size_t i = 0; i < kChannels; ++i) {
    const std::scoped_lock lock(*channels[i].mutex);
    if ((*channels[i].messages)[0].text() != "echo: " + std::to_string(i)) {
      return {{"ok", false}, {"detail", "channel " + std::to_string(i) + " got another's echo"}};
    }
  }
  for (auto& c : channels) c.channel.close();
  eventually([&] { return all([](const Channel& c) { return c.has("close"); }); }, 30s);
  return {{"ok", true}, {"detail", "1000 channels open at once, each echoed its own message"}};
}

Json check_close(lp2p::Connection& conn) {
  auto c = open_channel(conn, "close-order");
  if (!c) return {{"ok", false}, {"detail", "no channel"}};
  c->channel.close();
  if (!eventually([&] { return c->has("close"); })) return {{"ok", false}, {"detail", "no close"}};
  std::this_thread::sleep_for(200ms);
  const std::scoped_lock lock(*c->mutex);
  const std::vector<std::string> expected{"open", "closing", "close"};
  return {{"ok", *c->events == expected}, {"detail", Json(*c->events).dump()}};
}

}  // namespace

int main(int argc, char** argv) {
  CLI::App app{"One device of the API tests between namespaces"};
  std::string role, name, state_dir, peer, checks = "sizes,order,channels,close,revoke";
  double timeout = 60;
  int inactivity_ms = 0;
  bool no_pick = false;
  app.add_option("--role", role)->required()->check(CLI::IsMember({"receiver", "requester"}));
  app.add_option("--name", name)->required();
  app.add_option("--state-dir", state_dir)->required();
  app.add_option("--peer", peer);
  app.add_option("--checks", checks);
  app.add_option("--inactivity-ms", inactivity_ms);
  app.add_flag("--no-pick", no_pick);
  app.add_option("--timeout", timeout);
  CLI11_PARSE(app, argc, argv);

  auto person = std::make_shared<ScriptedPerson>(peer, no_pick);
  lp2p::AgentOptions options;
  options.device_name = name;
  options.state_dir = state_dir;
  if (inactivity_ms > 0) options.inactivity_timeout = std::chrono::milliseconds(inactivity_ms);
  auto agent = lp2p::Agent::create(options, person);
  if (!agent) {
    emit({{"event", "failed"}, {"error", agent.error().describe()}});
    return 1;
  }

  if (role == "receiver") {
    lp2p::Receiver receiver(**agent, {"app:test", "test"});
    receiver.on_connection([](lp2p::Connection conn) {
      emit({{"event", "connection"}, {"peer", conn.peer().name}});
      echo(conn);
    });
    if (auto started = receiver.start().get(); !started) {
      emit({{"event", "failed"}, {"error", started.error().describe()}});
      return 1;
    }
    emit({{"event", "receiving"}});
    std::this_thread::sleep_for(std::chrono::duration<double>(timeout));
    return 0;
  }

  const auto request = [&](const std::string& origin) -> std::optional<lp2p::Connection> {
    auto future = lp2p::Request(**agent, {origin, "test"}).start();
    if (future.wait_for(std::chrono::duration<double>(timeout)) != std::future_status::ready) {
      return std::nullopt;
    }
    auto conn = future.get();
    if (!conn) return std::nullopt;
    return *conn;
  };
  auto conn = request("app:first");
  if (!conn) {
    emit({{"event", "no-connection"}});
    return 3;
  }
  emit({{"event", "connection"}, {"peer", conn->peer().name}});
  auto closed = std::make_shared<std::promise<lp2p::ConnectionClosed>>();
  auto closed_future = closed->get_future().share();
  conn->on_close([closed](const lp2p::ConnectionClosed& c) { closed->set_value(c); });

  bool all_ok = true;
  std::stringstream list(checks);
  for (std::string check; std::getline(list, check, ',');) {
    Json result;
    const auto t0 = std::chrono::steady_clock::now();
    if (check == "sizes") {
      result = check_sizes(*conn);
    } else if (check == "order") {
      result = check_order(*conn);
    } else if (check == "channels") {
      result = check_channels(*conn);
    } else if (check == "close") {
      result = check_close(*conn);
    } else if (check == "revoke") {
      // A second origin on the same peer (no second pairing), then the first one revoked.
      auto second = request("app:second");
      if (!second) {
        result = {{"ok", false}, {"detail", "no second connection"}};
      } else {
        auto revoked = (*agent)->revoke("app:first", conn->peer().id);
        const bool why = closed_future.wait_for(10s) == std::future_status::ready &&
                         closed_future.get().why == lp2p::ConnectionClosed::Why::revoked;
        auto c = open_channel(*second, "after revoke");
        bool echoed = false;
        if (c) {
          (void)c->channel.send("still here");
          echoed = eventually([&] { return c->count() == 1; });
        }
        result = {
            {"ok", revoked && *revoked && why && !conn->is_open() && second->is_open() && echoed},
            {"detail", "revoked " + std::to_string(revoked && *revoked) +
                           ", first closed as revoked " + std::to_string(why) + ", second open " +
                           std::to_string(second->is_open()) + ", echoed " +
                           std::to_string(echoed)}};
      }
    } else if (check == "inactivity") {
      const bool ended = closed_future.wait_for(30s) == std::future_status::ready;
      const auto c = ended ? closed_future.get() : lp2p::ConnectionClosed{};
      result = {{"ok", ended && c.why == lp2p::ConnectionClosed::Why::inactive},
                {"detail", ended ? why_name(c.why) + ": " + c.reason : "still open"}};
    } else {
      result = {{"ok", false}, {"detail", "unknown check"}};
    }
    result["event"] = "check";
    result["check"] = check;
    result["ms"] =
        std::chrono::duration_cast<std::chrono::milliseconds>(std::chrono::steady_clock::now() - t0)
            .count();
    all_ok = all_ok && result["ok"].get<bool>();
    emit(result);
  }
  return all_ok ? 0 : 1;
}
