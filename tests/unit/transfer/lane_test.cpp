// Lanes: segments come out whole and in order however the stream is chunked; a stream that ends
// inside a segment, or a head that never ends, is an error.
#include "transfer/lane.hpp"

#include <gtest/gtest.h>

namespace lp2p::transfer {
namespace {

struct Seen {
  std::vector<SegmentHead> heads;
  std::vector<std::vector<std::uint8_t>> contents;
  int ends = 0;
};

LaneReader reader_for(Seen& seen) {
  return LaneReader({
      [&](const SegmentHead& h) -> Result<void> {
        seen.heads.push_back(h);
        seen.contents.emplace_back();
        return {};
      },
      [&](std::span<const std::uint8_t> bytes) -> Result<void> {
        seen.contents.back().insert(seen.contents.back().end(), bytes.begin(), bytes.end());
        return {};
      },
      [&]() -> Result<void> {
        ++seen.ends;
        return {};
      },
  });
}

std::vector<std::uint8_t> lane_bytes() {
  std::vector<std::uint8_t> out;
  append_segment_head(0, 0, 5, out);
  out.insert(out.end(), {1, 2, 3, 4, 5});
  append_segment_head(7, 0, 0, out);  // an empty file
  append_segment_head(100000, std::uint64_t{1} << 40, 3, out);
  out.insert(out.end(), {9, 8, 7});
  return out;
}

TEST(Lane, SegmentsWhateverTheChunking) {
  const std::vector<std::uint8_t> bytes = lane_bytes();
  for (std::size_t step :
       {std::size_t{1}, std::size_t{2}, std::size_t{3}, std::size_t{7}, bytes.size()}) {
    Seen seen;
    LaneReader reader = reader_for(seen);
    for (std::size_t at = 0; at < bytes.size(); at += step) {
      ASSERT_TRUE(reader.feed(std::span(bytes).subspan(at, std::min(step, bytes.size() - at))));
    }
    ASSERT_TRUE(reader.finish());
    ASSERT_EQ(seen.heads.size(), 3U) << "step " << step;
    EXPECT_EQ(seen.ends, 3);
    EXPECT_EQ(seen.heads[1].index, 7U);
    EXPECT_EQ(seen.heads[1].length, 0U);
    EXPECT_EQ(seen.heads[2].index, 100000U);
    EXPECT_EQ(seen.heads[2].offset, std::uint64_t{1} << 40);
    EXPECT_EQ(seen.contents[0], (std::vector<std::uint8_t>{1, 2, 3, 4, 5}));
    EXPECT_EQ(seen.contents[2], (std::vector<std::uint8_t>{9, 8, 7}));
  }
}

TEST(Lane, EndingInsideASegmentIsAnError) {
  std::vector<std::uint8_t> bytes = lane_bytes();
  bytes.resize(bytes.size() - 1);
  Seen seen;
  LaneReader reader = reader_for(seen);
  ASSERT_TRUE(reader.feed(bytes));
  EXPECT_EQ(reader.finish().error().code, Errc::truncated);
}

TEST(Lane, AHandlerErrorStopsTheLane) {
  LaneReader reader({
      [](const SegmentHead&) -> Result<void> { return make_error(Errc::protocol_error, "no"); },
      [](std::span<const std::uint8_t>) -> Result<void> { return {}; },
      []() -> Result<void> { return {}; },
  });
  const std::vector<std::uint8_t> bytes = lane_bytes();
  EXPECT_EQ(reader.feed(bytes).error().code, Errc::protocol_error);
  EXPECT_FALSE(reader.feed(bytes));  // and stays stopped
}

}  // namespace
}  // namespace lp2p::transfer
