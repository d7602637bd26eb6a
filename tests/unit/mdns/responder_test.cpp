// The RFC 6762 responder under a fake clock: every behaviour is driven by explicit times.
#include "mdns/responder.hpp"

#include <gtest/gtest.h>

#include "mdns/dns_codec.hpp"
#include "mdns_test_support.hpp"

namespace lp2p::mdns {
namespace {

const Endpoint kPeer{IpAddress::v4_from({10, 213, 0, 2}), kMdnsPort, 1};

struct Sent {
  TimePoint at;
  DnsMessage message;
  std::optional<Endpoint> unicast;
};

class ResponderTest : public ::testing::Test {
 protected:
  ServiceInstance service() {
    return ServiceInstance{"Living Room TV", kService, {"_chat"}, 4433, {"fp=abc", "mv=0"}};
  }
  HostInfo host() { return HostInfo{"tv", {IpAddress::v4_from({10, 213, 0, 1})}}; }

  void create() { responder_.emplace(service(), host(), random_, now_); }

  // Runs timers until `until`, collecting what is sent.
  void run_until(TimePoint until) {
    for (;;) {
      collect();
      auto next = responder_->next_wakeup();
      if (!next || *next > until) break;
      now_ = std::max(now_, *next);
      responder_->on_timer(now_);
    }
    now_ = until;
    collect();
  }
  void run_for(Duration d) { run_until(now_ + d); }

  void collect() {
    for (auto& out : responder_->take_outgoing()) {
      auto decoded = decode(out.packet);
      ASSERT_TRUE(decoded) << decoded.error().describe();
      sent_.push_back({now_, std::move(*decoded), out.unicast});
    }
  }

  void deliver(const DnsMessage& m, const Endpoint& from = kPeer) {
    responder_->on_packet(m, from, now_);
    collect();
  }

  void announce_fully() {
    create();
    run_for(seconds(3));
    ASSERT_EQ(responder_->state(), Responder::State::announced);
    sent_.clear();
    now_ += seconds(2);  // past the per-record multicast rate limit
  }

  static DnsMessage query(const DnsName& name, std::uint16_t type, bool qu = false) {
    DnsMessage q;
    q.questions.push_back({name, type, kClassIn, qu});
    return q;
  }

  // Same TXT as ours, so that the SRV decides the tie-break (records compare in sorted order).
  static ResourceRecord their_txt() {
    return {kService.with_prefix("Living Room TV"),
            kTxt,
            kClassIn,
            false,
            4500,
            TxtData{{"fp=abc", "mv=0"}}};
  }

  static const ResourceRecord* find(const std::vector<ResourceRecord>& rs, std::uint16_t type) {
    for (const auto& r : rs) {
      if (r.type == type) return &r;
    }
    return nullptr;
  }

  Random random_{42};
  TimePoint now_{seconds(1000)};
  std::optional<Responder> responder_;
  std::vector<Sent> sent_;
};

TEST_F(ResponderTest, ProbesThreeTimes250MsApartThenAnnouncesTwice) {
  const TimePoint start = now_;
  create();
  run_for(seconds(3));
  ASSERT_EQ(sent_.size(), 5U);
  for (int i = 0; i < 3; ++i) {
    const auto& probe = sent_[static_cast<std::size_t>(i)];
    EXPECT_FALSE(probe.message.response);
    EXPECT_FALSE(probe.unicast);
    ASSERT_EQ(probe.message.questions.size(), 2U);
    EXPECT_EQ(probe.message.questions[0].type, kAny);
    EXPECT_EQ(probe.message.questions[0].unicast_response, i == 0);
    EXPECT_NE(find(probe.message.authorities, kSrv), nullptr);
    EXPECT_NE(find(probe.message.authorities, kA), nullptr);
  }
  EXPECT_LE(sent_[0].at - start, milliseconds(250));
  EXPECT_EQ(sent_[1].at - sent_[0].at, milliseconds(250));
  EXPECT_EQ(sent_[2].at - sent_[1].at, milliseconds(250));
  EXPECT_EQ(sent_[3].at - sent_[2].at, milliseconds(250));
  EXPECT_EQ(sent_[4].at - sent_[3].at, seconds(1));
  for (int i = 3; i < 5; ++i) {
    const auto& a = sent_[static_cast<std::size_t>(i)].message;
    EXPECT_TRUE(a.response);
    EXPECT_TRUE(a.authoritative);
    const auto* ptr = find(a.answers, kPtr);
    ASSERT_NE(ptr, nullptr);
    EXPECT_FALSE(ptr->cache_flush) << "PTR is shared";
    EXPECT_EQ(ptr->ttl, 4500U);
    const auto* srv = find(a.answers, kSrv);
    ASSERT_NE(srv, nullptr);
    EXPECT_TRUE(srv->cache_flush);
    EXPECT_EQ(srv->ttl, 120U);
    EXPECT_EQ(std::get<SrvData>(srv->data).port, 4433);
    EXPECT_EQ(find(a.answers, kTxt)->ttl, 4500U);
  }
  EXPECT_EQ(responder_->state(), Responder::State::announced);
  auto events = responder_->take_events();
  ASSERT_EQ(events.size(), 1U);
  EXPECT_EQ(events[0].kind, Responder::Event::Kind::announced);
}

TEST_F(ResponderTest, ConflictWhileProbingRenamesAndProbesAgain) {
  create();
  run_for(milliseconds(300));  // at least one probe out
  DnsMessage other;
  other.response = true;
  other.answers.push_back({kService.with_prefix("Living Room TV"), kSrv, kClassIn, true, 120,
                           SrvData{0, 0, 9999, *DnsName::parse("other.local")}});
  deliver(other);
  auto events = responder_->take_events();
  ASSERT_EQ(events.size(), 1U);
  EXPECT_EQ(events[0].kind, Responder::Event::Kind::renamed);
  EXPECT_EQ(events[0].instance, "Living Room TV (2)");
  EXPECT_EQ(responder_->service().instance, "Living Room TV (2)");
  sent_.clear();
  run_for(seconds(3));
  ASSERT_GE(sent_.size(), 5U);
  EXPECT_EQ(sent_[0].message.questions[0].name, kService.with_prefix("Living Room TV (2)"));
  EXPECT_EQ(responder_->state(), Responder::State::announced);
}

TEST_F(ResponderTest, HostConflictRenamesTheHost) {
  create();
  run_for(milliseconds(300));
  DnsMessage other;
  other.response = true;
  other.answers.push_back(
      {*DnsName::parse("tv.local"), kA, kClassIn, true, 120, AData{{10, 213, 0, 9}}});
  deliver(other);
  EXPECT_EQ(responder_->host().label, "tv-2");
}

TEST_F(ResponderTest, OwnPacketsLoopedBackAreNoConflict) {
  create();
  run_for(seconds(3));
  ASSERT_EQ(sent_.size(), 5U);
  deliver(sent_[0].message);                            // our probe
  deliver(sent_[3].message);                            // our announcement
  EXPECT_TRUE(responder_->take_events().size() == 1U);  // only "announced"
  EXPECT_EQ(responder_->service().instance, "Living Room TV");
  EXPECT_EQ(responder_->state(), Responder::State::announced);
}

TEST_F(ResponderTest, SimultaneousProbeTieBreakLoserWaitsOneSecond) {
  create();
  run_for(milliseconds(260));
  ASSERT_GE(sent_.size(), 1U);
  const std::size_t probes_before = sent_.size();
  // Another host probes for the same instance with a lexicographically later SRV (higher port).
  DnsMessage theirs;
  theirs.questions.push_back({kService.with_prefix("Living Room TV"), kAny, kClassIn, false});
  theirs.authorities.push_back(their_txt());
  theirs.authorities.push_back({kService.with_prefix("Living Room TV"), kSrv, kClassIn, false, 120,
                                SrvData{0, 0, 65000, *DnsName::parse("tv.local")}});
  deliver(theirs);
  run_for(milliseconds(999));
  EXPECT_EQ(sent_.size(), probes_before) << "the loser must stay silent for one second";
  run_for(milliseconds(2));
  EXPECT_EQ(sent_.size(), probes_before + 1);
}

TEST_F(ResponderTest, SimultaneousProbeTieBreakWinnerCarriesOn) {
  create();
  run_for(milliseconds(260));
  const std::size_t probes_before = sent_.size();
  DnsMessage theirs;
  theirs.questions.push_back({kService.with_prefix("Living Room TV"), kAny, kClassIn, false});
  theirs.authorities.push_back(their_txt());
  theirs.authorities.push_back({kService.with_prefix("Living Room TV"), kSrv, kClassIn, false, 120,
                                SrvData{0, 0, 1, *DnsName::parse("tv.local")}});
  deliver(theirs);
  run_for(milliseconds(260));
  EXPECT_GT(sent_.size(), probes_before);
  run_for(seconds(3));
  EXPECT_EQ(responder_->state(), Responder::State::announced);
}

TEST_F(ResponderTest, AnswersPtrQueryWithDelayAndAdditionals) {
  announce_fully();
  const TimePoint asked = now_;
  deliver(query(kService, kPtr));
  EXPECT_TRUE(sent_.empty()) << "shared answers wait 20-120 ms";
  run_for(milliseconds(130));
  ASSERT_EQ(sent_.size(), 1U);
  EXPECT_GE(sent_[0].at - asked, milliseconds(20));
  EXPECT_LE(sent_[0].at - asked, milliseconds(120));
  const auto& m = sent_[0].message;
  EXPECT_FALSE(sent_[0].unicast);
  ASSERT_EQ(m.answers.size(), 1U);
  EXPECT_EQ(std::get<PtrData>(m.answers[0].data).target, kService.with_prefix("Living Room TV"));
  EXPECT_NE(find(m.additionals, kSrv), nullptr);
  EXPECT_NE(find(m.additionals, kTxt), nullptr);
  EXPECT_NE(find(m.additionals, kA), nullptr);
  EXPECT_NE(find(m.additionals, kNsec), nullptr) << "host NSEC says there is no AAAA";
}

TEST_F(ResponderTest, AnswersSubtypeBrowse) {
  announce_fully();
  deliver(query(kService.with_prefix("_sub").with_prefix("_chat"), kPtr));
  run_for(milliseconds(130));
  ASSERT_EQ(sent_.size(), 1U);
  EXPECT_EQ(sent_[0].message.answers.at(0).name, kService.with_prefix("_sub").with_prefix("_chat"));
}

TEST_F(ResponderTest, UniqueAnswersGoOutAtOnce) {
  announce_fully();
  deliver(query(kService.with_prefix("Living Room TV"), kSrv));
  ASSERT_EQ(sent_.size(), 1U);
  EXPECT_EQ(sent_[0].at, now_);
  EXPECT_NE(find(sent_[0].message.answers, kSrv), nullptr);
  EXPECT_NE(find(sent_[0].message.additionals, kA), nullptr);
}

TEST_F(ResponderTest, KnownAnswerSuppression) {
  announce_fully();
  DnsMessage q = query(kService, kPtr);
  q.answers.push_back(
      {kService, kPtr, kClassIn, false, 4000, PtrData{kService.with_prefix("Living Room TV")}});
  deliver(q);
  run_for(seconds(1));
  EXPECT_TRUE(sent_.empty());
  // A known answer with less than half the TTL left does not suppress.
  q.answers[0].ttl = 2000;
  deliver(q);
  run_for(seconds(1));
  EXPECT_EQ(sent_.size(), 1U);
}

TEST_F(ResponderTest, QuQuestionGetsUnicastWhenRecentlyMulticast) {
  announce_fully();  // announced 2 s ago: within a quarter of the TTL
  deliver(query(kService.with_prefix("Living Room TV"), kTxt, true));
  ASSERT_EQ(sent_.size(), 1U);
  ASSERT_TRUE(sent_[0].unicast);
  EXPECT_EQ(*sent_[0].unicast, kPeer);
}

TEST_F(ResponderTest, QuQuestionIsMulticastWhenNotRecentlyMulticast) {
  announce_fully();
  now_ += seconds(40);  // past a quarter of the SRV's 120 s TTL
  deliver(query(kService.with_prefix("Living Room TV"), kSrv, true));
  ASSERT_EQ(sent_.size(), 1U);
  EXPECT_FALSE(sent_[0].unicast);
}

TEST_F(ResponderTest, LegacyUnicastEchoesIdAndQuestionAndCapsTtl) {
  announce_fully();
  DnsMessage q = query(kService, kPtr);
  q.id = 0x4242;
  Endpoint legacy = kPeer;
  legacy.port = 40000;
  deliver(q, legacy);
  ASSERT_EQ(sent_.size(), 1U);
  ASSERT_TRUE(sent_[0].unicast);
  EXPECT_EQ(sent_[0].unicast->port, 40000);
  EXPECT_EQ(sent_[0].message.id, 0x4242);
  ASSERT_EQ(sent_[0].message.questions.size(), 1U);
  EXPECT_LE(sent_[0].message.answers.at(0).ttl, 10U);
  EXPECT_FALSE(sent_[0].message.answers.at(0).cache_flush);
}

TEST_F(ResponderTest, NsecAnswersForMissingType) {
  announce_fully();
  deliver(query(*DnsName::parse("tv.local"), kAaaa));
  ASSERT_EQ(sent_.size(), 1U);
  const auto* nsec = find(sent_[0].message.answers, kNsec);
  ASSERT_NE(nsec, nullptr);
  EXPECT_EQ(std::get<NsecData>(nsec->data).types, std::vector<std::uint16_t>{kA});
}

TEST_F(ResponderTest, MulticastsARecordAtMostOncePerSecond) {
  announce_fully();
  deliver(query(kService.with_prefix("Living Room TV"), kSrv));
  EXPECT_EQ(sent_.size(), 1U);
  now_ += milliseconds(500);
  deliver(query(kService.with_prefix("Living Room TV"), kSrv));
  EXPECT_EQ(sent_.size(), 1U);
  now_ += milliseconds(600);
  deliver(query(kService.with_prefix("Living Room TV"), kSrv));
  EXPECT_EQ(sent_.size(), 2U);
}

TEST_F(ResponderTest, DuplicateAnswerSuppression) {
  announce_fully();
  deliver(query(kService, kPtr));
  ASSERT_TRUE(sent_.empty());
  DnsMessage other;  // another responder just gave the same shared answer
  other.response = true;
  other.answers.push_back(
      {kService, kPtr, kClassIn, false, 4500, PtrData{kService.with_prefix("Living Room TV")}});
  deliver(other);
  run_for(seconds(1));
  EXPECT_TRUE(sent_.empty());
}

TEST_F(ResponderTest, TruncatedQueryWaitsForMoreKnownAnswers) {
  announce_fully();
  const TimePoint asked = now_;
  DnsMessage q = query(kService, kPtr);
  q.truncated = true;
  deliver(q);
  run_for(seconds(1));
  ASSERT_EQ(sent_.size(), 1U);
  EXPECT_GE(sent_[0].at - asked, milliseconds(400));
  EXPECT_LE(sent_[0].at - asked, milliseconds(500));
}

TEST_F(ResponderTest, TxtChangeIsReannouncedTwiceWithCacheFlush) {
  announce_fully();
  responder_->update_txt({"fp=abc", "mv=1"}, now_);
  run_for(seconds(3));
  ASSERT_EQ(sent_.size(), 2U);
  EXPECT_EQ(sent_[1].at - sent_[0].at, seconds(1));
  for (const auto& s : sent_) {
    ASSERT_EQ(s.message.answers.size(), 1U);
    const auto& txt = s.message.answers[0];
    EXPECT_EQ(txt.type, kTxt);
    EXPECT_TRUE(txt.cache_flush);
    EXPECT_EQ(std::get<TxtData>(txt.data).strings.at(1), "mv=1");
  }
}

TEST_F(ResponderTest, StopSendsGoodbyes) {
  announce_fully();
  responder_->stop(now_);
  collect();
  ASSERT_EQ(sent_.size(), 1U);
  EXPECT_FALSE(sent_[0].message.answers.empty());
  for (const auto& r : sent_[0].message.answers) EXPECT_EQ(r.ttl, 0U);
  EXPECT_EQ(responder_->state(), Responder::State::stopped);
  deliver(query(kService, kPtr));
  run_for(seconds(1));
  EXPECT_EQ(sent_.size(), 1U) << "a stopped responder answers nothing";
}

TEST_F(ResponderTest, ConflictAfterAnnouncingGoesBackToProbing) {
  announce_fully();
  DnsMessage other;
  other.response = true;
  other.answers.push_back(
      {kService.with_prefix("Living Room TV"), kTxt, kClassIn, true, 4500, TxtData{{"fp=zzz"}}});
  deliver(other);
  EXPECT_EQ(responder_->state(), Responder::State::probing);
  EXPECT_EQ(responder_->service().instance, "Living Room TV")
      << "the name is kept until a probe fails";
}

TEST_F(ResponderTest, BacksOffAfterFifteenConflictsInTenSeconds) {
  create();
  for (int i = 0; i < 15; ++i) {
    run_for(milliseconds(300));
    DnsMessage other;
    other.response = true;
    other.answers.push_back({kService.with_prefix(responder_->service().instance), kTxt, kClassIn,
                             true, 4500, TxtData{{"x=y"}}});
    deliver(other);
  }
  sent_.clear();
  run_for(milliseconds(4900));
  EXPECT_TRUE(sent_.empty()) << "after 15 conflicts, wait 5 s before probing again";
  run_for(milliseconds(200));
  EXPECT_FALSE(sent_.empty());
}

TEST_F(ResponderTest, AddressChangeSendsGoodbyeForTheOldAddressAndAnnouncesTheNew) {
  announce_fully();
  responder_->update_addresses({IpAddress::v4_from({10, 213, 0, 7})}, now_);
  run_for(seconds(2));
  ASSERT_GE(sent_.size(), 2U);
  const auto* bye = find(sent_[0].message.answers, kA);
  ASSERT_NE(bye, nullptr);
  EXPECT_EQ(bye->ttl, 0U);
  EXPECT_EQ(std::get<AData>(bye->data).address[3], 1);
  const auto* fresh = find(sent_[1].message.answers, kA);
  ASSERT_NE(fresh, nullptr);
  EXPECT_EQ(std::get<AData>(fresh->data).address[3], 7);
}

}  // namespace
}  // namespace lp2p::mdns
