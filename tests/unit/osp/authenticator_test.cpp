// The authentication state machine between two in-memory sides under a fake clock; every
// message goes through the wire codec on its way.
#include "osp/authenticator.hpp"

#include <gtest/gtest.h>

#include <deque>
#include <memory>
#include <vector>

#include "wire/codec.hpp"

namespace lp2p::osp {
namespace {

using namespace std::chrono_literals;
using wire::AuthStatusResult;
using Time = Authenticator::TimePoint;

const std::string kServerFp = "XNJS+wzokyQ2+vjM0QQJgbie5K1rn+niorfnGqyyfNM=";
const std::string kClientFp = "3AzmM9vMkT2vr6S4msRNjOaD/fw/YMi98hITufK1NLo=";
const std::string kAt = "Ab3+9xYz/";

struct Side {
  std::deque<wire::Message> outbox;
  std::vector<std::uint64_t> sent;  // type keys, in order
  std::optional<std::uint64_t> shown_code;
  unsigned shown_bits = 0;
  int code_requests = 0;
  int authenticated = 0;
  std::vector<Authenticator::Failure> failures;
  std::unique_ptr<Authenticator> auth;
  // Enter this code as soon as asked (a person typing it, or a wrong one).
  std::function<std::optional<std::uint64_t>()> typist;
};

Authenticator::Options options_for(bool server) {
  Authenticator::Options options;
  options.local_fingerprint = server ? kServerFp : kClientFp;
  options.peer_fingerprint = server ? kClientFp : kServerFp;
  options.we_are_server = server;
  options.token = kAt;
  return options;
}

class AuthenticatorTest : public ::testing::Test {
 protected:
  void make(Authenticator::Options server_options, Authenticator::Options client_options) {
    build(server_, std::move(server_options));
    build(client_, std::move(client_options));
  }
  void make() { make(options_for(true), options_for(false)); }

  void build(Side& side, Authenticator::Options options) {
    Authenticator::Observer observer;
    observer.on_show_code = [&side](std::uint64_t code, unsigned bits) {
      side.shown_code = code;
      side.shown_bits = bits;
    };
    observer.on_code_needed = [this, &side] {
      ++side.code_requests;
      if (!side.typist) return;
      if (const auto code = side.typist()) side.auth->enter_code(*code, now_);
    };
    observer.on_authenticated = [&side] { ++side.authenticated; };
    observer.on_failed = [&side](const Authenticator::Failure& f) { side.failures.push_back(f); };
    side.auth = std::make_unique<Authenticator>(
        std::move(options),
        [&side](const wire::Message& message) {
          side.sent.push_back(static_cast<std::uint64_t>(wire::type_key_of(message)));
          auto decoded = wire::decode(wire::encode(message));
          ASSERT_TRUE(decoded) << decoded.error().describe();
          side.outbox.push_back(*decoded);
        },
        observer);
  }

  // The client types what the server shows.
  void honest_typist() {
    client_.typist = [this] { return server_.shown_code; };
  }

  void start() {
    server_.auth->start(now_);
    client_.auth->start(now_);
    pump();
  }

  // Delivers messages both ways until nothing is left (or `limit` messages moved).
  void pump(int limit = 100) {
    while (limit-- > 0 && (!server_.outbox.empty() || !client_.outbox.empty())) {
      deliver(server_, client_);
      deliver(client_, server_);
    }
  }
  void deliver(Side& from, Side& to) {
    if (from.outbox.empty()) return;
    const wire::Message message = from.outbox.front();
    from.outbox.pop_front();
    to.auth->on_message(message, now_);
  }
  void advance(std::chrono::milliseconds by) {
    now_ += by;
    for (Side* side : {&server_, &client_}) {
      if (const auto at = side->auth->next_timer(); at && *at <= now_) side->auth->on_timer(now_);
    }
    pump();
  }

  Time now_{std::chrono::seconds(1000)};
  Side server_;
  Side client_;
};

TEST_F(AuthenticatorTest, ConsumerInitiatedPairingWithTheRightCodeAuthenticatesBoth) {
  make();
  honest_typist();
  start();
  client_.auth->pair(now_);
  pump();
  ASSERT_TRUE(server_.shown_code);
  EXPECT_EQ(server_.shown_bits, 20U);
  EXPECT_LT(*server_.shown_code, std::uint64_t{1} << 20);
  EXPECT_EQ(client_.code_requests, 1);
  EXPECT_EQ(server_.authenticated, 1);
  EXPECT_EQ(client_.authenticated, 1);
  EXPECT_TRUE(server_.failures.empty());
  EXPECT_EQ(server_.auth->state(), Authenticator::State::authenticated);
  EXPECT_EQ(client_.auth->state(), Authenticator::State::authenticated);
  // §4.5 REC then flow A: caps, need-presentation, pB, cB, status (client); caps, pA, cA, status.
  EXPECT_EQ(client_.sent, (std::vector<std::uint64_t>{1001, 1005, 1005, 1003, 1004}));
  EXPECT_EQ(server_.sent, (std::vector<std::uint64_t>{1001, 1005, 1003, 1004}));
}

TEST_F(AuthenticatorTest, PresenterInitiatedPairingAuthenticatesBoth) {
  make();
  honest_typist();
  start();
  server_.auth->pair(now_);
  pump();
  EXPECT_EQ(server_.authenticated, 1);
  EXPECT_EQ(client_.authenticated, 1);
  EXPECT_EQ(client_.sent, (std::vector<std::uint64_t>{1001, 1005, 1003, 1004}));
}

TEST_F(AuthenticatorTest, HandshakesCarryTheServersToken) {
  make();
  honest_typist();
  std::vector<std::optional<std::string>> tokens;
  start();
  client_.auth->pair(now_);
  for (const auto& message : client_.outbox) {
    if (const auto* h = std::get_if<wire::AuthSpake2Handshake>(&message)) {
      tokens.push_back(h->initiation_token.token);
    }
  }
  ASSERT_EQ(tokens.size(), 1U);
  EXPECT_EQ(tokens[0], kAt);
}

TEST_F(AuthenticatorTest, AWrongCodeFailsOnBothSidesWithProofInvalid) {
  make();
  client_.typist = [this] { return *server_.shown_code ^ 1; };
  start();
  client_.auth->pair(now_);
  pump();
  ASSERT_EQ(client_.failures.size(), 1U);
  EXPECT_EQ(client_.failures[0].result, AuthStatusResult::proof_invalid);
  EXPECT_FALSE(client_.failures[0].by_peer);
  ASSERT_EQ(server_.failures.size(), 1U);
  EXPECT_EQ(server_.failures[0].result, AuthStatusResult::proof_invalid);
  EXPECT_TRUE(server_.failures[0].by_peer);
  EXPECT_EQ(server_.authenticated + client_.authenticated, 0);
  EXPECT_EQ(server_.auth->state(), Authenticator::State::failed);
}

TEST_F(AuthenticatorTest, ACodeTypedBeforeThePublicValueArrivesIsUsed) {
  make();
  start();
  client_.auth->pair(now_);
  // Only the need-presentation goes out; the server's answer is held back for a moment.
  deliver(client_, server_);
  ASSERT_TRUE(server_.shown_code);
  client_.auth->enter_code(*server_.shown_code, now_);
  pump();
  EXPECT_EQ(client_.authenticated, 1);
  EXPECT_EQ(server_.authenticated, 1);
  EXPECT_EQ(client_.code_requests, 0);
}

TEST_F(AuthenticatorTest, TheLowerEaseOfInputPresentsEvenAsClient) {
  auto server = options_for(true);
  auto client = options_for(false);
  client.capabilities.psk_ease_of_input = 10;  // e.g. a TV remote: hard to type on
  client.capabilities.psk_min_bits_of_entropy = 30;
  make(server, client);
  server_.typist = [this] { return client_.shown_code; };
  start();
  server_.auth->pair(now_);
  pump();
  EXPECT_TRUE(client_.shown_code);
  EXPECT_EQ(client_.shown_bits, 30U);  // max of both sides' minimum
  EXPECT_FALSE(server_.shown_code);
  EXPECT_EQ(server_.authenticated, 1);
  EXPECT_EQ(client_.authenticated, 1);
}

TEST_F(AuthenticatorTest, BothUnableToTypeFails) {
  auto server = options_for(true);
  auto client = options_for(false);
  server.capabilities.psk_ease_of_input = 0;
  client.capabilities.psk_ease_of_input = 0;
  make(server, client);
  start();
  client_.auth->pair(now_);
  pump();
  ASSERT_EQ(client_.failures.size(), 1U);
  EXPECT_EQ(client_.failures[0].result, AuthStatusResult::unknown_error);
}

TEST_F(AuthenticatorTest, TheServerRefusesAMissingOrWrongToken) {
  for (const std::optional<std::string>& token :
       {std::optional<std::string>{}, std::optional<std::string>{"WRONG"}}) {
    auto client = options_for(false);
    client.token = token;
    make(options_for(true), client);
    honest_typist();
    start();
    client_.auth->pair(now_);
    pump();
    ASSERT_EQ(server_.failures.size(), 1U) << token.value_or("(none)");
    EXPECT_NE(server_.failures[0].reason.find("auth-initiation-token"), std::string::npos);
    EXPECT_FALSE(server_.shown_code);
    EXPECT_EQ(client_.authenticated, 0);
    server_ = Side{};
    client_ = Side{};
  }
}

TEST_F(AuthenticatorTest, TokenCheckIsAPolicy) {
  auto server = options_for(true);
  server.require_token = false;
  auto client = options_for(false);
  client.token.reset();  // go-lp2p sends an empty token map
  make(server, client);
  honest_typist();
  start();
  client_.auth->pair(now_);
  pump();
  EXPECT_EQ(server_.authenticated, 1);
  EXPECT_EQ(client_.authenticated, 1);
}

TEST_F(AuthenticatorTest, NoCodeWithinTheUserTimeoutFailsWithTimeout) {
  make();
  start();
  client_.auth->pair(now_);
  pump();
  EXPECT_EQ(client_.code_requests, 1);
  advance(59s);
  EXPECT_TRUE(server_.failures.empty());
  advance(2s);
  ASSERT_EQ(server_.failures.size() + client_.failures.size(), 2U);
  for (const Side* side : {&server_, &client_}) {
    EXPECT_EQ(side->failures.at(0).result, AuthStatusResult::timeout);
  }
}

TEST_F(AuthenticatorTest, AHandshakeOvertakingTheCapabilitiesWaitsForThem) {
  make();
  honest_typist();
  server_.auth->start(now_);
  client_.auth->start(now_);
  client_.auth->pair(now_);
  // The client's need-presentation arrives before its capabilities (streams are independent).
  ASSERT_EQ(client_.outbox.size(), 1U);  // the capabilities only: roles unknown yet
  deliver(server_, client_);             // the server's capabilities reach the client
  ASSERT_EQ(client_.outbox.size(), 2U);  // + need-presentation
  std::swap(client_.outbox[0], client_.outbox[1]);
  pump();
  EXPECT_EQ(server_.authenticated, 1);
  EXPECT_EQ(client_.authenticated, 1);
}

TEST_F(AuthenticatorTest, ATrustedPeerIsAuthenticatedWithoutAnExchangeButMayPairAgain) {
  make();
  honest_typist();
  start();
  server_.auth->set_trusted();
  EXPECT_EQ(server_.auth->state(), Authenticator::State::authenticated);
  // The client forgot the server and pairs again: the server answers.
  client_.auth->pair(now_);
  pump();
  EXPECT_TRUE(server_.shown_code);
  EXPECT_EQ(client_.authenticated, 1);
  EXPECT_EQ(server_.authenticated, 1);
}

TEST_F(AuthenticatorTest, PairingNotAcceptedIsRefused) {
  auto server = options_for(true);
  server.accept_pairing = false;
  make(server, options_for(false));
  start();
  client_.auth->pair(now_);
  pump();
  ASSERT_EQ(server_.failures.size(), 1U);
  ASSERT_EQ(client_.failures.size(), 1U);
  EXPECT_TRUE(client_.failures[0].by_peer);
  EXPECT_FALSE(server_.shown_code);
}

TEST_F(AuthenticatorTest, GarbagePublicValueFailsCleanly) {
  make();
  start();
  client_.auth->pair(now_);
  pump();
  ASSERT_TRUE(server_.shown_code);
  wire::AuthSpake2Handshake bogus;
  bogus.initiation_token.token = kAt;
  bogus.psk_status = wire::PskStatus::psk_input;
  bogus.public_value = wire::Bytes(65, 0x04);  // not a point on P-256
  server_.auth->on_message(bogus, now_);
  ASSERT_EQ(server_.failures.size(), 1U);
  EXPECT_EQ(server_.auth->state(), Authenticator::State::failed);
}

class LimitedAuthenticatorTest : public AuthenticatorTest {
 protected:
  void SetUp() override {
    auth::AttemptLimiter::Options limits;
    limits.free_failures = 3;
    limits.base_delay = 1s;
    limiter_ = std::make_unique<auth::AttemptLimiter>(limits);
  }
  // One attempt by the client with a wrong (or the right) code; the server presents.
  void attempt(bool right) {
    server_ = Side{};
    client_ = Side{};
    auto server = options_for(true);
    server.limiter = limiter_.get();
    make(server, options_for(false));
    client_.typist = [this, right] { return *server_.shown_code ^ (right ? 0 : 1); };
    start();
    client_.auth->pair(now_);
    pump();
  }
  std::unique_ptr<auth::AttemptLimiter> limiter_;
};

TEST_F(LimitedAuthenticatorTest, FailuresBackOffThenTheRightCodeWorks) {
  for (int i = 0; i < 3; ++i) {
    attempt(false);
    ASSERT_EQ(server_.failures.size(), 1U);
    EXPECT_FALSE(server_.failures[0].backoff);
  }
  EXPECT_EQ(limiter_->failures(kClientFp), 3U);
  // Fourth attempt at once: refused by the back-off, with no code shown.
  attempt(true);
  ASSERT_EQ(server_.failures.size(), 1U);
  EXPECT_TRUE(server_.failures[0].backoff);
  EXPECT_FALSE(server_.shown_code);
  EXPECT_NE(server_.failures[0].reason.find("retry in 1 second"), std::string::npos)
      << server_.failures[0].reason;
  EXPECT_EQ(limiter_->failures(kClientFp), 3U);  // a refused attempt is not a failed guess
  now_ += 1s;
  attempt(true);
  EXPECT_EQ(server_.authenticated, 1);
  EXPECT_EQ(limiter_->failures(kClientFp), 0U);
}

TEST_F(LimitedAuthenticatorTest, HangingUpAfterTheConfirmationCountsAsAFailedGuess) {
  auto server = options_for(true);
  server.limiter = limiter_.get();
  make(server, options_for(false));
  start();
  client_.auth->pair(now_);
  pump();
  client_.auth->enter_code(12345, now_);
  deliver(client_, server_);  // pB: the server answers with cA, which reveals one guess
  server_.auth->on_connection_closed(now_);
  EXPECT_EQ(limiter_->failures(kClientFp), 1U);
}

TEST(AttemptLimiterTest, BackOffDoublesUpToTheCap) {
  auth::AttemptLimiter::Options options;
  options.free_failures = 2;
  options.base_delay = 1s;
  options.max_delay = 10s;
  const auth::AttemptLimiter limiter(options);
  EXPECT_EQ(limiter.backoff(0), 0ms);
  EXPECT_EQ(limiter.backoff(1), 0ms);
  EXPECT_EQ(limiter.backoff(2), 1s);
  EXPECT_EQ(limiter.backoff(3), 2s);
  EXPECT_EQ(limiter.backoff(5), 8s);
  EXPECT_EQ(limiter.backoff(6), 10s);
  EXPECT_EQ(limiter.backoff(1000), 10s);
}

TEST(AttemptLimiterTest, TheGlobalCapCountsAllPeers) {
  auth::AttemptLimiter::Options options;
  options.max_attempts_per_minute = 3;
  auth::AttemptLimiter limiter(options);
  Time now{std::chrono::hours(1)};
  for (int i = 0; i < 3; ++i) {
    ASSERT_TRUE(limiter.check("peer" + std::to_string(i), now).allowed);
    limiter.started(now);
  }
  const auto verdict = limiter.check("another", now + 30s);
  EXPECT_FALSE(verdict.allowed);
  EXPECT_EQ(verdict.retry_after, 30s);
  EXPECT_TRUE(limiter.check("another", now + 60s).allowed);
}

TEST(AttemptLimiterTest, MemoryIsBounded) {
  auth::AttemptLimiter limiter;
  Time now{std::chrono::hours(1)};
  for (std::size_t i = 0; i < auth::AttemptLimiter::kMaxPeers + 10; ++i) {
    limiter.failed("peer" + std::to_string(i), now + std::chrono::milliseconds(i));
  }
  EXPECT_EQ(limiter.failures("peer0"), 0U);  // the oldest was forgotten
  EXPECT_EQ(limiter.failures("peer" + std::to_string(auth::AttemptLimiter::kMaxPeers + 9)), 1U);
}

}  // namespace
}  // namespace lp2p::osp
