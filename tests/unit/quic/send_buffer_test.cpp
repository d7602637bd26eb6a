// quic::SendBuffer: the bounded, address-stable store of a stream's unacknowledged bytes.
// Deterministic cases for each part of the contract, then a randomized run against a plain
// reference model (a vector of every byte ever appended and three offsets).
#include "quic/send_buffer.hpp"

#include <gtest/gtest.h>

#include <algorithm>
#include <array>
#include <cstdint>
#include <random>
#include <span>
#include <vector>

namespace lp2p::quic {
namespace {

using Bytes = std::vector<std::uint8_t>;
using Piece = std::span<const std::uint8_t>;
constexpr std::size_t kChunk = SendBuffer::kChunkSize;

// Bytes whose value depends on their stream offset, so that a piece at the wrong offset shows.
Bytes pattern(std::uint64_t from, std::size_t length) {
  Bytes out(length);
  for (std::size_t i = 0; i < length; ++i) {
    const std::uint64_t offset = from + i;
    out[i] = static_cast<std::uint8_t>((offset * 131U) ^ (offset >> 8U) ^ (offset >> 16U));
  }
  return out;
}

// Every unsent byte, by asking for up to `max_pieces` pieces at a time (no mark_sent in between:
// it only checks that the pieces returned are the first ones).
std::vector<Piece> pieces_of(const SendBuffer& buffer, std::size_t max_pieces = 64) {
  std::vector<Piece> out(max_pieces);
  out.resize(buffer.unsent(out));
  return out;
}

Bytes concat(const std::vector<Piece>& pieces) {
  Bytes out;
  for (const Piece p : pieces) out.insert(out.end(), p.begin(), p.end());
  return out;
}

TEST(SendBuffer, StartsEmpty) {
  const SendBuffer buffer(1000);
  EXPECT_EQ(buffer.capacity(), 1000U);
  EXPECT_EQ(buffer.space(), 1000U);
  EXPECT_EQ(buffer.held(), 0U);
  EXPECT_EQ(buffer.unsent_bytes(), 0U);
  EXPECT_EQ(buffer.end_offset(), 0U);
  EXPECT_TRUE(buffer.all_acknowledged());
  EXPECT_FALSE(buffer.finished());
  EXPECT_FALSE(buffer.fin_pending());
  EXPECT_TRUE(pieces_of(buffer).empty());
}

TEST(SendBuffer, AppendTakesOnlyWhatFitsTheCapacity) {
  SendBuffer buffer(1000);
  const Bytes data = pattern(0, 600);
  EXPECT_EQ(buffer.append(data), 600U);
  EXPECT_EQ(buffer.space(), 400U);
  // Partial: 400 of the next 600.
  const Bytes more = pattern(600, 600);
  EXPECT_EQ(buffer.append(more), 400U);
  EXPECT_EQ(buffer.space(), 0U);
  EXPECT_EQ(buffer.held(), 1000U);
  EXPECT_EQ(buffer.end_offset(), 1000U);
  // Full: nothing more, not even one byte, and an empty append is a no-op.
  EXPECT_EQ(buffer.append(more), 0U);
  EXPECT_EQ(buffer.append({}), 0U);
  EXPECT_EQ(buffer.end_offset(), 1000U);
  // The bytes are the first 1000 of the stream, in order.
  EXPECT_EQ(concat(pieces_of(buffer)), pattern(0, 1000));
}

TEST(SendBuffer, ZeroCapacityTakesNothing) {
  SendBuffer buffer(0);
  const Bytes data = pattern(0, 10);
  EXPECT_EQ(buffer.append(data), 0U);
  EXPECT_EQ(buffer.space(), 0U);
  EXPECT_TRUE(pieces_of(buffer).empty());
}

TEST(SendBuffer, UnsentPiecesFollowChunkBoundaries) {
  SendBuffer buffer(4 * kChunk);
  // Appended in odd sizes, so that appends straddle chunk boundaries.
  std::uint64_t at = 0;
  for (const std::size_t n : {std::size_t{1}, kChunk - 1 + 7, kChunk + 13, std::size_t{2000}}) {
    ASSERT_EQ(buffer.append(pattern(at, n)), n);
    at += n;
  }
  ASSERT_EQ(at, 2 * kChunk + 2020);
  auto pieces = pieces_of(buffer);
  ASSERT_EQ(pieces.size(), 3U);
  EXPECT_EQ(pieces[0].size(), kChunk);
  EXPECT_EQ(pieces[1].size(), kChunk);
  EXPECT_EQ(pieces[2].size(), 2020U);
  EXPECT_EQ(concat(pieces), pattern(0, at));

  // Fewer slots than pieces: the first ones.
  std::array<Piece, 2> two{};
  ASSERT_EQ(buffer.unsent(two), 2U);
  EXPECT_EQ(two[0].data(), pieces[0].data());
  EXPECT_EQ(two[1].data(), pieces[1].data());

  // From inside a chunk: the first piece starts at the send offset.
  buffer.mark_sent(kChunk + 100);
  EXPECT_EQ(buffer.unsent_bytes(), at - kChunk - 100);
  pieces = pieces_of(buffer);
  ASSERT_EQ(pieces.size(), 2U);
  EXPECT_EQ(pieces[0].size(), kChunk - 100);
  EXPECT_EQ(pieces[1].size(), 2020U);
  EXPECT_EQ(concat(pieces), pattern(kChunk + 100, at - kChunk - 100));

  // Exactly at a chunk boundary: no empty piece first.
  buffer.mark_sent(kChunk - 100);
  pieces = pieces_of(buffer);
  ASSERT_EQ(pieces.size(), 1U);
  EXPECT_EQ(concat(pieces), pattern(2 * kChunk, 2020));

  // Everything sent: nothing unsent; mark_sent never goes past the end.
  buffer.mark_sent(1 << 30);
  EXPECT_EQ(buffer.unsent_bytes(), 0U);
  EXPECT_TRUE(pieces_of(buffer).empty());
  EXPECT_EQ(buffer.held(), at) << "sent is not acknowledged";
  EXPECT_FALSE(buffer.all_acknowledged());
}

TEST(SendBuffer, AcknowledgingReleasesSpaceInOrder) {
  SendBuffer buffer(3 * kChunk);
  ASSERT_EQ(buffer.append(pattern(0, 3 * kChunk)), 3 * kChunk);
  EXPECT_EQ(buffer.space(), 0U);
  buffer.mark_sent(3 * kChunk);

  buffer.acknowledge(0, 1000);
  EXPECT_EQ(buffer.held(), 3 * kChunk - 1000);
  EXPECT_EQ(buffer.space(), 1000U);
  // A duplicate or older acknowledgment changes nothing.
  buffer.acknowledge(0, 500);
  buffer.acknowledge(0, 1000);
  EXPECT_EQ(buffer.held(), 3 * kChunk - 1000);
  // Continuing ranges, across a chunk boundary.
  buffer.acknowledge(1000, kChunk);
  EXPECT_EQ(buffer.held(), 2 * kChunk - 1000);
  EXPECT_EQ(buffer.space(), kChunk + 1000);
  // Acknowledging beyond the end is clamped to what was appended.
  buffer.acknowledge(kChunk + 1000, 10 * kChunk);
  EXPECT_EQ(buffer.held(), 0U);
  EXPECT_EQ(buffer.space(), 3 * kChunk);
  EXPECT_TRUE(buffer.all_acknowledged());
}

TEST(SendBuffer, UnacknowledgedBytesStayAtTheirAddresses) {
  // ngtcp2 reads sent bytes again for retransmission (NOTES §10): after acknowledgments that free
  // earlier chunks and appends that reuse them, unacknowledged bytes keep address and content.
  SendBuffer buffer(3 * kChunk);
  ASSERT_EQ(buffer.append(pattern(0, 3 * kChunk)), 3 * kChunk);
  const auto before = pieces_of(buffer);
  ASSERT_EQ(before.size(), 3U);
  buffer.mark_sent(3 * kChunk);
  buffer.acknowledge(0, kChunk + 5);  // frees the first chunk only
  ASSERT_EQ(buffer.append(pattern(3 * kChunk, kChunk + 5)), kChunk + 5);
  // Sent, unacknowledged: offsets kChunk + 5 .. 3 * kChunk at the addresses seen before.
  const Bytes second(before[1].begin() + 5, before[1].end());
  EXPECT_EQ(second, pattern(kChunk + 5, kChunk - 5));
  EXPECT_EQ(Bytes(before[2].begin(), before[2].end()), pattern(2 * kChunk, kChunk));
  // The new bytes are what is unsent now.
  EXPECT_EQ(concat(pieces_of(buffer)), pattern(3 * kChunk, kChunk + 5));
}

TEST(SendBuffer, FinPendingUntilMarkedSent) {
  SendBuffer buffer(100);
  ASSERT_EQ(buffer.append(pattern(0, 10)), 10U);
  EXPECT_FALSE(buffer.fin_pending());
  buffer.finish();
  EXPECT_TRUE(buffer.finished());
  EXPECT_TRUE(buffer.fin_pending());
  buffer.mark_sent(10);
  EXPECT_TRUE(buffer.fin_pending()) << "the data went, not the FIN";
  buffer.mark_fin_sent();
  EXPECT_FALSE(buffer.fin_pending());
  EXPECT_TRUE(buffer.finished());
  EXPECT_FALSE(buffer.all_acknowledged());
  buffer.acknowledge(0, 10);
  EXPECT_TRUE(buffer.all_acknowledged());
}

TEST(SendBuffer, FinOnAnEmptyStream) {
  SendBuffer buffer(100);
  buffer.finish();
  EXPECT_TRUE(buffer.fin_pending());
  EXPECT_EQ(buffer.unsent_bytes(), 0U);
  EXPECT_TRUE(pieces_of(buffer).empty());
  EXPECT_TRUE(buffer.all_acknowledged());
  buffer.mark_fin_sent();
  EXPECT_FALSE(buffer.fin_pending());
}

TEST(SendBuffer, ReusableAfterEverythingIsAcknowledged) {
  SendBuffer buffer(2 * kChunk);
  std::uint64_t at = 0;
  // Several rounds that fill, send and acknowledge it all; each round's sizes differ so the
  // stream offset lands anywhere inside a chunk when the buffer empties.
  for (const std::size_t n : {std::size_t{100}, 2 * kChunk, kChunk + 1, std::size_t{1}, 2 * kChunk,
                              kChunk - 1, std::size_t{77777}}) {
    ASSERT_EQ(buffer.append(pattern(at, n)), n) << "at " << at;
    EXPECT_EQ(buffer.space(), 2 * kChunk - n);
    const auto pieces = pieces_of(buffer);
    EXPECT_EQ(concat(pieces), pattern(at, n)) << "at " << at;
    EXPECT_LE(pieces.size(), 3U);
    buffer.mark_sent(n);
    buffer.acknowledge(at, n);
    at += n;
    EXPECT_TRUE(buffer.all_acknowledged());
    EXPECT_EQ(buffer.held(), 0U);
    EXPECT_EQ(buffer.space(), 2 * kChunk);
    EXPECT_EQ(buffer.end_offset(), at);
  }
}

TEST(SendBuffer, ReusesReleasedChunks) {
  // Released chunks are kept for the next appends instead of being allocated again.
  SendBuffer buffer(kChunk);
  ASSERT_EQ(buffer.append(pattern(0, kChunk)), kChunk);
  const std::uint8_t* first = pieces_of(buffer).at(0).data();
  buffer.mark_sent(kChunk);
  buffer.acknowledge(0, kChunk);
  ASSERT_EQ(buffer.append(pattern(kChunk, 10)), 10U);
  EXPECT_EQ(pieces_of(buffer).at(0).data(), first);
}

// ---- randomized model test ----

struct Model {
  Bytes stream;  // every byte appended
  std::uint64_t acked = 0;
  std::uint64_t sent = 0;
};

// A sent piece whose bytes must stay put until acknowledged.
struct Watched {
  const std::uint8_t* at;
  std::uint64_t offset;
  std::size_t length;
};

void check_against(const SendBuffer& buffer, const Model& model, std::size_t capacity,
                   std::size_t slots) {
  const std::uint64_t end = model.stream.size();
  ASSERT_EQ(buffer.end_offset(), end);
  ASSERT_EQ(buffer.unsent_bytes(), end - model.sent);
  ASSERT_EQ(buffer.held(), end - model.acked);
  ASSERT_EQ(buffer.space(), capacity - (end - model.acked));
  ASSERT_EQ(buffer.all_acknowledged(), model.acked == end);
  std::vector<Piece> pieces(slots);
  pieces.resize(buffer.unsent(pieces));
  // With few slots the pieces may cover only a prefix of the unsent bytes.
  std::uint64_t offset = model.sent;
  for (const Piece p : pieces) {
    ASSERT_FALSE(p.empty()) << "empty piece";
    ASSERT_LE(p.size(), kChunk);
    ASSERT_LE(offset + p.size(), end);
    ASSERT_TRUE(
        std::equal(p.begin(), p.end(), model.stream.begin() + static_cast<std::ptrdiff_t>(offset)))
        << "piece at offset " << offset;
    offset += p.size();
  }
  if (pieces.size() < slots) {
    ASSERT_EQ(offset, end) << "pieces left out unsent bytes";
  }
}

TEST(SendBuffer, RandomizedAgainstModel) {
  for (std::uint32_t seed = 1; seed <= 30; ++seed) {
    SCOPED_TRACE(testing::Message() << "seed " << seed);
    std::mt19937 random(seed);
    auto pick = [&](std::uint64_t lo, std::uint64_t hi) {  // inclusive
      return std::uniform_int_distribution<std::uint64_t>(lo, hi)(random);
    };
    const std::size_t capacity = static_cast<std::size_t>(pick(1, 4 * kChunk));
    const std::size_t slots = static_cast<std::size_t>(pick(1, 8));
    SendBuffer buffer(capacity);
    Model model;
    std::vector<Watched> watched;
    for (int step = 0; step < 300; ++step) {
      const auto op = pick(0, 9);
      if (op <= 3) {  // append something, possibly more than fits
        const std::size_t n =
            static_cast<std::size_t>(pick(0, 1) == 0 ? pick(0, 300) : pick(0, capacity + kChunk));
        const Bytes data = pattern(model.stream.size(), n);
        const std::size_t room = capacity - (model.stream.size() - model.acked);
        const std::size_t taken = buffer.append(data);
        ASSERT_EQ(taken, std::min(n, room));
        model.stream.insert(model.stream.end(), data.begin(),
                            data.begin() + static_cast<std::ptrdiff_t>(taken));
      } else if (op <= 6) {  // send some of the unsent bytes, as ngtcp2 takes a packet's worth
        std::vector<Piece> pieces(slots);
        pieces.resize(buffer.unsent(pieces));
        std::uint64_t total = 0;
        for (const Piece p : pieces) total += p.size();
        const std::size_t n = static_cast<std::size_t>(pick(0, total));
        // Remember where the bytes went out from: they must stay until acknowledged.
        std::size_t left = n;
        std::uint64_t offset = model.sent;
        for (const Piece p : pieces) {
          if (left == 0) break;
          const std::size_t k = std::min(left, p.size());
          watched.push_back({p.data(), offset, k});
          offset += k;
          left -= k;
        }
        buffer.mark_sent(n);
        model.sent += n;
      } else if (op <= 8) {  // acknowledge in order, sometimes a stale or overlapping range
        const std::uint64_t from = pick(0, 3) == 0 ? pick(0, model.acked) : model.acked;
        const std::uint64_t length = pick(0, model.sent - from);
        buffer.acknowledge(from, length);
        model.acked = std::max(model.acked, from + length);
        std::erase_if(watched,
                      [&](const Watched& w) { return w.offset + w.length <= model.acked; });
      } else {  // everything sent and acknowledged at once
        buffer.mark_sent(model.stream.size() - model.sent);
        model.sent = model.stream.size();
        buffer.acknowledge(model.acked, model.sent - model.acked);
        model.acked = model.sent;
        watched.clear();
      }
      ASSERT_NO_FATAL_FAILURE(check_against(buffer, model, capacity, slots)) << "step " << step;
      for (const Watched& w : watched) {
        // Only the unacknowledged part must stay.
        const std::uint64_t begin = std::max(w.offset, model.acked);
        const std::size_t skip = static_cast<std::size_t>(begin - w.offset);
        ASSERT_TRUE(std::equal(w.at + skip, w.at + w.length,
                               model.stream.begin() + static_cast<std::ptrdiff_t>(begin)))
            << "step " << step << ": sent bytes at offset " << begin << " moved or changed";
      }
    }
  }
}

}  // namespace
}  // namespace lp2p::quic
