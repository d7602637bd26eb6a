// StreamReader: the same frames come out whatever the chunking; whole messages within one chunk
// are views into it; limits (size, depth) and malformed CBOR fail the reader for good.
#include "wire/stream_reader.hpp"

#include <gtest/gtest.h>

#include <cstdint>
#include <deque>
#include <random>
#include <string>
#include <vector>

#include "test_support.hpp"
#include "wire/codec.hpp"
#include "wire/messages.hpp"

namespace lp2p::wire {
namespace {

using test::ByteVec;
using test::describe_result;
using test::hex;
using test::unhex;

bool within(const std::uint8_t* p, std::span<const std::uint8_t> range) {
  return !range.empty() && p >= range.data() && p < range.data() + range.size();
}

// A stream of messages: their bytes back to back, and what each decodes to.
struct Stream {
  struct Part {
    ByteVec bytes;
    Message message;
    std::size_t offset = 0;        // of the message in `bytes`
    bool payload_is_view = false;  // a data-frame with a definite payload
  };
  std::deque<ByteVec> storage;  // payloads the expected DataFrames point to
  std::vector<Part> parts;
  ByteVec bytes;

  void add_bytes(ByteVec message_bytes, Message expected) {
    const bool view = std::holds_alternative<DataFrame>(expected) &&
                      std::get<DataFrame>(expected).payload_storage == nullptr;
    parts.push_back(Part{std::move(message_bytes), std::move(expected), bytes.size(), view});
    bytes.insert(bytes.end(), parts.back().bytes.begin(), parts.back().bytes.end());
  }
  void add(const Message& message) { add_bytes(encode(message), message); }
  void add_data_frame(EncodingId encoding, std::size_t size, std::uint8_t seed) {
    ByteVec payload(size);
    for (std::size_t i = 0; i < size; ++i) payload[i] = static_cast<std::uint8_t>(seed + i * 31);
    storage.push_back(std::move(payload));
    add(DataFrame{encoding, storage.back(), nullptr});
  }
  // A message given as hex (liberal forms the encoder never writes), with what it decodes to.
  void add_hex(std::string_view hex_text, Message expected) {
    add_bytes(unhex(hex_text), std::move(expected));
  }
  [[nodiscard]] std::vector<std::size_t> boundaries() const {
    std::vector<std::size_t> out;
    for (const auto& part : parts) out.push_back(part.offset);
    out.push_back(bytes.size());
    return out;
  }
};

AgentInfo sample_agent_info() {
  return AgentInfo{"Living room \xe2\x80\x94 TV",
                   "lp2p",
                   {AgentCapability::data_channels, AgentCapability::quick_transport},
                   "aB3dE6gH",
                   {"en-US", "fr"}};
}

// Every message type, plus liberal forms (non-minimal varints, indefinite lengths, extensions).
// `big_frame` is the payload size of one data-frame in the middle.
Stream make_stream(std::size_t big_frame) {
  Stream s;
  s.add(AgentInfoRequest{1});
  s.add(AgentInfoResponse{1, sample_agent_info()});
  s.add(AgentInfoEvent{sample_agent_info()});
  s.add(AgentStatusRequest{2, std::nullopt});
  s.add(AgentStatusResponse{2, Status{"ok"}});
  s.add(AuthCapabilities{50, {PskInputMethod::numeric, PskInputMethod::qr_code}, 20});
  s.storage.push_back(ByteVec(65, 0x04));
  s.add(AuthSpake2Handshake{AuthInitiationToken{"Ab3+9xYz/"}, PskStatus::psk_shown,
                            s.storage.back()});
  s.add(AuthSpake2Confirmation{ByteVec(32, 0xc3)});
  s.add(AuthStatus{AuthStatusResult::authenticated});
  s.add(DataChannelOpenRequest{3, 0, "chat", ""});
  s.add(DataChannelOpenResponse{3, ResultCode::success});
  s.add_data_frame(EncodingId::string, 5, 'h');
  s.add_data_frame(EncodingId::array_buffer, big_frame, 7);
  s.add_data_frame(EncodingId::blob, 0, 0);
  // Non-minimal 8-byte type key, non-minimal heads.
  s.add_hex("c00000000000000c a1 1800 1b0000000000000009", AgentStatusRequest{9, std::nullopt});
  // Indefinite map with an indefinite text, extension fields and nested items.
  s.add_hex(
      "444d bf 6178 9f 81 a1 00 c1 00 5f 41 00 ff ff 00 04 01 05 02 7f 62 6368 62 6174 ff "
      "03 60 ff",
      DataChannelOpenRequest{4, 5, "chat", ""});
  // A data-frame with an indefinite payload (joined into storage by the decoder).
  s.storage.push_back(unhex("01020304050607"));
  s.add_hex("4018 a2 00 02 04 5f 43 010203 40 44 04050607 ff",
            DataFrame{EncodingId::array_buffer, s.storage.back(), nullptr});
  // (That expected frame is a view, but the decoded one will not be: see check().)
  s.parts.back().payload_is_view = false;
  s.add(AgentInfoRequest{~std::uint64_t{0}});
  return s;
}

struct Outcome {
  std::string problem;       // first wrong frame or failed call; empty when all is well
  std::string view_problem;  // first whole-in-one-chunk message that was copied
};

// Feeds `stream` in the chunks that `cuts` (increasing offsets, 0 and size implied) delimit, each
// chunk copied into its own short-lived buffer, and checks every frame.
Outcome run(const Stream& stream, const std::vector<std::size_t>& cuts) {
  StreamReader reader;
  std::size_t next = 0;
  std::string problem;
  std::string view_problem;
  std::span<const std::uint8_t> chunk;
  std::size_t chunk_offset = 0;
  auto note = [&problem](const std::string& text) {
    if (problem.empty()) problem = text;
  };
  auto note_view = [&view_problem](const std::string& text) {
    if (view_problem.empty()) view_problem = text;
  };
  const StreamReader::FrameHandler handler = [&](const Frame& frame) {
    const std::string where = "frame " + std::to_string(next);
    if (next >= stream.parts.size()) {
      note(where + ": more frames than messages");
      return;
    }
    const auto& part = stream.parts[next++];
    if (!std::ranges::equal(frame.bytes, part.bytes)) {
      note(where + ": bytes differ: got " +
           hex(frame.bytes.first(std::min<std::size_t>(frame.bytes.size(), 40))));
      return;
    }
    const auto key = decode_varint(part.bytes);
    if (frame.type_key != key->value) note(where + ": wrong type key");
    if (frame.body.data() != frame.bytes.data() + key->length ||
        frame.body.size() != frame.bytes.size() - key->length) {
      note(where + ": body is not the bytes after the type key");
    }
    const auto decoded = decode_body(frame.type_key, frame.body);
    if (!decoded || decoded.value() != part.message) {
      note(where + ": decoded " + describe_result(decoded) + ", expected " +
           test::describe_message(part.message));
      return;
    }
    // A message wholly inside the chunk being fed is handed out from that chunk: no copy.
    const bool in_chunk = part.offset >= chunk_offset &&
                          part.offset + part.bytes.size() <= chunk_offset + chunk.size();
    if (in_chunk) {
      if (frame.bytes.data() != chunk.data() + (part.offset - chunk_offset)) {
        note_view(where + " (offset " + std::to_string(part.offset) +
                  ") lies within the fed chunk but was not handed out from it");
      }
      if (part.payload_is_view) {
        const auto& payload = std::get<DataFrame>(decoded.value()).payload;
        if (!payload.empty() && !within(payload.data(), chunk)) {
          note_view(where + ": data-frame payload is not a view into the fed chunk");
        }
      }
    }
  };

  std::size_t start = 0;
  auto feed_until = [&](std::size_t end) {
    const ByteVec copy(stream.bytes.begin() + static_cast<std::ptrdiff_t>(start),
                       stream.bytes.begin() + static_cast<std::ptrdiff_t>(end));
    chunk = copy;
    chunk_offset = start;
    const auto fed = reader.feed(copy, handler);
    if (!fed)
      note("feed of [" + std::to_string(start) + ", " + std::to_string(end) +
           ") failed: " + fed.error().describe());
    start = end;
  };
  auto finish = [&]() -> Outcome {
    if (!problem.empty()) return {problem, view_problem};
    if (next != stream.parts.size()) {
      return {std::to_string(next) + " frames out of " + std::to_string(stream.parts.size()),
              view_problem};
    }
    if (reader.messages_read() != stream.parts.size()) return {"messages_read() is wrong", {}};
    if (reader.buffered() != 0) return {"bytes left buffered at the end", view_problem};
    if (const auto finished = reader.finish(); !finished) {
      return {"finish() failed: " + finished.error().describe(), view_problem};
    }
    return {{}, view_problem};
  };
  for (const std::size_t cut : cuts) {
    if (cut < start || cut > stream.bytes.size()) return {"bad cut list", {}};
    feed_until(cut);
    if (!problem.empty()) return finish();
  }
  feed_until(stream.bytes.size());
  return finish();
}

// The frames are right (views are checked separately, by WholeMessagesInAChunkAreViews).
std::string check(const Stream& stream, const std::vector<std::size_t>& cuts) {
  return run(stream, cuts).problem;
}

TEST(StreamReader, WholeStreamInOneChunk) {
  const Stream stream = make_stream(300);
  ASSERT_GE(stream.parts.size(), 8U);
  EXPECT_EQ(check(stream, {}), "");
}

TEST(StreamReader, SmallStreamSplitAtEveryPoint) {
  const Stream stream = make_stream(300);
  for (std::size_t cut = 0; cut <= stream.bytes.size(); ++cut) {
    ASSERT_EQ(check(stream, {cut}), "") << "split at " << cut << " of " << stream.bytes.size();
  }
}

TEST(StreamReader, SmallStreamSplitAtEveryPairOfPointsNearBoundaries) {
  const Stream stream = make_stream(40);
  // Two cuts, each within 3 bytes of a message boundary: three chunks.
  std::vector<std::size_t> points;
  for (const std::size_t b : stream.boundaries()) {
    for (std::size_t d = 0; d < 7; ++d) {
      if (b + d >= 3 && b + d - 3 <= stream.bytes.size()) points.push_back(b + d - 3);
    }
  }
  for (const std::size_t first : points) {
    for (const std::size_t second : points) {
      if (second < first) continue;
      ASSERT_EQ(check(stream, {first, second}), "") << "split at " << first << " and " << second;
    }
  }
}

TEST(StreamReader, SmallStreamByteByByte) {
  const Stream stream = make_stream(300);
  std::vector<std::size_t> cuts;
  for (std::size_t i = 1; i < stream.bytes.size(); ++i) cuts.push_back(i);
  EXPECT_EQ(check(stream, cuts), "");
}

TEST(StreamReader, BigStreamSplitAtManyPoints) {
  const Stream stream = make_stream(100 * 1024);
  ASSERT_GT(stream.bytes.size(), 100U * 1024U);
  std::vector<std::size_t> points;
  for (std::size_t i = 0; i <= 600; ++i) points.push_back(i);
  for (const std::size_t b : stream.boundaries()) {
    for (std::size_t d = 0; d <= 32; ++d) {
      if (b + d >= 16 && b + d - 16 <= stream.bytes.size()) points.push_back(b + d - 16);
    }
  }
  for (std::size_t i = 0; i < stream.bytes.size(); i += 4099) points.push_back(i);
  for (std::size_t i = 0; i <= 300; ++i) points.push_back(stream.bytes.size() - i);
  for (const std::size_t cut : points) {
    ASSERT_EQ(check(stream, {cut}), "") << "split at " << cut << " of " << stream.bytes.size();
  }
}

TEST(StreamReader, BigStreamByteByByte) {
  const Stream stream = make_stream(100 * 1024);
  std::vector<std::size_t> cuts;
  for (std::size_t i = 1; i < stream.bytes.size(); ++i) cuts.push_back(i);
  EXPECT_EQ(check(stream, cuts), "");
}

TEST(StreamReader, RandomChunkSizes) {
  const Stream small = make_stream(300);
  const Stream big = make_stream(100 * 1024);
  std::mt19937_64 rng(20240809);
  for (int round = 0; round < 200; ++round) {
    const Stream& stream = round % 4 == 0 ? big : small;
    // Chunk sizes up to 2^k for a random k, so that both tiny and large chunks occur.
    const auto max_chunk = std::size_t{1} << (rng() % 16);
    std::vector<std::size_t> cuts;
    std::size_t at = 0;
    for (;;) {
      at += 1 + static_cast<std::size_t>(rng() % max_chunk);
      if (at >= stream.bytes.size()) break;
      cuts.push_back(at);
      if (rng() % 16 == 0) cuts.push_back(at);  // an empty chunk now and then
    }
    ASSERT_EQ(check(stream, cuts), "") << "round " << round << ", chunks up to " << max_chunk;
  }
}

TEST(StreamReader, WholeMessagesInAChunkAreViews) {
  // Whenever a message lies wholly within one fed chunk, the frame (and a data-frame's payload)
  // points into that chunk: in one chunk, and in the second chunk of every split.
  const Stream stream = make_stream(300);
  EXPECT_EQ(run(stream, {}).view_problem, "");
  for (std::size_t cut = 0; cut <= stream.bytes.size(); ++cut) {
    ASSERT_EQ(run(stream, {cut}).view_problem, "") << "split at " << cut;
  }
}

TEST(StreamReader, EmptyFeedsAreHarmless) {
  StreamReader reader;
  int frames = 0;
  const StreamReader::FrameHandler count = [&frames](const Frame&) { ++frames; };
  EXPECT_TRUE(reader.feed({}, count));
  const auto bytes = unhex("0aa10001");
  EXPECT_TRUE(reader.feed(std::span(bytes).first(2), count));
  EXPECT_TRUE(reader.feed({}, count));
  EXPECT_EQ(reader.buffered(), 2U);
  EXPECT_TRUE(reader.feed(std::span(bytes).subspan(2), count));
  EXPECT_EQ(frames, 1);
  EXPECT_TRUE(reader.finish());
}

TEST(StreamReader, BufferedHoldsOnlyTheIncompleteTail) {
  const auto bytes = unhex("0aa10001 0ca10002 444ea200030101 18a20001044568656c6c6f");
  StreamReader reader;
  std::vector<std::uint64_t> keys;
  const StreamReader::FrameHandler handler = [&keys](const Frame& f) {
    keys.push_back(f.type_key);
  };
  // Everything but the last 3 bytes.
  ASSERT_TRUE(reader.feed(std::span(bytes).first(bytes.size() - 3), handler));
  EXPECT_EQ(keys, (std::vector<std::uint64_t>{10, 12, 1102}));
  EXPECT_EQ(reader.buffered(), 11U - 3U);
  EXPECT_EQ(reader.messages_read(), 3U);
  EXPECT_FALSE(reader.finish());
  ASSERT_TRUE(reader.feed(std::span(bytes).last(3), handler));
  EXPECT_EQ(keys, (std::vector<std::uint64_t>{10, 12, 1102, 24}));
  EXPECT_EQ(reader.buffered(), 0U);
  EXPECT_TRUE(reader.finish());
}

TEST(StreamReader, MessageAfterACompletedPartialOneIsStillAView) {
  // Chunk 1: half of a message. Chunk 2: its rest, then a whole data-frame. The data-frame lies
  // wholly within chunk 2, so (stream_reader.hpp contract) it is handed out from chunk 2.
  const auto first = unhex("444da4000301000264636861740360");
  const auto frame = unhex("18a20001044568656c6c6f");
  const ByteVec chunk1(first.begin(), first.begin() + 7);
  ByteVec chunk2(first.begin() + 7, first.end());
  chunk2.insert(chunk2.end(), frame.begin(), frame.end());
  StreamReader reader;
  int frames = 0;
  const StreamReader::FrameHandler handler = [&](const Frame& f) {
    ++frames;
    if (f.type_key != 24) return;
    EXPECT_EQ(f.bytes.data(), chunk2.data() + (first.size() - 7))
        << "a whole message inside the chunk was copied";
    const auto decoded = decode_body(f.type_key, f.body);
    ASSERT_TRUE(decoded.has_value()) << describe_result(decoded);
    EXPECT_TRUE(within(std::get<DataFrame>(decoded.value()).payload.data(), chunk2));
  };
  ASSERT_TRUE(reader.feed(chunk1, handler));
  ASSERT_TRUE(reader.feed(chunk2, handler));
  EXPECT_EQ(frames, 2);
}

// A data-frame of exactly `total` bytes (type key included): 18 a2 00 02 04 59 hh ll payload.
ByteVec data_frame_of_size(std::size_t total) {
  const std::size_t payload = total - 8;  // needs a 2-byte length head: 256 <= payload < 65536
  test::RefCbor c;
  c.raw_hex("18 a2 00 02 04").head(2, payload);
  ByteVec bytes = c.take();
  EXPECT_EQ(bytes.size(), 8U);
  bytes.resize(total, 0x42);
  return bytes;
}

TEST(StreamReader, MessageOfTheLimitPassesOneMoreFails) {
  constexpr std::size_t kLimit = 1000;
  StreamReader::Options options;
  options.max_message_size = kLimit;
  const StreamReader::FrameHandler ignore = [](const Frame&) {};

  const auto at_limit = data_frame_of_size(kLimit);
  ASSERT_EQ(at_limit.size(), kLimit);
  ASSERT_TRUE(decode(at_limit).has_value());
  {
    StreamReader reader(options);
    std::size_t frames = 0;
    const auto fed = reader.feed(
        at_limit, [&](const Frame& f) { frames += f.bytes.size() == kLimit ? 1U : 0U; });
    EXPECT_TRUE(fed) << fed.error().describe();
    EXPECT_EQ(frames, 1U);
  }
  {  // byte by byte
    StreamReader reader(options);
    for (const std::uint8_t b : at_limit) {
      const auto fed = reader.feed(std::span(&b, 1), ignore);
      ASSERT_TRUE(fed) << fed.error().describe();
    }
    EXPECT_EQ(reader.messages_read(), 1U);
  }
  {  // ten of them in one chunk: the limit is per message
    ByteVec ten;
    for (int i = 0; i < 10; ++i) ten.insert(ten.end(), at_limit.begin(), at_limit.end());
    StreamReader reader(options);
    EXPECT_TRUE(reader.feed(ten, ignore));
    EXPECT_EQ(reader.messages_read(), 10U);
  }

  const auto over = data_frame_of_size(kLimit + 1);
  {
    StreamReader reader(options);
    const auto fed = reader.feed(over, ignore);
    ASSERT_FALSE(fed);
    EXPECT_EQ(fed.error().code, Errc::too_large) << fed.error().describe();
    EXPECT_EQ(reader.messages_read(), 0U);
  }
  {  // byte by byte: fails at the latest with the last byte, never hands out a frame
    StreamReader reader(options);
    bool failed = false;
    for (const std::uint8_t b : over) {
      const auto fed = reader.feed(std::span(&b, 1), [](const Frame&) { ADD_FAILURE(); });
      if (!fed) {
        EXPECT_EQ(fed.error().code, Errc::too_large) << fed.error().describe();
        failed = true;
      }
    }
    EXPECT_TRUE(failed);
    EXPECT_LE(reader.buffered(), kLimit);
  }
}

TEST(StreamReader, TheLimitIncludesTheTypeKey) {
  StreamReader::Options options;
  options.max_message_size = 4;
  const StreamReader::FrameHandler ignore = [](const Frame&) {};
  StreamReader ok(options);
  EXPECT_TRUE(ok.feed(unhex("0aa10001"), ignore));  // 4 bytes
  StreamReader too_big(options);
  const auto fed = too_big.feed(unhex("400aa10001"), ignore);  // 5 bytes: 2-byte type key
  ASSERT_FALSE(fed);
  EXPECT_EQ(fed.error().code, Errc::too_large);
}

TEST(StreamReader, HugeStringHeadFailsAtOnce) {
  // data-frame type key, then a byte string claiming 2^64-1 bytes: 10 bytes in all.
  const auto bytes = unhex("18 5b ffffffffffffffff");
  ASSERT_EQ(bytes.size(), 10U);
  StreamReader reader;
  const auto fed = reader.feed(bytes, [](const Frame&) { ADD_FAILURE(); });
  ASSERT_FALSE(fed);
  EXPECT_EQ(fed.error().code, Errc::too_large) << fed.error().describe();
  EXPECT_LE(reader.buffered(), 10U);

  // The same inside a data-frame map, fed byte by byte: fails as soon as the head is in.
  const auto framed = unhex("18 a2 00 01 04 5b ffffffffffffffff");
  StreamReader slow;
  for (std::size_t i = 0; i < framed.size(); ++i) {
    const auto step = slow.feed(std::span(framed).subspan(i, 1), [](const Frame&) {});
    if (i + 1 < framed.size()) {
      ASSERT_TRUE(step) << "byte " << i << ": " << step.error().describe();
    } else {
      ASSERT_FALSE(step);
      EXPECT_EQ(step.error().code, Errc::too_large);
    }
  }
  EXPECT_LE(slow.buffered(), framed.size());
}

TEST(StreamReader, HugeContainerHeadsFailAtOnce) {
  for (const char* text : {"0a 9b ffffffffffffffff", "0a bb ffffffffffffffff",
                           "0a 7b ffffffffffffffff", "0a a2 00 01 6178 9a ffffffff"}) {
    StreamReader reader;
    const auto fed = reader.feed(unhex(text), [](const Frame&) {});
    ASSERT_FALSE(fed) << text;
    EXPECT_EQ(fed.error().code, Errc::too_large) << text << ": " << fed.error().describe();
  }
}

TEST(StreamReader, LongMessagesOfSmallItemsHitTheLimit) {
  // An indefinite array of zeros never ends: the reader must give up at the limit, not buffer on.
  StreamReader::Options options;
  options.max_message_size = 64 * 1024;
  StreamReader reader(options);
  const ByteVec start = unhex("0a 9f");
  ASSERT_TRUE(reader.feed(start, [](const Frame&) {}));
  const ByteVec zeros(1024, 0x00);
  std::size_t fed_bytes = start.size();
  bool failed = false;
  while (fed_bytes <= 2 * options.max_message_size) {
    const auto fed = reader.feed(zeros, [](const Frame&) { ADD_FAILURE(); });
    fed_bytes += zeros.size();
    if (!fed) {
      EXPECT_EQ(fed.error().code, Errc::too_large) << fed.error().describe();
      failed = true;
      break;
    }
    ASSERT_LE(reader.buffered(), options.max_message_size);
  }
  EXPECT_TRUE(failed);
  EXPECT_LE(fed_bytes, options.max_message_size + 2 * zeros.size());
}

TEST(StreamReader, AfterAnErrorEveryFeedFails) {
  StreamReader reader;
  std::size_t frames = 0;
  const StreamReader::FrameHandler count = [&frames](const Frame&) { ++frames; };
  ASSERT_TRUE(reader.feed(unhex("0aa10001"), count));
  const auto bad = reader.feed(unhex("0a ff"), count);
  ASSERT_FALSE(bad);
  EXPECT_EQ(bad.error().code, Errc::malformed);
  for (const char* text : {"0aa10001", "", "0c", "a10002"}) {
    const auto again = reader.feed(unhex(text), count);
    ASSERT_FALSE(again) << text;
    EXPECT_EQ(again.error().code, Errc::malformed);
    EXPECT_EQ(again.error().message, bad.error().message);
  }
  EXPECT_EQ(frames, 1U);
  const auto finished = reader.finish();
  ASSERT_FALSE(finished);
  EXPECT_EQ(finished.error().code, Errc::malformed);
}

TEST(StreamReader, FramesBeforeTheErrorInTheSameChunkComeOut) {
  StreamReader reader;
  std::vector<std::uint64_t> keys;
  const auto fed = reader.feed(unhex("0aa10001 0ca10002 0a 1c"),
                               [&keys](const Frame& f) { keys.push_back(f.type_key); });
  ASSERT_FALSE(fed);
  EXPECT_EQ(fed.error().code, Errc::malformed);
  EXPECT_EQ(keys, (std::vector<std::uint64_t>{10, 12}));
}

TEST(StreamReader, FinishChecksForAnIncompleteMessage) {
  const StreamReader::FrameHandler ignore = [](const Frame&) {};
  {
    StreamReader reader;
    EXPECT_TRUE(reader.finish());  // nothing fed
  }
  const auto bytes = unhex("0aa10001 444da4000301000264636861740360");
  for (std::size_t n = 0; n <= bytes.size(); ++n) {
    StreamReader reader;
    ASSERT_TRUE(reader.feed(std::span(bytes).first(n), ignore));
    const bool at_boundary = n == 0 || n == 4 || n == bytes.size();
    const auto finished = reader.finish();
    EXPECT_EQ(finished.has_value(), at_boundary) << "after " << n << " bytes";
    if (!finished) {
      EXPECT_EQ(finished.error().code, Errc::truncated);
    }
  }
  {  // a type key alone, and the first byte of a multi-byte type key
    StreamReader reader;
    ASSERT_TRUE(reader.feed(unhex("0a"), ignore));
    EXPECT_FALSE(reader.finish());
    StreamReader partial_key;
    ASSERT_TRUE(partial_key.feed(unhex("43"), ignore));
    EXPECT_FALSE(partial_key.finish());
  }
}

TEST(StreamReader, DepthBombFailsTooDeep) {
  ByteVec bomb = unhex("0a");
  bomb.insert(bomb.end(), 10000, 0x81);
  bomb.push_back(0x00);
  for (const std::size_t chunk : {bomb.size(), std::size_t{1}, std::size_t{7}}) {
    StreamReader reader;
    Result<void> fed;
    for (std::size_t at = 0; at < bomb.size() && fed; at += chunk) {
      fed = reader.feed(std::span(bomb).subspan(at, std::min(chunk, bomb.size() - at)),
                        [](const Frame&) { ADD_FAILURE(); });
    }
    ASSERT_FALSE(fed) << "chunk " << chunk;
    EXPECT_EQ(fed.error().code, Errc::too_deep) << fed.error().describe();
    EXPECT_LE(reader.buffered(), std::size_t{kMaxCborDepth} + 16) << "chunk " << chunk;
  }
  // Tags, indefinite arrays and maps nest too.
  for (const std::uint8_t opener : {std::uint8_t{0xc1}, std::uint8_t{0x9f}, std::uint8_t{0xbf}}) {
    ByteVec nested = unhex("0a");
    nested.insert(nested.end(), 10000, opener);
    StreamReader reader;
    const auto fed = reader.feed(nested, [](const Frame&) { ADD_FAILURE(); });
    ASSERT_FALSE(fed) << static_cast<int>(opener);
    EXPECT_EQ(fed.error().code, Errc::too_deep);
  }
}

TEST(StreamReader, MaxDepthIsTheDeepestNestingAccepted) {
  StreamReader::Options options;
  options.max_depth = 4;
  const StreamReader::FrameHandler ignore = [](const Frame&) {};
  StreamReader ok(options);
  EXPECT_TRUE(ok.feed(unhex("0a 81 81 81 81 00"), ignore));
  EXPECT_TRUE(ok.feed(unhex("0a a1 00 81 c1 9f 00 ff"), ignore));
  EXPECT_EQ(ok.messages_read(), 2U);
  StreamReader deep(options);
  const auto fed = deep.feed(unhex("0a 81 81 81 81 81 00"), ignore);
  ASSERT_FALSE(fed);
  EXPECT_EQ(fed.error().code, Errc::too_deep);
  // Default: kMaxCborDepth levels pass, one more fails.
  ByteVec at_limit = unhex("0a");
  at_limit.insert(at_limit.end(), kMaxCborDepth, 0x81);
  at_limit.push_back(0x00);
  StreamReader def;
  EXPECT_TRUE(def.feed(at_limit, ignore));
  at_limit.insert(at_limit.begin() + 1, 0x81);
  StreamReader def_deep;
  const auto fed_deep = def_deep.feed(at_limit, ignore);
  ASSERT_FALSE(fed_deep);
  EXPECT_EQ(fed_deep.error().code, Errc::too_deep);
}

TEST(StreamReader, MalformedCborFailsTheReader) {
  for (const char* text : {
           "0a ff",                             // break outside an indefinite item
           "0a 82 00 ff",                       // break inside a definite array
           "0a a1 ff 00",                       // break as a key of a definite map
           "0a 81 c1 ff",                       // break as a tag's content
           "0a 1c",          "0a 1d", "0a 1e",  // reserved additional information 28..30
           "0a 3c",          "0a 5d", "0a 7e", "0a 9c", "0a bd",
           "0a de",          "0a fc", "0a fd", "0a fe", "0a a1 00 1c",
           "0a 1f",           // indefinite unsigned integer
           "0a 3f",           // indefinite negative integer
           "0a df 00",        // indefinite tag
           "0a 5f 61 61 ff",  // text chunk in an indefinite byte string
           "0a 7f 41 61 ff",  // byte chunk in an indefinite text string
           "0a 5f 5f ff ff",  // nested indefinite strings
           "0a 5f 00 ff",     // integer chunk
           "0a 7f 81 00 ff",  // array chunk
       }) {
    SCOPED_TRACE(text);
    const auto bytes = unhex(text);
    // Whole and byte by byte.
    StreamReader whole;
    const auto fed = whole.feed(bytes, [](const Frame&) {});
    ASSERT_FALSE(fed);
    EXPECT_EQ(fed.error().code, Errc::malformed) << fed.error().describe();
    StreamReader slow;
    Result<void> step;
    for (std::size_t i = 0; i < bytes.size() && step; ++i) {
      step = slow.feed(std::span(bytes).subspan(i, 1), [](const Frame&) {});
    }
    ASSERT_FALSE(step);
    EXPECT_EQ(step.error().code, Errc::malformed) << step.error().describe();
  }
}

TEST(StreamReader, TwoByteSimpleValuesBelow32AreMalformed) {
  // RFC 8949 §3.3: f8 followed by a byte < 0x20 is not well-formed.
  for (const char* text : {"0a f8 00", "0a f8 1f", "0a 81 f8 14"}) {
    StreamReader reader;
    const auto fed = reader.feed(unhex(text), [](const Frame&) { ADD_FAILURE(); });
    ASSERT_FALSE(fed) << text;
    EXPECT_EQ(fed.error().code, Errc::malformed) << text;
  }
  StreamReader reader;
  EXPECT_TRUE(reader.feed(unhex("0a f8 20"), [](const Frame&) {}));
}

TEST(StreamReader, ScansItemsTheDecoderWouldRejectWithoutJudgingThem) {
  // The reader only frames: a well-formed item of the wrong shape is a frame; decode_body judges.
  StreamReader reader;
  std::vector<ByteVec> bodies;
  const auto fed =
      reader.feed(unhex("0a 81 00  800182b9 a0  0a f93c00  0a 1bffffffffffffffff"),
                  [&bodies](const Frame& f) { bodies.emplace_back(f.body.begin(), f.body.end()); });
  ASSERT_TRUE(fed) << fed.error().describe();
  ASSERT_EQ(bodies.size(), 4U);
  EXPECT_EQ(hex(bodies[0]), "8100");
  EXPECT_EQ(hex(bodies[1]), "a0");
  EXPECT_EQ(hex(bodies[2]), "f93c00");
  EXPECT_EQ(hex(bodies[3]), "1bffffffffffffffff");
}

TEST(StreamReader, MillionSmallItemsOneByteAtATime) {
  // Linear work in the number of CBOR heads too: a 1 MiB extension array of a million zeros fed
  // one byte at a time (re-scanning the message on each feed would take ~10^12 steps).
  constexpr std::size_t kItems = std::size_t{1} << 20;
  ByteVec bytes = unhex("0a a2 00 01 6178");
  test::RefCbor head;
  head.array(kItems);
  bytes.insert(bytes.end(), head.bytes_out().begin(), head.bytes_out().end());
  bytes.resize(bytes.size() + kItems, 0x00);

  StreamReader reader;
  std::size_t frames = 0;
  bool decoded_ok = false;
  const StreamReader::FrameHandler handler = [&](const Frame& f) {
    ++frames;
    const auto decoded = decode_body(f.type_key, f.body);
    decoded_ok = decoded.has_value() && decoded.value() == Message{AgentInfoRequest{1}};
  };
  for (std::size_t i = 0; i < bytes.size(); ++i) {
    const auto fed = reader.feed(std::span(bytes).subspan(i, 1), handler);
    ASSERT_TRUE(fed) << "byte " << i << ": " << fed.error().describe();
  }
  EXPECT_EQ(frames, 1U);
  EXPECT_TRUE(decoded_ok);
  EXPECT_EQ(reader.buffered(), 0U);
}

TEST(StreamReader, FourMiBDataFrameOneByteAtATime) {
  // Linear work: 4 Mi one-byte feeds finish (a reader re-scanning from the message start would
  // not finish within the test's timeout). buffered() grows by one byte per feed.
  constexpr std::size_t kPayload = std::size_t{4} << 20;
  ByteVec bytes;
  encode_data_frame_header(EncodingId::array_buffer, kPayload, bytes);
  const std::size_t header = bytes.size();
  bytes.resize(header + kPayload);
  for (std::size_t i = 0; i < kPayload; ++i) bytes[header + i] = static_cast<std::uint8_t>(i >> 8);

  StreamReader reader;
  std::size_t frames = 0;
  bool payload_ok = false;
  const StreamReader::FrameHandler handler = [&](const Frame& f) {
    ++frames;
    const auto decoded = decode_body(f.type_key, f.body);
    payload_ok =
        decoded.has_value() && std::ranges::equal(std::get<DataFrame>(decoded.value()).payload,
                                                  std::span(bytes).subspan(header));
  };
  bool bookkeeping_ok = true;
  for (std::size_t i = 0; i < bytes.size(); ++i) {
    const auto fed = reader.feed(std::span(bytes).subspan(i, 1), handler);
    ASSERT_TRUE(fed) << "byte " << i << ": " << fed.error().describe();
    const std::size_t expected_buffered = i + 1 < bytes.size() ? i + 1 : 0;
    bookkeeping_ok = bookkeeping_ok && reader.buffered() == expected_buffered;
  }
  EXPECT_EQ(frames, 1U);
  EXPECT_TRUE(payload_ok);
  EXPECT_TRUE(bookkeeping_ok) << "buffered() is not the number of bytes of the open message";
  EXPECT_TRUE(reader.finish());
}

}  // namespace
}  // namespace lp2p::wire
