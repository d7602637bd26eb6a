// The RFC 6762 querier under a fake clock, alone and against real Responders on a fake link.
#include "mdns/querier.hpp"

#include <gtest/gtest.h>

#include <algorithm>

#include "mdns/dns_codec.hpp"
#include "mdns_test_support.hpp"

namespace lp2p::mdns {
namespace {

Endpoint host_endpoint(std::uint8_t last) {
  return {IpAddress::v4_from({10, 213, 0, last}), kMdnsPort, 1};
}

// One multicast segment: every packet sent reaches every node (the sender too, as with
// IP_MULTICAST_LOOP), at the moment it is sent.
class FakeLink {
 public:
  explicit FakeLink(TimePoint start) : now(start) {}

  void add_querier(Querier* q, Endpoint at) { queriers_.push_back({q, at}); }
  void add_responder(Responder* r, Endpoint at) { responders_.push_back({r, at}); }
  void remove_responder(Responder* r) {
    std::erase_if(responders_, [r](const auto& p) { return p.first == r; });
  }

  void run_until(TimePoint until) {
    for (;;) {
      pump();
      std::optional<TimePoint> next;
      auto consider = [&next](std::optional<TimePoint> t) {
        if (t && (!next || *t < *next)) next = t;
      };
      for (auto& [q, at] : queriers_) consider(q->next_wakeup());
      for (auto& [r, at] : responders_) consider(r->next_wakeup());
      if (!next || *next > until) break;
      now = std::max(now, *next);
      for (auto& [q, at] : queriers_) q->on_timer(now);
      for (auto& [r, at] : responders_) r->on_timer(now);
    }
    now = until;
  }
  void run_for(Duration d) { run_until(now + d); }

  // Delivers what every node wants to send, until nobody has anything more.
  void pump() {
    for (bool busy = true; busy;) {
      busy = false;
      std::vector<std::pair<Outgoing, Endpoint>> packets;
      for (auto& [q, at] : queriers_) {
        for (auto& o : q->take_outgoing()) packets.emplace_back(std::move(o), at);
      }
      for (auto& [r, at] : responders_) {
        for (auto& o : r->take_outgoing()) packets.emplace_back(std::move(o), at);
      }
      for (auto& [out, from] : packets) {
        busy = true;
        auto message = decode(out.packet);
        ASSERT_TRUE(message) << message.error().describe();
        log.push_back({now, from, *message});
        for (auto& [q, at] : queriers_) {
          if (!out.unicast || *out.unicast == at) q->on_packet(*message, from, now);
        }
        for (auto& [r, at] : responders_) {
          if (!out.unicast || *out.unicast == at) r->on_packet(*message, from, now);
        }
      }
    }
  }

  struct Logged {
    TimePoint at;
    Endpoint from;
    DnsMessage message;
  };
  TimePoint now;
  std::vector<Logged> log;

 private:
  std::vector<std::pair<Querier*, Endpoint>> queriers_;
  std::vector<std::pair<Responder*, Endpoint>> responders_;
};

class QuerierTest : public ::testing::Test {
 protected:
  ServiceInstance tv() { return {"Living Room TV", kService, {"_chat"}, 4433, {"fp=abc", "mv=0"}}; }
  HostInfo tv_host() { return {"tv", {IpAddress::v4_from({10, 213, 0, 1})}}; }

  // The TV's responder on host .1 and our querier browsing for it, run for `duration`.
  Responder& browse_tv(
      Duration duration) {  // NOLINT(modernize-use-nodiscard): callers may ignore it
    responder_.emplace(tv(), tv_host(), random_, link_.now);
    link_.add_responder(&*responder_, host_endpoint(1));
    link_.add_querier(&querier_, me_);
    querier_.browse(kService, link_.now);
    link_.run_for(duration);
    return *responder_;
  }

  std::vector<ServiceEvent> events() { return querier_.take_events(); }
  std::vector<TimePoint> queries_from(const Endpoint& e, std::uint16_t type) const {
    std::vector<TimePoint> out;
    for (const auto& l : link_.log) {
      if (l.from == e && !l.message.response && !l.message.questions.empty() &&
          l.message.questions[0].type == type) {
        out.push_back(l.at);
      }
    }
    return out;
  }

  Random random_{7};
  TimePoint start_{seconds(5000)};
  FakeLink link_{start_};
  Querier querier_{random_};
  Endpoint me_ = host_endpoint(2);
  std::optional<Responder> responder_;
};

TEST_F(QuerierTest, ContinuousQueryingBacksOff) {
  link_.add_querier(&querier_, me_);
  querier_.browse(kService, link_.now);
  link_.run_for(seconds(20));
  const auto times = queries_from(me_, kPtr);
  ASSERT_GE(times.size(), 5U);
  EXPECT_GE(times[0] - start_, milliseconds(20));
  EXPECT_LE(times[0] - start_, milliseconds(120));
  EXPECT_EQ(times[1] - times[0], seconds(1));
  EXPECT_EQ(times[2] - times[1], seconds(2));
  EXPECT_EQ(times[3] - times[2], seconds(4));
  EXPECT_EQ(times[4] - times[3], seconds(8));
}

TEST_F(QuerierTest, DiscoversAndResolvesAResponder) {
  browse_tv(seconds(3));
  auto e = events();
  ASSERT_EQ(e.size(), 1U);
  EXPECT_EQ(e[0].kind, ServiceEvent::Kind::added);
  EXPECT_EQ(e[0].service.label, "Living Room TV");
  EXPECT_EQ(e[0].service.port, 4433);
  EXPECT_EQ(e[0].service.txt, (std::vector<std::string>{"fp=abc", "mv=0"}));
  ASSERT_EQ(e[0].service.addresses.size(), 1U);
  EXPECT_EQ(e[0].service.addresses[0].to_string(), "10.213.0.1");
}

TEST_F(QuerierTest, TxtChangeIsAnUpdate) {
  Responder& responder = browse_tv(seconds(3));
  (void)events();
  responder.update_txt({"fp=abc", "mv=1"}, link_.now);
  link_.run_for(seconds(3));
  auto e = events();
  ASSERT_EQ(e.size(), 1U);
  EXPECT_EQ(e[0].kind, ServiceEvent::Kind::updated);
  EXPECT_EQ(e[0].service.txt.at(1), "mv=1");
}

TEST_F(QuerierTest, GoodbyeRemovesWithinOneSecond) {
  Responder& responder = browse_tv(seconds(3));
  (void)events();
  responder.stop(link_.now);
  link_.run_for(milliseconds(1001));
  auto e = events();
  ASSERT_EQ(e.size(), 1U);
  EXPECT_EQ(e[0].kind, ServiceEvent::Kind::removed);
}

TEST_F(QuerierTest, SilentDeathRemovesAfterHostRecordsExpireWithRefreshQueriesFirst) {
  Responder& responder = browse_tv(seconds(3));
  (void)events();
  const TimePoint last_announced = link_.now - seconds(2);  // roughly
  link_.remove_responder(&responder);                       // killed: no goodbye
  link_.run_for(seconds(100));
  EXPECT_TRUE(events().empty());
  link_.run_for(seconds(30));
  auto e = events();
  ASSERT_EQ(e.size(), 1U);
  EXPECT_EQ(e[0].kind, ServiceEvent::Kind::removed);
  // Refreshes for the SRV at 80, 85, 90 and 95 % of 120 s (+ up to 2 %).
  const auto srv_queries = queries_from(me_, kSrv);
  ASSERT_GE(srv_queries.size(), 4U);
  EXPECT_NEAR(std::chrono::duration<double>(srv_queries[0] - last_announced).count(), 96.0, 4.0);
  EXPECT_NEAR(std::chrono::duration<double>(srv_queries[3] - last_announced).count(), 114.0, 4.0);
}

TEST_F(QuerierTest, RefreshesOfOneHostGoInOneQuery) {
  Responder& responder = browse_tv(seconds(3));
  link_.remove_responder(&responder);  // nobody answers: every refresh round is visible
  link_.run_for(seconds(100));
  // The SRV and A records of the TV arrived together; their first refresh (80 % + jitter of
  // 120 s) is one packet asking both.
  const DnsMessage* first_refresh = nullptr;
  for (const auto& l : link_.log) {
    if (l.from == me_ && !l.message.response && l.at - start_ > seconds(90)) {
      first_refresh = &l.message;
      break;
    }
  }
  ASSERT_NE(first_refresh, nullptr);
  const auto asks = [&](std::uint16_t type) {
    return std::ranges::any_of(first_refresh->questions,
                               [type](const Question& q) { return q.type == type; });
  };
  EXPECT_TRUE(asks(kSrv));
  EXPECT_TRUE(asks(kA));
}

TEST_F(QuerierTest, QueriesCarryKnownAnswers) {
  browse_tv(seconds(10));
  const auto& last_query = [&]() -> const DnsMessage& {
    for (auto it = link_.log.rbegin(); it != link_.log.rend(); ++it) {
      if (it->from == me_ && !it->message.response) return it->message;
    }
    throw std::runtime_error("no query");
  }();
  ASSERT_EQ(last_query.answers.size(), 1U);
  EXPECT_EQ(last_query.answers[0].type, kPtr);
  // And the responder, seeing its answer known, stays quiet: no response after the last query.
  const TimePoint asked = link_.log.back().at;
  for (const auto& l : link_.log) {
    if (l.at >= asked && l.message.response) ADD_FAILURE() << "answered a known answer";
  }
}

TEST_F(QuerierTest, ManyKnownAnswersSpillIntoTruncatedPackets) {
  link_.add_querier(&querier_, me_);
  querier_.browse(kService, link_.now);
  DnsMessage flood;
  flood.response = true;
  for (int i = 0; i < 60; ++i) {
    flood.answers.push_back(
        {kService, kPtr, kClassIn, false, 4500,
         PtrData{kService.with_prefix("Some rather long instance name " + std::to_string(i))}});
  }
  querier_.on_packet(flood, host_endpoint(1), link_.now);
  link_.run_for(milliseconds(200));
  // The browse query and the packets that continue its known-answer list (no questions).
  std::vector<const DnsMessage*> queries;
  for (const auto& l : link_.log) {
    if (l.message.response) continue;
    const bool browse = !l.message.questions.empty() && l.message.questions[0].type == kPtr;
    if (browse || (!queries.empty() && l.message.questions.empty())) queries.push_back(&l.message);
  }
  ASSERT_GE(queries.size(), 2U);
  EXPECT_TRUE(queries[0]->truncated);
  EXPECT_EQ(queries[0]->questions.size(), 1U);
  EXPECT_TRUE(queries[1]->questions.empty());
  std::size_t total = 0;
  for (const auto* q : queries) total += q->answers.size();
  EXPECT_EQ(total, 60U);
}

TEST_F(QuerierTest, AnotherHostsIdenticalQuerySuppressesOurs) {
  link_.add_querier(&querier_, me_);
  querier_.browse(kService, link_.now);
  link_.run_for(milliseconds(1500));  // first query and the 1 s one are out; next due in 2 s
  const auto before = queries_from(me_, kPtr).size();
  DnsMessage theirs;
  theirs.questions.push_back({kService, kPtr, kClassIn, false});
  querier_.on_packet(theirs, host_endpoint(9), link_.now + milliseconds(1400));
  link_.run_until(link_.now + milliseconds(1600));  // our query would have been due now
  EXPECT_EQ(queries_from(me_, kPtr).size(), before);
}

TEST_F(QuerierTest, CacheFlushReplacesAnOldAddress) {
  browse_tv(seconds(3));
  (void)events();
  DnsMessage moved;  // the host announces a new address with cache-flush, no goodbye for the old
  moved.response = true;
  moved.answers.push_back(
      {*DnsName::parse("tv.local"), kA, kClassIn, true, 120, AData{{10, 213, 0, 50}}});
  querier_.on_packet(moved, host_endpoint(1), link_.now);
  link_.run_for(milliseconds(1100));
  auto e = events();
  ASSERT_FALSE(e.empty());
  EXPECT_EQ(e.back().kind, ServiceEvent::Kind::updated);
  ASSERT_EQ(e.back().service.addresses.size(), 1U);
  EXPECT_EQ(e.back().service.addresses[0].to_string(), "10.213.0.50");
}

TEST_F(QuerierTest, CapsRecordsPerSource) {
  Querier::Options options;
  options.max_records_per_source = 256;
  Querier capped(random_, options);
  DnsMessage flood;
  flood.response = true;
  for (int i = 0; i < 300; ++i) {
    flood.answers.push_back({kService, kPtr, kClassIn, false, 4500,
                             PtrData{kService.with_prefix("n" + std::to_string(i))}});
  }
  capped.on_packet(flood, host_endpoint(66), link_.now);
  EXPECT_EQ(capped.cached_records(), 256U);
  EXPECT_EQ(capped.dropped_records(), 44U);
  // Another source still gets in.
  DnsMessage other;
  other.response = true;
  other.answers.push_back(
      {kService, kPtr, kClassIn, false, 4500, PtrData{kService.with_prefix("ok")}});
  capped.on_packet(other, host_endpoint(67), link_.now);
  EXPECT_EQ(capped.cached_records(), 257U);
}

TEST_F(QuerierTest, SubtypeBrowseSeesOnlyThatGroup) {
  Responder chat(tv(), tv_host(), random_, link_.now);
  ServiceInstance other{"Kitchen", kService, {"_games"}, 5000, {"fp=def"}};
  Responder games(other, HostInfo{"kitchen", {IpAddress::v4_from({10, 213, 0, 3})}}, random_,
                  link_.now);
  link_.add_responder(&chat, host_endpoint(1));
  link_.add_responder(&games, host_endpoint(3));
  link_.add_querier(&querier_, me_);
  querier_.browse(kService.with_prefix("_sub").with_prefix("_chat"), link_.now);
  link_.run_for(seconds(5));
  auto e = events();
  ASSERT_EQ(e.size(), 1U);
  EXPECT_EQ(e[0].service.label, "Living Room TV");
}

TEST_F(QuerierTest, AsksForMissingSrvAndTxt) {
  link_.add_querier(&querier_, me_);
  querier_.browse(kService, link_.now);
  DnsMessage bare;  // a PTR without additional records
  bare.response = true;
  bare.answers.push_back(
      {kService, kPtr, kClassIn, false, 4500, PtrData{kService.with_prefix("Bare")}});
  querier_.on_packet(bare, host_endpoint(1), link_.now);
  link_.run_for(milliseconds(10));
  bool asked_srv = false;
  bool asked_txt = false;
  for (const auto& l : link_.log) {
    for (const auto& q : l.message.questions) {
      if (q.name == kService.with_prefix("Bare")) {
        asked_srv = asked_srv || q.type == kSrv;
        asked_txt = asked_txt || q.type == kTxt;
      }
    }
  }
  EXPECT_TRUE(asked_srv);
  EXPECT_TRUE(asked_txt);
}

TEST_F(QuerierTest, ForgetAllReportsEveryServiceRemoved) {
  browse_tv(seconds(3));
  ASSERT_EQ(events().size(), 1U);
  auto gone = querier_.forget_all();
  ASSERT_EQ(gone.size(), 1U);
  EXPECT_EQ(gone[0].kind, ServiceEvent::Kind::removed);
  EXPECT_EQ(gone[0].service.label, "Living Room TV");
  EXPECT_EQ(querier_.cached_records(), 0U);
}

}  // namespace
}  // namespace lp2p::mdns
