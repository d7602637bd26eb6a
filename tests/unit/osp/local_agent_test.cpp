// osp::LocalAgent end to end, in process: two agents in one io_context on loopback, each with
// its own state directory. They connect, exchange agent-info (unverified: nobody authenticated),
// push agent-info-event on a name change, keep the connection alive with agent-status, and close
// with 5139 when one stops.
#include "osp/local_agent.hpp"

#include <gtest/gtest.h>

#include <chrono>
#include <deque>
#include <memory>
#include <string>
#include <vector>

#include "../quic/quic_test_support.hpp"

namespace lp2p::osp {
namespace {

using quic::test::Loop;
using quic::test::loopback;
using quic::test::TempDir;
using namespace std::chrono_literals;

// What one side's session reported.
struct SessionLog {
  std::shared_ptr<PeerSession> session;
  std::vector<std::pair<wire::AgentInfo, bool>> infos;
  std::vector<std::chrono::nanoseconds> keepalives;
  std::vector<quic::CloseInfo> closed;

  void watch(const std::shared_ptr<PeerSession>& s) {
    session = s;
    PeerSession::Events events;
    events.on_peer_info = [this](const wire::AgentInfo& info, bool verified) {
      infos.emplace_back(info, verified);
    };
    events.on_keepalive = [this](std::chrono::nanoseconds rtt) { keepalives.push_back(rtt); };
    events.on_closed = [this](const quic::CloseInfo& info) { closed.push_back(info); };
    s->set_events(std::move(events));
  }
};

class LocalAgentTest : public testing::Test {
 protected:
  void TearDown() override {
    for (auto& agent : agents_) agent->stop();
    loop_.run_until([&] {
      return std::all_of(agents_.begin(), agents_.end(),
                         [](const auto& a) { return a->endpoint().connection_count() == 0; });
    });
    agents_.clear();
    loop_.io.restart();
    loop_.io.poll();
  }

  LocalAgent* make_agent(const std::string& name, std::chrono::milliseconds keepalive = 15s) {
    dirs_.push_back(std::make_unique<TempDir>("agent"));
    LocalAgent::Options options;
    options.state_dir = dirs_.back()->path();
    options.display_name = name;
    options.model_name = "lp2p test";
    options.port = 0;
    options.keepalive_interval = keepalive;
    auto agent = LocalAgent::create(loop_.io, options);
    if (!agent) {
      ADD_FAILURE() << "LocalAgent::create: " << agent.error().message;
      return nullptr;
    }
    agents_.push_back(std::move(*agent));
    return agents_.back().get();
  }

  // `a` connects to `b`; both sessions are watched from their first moment.
  bool connect(LocalAgent& a, LocalAgent& b, SessionLog& at_a, SessionLog& at_b) {
    b.on_session([&at_b](const std::shared_ptr<PeerSession>& s) { at_b.watch(s); });
    bool done = false;
    a.connect(loopback(b.port()), b.fingerprint(), b.certificate().hostname,
              [&](Result<std::shared_ptr<PeerSession>> s) {
                done = true;
                if (!s) {
                  ADD_FAILURE() << "connect: " << s.error().describe();
                  return;
                }
                at_a.watch(*s);
              });
    return loop_.run_until([&] { return done && at_b.session != nullptr; }) && at_a.session;
  }

  // Sessions call their events until their connection closes, which may be in TearDown: the logs
  // they write to belong to the fixture (a deque keeps references stable).
  SessionLog& new_log() { return logs_.emplace_back(); }

  Loop loop_;
  std::deque<SessionLog> logs_;
  std::vector<std::unique_ptr<TempDir>> dirs_;
  std::vector<std::unique_ptr<LocalAgent>> agents_;  // destroyed before the directories
};

TEST_F(LocalAgentTest, ConnectedAgentsLearnEachOthersInfoUnverified) {
  LocalAgent* a = make_agent("Alpha");
  LocalAgent* b = make_agent("Bravo");
  ASSERT_TRUE(a && b);
  EXPECT_NE(a->fingerprint(), b->fingerprint());
  EXPECT_EQ(a->agent_info().display_name, "Alpha");
  EXPECT_EQ(a->agent_info().model_name, "lp2p test");
  EXPECT_EQ(a->agent_info().state_token.size(), 8U);
  SessionLog& at_a = new_log();
  SessionLog& at_b = new_log();
  ASSERT_TRUE(connect(*a, *b, at_a, at_b));
  EXPECT_EQ(at_a.session->connection().peer_fingerprint(), b->fingerprint());
  EXPECT_EQ(at_b.session->connection().peer_fingerprint(), a->fingerprint());
  ASSERT_TRUE(loop_.run_until([&] { return !at_a.infos.empty() && !at_b.infos.empty(); }));
  EXPECT_EQ(at_a.infos.front().first, b->agent_info());
  EXPECT_EQ(at_b.infos.front().first, a->agent_info());
  EXPECT_EQ(at_a.infos.front().first.display_name, "Bravo");
  EXPECT_EQ(at_b.infos.front().first.display_name, "Alpha");
  EXPECT_FALSE(at_a.infos.front().second) << "not authenticated: unverified";
  EXPECT_FALSE(at_b.infos.front().second);
  EXPECT_EQ(at_a.session->session().peer_info(), b->agent_info());
  EXPECT_FALSE(at_a.session->session().authenticated());
  EXPECT_EQ(a->session_count(), 1U);
  EXPECT_EQ(b->session_count(), 1U);
  // Connecting again reuses the session.
  std::shared_ptr<PeerSession> again;
  a->connect(loopback(b->port()), b->fingerprint(), b->certificate().hostname,
             [&](Result<std::shared_ptr<PeerSession>> s) {
               if (s) again = *s;
             });
  ASSERT_TRUE(loop_.run_until([&] { return again != nullptr; }));
  EXPECT_EQ(again, at_a.session);
  EXPECT_EQ(a->session_count(), 1U);
}

TEST_F(LocalAgentTest, DisplayNameChangeReachesThePeer) {
  LocalAgent* a = make_agent("Alpha");
  LocalAgent* b = make_agent("Bravo");
  ASSERT_TRUE(a && b);
  SessionLog& at_a = new_log();
  SessionLog& at_b = new_log();
  ASSERT_TRUE(connect(*a, *b, at_a, at_b));
  ASSERT_TRUE(loop_.run_until([&] { return !at_a.infos.empty() && !at_b.infos.empty(); }));
  a->set_display_name("Alpha Two");
  EXPECT_EQ(a->agent_info().display_name, "Alpha Two");
  ASSERT_TRUE(loop_.run_until([&] { return at_b.infos.size() >= 2; }));
  EXPECT_EQ(at_b.infos.back().first.display_name, "Alpha Two");
  EXPECT_EQ(at_b.infos.back().first, a->agent_info());
  EXPECT_FALSE(at_b.infos.back().second);
  EXPECT_EQ(at_b.session->session().peer_info()->display_name, "Alpha Two");
  // The other direction, from the listening side.
  b->set_display_name("Bravo Two");
  ASSERT_TRUE(loop_.run_until([&] { return at_a.infos.size() >= 2; }));
  EXPECT_EQ(at_a.infos.back().first.display_name, "Bravo Two");
  EXPECT_EQ(at_b.infos.size(), 2U) << "A's own change is not echoed back";
}

TEST_F(LocalAgentTest, KeepaliveStatusRoundTripsFlow) {
  LocalAgent* a = make_agent("Alpha", 100ms);
  LocalAgent* b = make_agent("Bravo", 100ms);
  ASSERT_TRUE(a && b);
  SessionLog& at_a = new_log();
  SessionLog& at_b = new_log();
  ASSERT_TRUE(connect(*a, *b, at_a, at_b));
  // Both sides send agent-status-request when they sent nothing for 100 ms, and get answers.
  ASSERT_TRUE(loop_.run_until([&] {
    return at_a.keepalives.size() >= 2 && !at_b.keepalives.empty();
  })) << "A: "
      << at_a.keepalives.size() << ", B: " << at_b.keepalives.size();
  for (const auto rtt : at_a.keepalives) EXPECT_GT(rtt.count(), 0);
  EXPECT_GE(at_a.session->session().stats().keepalives_sent, 2U);
  EXPECT_GE(at_b.session->session().stats().keepalives_sent, 1U);
  EXPECT_TRUE(at_a.closed.empty());
  EXPECT_TRUE(at_b.closed.empty());
  EXPECT_TRUE(at_a.session->open());
}

TEST_F(LocalAgentTest, StoppingAnAgentClosesThePeersSessionWith5139) {
  LocalAgent* a = make_agent("Alpha");
  LocalAgent* b = make_agent("Bravo");
  ASSERT_TRUE(a && b);
  SessionLog& at_a = new_log();
  SessionLog& at_b = new_log();
  ASSERT_TRUE(connect(*a, *b, at_a, at_b));
  a->stop();
  ASSERT_TRUE(loop_.run_until([&] { return !at_a.closed.empty() && !at_b.closed.empty(); }));
  EXPECT_EQ(at_b.closed.front().kind, quic::CloseInfo::Kind::remote);
  EXPECT_TRUE(at_b.closed.front().application);
  EXPECT_EQ(at_b.closed.front().code, static_cast<std::uint64_t>(CloseCode::normal));
  EXPECT_EQ(at_a.closed.front().kind, quic::CloseInfo::Kind::local);
  EXPECT_FALSE(at_a.session->open());
  EXPECT_FALSE(at_b.session->open());
  // Sessions live while their connection is open, or while someone holds them.
  at_a.session.reset();
  at_b.session.reset();
  ASSERT_TRUE(loop_.run_until([&] { return b->session_count() == 0; }));
  EXPECT_EQ(at_a.closed.size(), 1U);
  EXPECT_EQ(at_b.closed.size(), 1U);
}

// An agent destroyed while the event loop goes on (its process keeps running): the peer is told,
// and nothing of the destroyed agent is touched afterwards (run under ASan to see the latter).
TEST_F(LocalAgentTest, DestroyingAnAgentWhileTheLoopRuns) {
  LocalAgent* a = make_agent("Alpha", 100ms);
  LocalAgent* b = make_agent("Bravo", 100ms);
  ASSERT_TRUE(a && b);
  SessionLog& at_a = new_log();
  SessionLog& at_b = new_log();
  ASSERT_TRUE(connect(*a, *b, at_a, at_b));
  ASSERT_TRUE(loop_.run_until([&] { return !at_a.infos.empty() && !at_b.infos.empty(); }));
  at_a.session.reset();
  agents_.erase(agents_.begin());  // A
  ASSERT_TRUE(loop_.run_until([&] { return !at_b.closed.empty(); }));
  EXPECT_EQ(at_b.closed.front().code, static_cast<std::uint64_t>(CloseCode::normal));
  loop_.run_for(300ms);  // past A's closing period and a few keepalive intervals
  EXPECT_EQ(at_b.closed.size(), 1U);
}

}  // namespace
}  // namespace lp2p::osp
