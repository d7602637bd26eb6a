// Version 2's digest-follows files on the receiving side, on real files in a temporary
// directory: the plan probes a same-size file and a part without chunk hashes; a sink checks the
// trailer (right, wrong, all zeros) and the answer to a whole-file probe.
#include "transfer/receive_plan.hpp"

#include <gtest/gtest.h>
#include <unistd.h>

#include <atomic>
#include <filesystem>
#include <fstream>

#include "transfer/file_names.hpp"
#include "transfer/file_sink.hpp"

namespace lp2p::transfer {
namespace {

namespace fs = std::filesystem;

constexpr std::uint64_t kChunk = kMinChunkSize;

std::vector<std::uint8_t> pattern(std::size_t size, std::uint8_t seed) {
  std::vector<std::uint8_t> out(size);
  for (std::size_t i = 0; i < size; ++i) out[i] = static_cast<std::uint8_t>(seed + i * 7 + i / 251);
  return out;
}

void write_file(const fs::path& path, std::span<const std::uint8_t> bytes) {
  std::ofstream out(path, std::ios::binary);
  out.write(reinterpret_cast<const char*>(bytes.data()),
            static_cast<std::streamsize>(bytes.size()));
}

class ReceivePlanTest : public ::testing::Test {
 protected:
  void SetUp() override {
    static std::atomic<int> counter{0};
    base_ = fs::temp_directory_path() /
            ("lp2p-plan-" + std::to_string(::getpid()) + "-" + std::to_string(counter++));
    fs::remove_all(base_);
    fs::create_directories(base_);
    auto opened = DestDir::open(base_ / "dest", true);
    ASSERT_TRUE(opened) << opened.error().describe();
    dest_.emplace(std::move(*opened));
    offer_.chunk_size = kChunk;
    Entry e;
    e.path = "big.bin";
    e.size = content_.size();
    e.mtime_ns = 1'700'000'000'000'000'000;
    e.digest_follows = true;
    offer_.entries.push_back(e);
  }
  void TearDown() override { fs::remove_all(base_); }

  [[nodiscard]] fs::path dest() const { return base_ / "dest"; }
  [[nodiscard]] fs::path part() const {
    return dest() / part_name_for("big.bin", content_key(offer_.entries[0]).substr(0, 8));
  }

  Plan plan() {
    auto planned = plan_receive(offer_, *dest_, nullptr, {});
    EXPECT_TRUE(planned) << planned.error().describe();
    return planned ? std::move(*planned) : Plan{};
  }

  // Feeds `bytes` of the planned file to a sink (in two pieces, splitting the trailer) and
  // verifies it.
  Result<void> receive(PlannedFile file, std::span<const std::uint8_t> bytes, bool trailer_only) {
    FileSink sink(SinkContext{&*dest_, nullptr, "peer", false}, std::move(file), offer_.entries[0],
                  trailer_only);
    LP2P_TRY(sink.open());
    const std::size_t split = bytes.size() - 7;
    LP2P_TRY(sink.write(bytes.first(split)));
    LP2P_TRY(sink.write(bytes.subspan(split)));
    return sink.verify();
  }

  fs::path base_;
  std::optional<DestDir> dest_;
  Offer offer_;
  const std::vector<std::uint8_t> content_ = pattern(5 * kChunk / 2, 3);
};

TEST_F(ReceivePlanTest, DigestFollowsWithChunkHashesIsRefused) {
  offer_.entries[0].chunk_hashes.assign(3 * kSha256Size, 1);
  EXPECT_FALSE(check_offer(offer_));
  offer_.entries[0].chunk_hashes.clear();
  EXPECT_TRUE(check_offer(offer_));
  offer_.entries[0].size = 0;
  EXPECT_FALSE(check_offer(offer_));
}

TEST_F(ReceivePlanTest, ASameSizeFileIsProbedNotHad) {
  const auto other = pattern(content_.size(), 9);
  write_file(dest() / "big.bin", other);
  const Plan p = plan();
  EXPECT_TRUE(p.answer.have.empty());
  ASSERT_EQ(p.answer.wanted.size(), 1U);
  EXPECT_EQ(p.answer.wanted[0].offset, 0U);
  EXPECT_EQ(p.answer.wanted[0].probe, sha256_of(other));
}

TEST_F(ReceivePlanTest, APartWithoutChunkHashesResumesWholeChunksWithAProbe) {
  write_file(part(), std::span(content_).first(2 * kChunk + 100));
  const Plan p = plan();
  ASSERT_EQ(p.answer.wanted.size(), 1U);
  EXPECT_EQ(p.answer.wanted[0].offset, 2 * kChunk);
  EXPECT_EQ(p.answer.wanted[0].probe, sha256_of(std::span(content_).first(2 * kChunk)));
  EXPECT_EQ(p.bytes_resumed, 2 * kChunk);
  // The rest and the trailer complete it.
  std::vector<std::uint8_t> segment(content_.begin() + 2 * kChunk, content_.end());
  const Sha256 digest = sha256_of(content_);
  segment.insert(segment.end(), digest.begin(), digest.end());
  EXPECT_TRUE(receive(p.files[0], segment, false));
}

TEST_F(ReceivePlanTest, AWholePartNeverResumesPastTheLastChunk) {
  write_file(part(), content_);
  const Plan p = plan();
  ASSERT_EQ(p.answer.wanted.size(), 1U);
  EXPECT_EQ(p.answer.wanted[0].offset, 2 * kChunk);
}

TEST_F(ReceivePlanTest, TheTrailerDecides) {
  const Sha256 digest = sha256_of(content_);
  std::vector<std::uint8_t> segment = content_;
  segment.insert(segment.end(), digest.begin(), digest.end());
  EXPECT_TRUE(receive(plan().files[0], segment, false));
  fs::remove(part());  // verified, not committed: the next plan would resume from it

  segment.back() ^= 1U;
  auto wrong = receive(plan().files[0], segment, false);
  ASSERT_FALSE(wrong);
  EXPECT_NE(wrong.error().message.find("does not match"), std::string::npos);
  EXPECT_FALSE(fs::exists(part())) << "a wrong part is removed";

  std::fill(segment.end() - kSha256Size, segment.end(), 0);
  auto changed = receive(plan().files[0], segment, false);
  ASSERT_FALSE(changed);
  EXPECT_NE(changed.error().message.find("changed while it was sent"), std::string::npos);

  segment.push_back(0);  // a byte past the trailer
  EXPECT_FALSE(receive(plan().files[0], segment, false));
}

TEST_F(ReceivePlanTest, TheAnswerToAWholeFileProbeIsItsDigest) {
  write_file(dest() / "big.bin", content_);
  const Plan p = plan();
  ASSERT_EQ(p.files.size(), 1U);
  const Sha256 digest = sha256_of(content_);
  EXPECT_TRUE(receive(p.files[0], digest, true));
  Sha256 other = digest;
  other[0] ^= 1U;
  EXPECT_FALSE(receive(p.files[0], other, true));
  EXPECT_FALSE(fs::exists(part())) << "a probe answer writes nothing";
}

}  // namespace
}  // namespace lp2p::transfer
