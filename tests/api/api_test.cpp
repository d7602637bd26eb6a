// The public API end to end, in process: two Agents (each with its thread, store and QUIC
// endpoint on loopback) find each other by ticket, pair through scripted people, and use data
// channels as the spec's examples do.
#include <gtest/gtest.h>

#include <future>
#include <numeric>

#include "api_fixture.hpp"

namespace lp2p::test {
namespace {

TEST_F(ApiTest, SpecExampleFlowPairsGrantsAndTalks) {
  start_receiver();
  Connection conn = request();
  ASSERT_TRUE(conn);
  EXPECT_EQ(conn.peer().name, "Kitchen");
  EXPECT_EQ(conn.peer().id, kitchen_.agent->fingerprint());
  EXPECT_EQ(conn.origin(), "https://laptop.example");
  // Pairing happened: the server (receiver) showed the code, the requester typed it.
  EXPECT_EQ(kitchen_.consent->codes_shown, 1);
  EXPECT_EQ(laptop_.consent->codes_asked, 1);
  Connection other = received();
  ASSERT_TRUE(other);
  EXPECT_EQ(other.peer().name, "Laptop");
  EXPECT_EQ(kitchen_.consent->grants_asked, 1);

  // The spec's data-channel example: the receiver answers "Good day to you, requester!".
  other.on_data_channel([](DataChannel channel) {
    channel.on_message([channel](const Message& m) mutable {
      if (m.text() == "Hello receiver!") (void)channel.send("Good day to you, requester!");
    });
  });
  auto made = conn.create_data_channel("My Channel");
  ASSERT_TRUE(made) << made.error().describe();
  ChannelLog log(*made);
  ASSERT_TRUE(eventually([&] { return log.log().count("open") == 1; }));
  ASSERT_TRUE(log.channel.send("Hello receiver!"));
  ASSERT_TRUE(eventually([&] { return log.message_count() == 1; }));
  EXPECT_EQ(log.messages()[0].text(), "Good day to you, requester!");
  EXPECT_TRUE(log.messages()[0].is_text());
  EXPECT_EQ(log.channel.label(), "My Channel");
  EXPECT_EQ(log.channel.id() % 2, 0);  // the QUIC client allocates even ids
}

TEST_F(ApiTest, PairedPeerNeedsNoCodeTheSecondTime) {
  start_receiver();
  Connection first = request();
  ASSERT_TRUE(first);
  first.close();
  ASSERT_TRUE(eventually([&] { return !received(0).is_open(); }));
  Connection second = request();
  ASSERT_TRUE(second);
  EXPECT_EQ(kitchen_.consent->codes_shown, 1);  // no second pairing
  EXPECT_EQ(laptop_.consent->codes_asked, 1);
  EXPECT_TRUE(received(1));
}

TEST_F(ApiTest, WrongCodeLeavesThePickerOpenAndTheAppUninformed) {
  start_receiver();
  board_->set_typo("000-000-000");
  auto future = Request(*laptop_.agent, {"https://laptop.example", ""}).start();
  ASSERT_TRUE(eventually([&] { return laptop_.consent->choices_failed.load() == 1; }));
  EXPECT_EQ(future.wait_for(200ms), std::future_status::timeout);
  EXPECT_GE(laptop_.consent->pairings_failed + kitchen_.consent->pairings_failed, 1);
  auto picker = laptop_.consent->last_picker();
  EXPECT_FALSE(picker->done());
  // The person picks again and types the right code: the same request completes.
  board_->set_typo(std::nullopt);
  picker->choose(kitchen_.agent->fingerprint(), GrantScope::session);
  auto result = wait_for(future);
  ASSERT_TRUE(result && *result);
  EXPECT_EQ((**result).peer().name, "Kitchen");
  EXPECT_TRUE(picker->done());
}

TEST_F(ApiTest, DismissedPickerNeverCompletesAndConnectsNothing) {
  start_receiver();
  laptop_.consent->dismiss_picker = true;
  auto calls = std::make_shared<std::atomic<int>>(0);
  Request(*laptop_.agent, {"https://laptop.example", ""}).start([calls](Result<Connection>) {
    ++*calls;
  });
  ASSERT_TRUE(eventually([&] { return laptop_.consent->pickers_shown.load() == 1; }));
  std::this_thread::sleep_for(300ms);
  EXPECT_EQ(calls->load(), 0);
  EXPECT_TRUE(laptop_.consent->last_picker()->done());
  EXPECT_EQ(kitchen_.consent->codes_shown, 0);
  EXPECT_EQ(kitchen_.consent->grants_asked, 0);
}

TEST_F(ApiTest, UnpickedPeerNeverConnects) {
  start_receiver();
  laptop_.consent->pick.reset();  // the person looks at the list and picks nothing
  auto calls = std::make_shared<std::atomic<int>>(0);
  Request(*laptop_.agent, {"https://laptop.example", ""}).start([calls](Result<Connection>) {
    ++*calls;
  });
  ASSERT_TRUE(eventually([&] {
    auto picker = laptop_.consent->last_picker();
    return picker && !picker->candidates().empty();
  }));
  std::this_thread::sleep_for(300ms);
  EXPECT_EQ(calls->load(), 0);
  EXPECT_EQ(kitchen_.consent->codes_shown, 0);
  EXPECT_EQ(kitchen_.consent->grants_asked, 0);
  const auto candidates = laptop_.consent->last_picker()->candidates();
  ASSERT_EQ(candidates.size(), 1U);
  EXPECT_EQ(candidates[0].name, "Kitchen");
  EXPECT_FALSE(candidates[0].connected);
}

TEST_F(ApiTest, AdvertisingNeedsConsent) {
  kitchen_.consent->allow_advertising_answer = false;
  Receiver receiver(*kitchen_.agent, {"https://kitchen.example", ""});
  auto started = receiver.start();
  auto result = wait_for(started);
  ASSERT_TRUE(result);
  ASSERT_FALSE(*result);
  EXPECT_EQ(result->error().code, Errc::refused);
}

// Discoverable means announced on the network by a publishing provider (mDNS; the lab's
// transfer_test sees it become true). The manual provider (tickets) announces nothing.
TEST_F(ApiTest, DiscoverableOnlyOnceAProviderAnnounced) {
  EXPECT_FALSE(kitchen_.agent->wait_discoverable(std::chrono::milliseconds(0)));
  Receiver receiver(*kitchen_.agent, {"https://kitchen.example", ""});
  auto start = receiver.start();
  auto started = wait_for(start);
  ASSERT_TRUE(started);
  ASSERT_TRUE(*started);
  EXPECT_FALSE(kitchen_.agent->wait_discoverable(std::chrono::milliseconds(200)));
}

TEST_F(ApiTest, MessagesKeepOrderKindAndSize) {
  start_receiver();
  Connection conn = request();
  ASSERT_TRUE(conn);
  echo_channels(received());
  auto made = conn.create_data_channel("sizes", {"test-protocol", std::nullopt});
  ASSERT_TRUE(made);
  ChannelLog log(*made);
  ASSERT_TRUE(eventually([&] { return log.log().count("open") == 1; }));
  EXPECT_EQ(log.channel.protocol(), "test-protocol");
  const std::vector<std::size_t> sizes{0, 1, 1000, 65536, DataChannel::kMaxMessageSize};
  std::vector<std::vector<std::uint8_t>> sent;
  for (std::size_t i = 0; i < sizes.size(); ++i) {
    std::vector<std::uint8_t> bytes(sizes[i]);
    std::iota(bytes.begin(), bytes.end(), static_cast<std::uint8_t>(i));
    const auto kind = i % 2 == 0 ? MessageKind::array_buffer : MessageKind::blob;
    ASSERT_TRUE(log.channel.send(bytes, kind));
    sent.push_back(std::move(bytes));
  }
  ASSERT_TRUE(log.channel.send("text after binary"));
  std::vector<std::uint8_t> too_big(DataChannel::kMaxMessageSize + 1);
  auto refused = log.channel.send(too_big);
  ASSERT_FALSE(refused);
  EXPECT_EQ(refused.error().code, Errc::too_large);
  ASSERT_TRUE(eventually([&] { return log.message_count() == sizes.size() + 1; }));
  const auto messages = log.messages();
  for (std::size_t i = 0; i < sizes.size(); ++i) {
    const auto& m = messages[i];
    EXPECT_EQ(m.kind(), i % 2 == 0 ? MessageKind::array_buffer : MessageKind::blob) << i;
    EXPECT_TRUE(std::equal(m.bytes().begin(), m.bytes().end(), sent[i].begin(), sent[i].end()))
        << "message " << i << " of " << sizes[i] << " bytes";
  }
  EXPECT_TRUE(messages.back().is_text());
  EXPECT_EQ(messages.back().text(), "echo: text after binary");
}

TEST_F(ApiTest, OrderHoldsOverManyMessages) {
  start_receiver();
  Connection conn = request();
  ASSERT_TRUE(conn);
  echo_channels(received());
  auto made = conn.create_data_channel("order");
  ASSERT_TRUE(made);
  ChannelLog log(*made);
  ASSERT_TRUE(eventually([&] { return log.log().count("open") == 1; }));
  constexpr std::size_t kCount = 5000;
  for (std::size_t i = 0; i < kCount;) {
    auto sent = log.channel.send(std::to_string(i));
    if (sent) {
      ++i;
    } else {  // the queue is full: wait for it to drain
      ASSERT_EQ(sent.error().code, Errc::would_block);
      ASSERT_TRUE(eventually([&] { return log.channel.buffered_amount() == 0; }));
    }
  }
  ASSERT_TRUE(eventually([&] { return log.message_count() == kCount; }, 30s));
  const auto messages = log.messages();
  for (std::size_t i = 0; i < kCount; ++i) {
    ASSERT_EQ(messages[i].text(), "echo: " + std::to_string(i));
  }
}

TEST_F(ApiTest, ThousandChannelsOnOneConnection) {
  start_receiver();
  Connection conn = request();
  ASSERT_TRUE(conn);
  echo_channels(received());
  constexpr std::size_t kChannels = 1000;
  std::vector<std::unique_ptr<ChannelLog>> logs;
  for (std::size_t i = 0; i < kChannels; ++i) {
    auto made = conn.create_data_channel("channel " + std::to_string(i));
    ASSERT_TRUE(made) << i << ": " << made.error().describe();
    logs.push_back(std::make_unique<ChannelLog>(*made));
  }
  const auto opened = [&] {
    return std::count_if(logs.begin(), logs.end(),
                         [](const auto& l) { return l->log().count("open") == 1; });
  };
  ASSERT_TRUE(eventually([&] { return opened() == static_cast<long>(kChannels); }, 30s))
      << opened() << " of " << kChannels << " opened; first events of one that did not: " << [&] {
           for (const auto& l : logs) {
             if (l->log().count("open") == 0) {
               const auto e = l->log().events();
               return std::to_string(e.size()) + (e.empty() ? "" : " " + e.front());
             }
           }
           return std::string("none");
         }();
  for (std::size_t i = 0; i < kChannels; ++i) ASSERT_TRUE(logs[i]->channel.send(std::to_string(i)));
  ASSERT_TRUE(eventually(
      [&] {
        return std::all_of(logs.begin(), logs.end(),
                           [](const auto& l) { return l->message_count() == 1; });
      },
      30s));
  for (std::size_t i = 0; i < kChannels; ++i) {
    EXPECT_EQ(logs[i]->messages()[0].text(), "echo: " + std::to_string(i));
  }
  std::set<std::uint16_t> ids;
  for (const auto& l : logs) ids.insert(l->channel.id());
  EXPECT_EQ(ids.size(), kChannels);
}

TEST_F(ApiTest, CloseEventsFireOnceInOrderOnBothSides) {
  start_receiver();
  Connection conn = request();
  ASSERT_TRUE(conn);
  auto incoming = std::make_shared<std::promise<DataChannel>>();
  received().on_data_channel([incoming](DataChannel c) { incoming->set_value(c); });
  auto made = conn.create_data_channel("closing");
  ASSERT_TRUE(made);
  ChannelLog ours(*made);
  auto future = incoming->get_future();
  auto theirs_channel = wait_for(future);
  ASSERT_TRUE(theirs_channel);
  ChannelLog theirs(*theirs_channel);
  ASSERT_TRUE(eventually([&] { return ours.log().count("open") == 1; }));
  ours.channel.close();
  ASSERT_TRUE(eventually(
      [&] { return ours.log().count("close") == 1 && theirs.log().count("close") == 1; }));
  std::this_thread::sleep_for(100ms);
  EXPECT_EQ(ours.log().events(), (std::vector<std::string>{"open", "closing", "close"}));
  EXPECT_EQ(theirs.log().events(), (std::vector<std::string>{"closing", "close"}));
  EXPECT_EQ(ours.channel.state(), DataChannelState::closed);
  EXPECT_FALSE(ours.channel.send("late"));
}

TEST_F(ApiTest, PeerClosingTheConnectionClosesChannelsThenConnection) {
  start_receiver();
  Connection conn = request();
  ASSERT_TRUE(conn);
  auto connection_log = std::make_shared<Log>();
  conn.on_close([connection_log](const ConnectionClosed& c) {
    connection_log->add(c.why == ConnectionClosed::Why::closed_by_peer ? "closed_by_peer"
                                                                       : c.reason);
  });
  echo_channels(received());
  auto made = conn.create_data_channel("doomed");
  ASSERT_TRUE(made);
  ChannelLog log(*made);
  ASSERT_TRUE(eventually([&] { return log.log().count("open") == 1; }));
  received().close();
  ASSERT_TRUE(eventually([&] { return connection_log->count("closed_by_peer") == 1; }));
  ASSERT_TRUE(eventually([&] { return log.log().count("close") == 1; }));
  EXPECT_FALSE(conn.is_open());
  auto late = conn.create_data_channel("late");
  ASSERT_FALSE(late);
  EXPECT_EQ(late.error().code, Errc::closed);
}

TEST_F(ApiTest, ChannelOpenedBeforeTheReceiverGrantsWaitsForIt) {
  kitchen_.consent->answer_grants = false;
  start_receiver();
  Connection conn = request();
  ASSERT_TRUE(conn);
  auto made = conn.create_data_channel("early");
  ASSERT_TRUE(made);
  ChannelLog log(*made);
  ASSERT_TRUE(eventually([&] { return log.log().count("open") == 1; }));
  ASSERT_TRUE(log.channel.send("before the grant"));
  ASSERT_TRUE(eventually([&] { return kitchen_.consent->grants_asked.load() == 1; }));
  std::this_thread::sleep_for(100ms);
  {
    const std::scoped_lock lock(mutex_);
    EXPECT_TRUE(received_.empty());
  }
  kitchen_.consent->answer_pending_grants(GrantScope::session);
  Connection other = received();
  ASSERT_TRUE(other);
  auto got = std::make_shared<Log>();
  other.on_data_channel([got](DataChannel c) {
    got->add("channel " + c.label());
    c.on_message([got](const Message& m) { got->add(std::string(m.text())); });
  });
  ASSERT_TRUE(eventually([&] { return got->count("before the grant") == 1; }));
  EXPECT_EQ(got->events().front(), "channel early");
}

TEST_F(ApiTest, DeniedGrantRefusesTheChannels) {
  kitchen_.consent->grant_answer = GrantScope::deny;
  start_receiver();
  Connection conn = request();
  ASSERT_TRUE(conn);
  auto made = conn.create_data_channel("unwanted");
  ASSERT_TRUE(made);
  ChannelLog log(*made);
  ASSERT_TRUE(eventually([&] { return log.log().count("close") == 1; }));
  const auto events = log.log().events();
  EXPECT_TRUE(std::any_of(events.begin(), events.end(),
                          [](const auto& e) { return e.starts_with("error"); }));
  const std::scoped_lock lock(mutex_);
  EXPECT_TRUE(received_.empty());
}

TEST_F(ApiTest, InactiveConnectionCloses) {
  Device kitchen("Quiet kitchen", board_, 400ms);
  Device laptop("Quiet laptop", board_, 400ms);
  ASSERT_TRUE(laptop.agent->add_ticket(kitchen.agent->ticket()));
  laptop.consent->pick = kitchen.agent->fingerprint();
  laptop.consent->extend_by = 300ms;  // the delegate keeps it once
  Receiver receiver(*kitchen.agent, {"https://kitchen.example", ""});
  receiver.on_connection([](Connection) {});
  auto started = receiver.start();
  ASSERT_TRUE(wait_for(started));
  auto future = Request(*laptop.agent, {"https://laptop.example", ""}).start();
  auto result = wait_for(future);
  ASSERT_TRUE(result && *result);
  Connection conn = **result;
  auto closed = std::make_shared<std::promise<ConnectionClosed>>();
  conn.on_close([closed](const ConnectionClosed& c) { closed->set_value(c); });
  const auto t0 = std::chrono::steady_clock::now();
  auto closed_future = closed->get_future();
  auto why = wait_for(closed_future, 10s);
  ASSERT_TRUE(why);
  // Either side may hit its timeout first; the laptop's delegate extended once.
  EXPECT_TRUE(why->why == ConnectionClosed::Why::inactive ||
              why->why == ConnectionClosed::Why::closed_by_peer)
      << why->reason;
  EXPECT_GE(std::chrono::steady_clock::now() - t0, 300ms);
  EXPECT_GE(laptop.consent->extensions_asked + kitchen.consent->extensions_asked, 1);
}

TEST_F(ApiTest, RevokingClosesOneOriginOnly) {
  start_receiver();
  Connection a = request("https://a.example");
  Connection b = request("https://b.example");
  ASSERT_TRUE(a && b);
  EXPECT_EQ(laptop_.consent->codes_asked, 1);  // one pairing for both origins
  echo_channels(received());
  auto a_log = std::make_shared<Log>();
  a.on_close([a_log](const ConnectionClosed& c) {
    a_log->add(c.why == ConnectionClosed::Why::revoked ? "revoked" : c.reason);
  });
  auto a_channel = a.create_data_channel("a");
  auto b_channel = b.create_data_channel("b");
  ASSERT_TRUE(a_channel && b_channel);
  ChannelLog a_chan(*a_channel);
  ChannelLog b_chan(*b_channel);
  ASSERT_TRUE(
      eventually([&] { return a_chan.log().count("open") + b_chan.log().count("open") == 2; }));
  auto revoked = laptop_.agent->revoke("https://a.example", kitchen_.agent->fingerprint());
  ASSERT_TRUE(revoked && *revoked);
  ASSERT_TRUE(eventually([&] { return a_log->count("revoked") == 1; }));
  EXPECT_EQ(a_chan.log().count("close"), 1U);
  EXPECT_TRUE(b.is_open());
  ASSERT_TRUE(b_chan.channel.send("still here"));
  ASSERT_TRUE(eventually([&] { return b_chan.message_count() == 1; }));
  EXPECT_EQ(b_chan.messages()[0].text(), "echo: still here");
  const auto grants = laptop_.agent->grants();
  ASSERT_EQ(grants.size(), 1U);
  EXPECT_EQ(grants[0].origin, "https://b.example");
}

TEST_F(ApiTest, RememberedGrantSkipsTheQuestion) {
  kitchen_.consent->grant_answer = GrantScope::always;
  start_receiver();
  Connection first = request();
  ASSERT_TRUE(first);
  ASSERT_TRUE(received(0));
  first.close();
  ASSERT_TRUE(eventually([&] { return !received(0).is_open(); }));
  Connection second = request();
  ASSERT_TRUE(second);
  ASSERT_TRUE(received(1));
  EXPECT_EQ(kitchen_.consent->grants_asked, 1);
  const auto grants = kitchen_.agent->grants("https://kitchen.example");
  ASSERT_EQ(grants.size(), 1U);
  EXPECT_TRUE(grants[0].persistent);
}

TEST_F(ApiTest, BufferedAmountRisesAndTheLowEventFires) {
  start_receiver();
  Connection conn = request();
  ASSERT_TRUE(conn);
  auto made = conn.create_data_channel("bulk");
  ASSERT_TRUE(made);
  ChannelLog log(*made);
  received().on_data_channel([](DataChannel c) { c.on_message([](const Message&) {}); });
  ASSERT_TRUE(eventually([&] { return log.log().count("open") == 1; }));
  auto lows = std::make_shared<std::atomic<int>>(0);
  log.channel.set_buffered_amount_low_threshold(64 << 10);
  log.channel.on_buffered_amount_low([lows] { ++*lows; });
  // 64 MiB offered at once: QUIC's stream buffer (16 MiB) fills, then the channel's queue, up to
  // kMaxBufferedAmount, where send() refuses.
  std::vector<std::uint8_t> chunk(DataChannel::kMaxMessageSize, 7);
  std::size_t peak = 0;
  bool refused = false;
  int lows_before = 0;
  for (int i = 0; i < 256 && !refused; ++i) {
    auto sent = log.channel.send(chunk);
    if (!sent) {
      lows_before = lows->load();  // the queue is ~16 MiB now: far from draining
      ASSERT_EQ(sent.error().code, Errc::would_block);
      refused = true;
    }
    peak = std::max(peak, log.channel.buffered_amount());
  }
  EXPECT_TRUE(refused) << "64 MiB were taken at once: no backpressure";
  EXPECT_GT(peak, std::size_t{64} << 10);
  EXPECT_LE(peak, DataChannel::kMaxBufferedAmount);
  // The queue was full when send() refused: it drains, and the event says so (it may have fired
  // before too, whenever the queue fell to the threshold while the loop above was sending).
  ASSERT_TRUE(eventually([&] { return lows->load() > lows_before; }, 30s));
  EXPECT_LE(log.channel.buffered_amount(), std::size_t{64} << 10);
}

}  // namespace
}  // namespace lp2p::test
