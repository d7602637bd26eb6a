// lp2p-api-bench: the public C++ API measured in process. Two devices (two lp2p::Agent, each with
// its own thread, store and QUIC endpoint) talk over QUIC on loopback: the requester finds the
// receiver by ticket (no multicast), pairs with it through a scripted person, and the figures are
// taken on the Request/Receiver connection that results. Pairing is outside every clock.
//
//   lp2p-api-bench [--round-trips N] [--messages M] [--runs R] [--channels K] [--extra-agents E]
//                  [--json]
//
// Contract: every wait has a deadline. Anything that does not complete (a refused call, a
// missing event, a timeout) ends the bench with exit code 1 and a message saying what.
#include <malloc.h>
#include <stdlib.h>

#include <CLI/CLI.hpp>
#include <algorithm>
#include <atomic>
#include <chrono>
#include <cmath>
#include <condition_variable>
#include <cstdint>
#include <cstdio>
#include <filesystem>
#include <fstream>
#include <future>
#include <iostream>
#include <memory>
#include <mutex>
#include <nlohmann/json.hpp>
#include <optional>
#include <string>
#include <thread>
#include <vector>

#include "lp2p/lp2p.hpp"

namespace {

using namespace std::chrono_literals;
using Clock = std::chrono::steady_clock;
using lp2p::Errc;
using lp2p::make_error;
using lp2p::Result;

constexpr auto kConnectTimeout = 30s;  // connecting includes pairing
constexpr auto kRoundTripTimeout = 5s;
constexpr auto kBatchTimeout = 60s;  // a whole batch of messages, opens or closes
constexpr std::size_t kSmallMessage = 64;
constexpr std::size_t kLargeMessage = std::size_t{16} << 10;
// A would_block send waits until the queue is down to this; enough stays queued to keep the
// transport busy while the sending thread wakes up.
constexpr std::size_t kLowThreshold = std::size_t{1} << 20;
// The QUIC peer allows this many bidirectional streams (data channels) at once per connection
// (quic::Config::max_streams_bidi); create_data_channel says would_block beyond it.
constexpr std::size_t kMaxChannels = 1000;

lp2p::Error timed_out(const std::string& what) {
  return make_error(Errc::timed_out, what);
}

// A count raised by handlers on an agent's thread and awaited by the bench thread; it remembers
// when it last rose, so a handler's time of arrival is measured, not the bench thread's wake-up.
class Counter {
 public:
  void add() {
    {
      const std::scoped_lock lock(mutex_);
      count_.fetch_add(1);
      last_ = Clock::now();
    }
    changed_.notify_all();
  }
  void reset() {
    const std::scoped_lock lock(mutex_);
    count_.store(0);
  }
  [[nodiscard]] std::size_t value() const { return count_.load(); }
  // False if the count did not reach `target` within `timeout`.
  bool wait_for(std::size_t target, Clock::duration timeout) {
    std::unique_lock lock(mutex_);
    return changed_.wait_for(lock, timeout, [&] { return count_.load() >= target; });
  }
  [[nodiscard]] Clock::time_point last() {
    const std::scoped_lock lock(mutex_);
    return last_;
  }

 private:
  std::mutex mutex_;
  std::condition_variable changed_;
  std::atomic<std::size_t> count_{0};
  Clock::time_point last_{};
};

// Pairing codes from the device that shows one to the device that asks for it. Pairings run one
// at a time, so one slot suffices; a code is taken once.
class CodeSlot {
 public:
  void show(const std::string& code) {
    lp2p::Reply<std::optional<std::string>> waiting;
    {
      const std::scoped_lock lock(mutex_);
      if (!waiting_) {
        code_ = code;
        return;
      }
      waiting = std::move(waiting_);
      waiting_ = nullptr;
    }
    waiting(code);
  }
  void ask(lp2p::Reply<std::optional<std::string>> reply) {
    std::optional<std::string> code;
    {
      const std::scoped_lock lock(mutex_);
      if (!code_) {
        waiting_ = std::move(reply);
        return;
      }
      code.swap(code_);
    }
    reply(code);
  }

 private:
  std::mutex mutex_;
  std::optional<std::string> code_;
  lp2p::Reply<std::optional<std::string>> waiting_;
};

// The person at each device, scripted: allows advertising, grants every peer for the session,
// picks `pick` in the picker and relays pairing codes through the shared slot.
class ScriptedPerson : public lp2p::ConsentDelegate {
 public:
  ScriptedPerson(std::shared_ptr<CodeSlot> codes, std::string pick)
      : codes_(std::move(codes)), pick_(std::move(pick)) {}

  void allow_advertising(const lp2p::AdvertiseRequest& /*request*/,
                         lp2p::Reply<bool> reply) override {
    reply(true);
  }
  void pick_peer(std::shared_ptr<lp2p::PeerPicker> picker) override {
    std::weak_ptr<lp2p::PeerPicker> weak = picker;
    picker->on_candidates([weak, want = pick_](const std::vector<lp2p::PeerCandidate>& list) {
      auto shown = weak.lock();
      if (!shown || shown->done()) return;
      for (const auto& candidate : list) {
        if (candidate.id == want) return shown->choose(want, lp2p::GrantScope::session);
      }
    });
  }
  void grant_peer(const lp2p::GrantRequest& /*request*/,
                  lp2p::Reply<lp2p::GrantScope> reply) override {
    reply(lp2p::GrantScope::session);
  }
  void show_pairing_code(const lp2p::PairingCode& code) override { codes_->show(code.code); }
  void ask_pairing_code(const lp2p::PairingCodeRequest& /*request*/,
                        lp2p::Reply<std::optional<std::string>> reply) override {
    codes_->ask(std::move(reply));
  }
  void choice_failed(const lp2p::PeerCandidate& peer, const lp2p::Error& error) override {
    // The bench then times out waiting for the connection; this says why.
    std::cerr << "lp2p-api-bench: connecting to " << peer.name << " failed: " << error.describe()
              << '\n';
  }

 private:
  std::shared_ptr<CodeSlot> codes_;
  std::string pick_;
};

class TempDir {
 public:
  TempDir() {
    std::string pattern = (std::filesystem::temp_directory_path() / "lp2p-api-bench-XXXXXX");
    if (::mkdtemp(pattern.data()) != nullptr) path_ = pattern;
  }
  TempDir(const TempDir&) = delete;
  TempDir& operator=(const TempDir&) = delete;
  TempDir(TempDir&&) = delete;
  TempDir& operator=(TempDir&&) = delete;
  ~TempDir() {
    std::error_code ignored;
    if (!path_.empty()) std::filesystem::remove_all(path_, ignored);
  }
  [[nodiscard]] const std::filesystem::path& path() const { return path_; }

 private:
  std::filesystem::path path_;
};

// One device: its state directory and its Agent (destroyed first: it stops and joins its thread
// before the directory goes).
struct Device {
  TempDir dir;
  std::unique_ptr<lp2p::Agent> agent;
};

// The receiver pairs with 1 + E devices in well under a minute; as the side showing the codes it
// would count each pairing against its cap of 20 pairing attempts a minute and refuse the 21st.
// So the requesters show the codes (the side with less ease of input does): each pairs once.
constexpr unsigned kReceiverEase = 100;
constexpr unsigned kRequesterEase = 0;

Result<std::unique_ptr<Device>> make_device(const std::string& name, unsigned ease,
                                            std::shared_ptr<lp2p::ConsentDelegate> person) {
  auto device = std::make_unique<Device>();
  if (device->dir.path().empty()) {
    return make_error(Errc::io_error, "cannot make a temporary state directory");
  }
  lp2p::AgentOptions options;
  options.device_name = name;
  options.state_dir = device->dir.path();
  options.providers = {"manual"};  // tickets only: no mDNS, no multicast
  options.interfaces = {"lo"};
  options.psk_ease_of_input = ease;
  auto agent = lp2p::Agent::create(options, std::move(person));
  if (!agent) return make_error(agent.error().code, name + ": " + agent.error().message);
  device->agent = std::move(*agent);
  return device;
}

// The receiving device's application: accepts every connection and serves its channels by
// label — "echo" sends each message back, "sink" counts them, others stay idle.
struct ReceiverApp {
  std::mutex mutex;
  std::vector<lp2p::Connection> connections;
  Counter connected;
  Counter sunk;  // messages that arrived on "sink" channels
};

void serve(const std::shared_ptr<ReceiverApp>& app, lp2p::Connection connection) {
  connection.on_data_channel([app](lp2p::DataChannel channel) {
    if (channel.label() == "echo") {
      channel.on_message([channel](const lp2p::Message& message) mutable {
        (void)channel.send(message.bytes(), message.kind());
      });
    } else if (channel.label() == "sink") {
      channel.on_message([app](const lp2p::Message& /*message*/) { app->sunk.add(); });
    }
  });
  {
    const std::scoped_lock lock(app->mutex);
    app->connections.push_back(std::move(connection));
  }
  app->connected.add();
}

Result<lp2p::Connection> connect(lp2p::Agent& requester) {
  auto future = lp2p::Request(requester, {"bench", "requester"}).start();
  if (future.wait_for(kConnectTimeout) != std::future_status::ready) {
    return timed_out("the Request did not complete (picker, pairing or connection)");
  }
  auto connection = future.get();
  if (!connection) return std::move(connection).error();
  return *connection;
}

// Channels this side opened that became open (an `open` that came before on_open was set is
// replayed when it is set: DataChannel's contract).
struct Opens {
  Counter opened;
};

Result<lp2p::DataChannel> open_channel(lp2p::Connection& connection, const std::string& label,
                                       const std::shared_ptr<Opens>& opens) {
  auto made = connection.create_data_channel(label);
  if (!made) {
    return make_error(made.error().code,
                      "create_data_channel(\"" + label + "\"): " + made.error().message);
  }
  lp2p::DataChannel channel = *made;
  auto counted = std::make_shared<std::atomic<bool>>(false);
  channel.on_open([opens, counted] {
    if (!counted->exchange(true)) opens->opened.add();
  });
  return channel;
}

Result<lp2p::DataChannel> open_one(lp2p::Connection& connection, const std::string& label) {
  auto opens = std::make_shared<Opens>();
  auto channel = open_channel(connection, label, opens);
  if (!channel) return channel;
  if (!opens->opened.wait_for(1, kBatchTimeout))
    return timed_out("channel \"" + label + "\" not open");
  return channel;
}

Result<void> close_all(std::vector<lp2p::DataChannel>& channels) {
  auto closed = std::make_shared<Counter>();
  for (auto& channel : channels) {
    channel.on_close([closed] { closed->add(); });
    channel.close();
  }
  if (!closed->wait_for(channels.size(), kBatchTimeout)) {
    return timed_out(std::to_string(channels.size() - closed->value()) + " of " +
                     std::to_string(channels.size()) + " channels did not fire close");
  }
  channels.clear();
  // Our close fires once the peer closed its side; the peer gives the stream back (QUIC
  // MAX_STREAMS) a moment later. Let that arrive before the next batch needs every stream.
  std::this_thread::sleep_for(200ms);
  return {};
}

// Nearest-rank percentile of sorted samples.
double percentile(const std::vector<double>& sorted, double q) {
  const auto rank =
      static_cast<std::size_t>(std::lround(q * static_cast<double>(sorted.size() - 1)));
  return sorted.at(rank);
}

double median(std::vector<double> samples) {
  std::sort(samples.begin(), samples.end());
  return percentile(samples, 0.5);
}

double seconds(Clock::duration elapsed) {
  return std::chrono::duration<double>(elapsed).count();
}

// Resident set size in bytes, after giving free heap back to the system.
Result<double> resident_bytes() {
  ::malloc_trim(0);
  std::ifstream status("/proc/self/status");
  std::string line;
  while (std::getline(status, line)) {
    if (line.starts_with("VmRSS:")) return std::stod(line.substr(6)) * 1024;  // "... kB"
  }
  return make_error(Errc::io_error, "no VmRSS in /proc/self/status");
}

struct Options {
  std::size_t round_trips = 2000;
  std::size_t messages = 20000;
  std::size_t runs = 5;
  std::size_t channels = kMaxChannels;
  std::size_t extra_agents = 20;
  bool json = false;
};

struct RoundTrips {
  double p50 = 0, p90 = 0, p99 = 0;  // microseconds
};

// Round trips of a 64-byte text message, one at a time: from send() on this thread to the echo's
// arrival in the requester's message handler.
Result<RoundTrips> measure_round_trips(lp2p::Connection& connection, std::size_t count) {
  auto channel = open_one(connection, "echo");
  if (!channel) return std::move(channel).error();
  auto echoes = std::make_shared<Counter>();
  channel->on_message([echoes](const lp2p::Message& /*message*/) { echoes->add(); });
  const std::string text(kSmallMessage, 'x');
  constexpr std::size_t kWarmUp = 50;
  std::vector<double> samples;
  samples.reserve(count);
  for (std::size_t i = 0; i < kWarmUp + count; ++i) {
    const auto sent_at = Clock::now();
    if (auto sent = channel->send(text); !sent) return std::move(sent).error();
    if (!echoes->wait_for(i + 1, kRoundTripTimeout)) {
      return timed_out("round trip " + std::to_string(i) + ": no echo within 5 s");
    }
    const std::chrono::duration<double, std::micro> took = echoes->last() - sent_at;
    if (i >= kWarmUp) samples.push_back(took.count());
  }
  std::vector<lp2p::DataChannel> done{*channel};
  LP2P_TRY(close_all(done));
  std::sort(samples.begin(), samples.end());
  return RoundTrips{percentile(samples, 0.5), percentile(samples, 0.9), percentile(samples, 0.99)};
}

struct Throughput {
  std::size_t message_bytes = 0;
  double messages_per_second = 0;
  double megabytes_per_second = 0;  // payload, 10^6 bytes
};

// One run: `count` messages of `size` bytes sent as fast as send() takes them (on would_block,
// waiting for buffered_amount_low), timed until the receiver's handler has the last one.
Result<double> send_burst(lp2p::DataChannel& channel, const std::shared_ptr<ReceiverApp>& app,
                          std::size_t size, std::size_t count) {
  auto lows = std::make_shared<Counter>();
  channel.on_buffered_amount_low([lows] { lows->add(); });
  const std::vector<std::uint8_t> payload(size, 0x5a);
  app->sunk.reset();
  const auto start = Clock::now();
  for (std::size_t i = 0; i < count;) {
    // Read before sending: a low event after a refused send is then never missed.
    const std::size_t lows_before = lows->value();
    auto sent = channel.send(payload);
    if (sent) {
      ++i;
    } else if (sent.error().code != Errc::would_block) {
      return std::move(sent).error();
    } else if (!lows->wait_for(lows_before + 1, kBatchTimeout)) {
      return timed_out("buffered_amount_low did not fire (buffered " +
                       std::to_string(channel.buffered_amount()) + " bytes)");
    }
  }
  if (!app->sunk.wait_for(count, kBatchTimeout)) {
    return timed_out("the receiver got " + std::to_string(app->sunk.value()) + " of " +
                     std::to_string(count) + " messages");
  }
  return seconds(app->sunk.last() - start);
}

Result<std::vector<Throughput>> measure_throughput(lp2p::Connection& connection,
                                                   const std::shared_ptr<ReceiverApp>& app,
                                                   const Options& options) {
  auto channel = open_one(connection, "sink");
  if (!channel) return std::move(channel).error();
  channel->set_buffered_amount_low_threshold(kLowThreshold);
  std::vector<Throughput> results;
  for (const std::size_t size : {kSmallMessage, kLargeMessage}) {
    std::vector<double> rates;
    for (std::size_t run = 0; run < options.runs; ++run) {
      auto took = send_burst(*channel, app, size, options.messages);
      if (!took) return std::move(took).error();
      rates.push_back(static_cast<double>(options.messages) / *took);
    }
    const double rate = median(rates);
    results.push_back({size, rate, rate * static_cast<double>(size) / 1e6});
  }
  std::vector<lp2p::DataChannel> done{*channel};
  LP2P_TRY(close_all(done));
  return results;
}

struct Batch {
  double seconds = 0;  // from the first create_data_channel to the last channel open
};

// Opens `count` channels as fast as create_data_channel returns. They stay open in `channels`.
Result<Batch> open_batch(lp2p::Connection& connection, std::size_t count,
                         std::vector<lp2p::DataChannel>& channels) {
  auto opens = std::make_shared<Opens>();
  const auto start = Clock::now();
  for (std::size_t i = 0; i < count; ++i) {
    auto channel = open_channel(connection, "idle " + std::to_string(i), opens);
    if (!channel) return std::move(channel).error();
    channels.push_back(std::move(*channel));
  }
  if (!opens->opened.wait_for(count, kBatchTimeout)) {
    return timed_out(std::to_string(count - opens->opened.value()) + " of " +
                     std::to_string(count) + " channels did not become open");
  }
  return Batch{seconds(opens->opened.last() - start)};
}

struct ChannelFigures {
  double opens_per_second = 0;
  double bytes_per_channel = 0;  // both ends: the two agents live in this process
  std::size_t opened = 0;        // every batch, the memory one included
};

Result<ChannelFigures> measure_channels(lp2p::Connection& connection, const Options& options) {
  ChannelFigures figures;
  std::vector<lp2p::DataChannel> channels;
  // Memory first, on a batch of its own: growth measured with nothing else open.
  auto before = resident_bytes();
  if (!before) return std::move(before).error();
  auto first = open_batch(connection, options.channels, channels);
  if (!first) return std::move(first).error();
  figures.opened += options.channels;
  auto after = resident_bytes();
  if (!after) return std::move(after).error();
  figures.bytes_per_channel = (*after - *before) / static_cast<double>(options.channels);
  LP2P_TRY(close_all(channels));

  std::vector<double> rates;
  for (std::size_t run = 0; run < options.runs; ++run) {
    auto batch = open_batch(connection, options.channels, channels);
    if (!batch) return std::move(batch).error();
    rates.push_back(static_cast<double>(options.channels) / batch->seconds);
    figures.opened += options.channels;
    LP2P_TRY(close_all(channels));
  }
  figures.opens_per_second = median(rates);
  return figures;
}

// RSS growth per extra requester device connected to the receiver and left idle. Each is a whole
// Agent (its thread, QUIC endpoint, store), so this bounds a connection's cost from above.
Result<double> measure_extra_agents(lp2p::Agent& receiver, const std::shared_ptr<CodeSlot>& codes,
                                    const std::shared_ptr<ReceiverApp>& app, std::size_t count) {
  std::vector<std::unique_ptr<Device>> extras;
  std::vector<lp2p::Connection> connections;
  auto before = resident_bytes();
  if (!before) return std::move(before).error();
  for (std::size_t i = 0; i < count; ++i) {
    const std::string name = "Extra " + std::to_string(i);
    auto person = std::make_shared<ScriptedPerson>(codes, receiver.fingerprint());
    auto device = make_device(name, kRequesterEase, person);
    if (!device) return std::move(device).error();
    LP2P_TRY((*device)->agent->add_ticket(receiver.ticket()));
    const std::size_t accepted = app->connected.value();
    auto connection = connect(*(*device)->agent);
    if (!connection)
      return make_error(connection.error().code, name + ": " + connection.error().message);
    if (!app->connected.wait_for(accepted + 1, kConnectTimeout)) {
      return timed_out("the receiver did not get the connection of " + name);
    }
    connections.push_back(std::move(*connection));
    extras.push_back(std::move(*device));
  }
  auto after = resident_bytes();
  if (!after) return std::move(after).error();
  return (*after - *before) / static_cast<double>(count);
}

struct Figures {
  RoundTrips round_trips;
  std::vector<Throughput> throughput;
  ChannelFigures channels;
  double bytes_per_connection = 0;
};

Result<Figures> measure(const Options& options) {
  auto codes = std::make_shared<CodeSlot>();
  auto app = std::make_shared<ReceiverApp>();
  auto receiver_person = std::make_shared<ScriptedPerson>(codes, "");
  auto receiver_device = make_device("Bench receiver", kReceiverEase, receiver_person);
  if (!receiver_device) return std::move(receiver_device).error();
  lp2p::Agent& receiver_agent = *(*receiver_device)->agent;
  auto requester_person = std::make_shared<ScriptedPerson>(codes, receiver_agent.fingerprint());
  auto requester_device = make_device("Bench requester", kRequesterEase, requester_person);
  if (!requester_device) return std::move(requester_device).error();
  lp2p::Agent& requester_agent = *(*requester_device)->agent;

  lp2p::Receiver receiver(receiver_agent, {"bench", "receiver"});
  receiver.on_connection([app](lp2p::Connection connection) { serve(app, std::move(connection)); });
  auto started = receiver.start();
  if (started.wait_for(kConnectTimeout) != std::future_status::ready) {
    return timed_out("Receiver::start did not complete");
  }
  LP2P_TRY(started.get());
  LP2P_TRY(requester_agent.add_ticket(receiver_agent.ticket()));
  auto connection = connect(requester_agent);
  if (!connection) return std::move(connection).error();
  if (!app->connected.wait_for(1, kConnectTimeout)) {
    return timed_out("the receiver did not get the connection");
  }

  Figures figures;
  auto round_trips = measure_round_trips(*connection, options.round_trips);
  if (!round_trips) return std::move(round_trips).error();
  figures.round_trips = *round_trips;
  auto throughput = measure_throughput(*connection, app, options);
  if (!throughput) return std::move(throughput).error();
  figures.throughput = std::move(*throughput);
  auto channels = measure_channels(*connection, options);
  if (!channels) return std::move(channels).error();
  figures.channels = *channels;
  auto per_connection = measure_extra_agents(receiver_agent, codes, app, options.extra_agents);
  if (!per_connection) return std::move(per_connection).error();
  figures.bytes_per_connection = *per_connection;
  return figures;
}

void print_table(const Options& options, const Figures& figures) {
  std::printf("lp2p public API: two Agents in one process, QUIC on loopback\n\n");
  const auto& rt = figures.round_trips;
  std::printf("%-44s p50 %.1f us, p90 %.1f us, p99 %.1f us\n",
              ("round trip, 64 B text (" + std::to_string(options.round_trips) + ")").c_str(),
              rt.p50, rt.p90, rt.p99);
  for (const auto& t : figures.throughput) {
    const std::string what = "one way, " + std::to_string(t.message_bytes) + " B x " +
                             std::to_string(options.messages) + " (median of " +
                             std::to_string(options.runs) + ")";
    std::printf("%-44s %.0f msg/s, %.1f MB/s\n", what.c_str(), t.messages_per_second,
                t.megabytes_per_second);
  }
  const auto& ch = figures.channels;
  std::printf("%-44s %.0f channels/s\n",
              ("channel opens, " + std::to_string(options.channels) + " at once (median of " +
               std::to_string(options.runs) + ")")
                  .c_str(),
              ch.opens_per_second);
  std::printf("%-44s %.0f bytes (both ends)\n",
              ("RSS per open idle channel (" + std::to_string(options.channels) + ")").c_str(),
              ch.bytes_per_channel);
  std::printf(
      "%-44s %.0f bytes (upper bound)\n",
      ("RSS per idle connection (" + std::to_string(options.extra_agents) + " devices)").c_str(),
      figures.bytes_per_connection);
  std::printf(
      "\nPer connection: each extra device is a whole Agent (its thread, QUIC endpoint and store)\n"
      "plus the receiver's side of its connection, so a connection costs at most this.\n");
}

double tenths(double value) {
  return std::round(value * 10) / 10;
}

void print_json(const Options& options, const Figures& figures) {
  nlohmann::ordered_json out;
  out["round_trip_us"] = {{"message_bytes", kSmallMessage},
                          {"count", options.round_trips},
                          {"p50", tenths(figures.round_trips.p50)},
                          {"p90", tenths(figures.round_trips.p90)},
                          {"p99", tenths(figures.round_trips.p99)}};
  for (const auto& t : figures.throughput) {
    out["one_way"].push_back({{"message_bytes", t.message_bytes},
                              {"messages", options.messages},
                              {"runs", options.runs},
                              {"messages_per_s", std::llround(t.messages_per_second)},
                              {"mb_per_s", tenths(t.megabytes_per_second)}});
  }
  const auto& ch = figures.channels;
  out["channel_open"] = {{"channels", options.channels},
                         {"runs", options.runs},
                         {"channels_per_s", std::llround(ch.opens_per_second)},
                         {"opened", ch.opened}};
  out["memory"] = {
      {"bytes_per_open_channel", std::llround(ch.bytes_per_channel)},
      {"channels", options.channels},
      {"bytes_per_idle_connection", std::llround(figures.bytes_per_connection)},
      {"extra_agents", options.extra_agents},
      {"note",
       "both ends of channels and connections are in this process; per connection is an upper "
       "bound: each extra device is a whole Agent (thread, QUIC endpoint, store)"}};
  std::cout << out.dump() << '\n';
}

int run(int argc, char** argv) {
  CLI::App app{
      "The public C++ API over QUIC on loopback: latency, throughput, channel opens, memory"};
  Options options;
  app.add_option("--round-trips", options.round_trips, "64-byte echoes to time (default 2000)")
      ->check(CLI::Range(std::size_t{1}, std::size_t{10000000}));
  app.add_option("--messages", options.messages, "messages per one-way run (default 20000)")
      ->check(CLI::Range(std::size_t{1}, std::size_t{10000000}));
  app.add_option("--runs", options.runs, "runs per median (default 5)")
      ->check(CLI::Range(std::size_t{1}, std::size_t{1000}));
  app.add_option("--channels", options.channels,
                 "channels opened at once (default and most 1000: the peer's QUIC stream limit)")
      ->check(CLI::Range(std::size_t{1}, kMaxChannels));
  app.add_option("--extra-agents", options.extra_agents,
                 "extra requester devices for the per-connection memory (default 20)")
      ->check(CLI::Range(std::size_t{1}, std::size_t{200}));
  app.add_flag("--json", options.json, "print one JSON object instead of a table");
  CLI11_PARSE(app, argc, argv);
  lp2p::set_log_level(lp2p::LogLevel::warn);  // stdout is for the results

  auto figures = measure(options);
  if (!figures) {
    std::cerr << "lp2p-api-bench: " << figures.error().describe() << '\n';
    return 1;
  }
  if (options.json) {
    print_json(options, *figures);
  } else {
    print_table(options, *figures);
  }
  return 0;
}

}  // namespace

int main(int argc, char** argv) {
  // What gets here is a bug or exhaustion (std::bad_alloc); errors of the API exit(1) via run().
  try {
    return run(argc, argv);
  } catch (const std::exception& e) {
    std::cerr << "lp2p-api-bench: " << e.what() << '\n';
    return 1;
  }
}
