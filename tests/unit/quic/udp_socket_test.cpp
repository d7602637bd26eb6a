#include "quic/udp_socket.hpp"

#include <dlfcn.h>
#include <fcntl.h>
#include <gtest/gtest.h>
#include <netinet/udp.h>
#include <poll.h>
#include <sys/socket.h>

#include <cerrno>
#include <chrono>
#include <cstdint>
#include <cstdio>
#include <cstdlib>
#include <cstring>
#include <ostream>
#include <vector>

// ---- fault injection ----
//
// The kernel paths this socket must survive (a route that refuses GSO, a full send buffer,
// a partial sendmmsg) cannot be produced on loopback: loopback UDP never blocks the sender (the
// datagram leaves the send buffer at once) and always accepts GSO. So this test binary defines
// sendmsg and sendmmsg itself; the linker binds liblp2p's calls to these, which pass through to
// libc unless a test arms a fault.
namespace {

struct Faults {
  int gso_errno = 0;          // a sendmsg carrying UDP_SEGMENT fails with this errno
  int would_block_calls = 0;  // the next N sendmsg/sendmmsg calls fail with EAGAIN
  unsigned mmsg_limit = 0;    // sendmmsg sends at most this many messages (0: no limit)
};
Faults g_faults;  // NOLINT(*-avoid-non-const-global-variables): the interposers read it

template <class Function>
Function real(const char* name) {
  void* symbol = dlsym(RTLD_NEXT, name);
  if (symbol == nullptr) {
    (void)std::fprintf(stderr, "dlsym(%s) failed\n", name);
    std::abort();
  }
  return reinterpret_cast<Function>(symbol);
}

bool carries_udp_segment(const msghdr* message) {
  for (cmsghdr* c = CMSG_FIRSTHDR(message); c != nullptr;
       c = CMSG_NXTHDR(const_cast<msghdr*>(message), c)) {  // NOLINT: the macro only reads
    if (c->cmsg_level == SOL_UDP && c->cmsg_type == UDP_SEGMENT) return true;
  }
  return false;
}

bool inject_would_block() {
  if (g_faults.would_block_calls <= 0) return false;
  --g_faults.would_block_calls;
  errno = EAGAIN;
  return true;
}

// Arms faults for one test and disarms them however the test ends.
struct FaultScope {
  explicit FaultScope(const Faults& faults) { g_faults = faults; }
  FaultScope(const FaultScope&) = delete;
  FaultScope& operator=(const FaultScope&) = delete;
  FaultScope(FaultScope&&) = delete;
  FaultScope& operator=(FaultScope&&) = delete;
  ~FaultScope() { g_faults = Faults{}; }
};

}  // namespace

extern "C" ssize_t sendmsg(int fd, const msghdr* message, int flags) {
  static const auto next = real<ssize_t (*)(int, const msghdr*, int)>("sendmsg");
  if (inject_would_block()) return -1;
  if (g_faults.gso_errno != 0 && carries_udp_segment(message)) {
    errno = g_faults.gso_errno;
    return -1;
  }
  return next(fd, message, flags);
}

extern "C" int sendmmsg(int fd, mmsghdr* messages, unsigned count, int flags) {
  static const auto next = real<int (*)(int, mmsghdr*, unsigned, int)>("sendmmsg");
  if (inject_would_block()) return -1;
  if (g_faults.mmsg_limit != 0 && count > g_faults.mmsg_limit) count = g_faults.mmsg_limit;
  return next(fd, messages, count, flags);
}

namespace lp2p::quic {

[[maybe_unused]] static void PrintTo(const SocketAddress& address, std::ostream* out) {
  *out << address.to_string();
}

namespace {

using namespace std::chrono_literals;

// Only loopback addresses, ever.
constexpr mdns::IpAddress kLoopback4{false, {127, 0, 0, 1}};
constexpr mdns::IpAddress kLoopback6{true, {0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 1}};

SocketAddress loopback(bool v6, std::uint16_t port) {
  return SocketAddress::from_endpoint(v6 ? kLoopback6 : kLoopback4, port);
}

UdpSocket open_socket(const UdpSocket::Options& options = {}) {
  auto socket = UdpSocket::bind(0, options);
  if (!socket) {
    ADD_FAILURE() << socket.error().describe();
    std::abort();
  }
  return std::move(socket).value();
}

UdpSocket::Options with(bool gso, bool gro) {
  UdpSocket::Options options;
  options.gso = gso;
  options.gro = gro;
  return options;
}

// Datagram i of a batch is filled with bytes (seed + i + offset), so order and content both show.
std::vector<std::uint8_t> batch_of(std::size_t count, std::size_t segment, std::size_t last,
                                   std::uint8_t seed = 0) {
  std::vector<std::uint8_t> bytes;
  for (std::size_t i = 0; i < count; ++i) {
    const std::size_t size = i + 1 == count ? last : segment;
    for (std::size_t j = 0; j < size; ++j) bytes.push_back(static_cast<std::uint8_t>(seed + i + j));
  }
  return bytes;
}

struct Datagram {
  SocketAddress from;
  std::vector<std::uint8_t> bytes;
};

// Receives until `count` datagrams arrived or `timeout` passed, waiting on the descriptor as the
// owner's event loop would.
std::vector<Datagram> receive_n(UdpSocket& socket, std::size_t count,
                                std::chrono::milliseconds timeout = 2s) {
  std::vector<Datagram> got;
  const auto deadline = std::chrono::steady_clock::now() + timeout;
  const UdpSocket::Sink sink = [&got](const SocketAddress& from,
                                      std::span<const std::uint8_t> datagram) {
    got.push_back(Datagram{from, {datagram.begin(), datagram.end()}});
  };
  while (got.size() < count && std::chrono::steady_clock::now() < deadline) {
    pollfd p{socket.fd(), POLLIN, 0};
    if (poll(&p, 1, 50) > 0) socket.receive(sink);
  }
  return got;
}

void expect_batch(const std::vector<Datagram>& got, const std::vector<std::uint8_t>& sent,
                  std::size_t segment, const SocketAddress& from) {
  const std::size_t count = (sent.size() + segment - 1) / segment;
  ASSERT_EQ(got.size(), count);
  for (std::size_t i = 0; i < count; ++i) {
    const std::size_t offset = i * segment;
    const std::vector<std::uint8_t> expected(
        sent.begin() + static_cast<std::ptrdiff_t>(offset),
        sent.begin() + static_cast<std::ptrdiff_t>(std::min(sent.size(), offset + segment)));
    EXPECT_EQ(got[i].bytes, expected) << "datagram " << i;
    EXPECT_EQ(got[i].from, from) << "datagram " << i;
  }
}

std::string describe(const UdpSocket::Stats& s) {
  return "sent=" + std::to_string(s.datagrams_sent) +
         " send_calls=" + std::to_string(s.send_calls) +
         " received=" + std::to_string(s.datagrams_received) +
         " receive_calls=" + std::to_string(s.receive_calls) +
         " gro_batches=" + std::to_string(s.gro_batches) +
         " kernel_drops=" + std::to_string(s.kernel_drops) +
         " send_errors=" + std::to_string(s.send_errors);
}

// ---- binding ----

TEST(UdpSocket, BindPortZeroPicksAPort) {
  UdpSocket socket = open_socket();
  EXPECT_NE(socket.local_port(), 0);
  EXPECT_GE(socket.fd(), 0);
  EXPECT_GT(socket.receive_buffer(), 0U);
  EXPECT_NE(fcntl(socket.fd(), F_GETFD) & FD_CLOEXEC, 0);
  EXPECT_NE(fcntl(socket.fd(), F_GETFL) & O_NONBLOCK, 0);
  std::printf("bound port %u: gso=%d gro=%d receive_buffer=%zu\n", socket.local_port(),
              static_cast<int>(socket.gso()), static_cast<int>(socket.gro()),
              socket.receive_buffer());
}

TEST(UdpSocket, BindTakenPortFails) {
  UdpSocket first = open_socket();
  auto second = UdpSocket::bind(first.local_port(), {});
  ASSERT_FALSE(second.has_value());
  EXPECT_EQ(second.error().code, Errc::io_error);
  EXPECT_NE(second.error().message.find("bind"), std::string::npos);
}

TEST(UdpSocket, FeaturesCanBeTurnedOff) {
  UdpSocket plain = open_socket(with(false, false));
  EXPECT_FALSE(plain.gso());
  EXPECT_FALSE(plain.gro());
}

TEST(UdpSocket, ClosesItsDescriptorAndSurvivesMoves) {
  int fd = -1;
  {
    UdpSocket a = open_socket();
    fd = a.fd();
    UdpSocket b = std::move(a);
    EXPECT_EQ(b.fd(), fd);
    UdpSocket c = open_socket();
    c = std::move(b);  // closes c's own descriptor
    EXPECT_EQ(c.fd(), fd);
    EXPECT_GE(fcntl(fd, F_GETFD), 0);
  }
  EXPECT_EQ(fcntl(fd, F_GETFD), -1);
  EXPECT_EQ(errno, EBADF);
}

// ---- round trips ----

class LoopbackRoundTrip : public ::testing::TestWithParam<bool> {};

TEST_P(LoopbackRoundTrip, BothWays) {
  const bool v6 = GetParam();
  UdpSocket a = open_socket();
  UdpSocket b = open_socket();
  const std::vector<std::uint8_t> hello = {'h', 'e', 'l', 'l', 'o'};
  auto sent = a.send(loopback(v6, b.local_port()), hello, 1200);
  ASSERT_TRUE(sent.has_value()) << sent.error().describe();
  EXPECT_EQ(*sent, hello.size());

  const auto got = receive_n(b, 1);
  ASSERT_EQ(got.size(), 1U);
  EXPECT_EQ(got[0].bytes, hello);
  EXPECT_EQ(got[0].from, loopback(v6, a.local_port()));
  const std::string port = std::to_string(a.local_port());
  EXPECT_EQ(got[0].from.to_string(), v6 ? "[::1]:" + port : "127.0.0.1:" + port);

  const std::vector<std::uint8_t> reply = {'o', 'k'};
  ASSERT_TRUE(b.send(got[0].from, reply, 1200).has_value());
  const auto back = receive_n(a, 1);
  ASSERT_EQ(back.size(), 1U);
  EXPECT_EQ(back[0].bytes, reply);
  EXPECT_EQ(back[0].from, loopback(v6, b.local_port()));

  EXPECT_EQ(a.stats().datagrams_sent, 1U);
  EXPECT_EQ(a.stats().send_calls, 1U);
  EXPECT_EQ(a.stats().datagrams_received, 1U);
  EXPECT_EQ(b.stats().datagrams_received, 1U);
  EXPECT_EQ(b.stats().receive_calls, 1U);
  EXPECT_EQ(a.receive([](auto&&...) {}), 0U);  // nothing more queued
}

INSTANTIATE_TEST_SUITE_P(UdpSocket, LoopbackRoundTrip, ::testing::Values(false, true),
                         [](const auto& test) { return test.param ? "Ipv6" : "Ipv4"; });

// ---- batches: GSO on send, GRO on receive, each on or off ----

struct BatchCase {
  bool gso;
  bool gro;
  bool v6;
};

class Batch : public ::testing::TestWithParam<BatchCase> {};

TEST_P(Batch, TenFullSegmentsAndAShortOneArriveAsElevenDatagrams) {
  const BatchCase c = GetParam();
  UdpSocket tx = open_socket(with(c.gso, c.gro));
  UdpSocket rx = open_socket(with(c.gso, c.gro));
  EXPECT_EQ(tx.gso(), c.gso);
  EXPECT_EQ(rx.gro(), c.gro);
  const std::vector<std::uint8_t> data = batch_of(11, 1200, 500);
  ASSERT_EQ(data.size(), 12500U);

  auto sent = tx.send(loopback(c.v6, rx.local_port()), data, 1200);
  ASSERT_TRUE(sent.has_value()) << sent.error().describe();
  EXPECT_EQ(*sent, data.size());
  EXPECT_EQ(tx.stats().datagrams_sent, 11U);
  EXPECT_EQ(tx.stats().send_calls, 1U);  // one GSO sendmsg, or one sendmmsg
  EXPECT_EQ(tx.gso(), c.gso);            // loopback never refuses GSO

  const auto got = receive_n(rx, 11);
  expect_batch(got, data, 1200, loopback(c.v6, tx.local_port()));
  EXPECT_EQ(rx.stats().datagrams_received, 11U);
  if (c.gso && c.gro) {
    // Loopback hands the GSO super-datagram to a GRO socket intact.
    EXPECT_EQ(rx.stats().gro_batches, 1U);
    EXPECT_EQ(rx.stats().receive_calls, 1U);
  } else {
    EXPECT_EQ(rx.stats().gro_batches, 0U);
  }
  std::printf("gso=%d gro=%d v6=%d: tx {%s} rx {%s}\n", static_cast<int>(c.gso),
              static_cast<int>(c.gro), static_cast<int>(c.v6), describe(tx.stats()).c_str(),
              describe(rx.stats()).c_str());
}

INSTANTIATE_TEST_SUITE_P(
    UdpSocket, Batch,
    ::testing::Values(BatchCase{true, true, false}, BatchCase{true, true, true},
                      BatchCase{true, false, false}, BatchCase{false, true, false},
                      BatchCase{false, false, false}, BatchCase{false, false, true}),
    [](const auto& test) {
      return std::string(test.param.gso ? "Gso" : "NoGso") + (test.param.gro ? "Gro" : "NoGro") +
             (test.param.v6 ? "Ipv6" : "Ipv4");
    });

TEST(UdpSocket, SixtyFourKibSplitsAtTheIpPacketLimit) {
  UdpSocket tx = open_socket();
  UdpSocket rx = open_socket();
  const std::vector<std::uint8_t> data = batch_of(64, 1024, 1024, 7);  // 65536 > 65507
  auto sent = tx.send(loopback(false, rx.local_port()), data, 1024);
  ASSERT_TRUE(sent.has_value()) << sent.error().describe();
  EXPECT_EQ(*sent, data.size());
  EXPECT_EQ(tx.stats().datagrams_sent, 64U);
  if (tx.gso()) {
    EXPECT_EQ(tx.stats().send_calls, 2U);  // 63 segments, then 1
  }
  expect_batch(receive_n(rx, 64), data, 1024, loopback(false, tx.local_port()));
}

TEST(UdpSocket, ReceiveHonoursBatchSizeAndCallLimit) {
  UdpSocket::Options options = with(true, false);
  options.max_receive_batch = 4;
  UdpSocket rx = open_socket(options);
  UdpSocket tx = open_socket();
  const std::vector<std::uint8_t> data = batch_of(11, 100, 100);
  ASSERT_TRUE(tx.send(loopback(true, rx.local_port()), data, 100).has_value());
  pollfd p{rx.fd(), POLLIN, 0};
  ASSERT_EQ(poll(&p, 1, 2000), 1);

  std::vector<Datagram> got;
  const UdpSocket::Sink sink = [&got](const SocketAddress& from, auto datagram) {
    got.push_back(Datagram{from, {datagram.begin(), datagram.end()}});
  };
  EXPECT_EQ(rx.receive(sink, 1), 4U);
  EXPECT_EQ(rx.receive(sink, 4), 7U);  // 4 + 3: a short batch means the queue is empty
  EXPECT_EQ(rx.stats().receive_calls, 3U);
  expect_batch(got, data, 100, loopback(true, tx.local_port()));
}

// ---- errors ----

TEST(UdpSocket, UnusableDestinationsReportErrors) {
  UdpSocket tx = open_socket();
  const bool gso = tx.gso();
  const std::vector<std::uint8_t> one(100, 1);
  const std::vector<std::uint8_t> batch = batch_of(5, 1000, 10);

  for (const SocketAddress& to : {loopback(false, 0), loopback(true, 0), SocketAddress{}}) {
    for (const auto* data : {&one, &batch}) {
      const auto before = tx.stats().send_errors;
      auto sent = tx.send(to, *data, 1000);
      ASSERT_FALSE(sent.has_value()) << to.to_string();
      EXPECT_EQ(sent.error().code, Errc::io_error);
      EXPECT_EQ(tx.stats().send_errors - before, data == &one ? 1U : 5U);
      EXPECT_EQ(tx.gso(), gso) << "a destination error must not turn GSO off";
    }
  }
  EXPECT_EQ(tx.stats().datagrams_sent, 0U);

  // The socket still works.
  UdpSocket rx = open_socket();
  ASSERT_TRUE(tx.send(loopback(false, rx.local_port()), batch, 1000).has_value());
  expect_batch(receive_n(rx, 5), batch, 1000, loopback(false, tx.local_port()));
}

TEST(UdpSocket, RejectsBatchesBeyondTheGsoLimits) {
  UdpSocket tx = open_socket();
  const SocketAddress to = loopback(false, 9);  // never reached: the arguments are checked first
  const std::vector<std::uint8_t> data(std::size_t{65} * 100, 0);
  EXPECT_EQ(tx.send(to, data, 0).error().code, Errc::invalid_argument);
  EXPECT_EQ(tx.send(to, data, 100).error().code, Errc::invalid_argument);  // 65 segments
  const std::vector<std::uint8_t> huge((std::size_t{64} << 10) + 1, 0);
  EXPECT_EQ(tx.send(to, huge, 2000).error().code, Errc::invalid_argument);
  auto nothing = tx.send(to, {}, 1200);
  ASSERT_TRUE(nothing.has_value());
  EXPECT_EQ(*nothing, 0U);
  EXPECT_EQ(tx.stats().send_calls, 0U);
}

// A receiver that does not read: on loopback the kernel drops at the receiver (the sender never
// blocks), and the drops show in the receiver's SO_RXQ_OVFL count with the next datagram it
// queues. A sender on a real device would see would_block instead; either is accepted.
TEST(UdpSocket, ReceiverThatDoesNotReadDropsOrSenderBlocks) {
  UdpSocket::Options small = with(true, false);
  small.buffer_bytes = 4096;  // root can force it; others get the kernel's default and may not fill
  UdpSocket rx = open_socket(small);
  UdpSocket tx = open_socket(small);
  const std::vector<std::uint8_t> data = batch_of(10, 1200, 1200);
  std::size_t would_block = 0;
  for (int i = 0; i < 2000; ++i) {
    auto sent = tx.send(loopback(false, rx.local_port()), data, 1200);
    if (!sent) {
      ASSERT_EQ(sent.error().code, Errc::would_block) << sent.error().describe();
      ++would_block;
    }
  }
  EXPECT_EQ(tx.stats().send_errors, 0U);
  receive_n(rx, SIZE_MAX, 200ms);  // drain
  const std::vector<std::uint8_t> one(10, 1);
  ASSERT_TRUE(tx.send(loopback(false, rx.local_port()), one, 1200).has_value());
  const auto last = receive_n(rx, 1);
  ASSERT_EQ(last.size(), 1U);
  std::printf("would_block=%zu receive_buffer=%zu; tx {%s} rx {%s}\n", would_block,
              rx.receive_buffer(), describe(tx.stats()).c_str(), describe(rx.stats()).c_str());
  EXPECT_TRUE(would_block > 0 || rx.stats().kernel_drops > 0);
  EXPECT_LE(rx.stats().datagrams_received + rx.stats().kernel_drops, tx.stats().datagrams_sent);
}

// ---- kernel refusals, injected ----

TEST(UdpSocket, FullSendBufferIsWouldBlockAndLosesNothing) {
  UdpSocket tx = open_socket();
  UdpSocket rx = open_socket();
  const std::vector<std::uint8_t> data = batch_of(3, 1200, 1200);
  {
    const FaultScope faults(Faults{.would_block_calls = 1});
    auto sent = tx.send(loopback(false, rx.local_port()), data, 1200);
    ASSERT_FALSE(sent.has_value());
    EXPECT_EQ(sent.error().code, Errc::would_block);
  }
  EXPECT_EQ(tx.stats().datagrams_sent, 0U);
  EXPECT_EQ(tx.stats().send_errors, 0U);
  auto retry = tx.send(loopback(false, rx.local_port()), data, 1200);
  ASSERT_TRUE(retry.has_value());
  EXPECT_EQ(*retry, data.size());
  expect_batch(receive_n(rx, 3), data, 1200, loopback(false, tx.local_port()));
}

TEST(UdpSocket, PartialSendmmsgReturnsASegmentPrefix) {
  UdpSocket tx = open_socket(with(false, false));
  UdpSocket rx = open_socket(with(false, false));
  const std::vector<std::uint8_t> data = batch_of(11, 1200, 500);
  const SocketAddress to = loopback(false, rx.local_port());
  std::size_t first = 0;
  {
    const FaultScope faults(Faults{.mmsg_limit = 3});
    auto sent = tx.send(to, data, 1200);
    ASSERT_TRUE(sent.has_value());
    first = *sent;
  }
  EXPECT_EQ(first, 3U * 1200);
  auto rest = tx.send(to, std::span(data).subspan(first), 1200);
  ASSERT_TRUE(rest.has_value());
  EXPECT_EQ(first + *rest, data.size());
  expect_batch(receive_n(rx, 11), data, 1200, loopback(false, tx.local_port()));
}

class GsoRefusal : public ::testing::TestWithParam<int> {};

TEST_P(GsoRefusal, FallsBackToSendmmsgForGood) {
  UdpSocket tx = open_socket();
  UdpSocket rx = open_socket(with(true, false));
  if (!tx.gso()) GTEST_SKIP() << "no UDP GSO in this kernel";
  const std::vector<std::uint8_t> data = batch_of(11, 1200, 500);
  const SocketAddress to = loopback(false, rx.local_port());
  {
    const FaultScope faults(Faults{.gso_errno = GetParam()});
    auto sent = tx.send(to, data, 1200);
    ASSERT_TRUE(sent.has_value()) << sent.error().describe();
    EXPECT_EQ(*sent, data.size());
  }
  EXPECT_FALSE(tx.gso());
  EXPECT_EQ(tx.stats().send_calls, 2U);  // the refused GSO sendmsg, then one sendmmsg
  EXPECT_EQ(tx.stats().send_errors, 0U);
  expect_batch(receive_n(rx, 11), data, 1200, loopback(false, tx.local_port()));

  ASSERT_TRUE(tx.send(to, data, 1200).has_value());
  EXPECT_EQ(tx.stats().send_calls, 3U);
  EXPECT_EQ(tx.stats().datagrams_sent, 22U);
  expect_batch(receive_n(rx, 11), data, 1200, loopback(false, tx.local_port()));
}

INSTANTIATE_TEST_SUITE_P(UdpSocket, GsoRefusal, ::testing::Values(EIO, EINVAL, ENOPROTOOPT),
                         [](const auto& test) {
                           return test.param == EIO      ? "Eio"
                                  : test.param == EINVAL ? "Einval"
                                                         : "Enoprotoopt";
                         });

TEST(UdpSocket, OversizeGsoIsRetriedWithoutTurningGsoOff) {
  UdpSocket tx = open_socket();
  UdpSocket rx = open_socket();
  if (!tx.gso()) GTEST_SKIP() << "no UDP GSO in this kernel";
  const std::vector<std::uint8_t> data = batch_of(4, 1200, 1200);
  {
    const FaultScope faults(Faults{.gso_errno = EMSGSIZE});
    ASSERT_TRUE(tx.send(loopback(false, rx.local_port()), data, 1200).has_value());
  }
  EXPECT_TRUE(tx.gso());
  expect_batch(receive_n(rx, 4), data, 1200, loopback(false, tx.local_port()));
}

}  // namespace
}  // namespace lp2p::quic
