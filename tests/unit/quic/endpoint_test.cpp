// quic::Endpoint and quic::Connection end to end, in process: two or three endpoints in one
// io_context, bound to port 0, talking over 127.0.0.1 and [::1] only. The loop runs until the
// condition a test waits for holds; the deadlines only stop a hang.
#include "quic/endpoint.hpp"

#include <gtest/gtest.h>

#include <algorithm>
#include <boost/asio/ip/udp.hpp>
#include <chrono>
#include <string>

#include "quic_test_support.hpp"

namespace lp2p::quic {
namespace {

using namespace test;

constexpr std::uint64_t kOspNormalClose = 5139;

class EndpointTest : public testing::Test {
 protected:
  void TearDown() override { loop_.stop_all(endpoints_); }

  std::shared_ptr<Endpoint> make_endpoint(const Peer& peer, TransportConfig transport = {}) {
    Endpoint::Options options;
    options.transport = std::move(transport);
    options.port = 0;
    options.own_fingerprint = peer.fingerprint();
    options.duplicate_close_code = kOspNormalClose;
    auto endpoint = Endpoint::create(loop_.io, peer.credentials, options);
    if (!endpoint) {
      ADD_FAILURE() << "Endpoint::create: " << endpoint.error().message;
      return nullptr;
    }
    endpoints_.push_back(*endpoint);
    return *endpoint;
  }

  // Records every incoming connection of `endpoint`, attaching a Recorder to it at once.
  struct Incoming {
    std::vector<std::shared_ptr<Connection>> connections;
    std::vector<std::shared_ptr<Recorder>> recorders;
    std::function<void(const std::shared_ptr<Connection>&, Recorder&)> setup;
  };
  std::shared_ptr<Incoming> listen(Endpoint& endpoint) {
    auto in = std::make_shared<Incoming>();
    endpoint.on_incoming([in](const std::shared_ptr<Connection>& c) {
      in->connections.push_back(c);
      in->recorders.push_back(Recorder::attach(c));
      if (in->setup) in->setup(c, *in->recorders.back());
    });
    return in;
  }

  // A dials B and waits until both sides are established.
  struct Pair {
    std::shared_ptr<Connection> client;
    std::shared_ptr<Connection> server;
    std::shared_ptr<Recorder> client_events;
    std::shared_ptr<Recorder> server_events;
  };
  Pair connect(Endpoint& a, Endpoint& b, const Peer& b_peer, bool v6 = false) {
    auto in = listen(b);
    DialOutcome dial;
    a.dial(loopback(b.port(), v6), b_peer.fingerprint(), b_peer.hostname(), dial.handler());
    EXPECT_TRUE(loop_.run_until([&] { return dial.done() && !in->connections.empty(); }))
        << "no connection within the deadline";
    Pair pair;
    if (!dial.connection() || in->connections.empty()) {
      ADD_FAILURE() << "dial failed: "
                    << (dial.result && !dial.result->has_value() ? dial.result->error().describe()
                                                                 : "no result");
      return pair;
    }
    pair.client = dial.connection();
    pair.server = in->connections.front();
    pair.client_events = Recorder::attach(pair.client);
    pair.server_events = in->recorders.front();
    return pair;
  }

  Loop loop_;
  std::vector<std::shared_ptr<Endpoint>> endpoints_;
};

// ---- handshake ----

class EndpointHandshake : public EndpointTest, public testing::WithParamInterface<bool> {};

TEST_P(EndpointHandshake, DialSucceedsAndBothSidesKnowEachOther) {
  const bool v6 = GetParam();
  Peer a("a");
  Peer b("b");
  auto ea = make_endpoint(a);
  auto eb = make_endpoint(b);
  ASSERT_TRUE(ea && eb);
  ASSERT_NE(eb->port(), 0);
  Pair p = connect(*ea, *eb, b, v6);
  ASSERT_TRUE(p.client && p.server);

  EXPECT_TRUE(p.client->is_client());
  EXPECT_FALSE(p.server->is_client());
  EXPECT_EQ(p.client->state(), Connection::State::established);
  EXPECT_EQ(p.server->state(), Connection::State::established);
  EXPECT_EQ(p.client->peer_fingerprint(), b.fingerprint());
  EXPECT_EQ(p.server->peer_fingerprint(), a.fingerprint());
  EXPECT_NE(a.fingerprint(), b.fingerprint());
  EXPECT_EQ(p.client->expected_fingerprint(), b.fingerprint());
  EXPECT_GT(p.client->handshake_duration().count(), 0);
  EXPECT_GT(p.server->handshake_duration().count(), 0);
  EXPECT_EQ(p.client->remote().port(), eb->port());
  EXPECT_EQ(p.server->remote().port(), ea->port());
  EXPECT_EQ(p.client->remote().ip().v6, v6);
  EXPECT_EQ(ea->connection_count(), 1U);
  EXPECT_EQ(eb->connection_count(), 1U);
  EXPECT_EQ(ea->stats().dialed, 1U);
  EXPECT_EQ(eb->stats().accepted, 1U);

  for (const auto& c : {p.client, p.server}) {
    SCOPED_TRACE(c->is_client() ? "client" : "server");
    const ConnectionInfo info = c->info();
    EXPECT_EQ(info.alpn, "osp");
    EXPECT_EQ(info.quic_version, 1U);
    EXPECT_NE(info.tls.find("TLS1.3"), std::string::npos) << info.tls;
    EXPECT_EQ(info.local_cid_length, 0U) << "osp-brief §2.1: zero-length connection IDs";
    EXPECT_EQ(info.peer_cid_length, 0U);
    EXPECT_EQ(info.local_idle_timeout, 25000ms);
    EXPECT_EQ(info.peer_idle_timeout, 25000ms);
    EXPECT_EQ(info.peer_initial_max_streams_bidi, 1000U);
    EXPECT_EQ(info.peer_initial_max_streams_uni, 1000U);
    EXPECT_GT(info.bytes_sent, 0U);
    EXPECT_GT(info.bytes_received, 0U);
  }
}

INSTANTIATE_TEST_SUITE_P(Loopback, EndpointHandshake, testing::Values(false, true),
                         [](const testing::TestParamInfo<bool>& tp) {
                           return tp.param ? "IPv6" : "IPv4";
                         });

TEST_F(EndpointTest, WrongPinnedFingerprintIsAPeerMismatch) {
  Peer a("a");
  Peer b("b");
  Peer c("c");  // the device that was expected at B's address
  auto ea = make_endpoint(a);
  auto eb = make_endpoint(b);
  ASSERT_TRUE(ea && eb);
  auto in = listen(*eb);
  DialOutcome dial;
  ea->dial(loopback(eb->port()), c.fingerprint(), c.hostname(), dial.handler());
  ASSERT_TRUE(loop_.run_until([&] { return dial.done(); }));
  ASSERT_TRUE(dial.result);
  ASSERT_FALSE(dial.result->has_value()) << "connected to the wrong device";
  const Error& error = dial.result->error();
  EXPECT_EQ(error.code, Errc::peer_mismatch) << error.describe();
  EXPECT_NE(error.message.find(b.fingerprint()), std::string::npos) << error.message;
  EXPECT_NE(error.message.find(c.fingerprint()), std::string::npos) << error.message;
  // The listener's half-open connection ends (the dialer's alert) without ever being handed out.
  EXPECT_TRUE(loop_.run_until([&] { return eb->connection_count() == 0; }));
  EXPECT_TRUE(in->connections.empty());
  EXPECT_EQ(ea->connection_count(), 0U);
  EXPECT_EQ(dial.calls, 1);
}

TEST_F(EndpointTest, MismatchingAlpnIsRefused) {
  Peer a("a");
  Peer b("b");
  TransportConfig other;
  other.alpn = "xyz";
  auto ea = make_endpoint(a, other);
  auto eb = make_endpoint(b);
  ASSERT_TRUE(ea && eb);
  auto in = listen(*eb);
  DialOutcome dial;
  ea->dial(loopback(eb->port()), b.fingerprint(), b.hostname(), dial.handler());
  ASSERT_TRUE(loop_.run_until([&] { return dial.done(); }));
  ASSERT_TRUE(dial.result);
  ASSERT_FALSE(dial.result->has_value());
  EXPECT_EQ(dial.result->error().code, Errc::refused) << dial.result->error().describe();
  EXPECT_TRUE(loop_.run_until([&] { return eb->connection_count() == 0; }));
  EXPECT_TRUE(in->connections.empty());
  EXPECT_EQ(dial.calls, 1);
}

TEST_F(EndpointTest, HandshakeTimesOutWhenNothingAnswers) {
  Peer a("a");
  TransportConfig quick;
  quick.handshake_timeout = 500ms;
  auto ea = make_endpoint(a, quick);
  ASSERT_TRUE(ea);
  // A UDP port that is bound (so nothing else takes it) but never read: a silent peer.
  boost::asio::ip::udp::socket silent(
      loop_.io, boost::asio::ip::udp::endpoint(boost::asio::ip::make_address("127.0.0.1"), 0));
  const auto port = silent.local_endpoint().port();
  DialOutcome dial;
  const auto started = Clock::now();
  ea->dial(loopback(port), a.fingerprint(), "nobody.local", dial.handler());
  ASSERT_TRUE(loop_.run_until([&] { return dial.done(); }));
  const auto elapsed = Clock::now() - started;
  ASSERT_TRUE(dial.result);
  ASSERT_FALSE(dial.result->has_value());
  EXPECT_EQ(dial.result->error().code, Errc::timed_out) << dial.result->error().describe();
  EXPECT_NE(dial.result->error().message.find("handshake"), std::string::npos)
      << dial.result->error().message;
  EXPECT_GE(elapsed, 450ms) << "gave up before the handshake timeout";
  EXPECT_EQ(ea->connection_count(), 0U);
  EXPECT_EQ(dial.calls, 1);
  // The Initials really went to the silent port.
  EXPECT_GT(silent.available(), 0U);
}

TEST_F(EndpointTest, DialingAConnectedPeerReusesTheConnection) {
  Peer a("a");
  Peer b("b");
  auto ea = make_endpoint(a);
  auto eb = make_endpoint(b);
  ASSERT_TRUE(ea && eb);
  auto in = listen(*eb);
  // Two dials before the first packet is read share the handshake.
  DialOutcome first;
  DialOutcome second;
  ea->dial(loopback(eb->port()), b.fingerprint(), b.hostname(), first.handler());
  ea->dial(loopback(eb->port()), b.fingerprint(), b.hostname(), second.handler());
  ASSERT_TRUE(loop_.run_until([&] { return first.done() && second.done(); }));
  ASSERT_TRUE(first.connection()) << first.result->error().describe();
  EXPECT_EQ(second.connection(), first.connection());
  // Once established: at once, the same connection, also through the peer's other address.
  DialOutcome third;
  ea->dial(loopback(eb->port()), b.fingerprint(), b.hostname(), third.handler());
  EXPECT_TRUE(third.done()) << "an established connection is handed out synchronously";
  EXPECT_EQ(third.connection(), first.connection());
  DialOutcome fourth;
  ea->dial(loopback(eb->port(), true), b.fingerprint(), b.hostname(), fourth.handler());
  EXPECT_TRUE(fourth.done());
  EXPECT_EQ(fourth.connection(), first.connection());
  EXPECT_EQ(ea->stats().dialed, 1U);
  EXPECT_EQ(ea->connection_count(), 1U);
  EXPECT_TRUE(loop_.run_until([&] { return !in->connections.empty(); }));
  loop_.run_for(100ms);
  EXPECT_EQ(in->connections.size(), 1U);
  EXPECT_EQ(eb->connection_count(), 1U);
  for (const auto* d : {&first, &second, &third, &fourth}) EXPECT_EQ(d->calls, 1);
}

// The listener side of a handshake from the same address: a dial to that peer meanwhile must not
// be refused as "another device".
TEST_F(EndpointTest, DialDuringThePeersIncomingHandshakeGetsThatConnection) {
  Peer a("a");
  Peer b("b");
  auto ea = make_endpoint(a);
  auto eb = make_endpoint(b);
  ASSERT_TRUE(ea && eb);
  auto in = listen(*eb);
  listen(*ea);
  DialOutcome a_dial;
  ea->dial(loopback(eb->port()), b.fingerprint(), b.hostname(), a_dial.handler());
  // Step the loop until B has A's connection, still handshaking.
  ASSERT_TRUE(loop_.run_until([&] { return eb->connection_count() == 1; }));
  ASSERT_TRUE(in->connections.empty()) << "B's handshake finished in the same step";
  DialOutcome b_dial;
  eb->dial(loopback(ea->port()), a.fingerprint(), a.hostname(), b_dial.handler());
  ASSERT_TRUE(loop_.run_until([&] { return a_dial.done() && b_dial.done(); }));
  ASSERT_TRUE(a_dial.connection()) << a_dial.result->error().describe();
  ASSERT_TRUE(b_dial.connection()) << b_dial.result->error().describe();
  EXPECT_FALSE(b_dial.connection()->is_client());
  EXPECT_EQ(b_dial.connection()->peer_fingerprint(), a.fingerprint());
  EXPECT_EQ(ea->connection_count(), 1U);
  EXPECT_EQ(eb->connection_count(), 1U);
}

TEST_F(EndpointTest, SimultaneousDialKeepsTheConnectionOfTheSmallerClientFingerprint) {
  Peer a("a");
  Peer b("b");
  auto ea = make_endpoint(a);
  auto eb = make_endpoint(b);
  ASSERT_TRUE(ea && eb);
  auto a_in = listen(*ea);
  auto b_in = listen(*eb);
  DialOutcome a_dial;
  DialOutcome b_dial;
  // Both Initials leave before either endpoint reads a packet.
  ea->dial(loopback(eb->port()), b.fingerprint(), b.hostname(), a_dial.handler());
  eb->dial(loopback(ea->port()), a.fingerprint(), a.hostname(), b_dial.handler());
  ASSERT_TRUE(loop_.run_until([&] { return a_dial.done() && b_dial.done(); }));
  ASSERT_TRUE(a_dial.connection()) << a_dial.result->error().describe();
  ASSERT_TRUE(b_dial.connection()) << b_dial.result->error().describe();
  const auto& ca = a_dial.connection();
  const auto& cb = b_dial.connection();
  // One connection: exactly one of the two sides is its client, the one with the smaller
  // fingerprint (osp-brief §2.4).
  const bool a_smaller = a.fingerprint() < b.fingerprint();
  EXPECT_EQ(ca->is_client(), a_smaller);
  EXPECT_EQ(cb->is_client(), !a_smaller);
  EXPECT_EQ(ca->peer_fingerprint(), b.fingerprint());
  EXPECT_EQ(cb->peer_fingerprint(), a.fingerprint());
  EXPECT_EQ(ca->state(), Connection::State::established);
  EXPECT_EQ(cb->state(), Connection::State::established);
  EXPECT_EQ(ea->connection_count(), 1U);
  EXPECT_EQ(eb->connection_count(), 1U);
  EXPECT_GE(ea->stats().simultaneous_dials, 1U);
  EXPECT_GE(eb->stats().simultaneous_dials, 1U);
  EXPECT_EQ(a_dial.calls, 1);
  EXPECT_EQ(b_dial.calls, 1);

  // It works, and stays the only one.
  auto ra = Recorder::attach(ca);
  auto rb = Recorder::attach(cb);
  auto stream = ca->open_stream(true);
  ASSERT_TRUE(stream);
  ASSERT_TRUE(ca->write(*stream, Bytes{1, 2, 3}, true));
  ASSERT_TRUE(loop_.run_until([&] { return rb->streams[*stream].fins == 1; }));
  EXPECT_EQ(rb->streams[*stream].bytes, (Bytes{1, 2, 3}));
  loop_.run_for(200ms);
  EXPECT_TRUE(ra->closed.empty());
  EXPECT_TRUE(rb->closed.empty());
  EXPECT_EQ(ea->connection_count(), 1U);
  EXPECT_EQ(eb->connection_count(), 1U);
  EXPECT_EQ(ea->stats().duplicates_closed + eb->stats().duplicates_closed, 0U);
}

// A and B dial each other at once through different addresses (IPv4 one way, IPv6 the other):
// two connections get established, and the duplicate rule keeps the one whose client has the
// smaller fingerprint, on both sides.
//
// Which of the two each side establishes first is a race, and so is what the dials get: a dial
// whose connection is still handshaking when it loses is handed the survivor, but one answered
// before that holds the loser, which is then closed with the duplicate code (or, if the peer
// closed it first, the dial fails). The test asserts what holds either way.
TEST_F(EndpointTest, SimultaneousDialOverTwoAddressesEndsWithOneConnection) {
  Peer a("a");
  Peer b("b");
  auto ea = make_endpoint(a);
  auto eb = make_endpoint(b);
  ASSERT_TRUE(ea && eb);
  auto a_in = listen(*ea);
  auto b_in = listen(*eb);
  DialOutcome a_dial;
  DialOutcome b_dial;
  ea->dial(loopback(eb->port(), false), b.fingerprint(), b.hostname(), a_dial.handler());
  eb->dial(loopback(ea->port(), true), a.fingerprint(), a.hostname(), b_dial.handler());
  ASSERT_TRUE(loop_.run_until([&] {
    return a_dial.done() && b_dial.done() && ea->connection_count() == 1 &&
           eb->connection_count() == 1;
  }));
  loop_.run_for(200ms);
  EXPECT_EQ(ea->connection_count(), 1U);
  EXPECT_EQ(eb->connection_count(), 1U);
  EXPECT_EQ(a_dial.calls, 1);
  EXPECT_EQ(b_dial.calls, 1);
  // The survivor, seen from each side.
  auto survivor = [](const DialOutcome& dial, const std::shared_ptr<Incoming>& in) {
    std::vector<std::shared_ptr<Connection>> open;
    for (const auto& c : in->connections) {
      if (c->state() == Connection::State::established) open.push_back(c);
    }
    if (dial.connection() && dial.connection()->state() == Connection::State::established &&
        std::find(open.begin(), open.end(), dial.connection()) == open.end()) {
      open.push_back(dial.connection());
    }
    return open;
  };
  const auto at_a = survivor(a_dial, a_in);
  const auto at_b = survivor(b_dial, b_in);
  ASSERT_EQ(at_a.size(), 1U);
  ASSERT_EQ(at_b.size(), 1U);
  const bool a_smaller = a.fingerprint() < b.fingerprint();
  EXPECT_EQ(at_a.front()->is_client(), a_smaller);
  EXPECT_EQ(at_b.front()->is_client(), !a_smaller);
  // The two ends of one connection: A's remote is B's port, over the family A dialed with if A
  // is its client.
  EXPECT_EQ(at_a.front()->remote().ip().v6, !a_smaller);
  EXPECT_EQ(at_b.front()->remote().ip().v6, !a_smaller);
  EXPECT_GE(ea->stats().duplicates_closed + eb->stats().duplicates_closed, 1U);
  // Each dial got the survivor, or a duplicate that was closed with the duplicate code, or failed
  // because the peer closed the duplicate before it was up.
  for (const auto* dial : {&a_dial, &b_dial}) {
    SCOPED_TRACE(dial == &a_dial ? "A's dial" : "B's dial");
    if (!dial->connection()) {
      EXPECT_NE(dial->result->error().message.find(std::to_string(kOspNormalClose)),
                std::string::npos)
          << dial->result->error().describe();
      continue;
    }
    const auto& c = dial->connection();
    if (c == at_a.front() || c == at_b.front()) continue;
    ASSERT_TRUE(c->close_info());
    EXPECT_EQ(c->close_info()->code, kOspNormalClose) << c->close_info()->describe();
  }
}

// Simultaneous dial where the connection that survives the tie-break then fails: the peer with
// the smaller fingerprint pinned a wrong fingerprint. The other side had handed its dial over to
// that connection; its dial handler must still run (with an error), not wait forever.
TEST_F(EndpointTest, SimultaneousDialWhoseSurvivorFailsAnswersBothDials) {
  // lo < hi < stranger: lo keeps its own connection (its fingerprint is below the pinned one),
  // hi hands its dial over to lo's connection.
  std::vector<std::unique_ptr<Peer>> peers;
  for (const char* name : {"p1", "p2", "p3"}) peers.push_back(std::make_unique<Peer>(name));
  std::sort(peers.begin(), peers.end(),
            [](const auto& x, const auto& y) { return x->fingerprint() < y->fingerprint(); });
  const Peer& lo = *peers[0];
  const Peer& hi = *peers[1];
  const Peer& stranger = *peers[2];
  auto elo = make_endpoint(lo);
  auto ehi = make_endpoint(hi);
  ASSERT_TRUE(elo && ehi);
  auto lo_in = listen(*elo);
  auto hi_in = listen(*ehi);
  DialOutcome lo_dial;  // pins the stranger: its connection (the survivor) fails
  DialOutcome hi_dial;  // pins the right fingerprint, but its own connection loses the tie-break
  elo->dial(loopback(ehi->port()), stranger.fingerprint(), stranger.hostname(), lo_dial.handler());
  ehi->dial(loopback(elo->port()), lo.fingerprint(), lo.hostname(), hi_dial.handler());
  ASSERT_TRUE(loop_.run_until([&] { return lo_dial.done(); }));
  ASSERT_FALSE(lo_dial.result->has_value());
  EXPECT_EQ(lo_dial.result->error().code, Errc::peer_mismatch);
  EXPECT_TRUE(loop_.run_until([&] { return hi_dial.done(); }))
      << "the dial adopted by the failed connection was never answered";
  ASSERT_TRUE(loop_.run_until(
      [&] { return elo->connection_count() == 0 && ehi->connection_count() == 0; }));
  EXPECT_LE(hi_dial.calls, 1);
  EXPECT_TRUE(hi_in->connections.empty());
}

// ---- streams ----

class EndpointStreams : public EndpointTest, public testing::WithParamInterface<bool> {};

TEST_P(EndpointStreams, OneMebibyteEachWayOnABidirectionalStream) {
  const bool v6 = GetParam();
  Peer a("a");
  Peer b("b");
  auto ea = make_endpoint(a);
  auto eb = make_endpoint(b);
  ASSERT_TRUE(ea && eb);
  Pair p = connect(*ea, *eb, b, v6);
  ASSERT_TRUE(p.client && p.server);

  const Bytes request = pattern(1, std::size_t{1} << 20);
  const Bytes reply = pattern(2, std::size_t{1} << 20);
  // B answers on the same stream once A's FIN arrived.
  auto b_writer = std::make_shared<Writer>();
  p.server_events->after_data = [&, b_writer](std::int64_t id, bool fin) {
    if (!fin) return;
    b_writer->connection = p.server;
    b_writer->stream = id;
    b_writer->data = reply;
    b_writer->pump();
  };
  p.server_events->after_writable = [b_writer](std::int64_t) { b_writer->pump(); };

  auto stream = p.client->open_stream(true);
  ASSERT_TRUE(stream) << stream.error().describe();
  EXPECT_EQ(*stream & 0x3, 0) << "client-initiated bidirectional";
  Writer a_writer{p.client, *stream, request};
  p.client_events->after_writable = [&](std::int64_t) { a_writer.pump(); };
  a_writer.pump();

  ASSERT_TRUE(loop_.run_until([&] {
    return p.client_events->streams[*stream].fins == 1 &&
           std::count(p.client_events->stream_closed.begin(), p.client_events->stream_closed.end(),
                      *stream) == 1 &&
           std::count(p.server_events->stream_closed.begin(), p.server_events->stream_closed.end(),
                      *stream) == 1;
  }));
  EXPECT_FALSE(a_writer.error);
  EXPECT_FALSE(b_writer->error);
  const auto& at_b = p.server_events->streams[*stream];
  const auto& at_a = p.client_events->streams[*stream];
  EXPECT_TRUE(at_b.bytes == request) << "B received " << at_b.bytes.size() << " bytes";
  EXPECT_TRUE(at_a.bytes == reply) << "A received " << at_a.bytes.size() << " bytes";
  EXPECT_EQ(at_b.fins, 1);
  EXPECT_EQ(at_a.fins, 1);
  EXPECT_EQ(at_b.calls_after_fin, 0);
  EXPECT_EQ(at_a.calls_after_fin, 0);
  EXPECT_EQ(p.client->buffered(*stream), 0U);
  // The stream is gone: writing to it again is refused.
  EXPECT_FALSE(p.client->write(*stream, Bytes{1}));
  EXPECT_TRUE(p.client_events->closed.empty());
  EXPECT_TRUE(p.server_events->closed.empty());
  EXPECT_TRUE(p.client_events->resets.empty());
}

INSTANTIATE_TEST_SUITE_P(Loopback, EndpointStreams, testing::Values(false, true),
                         [](const testing::TestParamInfo<bool>& tp) {
                           return tp.param ? "IPv6" : "IPv4";
                         });

TEST_F(EndpointTest, SeveralStreamsInterleaved) {
  Peer a("a");
  Peer b("b");
  auto ea = make_endpoint(a);
  auto eb = make_endpoint(b);
  ASSERT_TRUE(ea && eb);
  Pair p = connect(*ea, *eb, b);
  ASSERT_TRUE(p.client && p.server);

  // B answers each bidirectional stream with a short reply after its FIN.
  p.server_events->after_data = [&](std::int64_t id, bool fin) {
    if (!fin || (id & 0x2) != 0) return;
    const std::string text = "ok " + std::to_string(id);
    ASSERT_TRUE(p.server->write(id, Bytes(text.begin(), text.end()), true));
  };
  constexpr std::size_t kStreams = 6;
  constexpr std::size_t kBytes = std::size_t{300} << 10;
  constexpr std::size_t kPiece = std::size_t{10} << 10;
  std::vector<std::int64_t> ids;
  for (std::size_t i = 0; i < kStreams; ++i) {
    auto id = p.client->open_stream(i % 3 != 2);  // every third one unidirectional
    ASSERT_TRUE(id) << id.error().describe();
    ids.push_back(*id);
  }
  std::map<std::int64_t, Bytes> sent;
  for (const auto id : ids) sent[id] = pattern(static_cast<std::uint64_t>(id), kBytes);
  // The application interleaves its writes; the connection sends them round robin.
  for (std::size_t offset = 0; offset < kBytes; offset += kPiece) {
    for (const auto id : ids) {
      const Bytes& data = sent[id];
      auto taken = p.client->write(id, std::span<const std::uint8_t>(data).subspan(offset, kPiece),
                                   offset + kPiece == kBytes);
      ASSERT_TRUE(taken);
      ASSERT_EQ(*taken, kPiece);
    }
  }
  ASSERT_TRUE(loop_.run_until([&] {
    for (const auto id : ids) {
      if (p.server_events->streams[id].fins == 0) return false;
      if ((id & 0x2) == 0 && p.client_events->streams[id].fins == 0) return false;
    }
    return true;
  }));
  for (const auto id : ids) {
    SCOPED_TRACE(testing::Message() << "stream " << id);
    const auto& in = p.server_events->streams[id];
    EXPECT_TRUE(in.bytes == sent[id]) << in.bytes.size() << " bytes";
    EXPECT_EQ(in.fins, 1);
    EXPECT_EQ(in.calls_after_fin, 0);
    if ((id & 0x2) == 0) {
      const std::string text = "ok " + std::to_string(id);
      EXPECT_EQ(p.client_events->streams[id].bytes, Bytes(text.begin(), text.end()));
      EXPECT_EQ(p.client_events->streams[id].fins, 1);
    }
  }
  // Interleaved on the wire: every stream had data in before any stream was complete.
  const auto& order = p.server_events->data_order;
  std::ptrdiff_t first_complete = static_cast<std::ptrdiff_t>(order.size());
  for (const auto id : ids) {
    const auto last = std::find(order.rbegin(), order.rend(), id);
    first_complete = std::min(first_complete, order.rend() - last - 1);
  }
  for (const auto id : ids) {
    EXPECT_LT(std::find(order.begin(), order.end(), id) - order.begin(), first_complete)
        << "stream " << id << " waited for another stream to finish";
  }
  // Let late frames show up, if any: each FIN stays delivered once.
  loop_.run_for(100ms);
  for (const auto id : ids) EXPECT_EQ(p.server_events->streams[id].fins, 1);
}

TEST_F(EndpointTest, ReceiverThatDoesNotConsumeStopsTheSender) {
  Peer a("a");
  Peer b("b");
  constexpr std::size_t kWindow = std::size_t{256} << 10;
  TransportConfig small;
  small.stream_window = kWindow;
  small.max_stream_window = kWindow;
  small.stream_send_buffer = kWindow;
  auto ea = make_endpoint(a, small);
  auto eb = make_endpoint(b, small);
  ASSERT_TRUE(ea && eb);
  Pair p = connect(*ea, *eb, b);
  ASSERT_TRUE(p.client && p.server);
  p.server_events->consume = false;

  auto stream = p.client->open_stream(true);
  ASSERT_TRUE(stream);
  const std::size_t total = 4 * kWindow + 12345;
  Writer writer{p.client, *stream, pattern(7, total)};
  writer.piece = 50000;
  p.client_events->after_writable = [&](std::int64_t) { writer.pump(); };
  writer.pump();
  EXPECT_EQ(writer.offset, kWindow) << "the first write fills the send buffer, no more";
  EXPECT_EQ(p.client->writable(*stream), 0U);

  auto& at_b = p.server_events->streams[*stream];
  // Stalled: B holds a window's worth and acknowledged it all; A's buffer has the rest.
  // on_stream_writable has hysteresis (it fires once half the buffer is free again), so a writer
  // that only writes when told may park with less than a full buffer: fill it up by hand.
  ASSERT_TRUE(loop_.run_until([&] {
    return at_b.bytes.size() == kWindow && p.client->buffered(*stream) == writer.offset - kWindow;
  })) << "B has "
      << at_b.bytes.size() << ", A took " << writer.offset << ", buffered "
      << p.client->buffered(*stream);
  EXPECT_EQ(p.client->writable(*stream), 2 * kWindow - writer.offset);
  writer.pump();
  EXPECT_EQ(writer.offset, 2 * kWindow) << "window + send buffer";
  EXPECT_EQ(p.client->writable(*stream), 0U);
  EXPECT_EQ(p.client->buffered(*stream), kWindow);
  loop_.run_for(300ms);  // nothing moves while B does not read
  EXPECT_EQ(at_b.bytes.size(), kWindow);
  EXPECT_EQ(writer.offset, 2 * kWindow);
  auto more = p.client->write(*stream, Bytes(100, 0xab));
  ASSERT_TRUE(more);
  EXPECT_EQ(*more, 0U) << "write() must not take data beyond the send buffer";
  const std::size_t writable_before = p.client_events->writable.size();

  // B starts reading: the window opens, A's buffer drains, and A is told it may write again.
  p.server_events->consume = true;
  p.server->consume(*stream, at_b.unconsumed);
  ASSERT_TRUE(loop_.run_until([&] { return at_b.fins == 1; }))
      << "B has " << at_b.bytes.size() << " of " << total;
  EXPECT_GT(p.client_events->writable.size(), writable_before);
  EXPECT_TRUE(std::all_of(p.client_events->writable.begin(), p.client_events->writable.end(),
                          [&](std::int64_t id) { return id == *stream; }));
  EXPECT_TRUE(at_b.bytes == pattern(7, total));
  EXPECT_FALSE(writer.error);
}

// ---- closing ----

TEST_F(EndpointTest, CloseCarriesTheApplicationCodeAndReasonAndFiresOnce) {
  Peer a("a");
  Peer b("b");
  auto ea = make_endpoint(a);
  auto eb = make_endpoint(b);
  ASSERT_TRUE(ea && eb);
  Pair p = connect(*ea, *eb, b);
  ASSERT_TRUE(p.client && p.server);
  p.client->close(5139, "bye");
  ASSERT_TRUE(loop_.run_until(
      [&] { return !p.client_events->closed.empty() && !p.server_events->closed.empty(); }));
  const CloseInfo& at_b = p.server_events->closed.front();
  EXPECT_EQ(at_b.kind, CloseInfo::Kind::remote) << at_b.describe();
  EXPECT_TRUE(at_b.application);
  EXPECT_EQ(at_b.code, 5139U);
  EXPECT_EQ(at_b.reason, "bye");
  const CloseInfo& at_a = p.client_events->closed.front();
  EXPECT_EQ(at_a.kind, CloseInfo::Kind::local) << at_a.describe();
  EXPECT_EQ(at_a.code, 5139U);
  EXPECT_EQ(at_a.reason, "bye");
  // After closing, the connection refuses work.
  EXPECT_FALSE(p.client->open_stream(true));
  EXPECT_FALSE(p.server->open_stream(false));
  // Closing and draining periods end; still one on_closed each, also after the endpoints stop.
  ASSERT_TRUE(
      loop_.run_until([&] { return ea->connection_count() == 0 && eb->connection_count() == 0; }));
  ea->stop(1, "stop");
  eb->stop(1, "stop");
  loop_.run_for(50ms);
  EXPECT_EQ(p.client_events->closed.size(), 1U);
  EXPECT_EQ(p.server_events->closed.size(), 1U);
  EXPECT_EQ(p.client->state(), Connection::State::closed);
  EXPECT_EQ(p.server->state(), Connection::State::closed);
}

// close() twice in one loop iteration (say a session failing with 400 while the agent stops with
// 5139): the first call should decide what the peer is told.
TEST_F(EndpointTest, TheFirstCloseDecidesTheCode) {
  Peer a("a");
  Peer b("b");
  auto ea = make_endpoint(a);
  auto eb = make_endpoint(b);
  ASSERT_TRUE(ea && eb);
  Pair p = connect(*ea, *eb, b);
  ASSERT_TRUE(p.client && p.server);
  p.client->close(5139, "bye");
  p.client->close(1, "again");
  ASSERT_TRUE(loop_.run_until(
      [&] { return !p.client_events->closed.empty() && !p.server_events->closed.empty(); }));
  EXPECT_EQ(p.server_events->closed.front().code, 5139U);
  EXPECT_EQ(p.server_events->closed.front().reason, "bye");
  EXPECT_EQ(p.client_events->closed.front().code, 5139U);
}

TEST_F(EndpointTest, StoppingAnEndpointClosesItsConnections) {
  Peer a("a");
  Peer b("b");
  auto ea = make_endpoint(a);
  auto eb = make_endpoint(b);
  ASSERT_TRUE(ea && eb);
  Pair p = connect(*ea, *eb, b);
  ASSERT_TRUE(p.client && p.server);
  eb->stop(5139, "agent stopping");
  ASSERT_TRUE(loop_.run_until(
      [&] { return !p.client_events->closed.empty() && !p.server_events->closed.empty(); }));
  EXPECT_EQ(p.client_events->closed.front().kind, CloseInfo::Kind::remote);
  EXPECT_EQ(p.client_events->closed.front().code, 5139U);
  EXPECT_EQ(p.client_events->closed.front().reason, "agent stopping");
  EXPECT_EQ(p.server_events->closed.front().kind, CloseInfo::Kind::local);
  // A stopped endpoint dials nothing.
  DialOutcome dial;
  eb->dial(loopback(ea->port()), a.fingerprint(), a.hostname(), dial.handler());
  ASSERT_TRUE(dial.done());
  ASSERT_FALSE(dial.result->has_value());
  EXPECT_EQ(dial.result->error().code, Errc::closed);
  ASSERT_TRUE(loop_.run_until([&] { return ea->connection_count() == 0; }));
  EXPECT_EQ(p.client_events->closed.size(), 1U);
  EXPECT_EQ(p.server_events->closed.size(), 1U);
}

// An endpoint dropped right after stop() while the loop goes on (an agent shutting down inside a
// longer-lived process): its connections' closing-period timers must not reach it.
TEST_F(EndpointTest, DroppingAStoppedEndpointWhileTheLoopRuns) {
  Peer a("a");
  Peer b("b");
  auto ea = make_endpoint(a);
  auto eb = make_endpoint(b);
  ASSERT_TRUE(ea && eb);
  Pair p = connect(*ea, *eb, b);
  ASSERT_TRUE(p.client && p.server);
  eb->stop(5139, "agent stopping");
  endpoints_.pop_back();
  std::weak_ptr<Endpoint> weak = eb;
  eb.reset();
  p.server.reset();
  ASSERT_TRUE(loop_.run_until([&] { return !p.client_events->closed.empty(); }));
  loop_.run_for(300ms);  // past B's closing period
  EXPECT_EQ(p.client_events->closed.size(), 1U);
  EXPECT_EQ(p.server_events->closed.size(), 1U);
}

TEST_F(EndpointTest, IdleConnectionsTimeOutOnBothSides) {
  Peer a("a");
  Peer b("b");
  TransportConfig idle;
  idle.idle_timeout = 300ms;
  auto ea = make_endpoint(a, idle);
  auto eb = make_endpoint(b, idle);
  ASSERT_TRUE(ea && eb);
  Pair p = connect(*ea, *eb, b);
  ASSERT_TRUE(p.client && p.server);
  const auto established = Clock::now();
  EXPECT_EQ(p.client->info().peer_idle_timeout, 300ms);
  ASSERT_TRUE(loop_.run_until(
      [&] { return !p.client_events->closed.empty() && !p.server_events->closed.empty(); }));
  const auto elapsed = Clock::now() - established;
  // Idle close is silent (RFC 9000 §10.1): neither side tells the other, so each one notices on
  // its own timer, and both report idle_timeout.
  for (const auto& r : {p.client_events, p.server_events}) {
    ASSERT_EQ(r->closed.size(), 1U);
    EXPECT_EQ(r->closed.front().kind, CloseInfo::Kind::idle_timeout)
        << r->closed.front().describe();
  }
  EXPECT_GE(elapsed, 290ms) << "closed before the idle timeout";
  EXPECT_EQ(ea->connection_count(), 0U);
  EXPECT_EQ(eb->connection_count(), 0U);
}

// ---- three endpoints ----

TEST_F(EndpointTest, ThreeEndpointsEachConnectedToTheOthers) {
  Peer a("a");
  Peer b("b");
  Peer c("c");
  auto ea = make_endpoint(a);
  auto eb = make_endpoint(b);
  auto ec = make_endpoint(c);
  ASSERT_TRUE(ea && eb && ec);
  auto a_in = listen(*ea);
  auto b_in = listen(*eb);
  auto c_in = listen(*ec);
  DialOutcome ab;
  DialOutcome bc;
  DialOutcome ca;
  ea->dial(loopback(eb->port()), b.fingerprint(), b.hostname(), ab.handler());
  eb->dial(loopback(ec->port(), true), c.fingerprint(), c.hostname(), bc.handler());
  ec->dial(loopback(ea->port()), a.fingerprint(), a.hostname(), ca.handler());
  ASSERT_TRUE(loop_.run_until([&] {
    return ab.done() && bc.done() && ca.done() && !a_in->connections.empty() &&
           !b_in->connections.empty() && !c_in->connections.empty();
  }));
  ASSERT_TRUE(ab.connection() && bc.connection() && ca.connection());
  EXPECT_EQ(ab.connection()->peer_fingerprint(), b.fingerprint());
  EXPECT_EQ(bc.connection()->peer_fingerprint(), c.fingerprint());
  EXPECT_EQ(ca.connection()->peer_fingerprint(), a.fingerprint());
  EXPECT_EQ(a_in->connections.front()->peer_fingerprint(), c.fingerprint());
  EXPECT_EQ(b_in->connections.front()->peer_fingerprint(), a.fingerprint());
  EXPECT_EQ(c_in->connections.front()->peer_fingerprint(), b.fingerprint());
  for (const auto& e : {ea, eb, ec}) EXPECT_EQ(e->connection_count(), 2U);
  // A wrong pin towards one peer does not disturb the others.
  DialOutcome wrong;
  Peer d("d");
  auto ed = make_endpoint(d);
  ASSERT_TRUE(ed);
  ed->dial(loopback(ea->port()), b.fingerprint(), b.hostname(), wrong.handler());
  ASSERT_TRUE(loop_.run_until([&] { return wrong.done(); }));
  ASSERT_FALSE(wrong.result->has_value());
  EXPECT_EQ(wrong.result->error().code, Errc::peer_mismatch);
  ASSERT_TRUE(loop_.run_until([&] { return ea->connection_count() == 2; }));
  EXPECT_EQ(a_in->connections.size(), 1U);
  EXPECT_EQ(ab.connection()->state(), Connection::State::established);
  EXPECT_EQ(ca.connection()->state(), Connection::State::established);
}

}  // namespace
}  // namespace lp2p::quic
