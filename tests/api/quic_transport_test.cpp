// LP2P QUIC transports (raw streams on a q2q connection of their own) between two in-process
// Agents: both sides open one from their Connection, streams both ways, backpressure, endings.
#include <gtest/gtest.h>

#include "api_fixture.hpp"

namespace lp2p::test {
namespace {

using Bytes = std::vector<std::uint8_t>;

// What one stream received.
struct StreamLog {
  std::mutex mutex;
  Bytes bytes;
  bool fin = false;
  std::size_t size() {
    const std::scoped_lock lock(mutex);
    return bytes.size();
  }
  bool finished() {
    const std::scoped_lock lock(mutex);
    return fin;
  }
};

void collect(QuicStream stream, const std::shared_ptr<StreamLog>& log) {
  stream.on_data([log](std::span<const std::uint8_t> bytes, bool fin) {
    const std::scoped_lock lock(log->mutex);
    log->bytes.insert(log->bytes.end(), bytes.begin(), bytes.end());
    log->fin = log->fin || fin;
  });
}

// Writes all of `bytes` (waiting for `writable` when the buffer is full), then FIN.
bool write_all(QuicStream stream, const Bytes& bytes) {
  auto room = std::make_shared<std::atomic<int>>(0);
  stream.on_writable([room] { ++*room; });
  std::size_t offset = 0;
  const auto deadline = std::chrono::steady_clock::now() + 30s;
  while (offset < bytes.size()) {
    const int seen = room->load();
    auto taken = stream.write(std::span(bytes).subspan(offset));
    if (!taken) return false;
    offset += *taken;
    if (*taken == 0 && !eventually([&] { return room->load() != seen; }, 10s)) return false;
    if (std::chrono::steady_clock::now() > deadline) return false;
  }
  return static_cast<bool>(stream.finish());
}

Bytes pattern(std::size_t size) {
  Bytes bytes(size);
  for (std::size_t i = 0; i < size; ++i) bytes[i] = static_cast<std::uint8_t>(i * 31 + i / 997);
  return bytes;
}

class QuicTransportTest : public ApiTest {
 protected:
  // Both sides' transports, ready.
  std::pair<QuicTransport, QuicTransport> open_both() {
    start_receiver();
    Connection conn = request();
    Connection other = received();
    EXPECT_TRUE(conn && other);
    if (!conn || !other) return {};
    auto theirs = QuicTransport::open(other);  // waits for the dial
    auto ours = QuicTransport::open(conn);     // dials (this side dialed the OSP connection)
    EXPECT_TRUE(ours && theirs);
    if (!ours || !theirs) return {};
    auto ours_ready = ours->ready();
    auto theirs_ready = theirs->ready();
    auto a = wait_for(ours_ready);
    auto b = wait_for(theirs_ready);
    EXPECT_TRUE(a && *a) << (a && !*a ? a->error().describe() : "no answer");
    EXPECT_TRUE(b && *b) << (b && !*b ? b->error().describe() : "no answer");
    connection_ = conn;
    return {*ours, *theirs};
  }
  Connection connection_;
};

TEST_F(QuicTransportTest, BidirectionalStreamCarriesBytesBothWays) {
  auto [ours, theirs] = open_both();
  ASSERT_TRUE(ours && theirs);
  auto echoed = std::make_shared<StreamLog>();
  // The receiver echoes every incoming stream.
  theirs.on_incoming_stream([](QuicStream stream) {
    auto got = std::make_shared<Bytes>();
    stream.on_data([stream, got](std::span<const std::uint8_t> bytes, bool fin) mutable {
      got->insert(got->end(), bytes.begin(), bytes.end());
      if (fin) std::thread([stream, got] { write_all(stream, *got); }).detach();
    });
  });
  auto stream = ours.open_bidirectional_stream();
  ASSERT_TRUE(stream) << stream.error().describe();
  EXPECT_TRUE(stream->bidirectional());
  EXPECT_FALSE(stream->incoming());
  collect(*stream, echoed);
  const Bytes sent = pattern(3 << 20);
  ASSERT_TRUE(write_all(*stream, sent));
  ASSERT_TRUE(eventually([&] { return echoed->finished(); }, 30s));
  EXPECT_EQ(echoed->bytes, sent);
}

TEST_F(QuicTransportTest, UnidirectionalStreamFromTheAcceptingSide) {
  auto [ours, theirs] = open_both();
  ASSERT_TRUE(ours && theirs);
  auto got = std::make_shared<StreamLog>();
  auto kinds = std::make_shared<Log>();
  ours.on_incoming_stream([got, kinds](QuicStream stream) {
    kinds->add(stream.bidirectional() ? "bidi" : "uni");
    collect(stream, got);
    auto refused = stream.write(Bytes{1});
    kinds->add(refused ? "wrote" : "cannot write");
  });
  auto stream = theirs.open_unidirectional_stream();
  ASSERT_TRUE(stream);
  ASSERT_TRUE(write_all(*stream, pattern(1000)));
  ASSERT_TRUE(eventually([&] { return got->finished(); }));
  EXPECT_EQ(got->bytes, pattern(1000));
  EXPECT_EQ(kinds->events(), (std::vector<std::string>{"uni", "cannot write"}));
}

TEST_F(QuicTransportTest, PausedReaderHoldsTheWriterBack) {
  auto [ours, theirs] = open_both();
  ASSERT_TRUE(ours && theirs);
  auto got = std::make_shared<StreamLog>();
  auto incoming = std::make_shared<std::promise<QuicStream>>();
  theirs.on_incoming_stream([incoming, got](QuicStream stream) {
    stream.pause_reading();
    collect(stream, got);
    incoming->set_value(stream);
  });
  auto stream = ours.open_bidirectional_stream();
  ASSERT_TRUE(stream);
  // Write until the stream takes no more: at most the reader's flow-control window (32 MiB at
  // most, quic/config.hpp) plus our send buffer (16 MiB).
  auto room = std::make_shared<std::atomic<int>>(0);
  stream->on_writable([room] { ++*room; });
  const Bytes chunk(1 << 20, 0x5a);
  std::size_t written = 0;
  for (int i = 0; i < 200; ++i) {
    auto taken = stream->write(chunk);
    ASSERT_TRUE(taken);
    written += *taken;
    if (*taken < chunk.size()) break;
  }
  EXPECT_LE(written, std::size_t{48} << 20) << "the writer was not held back";
  auto future = incoming->get_future();
  auto reader = wait_for(future);
  ASSERT_TRUE(reader);
  std::this_thread::sleep_for(200ms);
  EXPECT_EQ(got->size(), 0U) << "a paused reader got data";
  reader->resume_reading();
  ASSERT_TRUE(eventually([&] { return got->size() == written; }, 30s))
      << got->size() << " of " << written;
  EXPECT_TRUE(eventually([&] { return room->load() > 0; }));
  auto more = stream->write(chunk);  // room again
  ASSERT_TRUE(more);
  EXPECT_GT(*more, 0U);
}

TEST_F(QuicTransportTest, ClosingTheConnectionClosesItsTransport) {
  auto [ours, theirs] = open_both();
  ASSERT_TRUE(ours && theirs);
  auto closed = std::make_shared<Log>();
  ours.on_close([closed](const std::string&) { closed->add("ours"); });
  theirs.on_close([closed](const std::string&) { closed->add("theirs"); });
  connection_.close();
  ASSERT_TRUE(
      eventually([&] { return closed->count("ours") == 1 && closed->count("theirs") == 1; }));
  auto late = ours.open_bidirectional_stream();
  ASSERT_FALSE(late);
  EXPECT_EQ(late.error().code, Errc::closed);
}

}  // namespace
}  // namespace lp2p::test
