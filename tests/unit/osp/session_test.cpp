// osp::Session without a network: a FakeIo records what the session sends (decoded back), refuses
// and closes; time is plain TimePoint values the tests move forward.
#include "osp/session.hpp"

#include <gtest/gtest.h>

#include <algorithm>
#include <chrono>
#include <cstdint>
#include <string>
#include <utility>
#include <variant>
#include <vector>

#include "auth/spake2.hpp"
#include "wire/codec.hpp"
#include "wire/varint.hpp"

namespace lp2p::osp {
namespace {

using namespace std::chrono_literals;
using Bytes = std::vector<std::uint8_t>;

class FakeIo final : public SessionIo {
 public:
  struct Refusal {
    std::int64_t stream_id;
    CloseCode code;
  };
  struct Close {
    CloseCode code;
    std::string reason;
  };

  void send_message(Bytes message) override {
    auto decoded = wire::decode(message);
    ASSERT_TRUE(decoded) << "the session sent an undecodable message: "
                         << decoded.error().describe();
    sent.push_back(std::move(decoded).value());
  }
  void refuse_stream(std::int64_t stream_id, CloseCode code) override {
    refused.push_back({stream_id, code});
  }
  void close(CloseCode code, std::string reason) override {
    closes.push_back({code, std::move(reason)});
  }

  // The sent messages of type M, in order.
  template <class M>
  [[nodiscard]] std::vector<M> sent_of() const {
    std::vector<M> out;
    for (const wire::Message& message : sent) {
      if (const M* typed = std::get_if<M>(&message)) out.push_back(*typed);
    }
    return out;
  }

  std::vector<wire::Message> sent;
  std::vector<Refusal> refused;
  std::vector<Close> closes;
};

wire::AgentInfo local_info() {
  return {"Kitchen", "lp2p", {wire::AgentCapability::data_channels}, "aB3dE6gH", {"en"}};
}

wire::AgentInfo peer_info(std::string name = "Living room") {
  return {std::move(name), "go-lp2p", {}, "Zz9Yy8Xx", {}};
}

// A message of an arbitrary type key with an empty map as body.
Bytes raw_message(std::uint64_t type_key) {
  Bytes bytes;
  wire::append_varint(type_key, bytes);
  bytes.push_back(0xa0);
  return bytes;
}

Bytes concat(const Bytes& a, const Bytes& b) {
  Bytes out = a;
  out.insert(out.end(), b.begin(), b.end());
  return out;
}

class SessionTest : public testing::Test {
 protected:
  // Stream ids as QUIC numbers them for streams the peer (the QUIC server) opens.
  static constexpr std::int64_t kUni = 3;
  static constexpr std::int64_t kBidi = 1;

  Session::Options options() {
    Session::Options o;
    o.local_info = local_info();
    o.next_request_id = [this] { return next_id_++; };
    return o;
  }
  Session::Observer observer() {
    Session::Observer o;
    o.on_peer_info = [this](const wire::AgentInfo& info, bool verified) {
      peer_infos_.emplace_back(info, verified);
    };
    o.on_auth_message = [this](const wire::Message& m) { auth_messages_.push_back(m); };
    o.on_bidi_stream_data = [this](std::int64_t id, std::span<const std::uint8_t> bytes, bool fin) {
      bidi_data_.push_back({id, Bytes(bytes.begin(), bytes.end()), fin});
    };
    o.on_status_response = [this](std::chrono::nanoseconds rtt) { round_trips_.push_back(rtt); };
    return o;
  }

  void receive(std::int64_t stream_id, std::span<const std::uint8_t> bytes, bool fin = true) {
    session_.on_stream_data(stream_id, false, bytes, fin, now_);
  }
  void receive(std::int64_t stream_id, const wire::Message& message) {
    receive(stream_id, wire::encode(message));
  }
  // Each message on a new unidirectional stream, as OSP senders do.
  void receive(const wire::Message& message) { receive(next_uni(), message); }
  void receive_bidi(std::int64_t stream_id, const Bytes& bytes, bool fin) {
    session_.on_stream_data(stream_id, true, bytes, fin, now_);
  }
  std::int64_t next_uni() { return uni_ += 4; }

  void expect_closed(CloseCode code, std::string_view reason_part) {
    ASSERT_EQ(io_.closes.size(), 1U);
    EXPECT_EQ(io_.closes[0].code, code);
    EXPECT_NE(io_.closes[0].reason.find(reason_part), std::string::npos) << io_.closes[0].reason;
    EXPECT_FALSE(session_.next_timer());
  }

  struct BidiData {
    std::int64_t stream_id;
    Bytes bytes;
    bool fin;
  };

  TimePoint now_ = TimePoint{} + 1h;
  std::uint64_t next_id_ = 1;
  std::int64_t uni_ = kUni;
  std::vector<std::pair<wire::AgentInfo, bool>> peer_infos_;
  std::vector<wire::Message> auth_messages_;
  std::vector<BidiData> bidi_data_;
  std::vector<std::chrono::nanoseconds> round_trips_;
  FakeIo io_;
  Session session_{options(), io_, observer()};
};

// ---- agent-info and agent-status ----

TEST_F(SessionTest, StartSendsAuthCapabilitiesAndAgentInfoRequest) {
  EXPECT_FALSE(session_.next_timer());
  session_.start(now_);
  ASSERT_EQ(io_.sent.size(), 2U);
  // As go-lp2p does: capabilities first, then the request (osp-brief §8).
  EXPECT_TRUE(std::holds_alternative<wire::AuthCapabilities>(io_.sent[0]));
  EXPECT_EQ(io_.sent[1], wire::Message(wire::AgentInfoRequest{1}));
  EXPECT_EQ(session_.next_timer(), now_ + 15s);
  EXPECT_EQ(session_.stats().messages_sent, 2U);
}

TEST_F(SessionTest, AnswersRequestsBeforeAuthentication) {
  session_.start(now_);
  receive(wire::AgentInfoRequest{42});
  receive(wire::AgentStatusRequest{43, wire::Status{"busy"}});
  EXPECT_EQ(io_.sent_of<wire::AgentInfoResponse>(),
            (std::vector{wire::AgentInfoResponse{42, local_info()}}));
  EXPECT_EQ(io_.sent_of<wire::AgentStatusResponse>(),
            (std::vector{wire::AgentStatusResponse{43, std::nullopt}}));
  EXPECT_EQ(session_.stats().messages_received, 2U);
  EXPECT_TRUE(io_.closes.empty());
}

TEST_F(SessionTest, PeerInfoIsUnverifiedUntilAuthenticated) {
  session_.start(now_);
  receive(wire::AgentInfoResponse{1, peer_info()});
  ASSERT_EQ(peer_infos_.size(), 1U);
  EXPECT_EQ(peer_infos_[0], std::pair(peer_info(), false));
  EXPECT_EQ(session_.peer_info(), peer_info());

  session_.set_authenticated();  // the known info is delivered again, now verified
  ASSERT_EQ(peer_infos_.size(), 2U);
  EXPECT_EQ(peer_infos_[1], std::pair(peer_info(), true));

  receive(wire::AgentInfoEvent{peer_info("Den")});
  ASSERT_EQ(peer_infos_.size(), 3U);
  EXPECT_EQ(peer_infos_[2], std::pair(peer_info("Den"), true));
  EXPECT_EQ(session_.peer_info(), peer_info("Den"));
}

TEST_F(SessionTest, AgentInfoEventBeforeAuthenticationIsUnverified) {
  receive(wire::AgentInfoEvent{peer_info()});
  ASSERT_EQ(peer_infos_.size(), 1U);
  EXPECT_FALSE(peer_infos_[0].second);
}

TEST_F(SessionTest, ResponsesWithUnknownRequestIdsAreIgnored) {
  session_.start(now_);
  receive(wire::AgentInfoResponse{99, peer_info()});
  receive(wire::AgentStatusResponse{1, std::nullopt});  // id 1 was an agent-info-request
  EXPECT_TRUE(peer_infos_.empty());
  EXPECT_FALSE(session_.peer_info());
  EXPECT_TRUE(round_trips_.empty());

  receive(wire::AgentInfoResponse{1, peer_info()});
  receive(wire::AgentInfoResponse{1, peer_info("again")});  // a second answer to one request
  ASSERT_EQ(peer_infos_.size(), 1U);
  EXPECT_EQ(peer_infos_[0].first, peer_info());
  EXPECT_TRUE(io_.closes.empty());
}

TEST_F(SessionTest, UpdateLocalInfoPushesAgentInfoEvent) {
  wire::AgentInfo renamed = local_info();
  renamed.display_name = "Pantry";
  session_.update_local_info(renamed, now_);
  EXPECT_TRUE(io_.sent.empty()) << "nothing is sent before start()";

  session_.start(now_);
  renamed.display_name = "Cellar";
  session_.update_local_info(renamed, now_);
  EXPECT_EQ(io_.sent_of<wire::AgentInfoEvent>(), std::vector{wire::AgentInfoEvent{renamed}});

  receive(wire::AgentInfoRequest{5});
  EXPECT_EQ(io_.sent_of<wire::AgentInfoResponse>(),
            (std::vector{wire::AgentInfoResponse{5, renamed}}));
}

// ---- Keepalive ----

TEST_F(SessionTest, NoKeepaliveWhileSendingRegularly) {
  session_.start(now_);
  for (int i = 0; i < 10; ++i) {
    now_ += 10s;
    if (i % 2 == 0) {
      session_.note_sent(now_);  // application traffic
    } else {
      receive(wire::AgentStatusRequest{100 + static_cast<std::uint64_t>(i),
                                       std::nullopt});  // we answer
    }
    EXPECT_EQ(session_.next_timer(), now_ + 15s);
    session_.on_timer(now_);
  }
  EXPECT_TRUE(io_.sent_of<wire::AgentStatusRequest>().empty());
  EXPECT_EQ(session_.stats().keepalives_sent, 0U);
}

TEST_F(SessionTest, KeepaliveAfterFifteenSecondsIdle) {
  const TimePoint start = now_;
  session_.start(now_);
  session_.on_timer(start + 15s - 1ms);
  EXPECT_TRUE(io_.sent_of<wire::AgentStatusRequest>().empty());

  session_.on_timer(start + 15s);
  EXPECT_EQ(io_.sent_of<wire::AgentStatusRequest>(),
            (std::vector{wire::AgentStatusRequest{2, std::nullopt}}));
  EXPECT_EQ(session_.stats().keepalives_sent, 1U);
  EXPECT_EQ(session_.next_timer(), start + 30s);

  session_.on_timer(start + 15s);  // not due again yet
  EXPECT_EQ(session_.stats().keepalives_sent, 1U);
  session_.on_timer(start + 30s);
  EXPECT_EQ(io_.sent_of<wire::AgentStatusRequest>().back().request_id, 3U);
}

TEST_F(SessionTest, StatusRoundTripIsReported) {
  session_.start(now_);
  now_ += 15s;
  session_.on_timer(now_);
  const std::uint64_t id = io_.sent_of<wire::AgentStatusRequest>().at(0).request_id;
  now_ += 30ms;
  receive(wire::AgentStatusResponse{id, std::nullopt});
  EXPECT_EQ(round_trips_, std::vector<std::chrono::nanoseconds>{30ms});
  receive(wire::AgentStatusResponse{id, std::nullopt});  // answered already
  EXPECT_EQ(round_trips_.size(), 1U);
}

TEST_F(SessionTest, UnansweredKeepalivesAreForgottenOldestFirst) {
  session_.start(now_);
  std::vector<std::uint64_t> ids;
  for (int i = 0; i < 40; ++i) {
    now_ += 15s;
    session_.on_timer(now_);
    ids.push_back(io_.sent_of<wire::AgentStatusRequest>().back().request_id);
  }
  receive(wire::AgentStatusResponse{ids.front(), std::nullopt});
  EXPECT_TRUE(round_trips_.empty());
  receive(wire::AgentStatusResponse{ids.back(), std::nullopt});
  EXPECT_EQ(round_trips_.size(), 1U);
}

// ---- Framing ----

class SessionChunkingTest : public SessionTest, public testing::WithParamInterface<std::size_t> {};

TEST_P(SessionChunkingTest, MessageSplitAcrossChunks) {
  session_.start(now_);
  const Bytes bytes = wire::encode(wire::AgentInfoResponse{1, peer_info()});
  const std::size_t step = GetParam();
  for (std::size_t at = 0; at < bytes.size(); at += step) {
    const std::size_t size = std::min(step, bytes.size() - at);
    receive(kUni, std::span(bytes).subspan(at, size), at + size == bytes.size());
  }
  EXPECT_EQ(peer_infos_, (std::vector{std::pair(peer_info(), false)}));
  EXPECT_TRUE(io_.closes.empty());
}

INSTANTIATE_TEST_SUITE_P(ChunkSizes, SessionChunkingTest, testing::Values(1, 2, 3, 7, 64));

TEST_F(SessionTest, FinMayComeAlone) {
  receive(kUni, wire::encode(wire::AgentInfoRequest{8}), false);
  receive(kUni, {}, true);
  EXPECT_EQ(io_.sent_of<wire::AgentInfoResponse>().size(), 1U);
  EXPECT_TRUE(io_.closes.empty());
}

TEST_F(SessionTest, TwoMessagesOnOneStream) {
  receive(kUni, concat(wire::encode(wire::AgentInfoRequest{8}),
                       wire::encode(wire::AgentStatusRequest{9, std::nullopt})));
  EXPECT_EQ(io_.sent_of<wire::AgentInfoResponse>().size(), 1U);
  EXPECT_EQ(io_.sent_of<wire::AgentStatusResponse>(),
            (std::vector{wire::AgentStatusResponse{9, std::nullopt}}));
}

TEST_F(SessionTest, ResetDropsThePartialMessage) {
  const Bytes bytes = wire::encode(wire::AgentInfoRequest{8});
  receive(kUni, std::span(bytes).first(2), false);
  session_.on_stream_reset(kUni);
  receive(kUni + 4, bytes);
  receive(kUni, bytes);  // the dropped reader does not prefix this with the old bytes
  EXPECT_EQ(io_.sent_of<wire::AgentInfoResponse>().size(), 2U);
  EXPECT_TRUE(io_.closes.empty());
}

// ---- Refusals and closes ----

TEST_F(SessionTest, UnknownTypeKeyClosesWith404NamingTheKey) {
  receive(kUni, raw_message(2000));
  expect_closed(CloseCode::unknown_type_key, "2000");
}

TEST_F(SessionTest, ToleratedExtensionKeysAreDrained) {
  for (const std::uint64_t key : {1201U, 1202U, 1203U, 1204U, 99001U}) {
    const std::int64_t stream = next_uni();
    // The rest of the stream, even garbage, is ignored, in the same chunk or later ones.
    receive(stream, concat(raw_message(key), wire::encode(wire::AgentInfoRequest{8})), false);
    receive(stream, Bytes{0xff, 0xff}, true);
  }
  EXPECT_TRUE(io_.closes.empty());
  EXPECT_TRUE(io_.sent.empty());
  receive(wire::AgentInfoRequest{9});  // other streams are still read
  EXPECT_EQ(io_.sent.size(), 1U);
}

TEST_F(SessionTest, GarbageClosesWith400) {
  receive(kUni, Bytes{0x0a, 0xff});  // a CBOR break outside any indefinite-length item
  expect_closed(CloseCode::bad_message, "malformed");
}

TEST_F(SessionTest, UndecodableMessageClosesWith400) {
  receive(kUni, raw_message(10));  // agent-info-request without its request-id
  expect_closed(CloseCode::bad_message, "agent-info-request");
}

TEST_F(SessionTest, IncompleteMessageAtFinClosesWith400) {
  const Bytes bytes = wire::encode(wire::AgentInfoResponse{1, peer_info()});
  receive(kUni, std::span(bytes).first(bytes.size() - 1), true);
  expect_closed(CloseCode::bad_message, "stream ended inside a message");
}

TEST_F(SessionTest, OversizeMessageClosesWith400) {
  wire::AgentInfo big = peer_info();
  big.display_name.assign(std::size_t{64} << 10, 'x');
  const Bytes bytes = wire::encode(wire::AgentInfoEvent{big});
  receive(kUni, std::span(bytes).first(100), false);  // the limit is checked before buffering
  expect_closed(CloseCode::bad_message, "too large");
}

TEST_F(SessionTest, MessageJustUnderTheLimitIsAccepted) {
  wire::AgentInfo big = peer_info();
  big.display_name.assign((std::size_t{64} << 10) - 100, 'x');
  receive(wire::AgentInfoEvent{big});
  EXPECT_TRUE(io_.closes.empty());
  EXPECT_EQ(session_.peer_info(), big);
}

TEST_F(SessionTest, DataChannelMessageOnUniStreamIsRefusedBeforeAuthentication) {
  receive(kUni, wire::encode(wire::DataChannelOpenRequest{3, 0, "chat", ""}), false);
  receive(kUni, wire::encode(wire::AgentInfoRequest{8}), true);  // rest of the refused stream
  ASSERT_EQ(io_.refused.size(), 1U);
  EXPECT_EQ(io_.refused[0].stream_id, kUni);
  EXPECT_EQ(io_.refused[0].code, CloseCode::not_authenticated);
  EXPECT_EQ(session_.stats().streams_refused, 1U);
  EXPECT_TRUE(io_.sent.empty());
  EXPECT_TRUE(io_.closes.empty());
}

TEST_F(SessionTest, DataChannelMessageOnUniStreamIsIgnoredAfterAuthentication) {
  session_.set_authenticated();
  receive(kUni, concat(wire::encode(wire::DataChannelOpenRequest{3, 0, "chat", ""}),
                       wire::encode(wire::AgentInfoRequest{8})));
  EXPECT_TRUE(io_.refused.empty());
  EXPECT_TRUE(io_.closes.empty());
  EXPECT_EQ(io_.sent_of<wire::AgentInfoResponse>().size(), 1U);  // the stream is still read
}

TEST_F(SessionTest, AuthMessagesReachTheObserverBeforeAuthentication) {
  const wire::Message capabilities =
      wire::AuthCapabilities{50, {wire::PskInputMethod::numeric}, 20};
  receive(capabilities);
  receive(wire::AuthStatus{wire::AuthStatusResult::authenticated});
  EXPECT_EQ(auth_messages_,
            (std::vector{capabilities,
                         wire::Message(wire::AuthStatus{wire::AuthStatusResult::authenticated})}));
  EXPECT_TRUE(io_.refused.empty());
}

TEST_F(SessionTest, ObserverMayAuthenticateFromItsCallback) {
  Session::Observer authenticating;
  Session* self = nullptr;
  authenticating.on_auth_message = [&self](const wire::Message&) { self->set_authenticated(); };
  Session session(options(), io_, authenticating);
  self = &session;
  const Bytes bytes = concat(wire::encode(wire::AuthStatus{wire::AuthStatusResult::authenticated}),
                             wire::encode(wire::DataChannelOpenRequest{3, 0, "chat", ""}));
  session.on_stream_data(kUni, false, bytes, true, now_);
  EXPECT_TRUE(session.authenticated());
  EXPECT_TRUE(io_.refused.empty()) << "the second message came after authentication";
}

TEST_F(SessionTest, BidiStreamIsRefusedOnceBeforeAuthentication) {
  receive_bidi(kBidi, wire::encode(wire::DataChannelOpenRequest{3, 0, "chat", ""}), false);
  receive_bidi(kBidi, Bytes{1, 2, 3}, false);
  session_.set_authenticated();
  receive_bidi(kBidi, Bytes{4}, true);  // refused before authentication: stays refused
  ASSERT_EQ(io_.refused.size(), 1U);
  EXPECT_EQ(io_.refused[0].stream_id, kBidi);
  EXPECT_EQ(io_.refused[0].code, CloseCode::not_authenticated);
  EXPECT_TRUE(bidi_data_.empty());
  EXPECT_TRUE(io_.closes.empty());
}

TEST_F(SessionTest, BidiStreamBytesAreForwardedAfterAuthentication) {
  session_.set_authenticated();
  const Bytes open = wire::encode(wire::DataChannelOpenRequest{3, 0, "chat", ""});
  receive_bidi(kBidi + 4, open, false);
  receive_bidi(kBidi + 4, {}, true);
  ASSERT_EQ(bidi_data_.size(), 2U);
  EXPECT_EQ(bidi_data_[0].stream_id, kBidi + 4);
  EXPECT_EQ(bidi_data_[0].bytes, open);
  EXPECT_FALSE(bidi_data_[0].fin);
  EXPECT_TRUE(bidi_data_[1].bytes.empty());
  EXPECT_TRUE(bidi_data_[1].fin);
  EXPECT_TRUE(io_.refused.empty());
}

TEST_F(SessionTest, EverythingIsIgnoredAfterClose) {
  session_.start(now_);
  receive(kUni, raw_message(2000));
  const std::size_t sent = io_.sent.size();
  receive(wire::AgentInfoRequest{8});
  receive(kUni + 400, raw_message(3000));
  receive_bidi(kBidi, Bytes{1}, false);
  session_.update_local_info(local_info(), now_);
  session_.on_timer(now_ + 1h);
  EXPECT_EQ(io_.sent.size(), sent);
  EXPECT_EQ(io_.closes.size(), 1U);
  EXPECT_TRUE(io_.refused.empty());
  EXPECT_FALSE(session_.next_timer());
}

TEST_F(SessionTest, WorksWithoutObserverCallbacks) {
  Session session(options(), io_, {});
  session.start(now_);
  for (const wire::Message& message :
       {wire::Message(wire::AgentInfoResponse{1, peer_info()}),
        wire::Message(wire::AgentInfoEvent{peer_info()}),
        wire::Message(wire::AuthStatus{wire::AuthStatusResult::authenticated})}) {
    session.on_stream_data(next_uni(), false, wire::encode(message), true, now_);
  }
  session.set_authenticated();
  session.on_timer(now_ + 15s);
  session.on_stream_data(next_uni(), false,
                         wire::encode(wire::AgentStatusResponse{2, std::nullopt}), true, now_);
  session.on_stream_data(kBidi, true, Bytes{1}, true, now_);
  EXPECT_TRUE(io_.closes.empty());
  EXPECT_EQ(session.peer_info(), peer_info());
}

// ---- pairing through the session (the Authenticator itself: authenticator_test.cpp) ----

// The peer as presenter (SPAKE2 Alice) with `code`; the session under test is the QUIC client and
// types `typed`.
class SessionPairingTest : public SessionTest {
 protected:
  void run_until_confirmation(std::uint64_t code, std::uint64_t typed) {
    session_.start(now_);
    receive(wire::AuthCapabilities{50, {wire::PskInputMethod::numeric}, 20});
    session_.pair(now_);
    ASSERT_EQ(io_.sent_of<wire::AuthSpake2Handshake>().size(), 1U);  // need-presentation
    auto alice = auth::Spake2Party::start(auth::p256_sha256_suite(),
                                          {auth::Spake2Role::alice, "", ""}, code);
    ASSERT_TRUE(alice);
    wire::AuthSpake2Handshake shown;
    shown.psk_status = wire::PskStatus::psk_shown;
    shown.public_value = alice->public_value();
    receive(shown);
    session_.enter_code(typed, now_);
    const auto handshakes = io_.sent_of<wire::AuthSpake2Handshake>();
    ASSERT_EQ(handshakes.size(), 2U);
    ASSERT_TRUE(handshakes[1].public_value);
    ASSERT_TRUE(alice->receive_peer_public_value(*handshakes[1].public_value));
    receive(wire::AuthSpake2Confirmation{alice->confirmation()});
  }
};

TEST_F(SessionPairingTest, TheRightCodeAuthenticatesTheSession) {
  run_until_confirmation(424242, 424242);
  receive(wire::AgentInfoResponse{1, peer_info()});  // answers start()'s request
  ASSERT_EQ(peer_infos_.size(), 1U);
  EXPECT_FALSE(peer_infos_[0].second) << "unverified before authentication";
  EXPECT_FALSE(session_.authenticated());  // until the peer's auth-status
  EXPECT_EQ(io_.sent_of<wire::AuthStatus>(),
            (std::vector{wire::AuthStatus{wire::AuthStatusResult::authenticated}}));
  receive(wire::AuthStatus{wire::AuthStatusResult::authenticated});
  EXPECT_TRUE(session_.authenticated());
  ASSERT_FALSE(peer_infos_.empty());
  EXPECT_TRUE(peer_infos_.back().second) << "agent-info delivered again, verified";
  EXPECT_TRUE(io_.closes.empty());
}

TEST_F(SessionPairingTest, AWrongCodeClosesWith401AndSaysWhy) {
  run_until_confirmation(424242, 424243);
  EXPECT_EQ(io_.sent_of<wire::AuthStatus>(),
            (std::vector{wire::AuthStatus{wire::AuthStatusResult::proof_invalid}}));
  expect_closed(CloseCode::auth_failed, "did not match");
  EXPECT_FALSE(session_.authenticated());
}

TEST_F(SessionPairingTest, APeerReportedFailureLeavesTheCloseToThePeerForAMoment) {
  session_.start(now_);
  receive(wire::AuthCapabilities{50, {wire::PskInputMethod::numeric}, 20});
  session_.pair(now_);
  receive(wire::AuthStatus{wire::AuthStatusResult::unknown_error});
  EXPECT_TRUE(io_.closes.empty());
  EXPECT_EQ(session_.next_timer(), now_ + Session::kPeerCloseGrace);
  now_ += Session::kPeerCloseGrace;
  session_.on_timer(now_);
  expect_closed(CloseCode::auth_failed, "the other device reported unknown-error");
}

TEST_F(SessionPairingTest, NoCodeWithinAMinuteClosesWith408) {
  session_.start(now_);
  receive(wire::AuthCapabilities{50, {wire::PskInputMethod::numeric}, 20});
  session_.pair(now_);
  for (int i = 0; i < 10 && io_.closes.empty(); ++i) {
    now_ = *session_.next_timer();
    session_.on_timer(now_);
  }
  expect_closed(CloseCode::timed_out, "did not finish within 60 s");
}

TEST_F(SessionPairingTest, GoLp2psNeedPskTriggerMakesUsPresent) {
  // As a QUIC server without the token check (go-lp2p sends no token), asked with key 99001.
  Session::Options o = options();
  o.auth.we_are_server = true;
  o.auth.require_token = false;
  std::vector<std::uint64_t> shown;
  Session::Observer observer;
  observer.on_show_code = [&shown](std::uint64_t code, unsigned /*bits*/) {
    shown.push_back(code);
  };
  FakeIo io;
  Session session(o, io, observer);
  session.start(now_);
  session.on_stream_data(3, false, wire::encode(wire::AuthCapabilities{50, {}, 20}), true, now_);
  Bytes need_psk;
  wire::append_varint(99001, need_psk);
  need_psk.insert(need_psk.end(), {0xa1, 0x00, 0x64, 't', 'o', 'd', 'o'});  // {0: "todo"}
  session.on_stream_data(7, false, need_psk, true, now_);
  EXPECT_EQ(shown.size(), 1U);
  const auto handshakes = io.sent_of<wire::AuthSpake2Handshake>();
  ASSERT_EQ(handshakes.size(), 1U);
  EXPECT_EQ(handshakes[0].psk_status, wire::PskStatus::psk_shown);
  EXPECT_TRUE(io.closes.empty());
}

}  // namespace
}  // namespace lp2p::osp
