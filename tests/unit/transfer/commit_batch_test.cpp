// transfer::CommitBatch and Journal::prune on real files in a temporary directory: verified
// sinks get their final names (in order, a clash numbered, a failure stopping the rest), and
// abandoned parts are removed.
#include "transfer/commit_batch.hpp"

#include <gtest/gtest.h>
#include <unistd.h>

#include <atomic>
#include <filesystem>
#include <fstream>
#include <iterator>
#include <memory>

#include "transfer/hashing.hpp"
#include "transfer/journal.hpp"
#include "transfer/receive_plan.hpp"

namespace lp2p::transfer {
namespace {

namespace fs = std::filesystem;

std::span<const std::uint8_t> bytes_of(std::string_view text) {
  return {reinterpret_cast<const std::uint8_t*>(text.data()), text.size()};
}

std::string slurp(const fs::path& file) {
  std::ifstream in(file, std::ios::binary);
  return {std::istreambuf_iterator<char>(in), std::istreambuf_iterator<char>()};
}

std::size_t part_files_below(const fs::path& root) {
  std::size_t n = 0;
  for (const auto& e : fs::recursive_directory_iterator(root)) {
    if (e.path().filename().string().ends_with(".lp2p-part")) ++n;
  }
  return n;
}

class CommitBatchTest : public ::testing::Test {
 protected:
  void SetUp() override {
    static std::atomic<int> counter{0};
    base_ = fs::temp_directory_path() /
            ("lp2p-batch-" + std::to_string(::getpid()) + "-" + std::to_string(counter++));
    fs::remove_all(base_);
    fs::create_directories(base_ / "state");
    auto opened = DestDir::open(base_ / "dest", true);
    ASSERT_TRUE(opened) << opened.error().describe();
    dest_.emplace(std::move(*opened));
    auto journal = Journal::open(base_ / "state");
    ASSERT_TRUE(journal) << journal.error().describe();
    journal_ = std::move(*journal);
  }
  void TearDown() override { fs::remove_all(base_); }

  [[nodiscard]] fs::path dest() const { return base_ / "dest"; }

  // A sink that received all of `content` for `rel_path` and passed verify().
  FileSink received(const std::string& rel_path, std::string_view content, bool overwrite = false,
                    bool journaled = false) {
    auto& entry = entries_.emplace_back(std::make_unique<Entry>());
    entry->path = rel_path;
    entry->size = content.size();
    Sha256Stream hash;
    hash.update(bytes_of(content));
    entry->sha256 = hash.finish();
    PlannedFile plan;
    const fs::path p(rel_path);
    for (const auto& c : p.parent_path()) plan.dir.push_back(c.string());
    plan.name = p.filename().string();
    plan.rel_path = rel_path;
    plan.content_key = content_key(*entry);
    plan.part_tag = plan.content_key.substr(0, 8);
    plan.prefix_hash = std::make_shared<Sha256Stream>();
    plan.journaled = journaled;
    if (!plan.dir.empty()) {
      EXPECT_TRUE(dest_->make_dirs(plan.dir));
    }
    FileSink sink(SinkContext{&*dest_, journal_.get(), "peer", overwrite}, std::move(plan), *entry);
    EXPECT_TRUE(sink.open());
    EXPECT_TRUE(sink.write(bytes_of(content)));
    EXPECT_TRUE(sink.verify());
    return sink;
  }

  fs::path base_;
  std::optional<DestDir> dest_;
  std::shared_ptr<Journal> journal_;
  std::vector<std::unique_ptr<Entry>> entries_;  // sinks refer to their entries
};

TEST_F(CommitBatchTest, ManyFilesInSeveralFoldersGetTheirNamesInOrder) {
  CommitBatch batch(*dest_);
  EXPECT_TRUE(batch.empty());
  batch.add(7, received("a/one", "1"));
  batch.add(3, received("a/two", "22"));
  batch.add(9, received("b/c/three", ""));
  EXPECT_FALSE(batch.empty());
  auto outcome = batch.commit();
  ASSERT_FALSE(outcome.error) << outcome.error->describe();
  ASSERT_EQ(outcome.results.size(), 3U);
  EXPECT_EQ(outcome.results[0].index, 7U);
  EXPECT_EQ(outcome.results[1].saved_as, "a/two");
  EXPECT_TRUE(outcome.results[2].ok);
  EXPECT_EQ(slurp(dest() / "a" / "one"), "1");
  EXPECT_EQ(slurp(dest() / "a" / "two"), "22");
  EXPECT_TRUE(fs::is_regular_file(dest() / "b" / "c" / "three"));
  EXPECT_EQ(part_files_below(dest()), 0U);
  EXPECT_TRUE(batch.empty());
  EXPECT_TRUE(batch.commit().results.empty());
}

TEST_F(CommitBatchTest, ALoneFileAndATakenName) {
  std::ofstream(dest() / "x.txt") << "mine";
  CommitBatch batch(*dest_);
  batch.add(0, received("x.txt", "theirs"));
  auto outcome = batch.commit();
  ASSERT_FALSE(outcome.error) << outcome.error->describe();
  ASSERT_EQ(outcome.results.size(), 1U);
  EXPECT_EQ(outcome.results[0].saved_as, "x (1).txt");
  EXPECT_EQ(slurp(dest() / "x.txt"), "mine");
  EXPECT_EQ(slurp(dest() / "x (1).txt"), "theirs");
}

TEST_F(CommitBatchTest, AFailureStopsTheRestWhichStayParts) {
  fs::create_directories(dest() / "dir");  // overwriting never replaces a folder
  CommitBatch batch(*dest_);
  batch.add(0, received("first", "1", true));
  batch.add(1, received("dir", "2", true));
  batch.add(2, received("third", "3", true));
  auto outcome = batch.commit();
  ASSERT_TRUE(outcome.error);
  EXPECT_EQ(outcome.error->code, Errc::refused) << outcome.error->describe();
  ASSERT_EQ(outcome.results.size(), 1U);
  EXPECT_EQ(slurp(dest() / "first"), "1");
  EXPECT_TRUE(fs::is_directory(dest() / "dir"));
  EXPECT_FALSE(fs::exists(dest() / "third"));
  EXPECT_EQ(part_files_below(dest()), 2U);
}

TEST_F(CommitBatchTest, FullAtItsFileCount) {
  CommitBatch batch(*dest_);
  for (std::size_t i = 0; i < kCommitFiles; ++i) {
    EXPECT_FALSE(batch.full()) << i;
    batch.add(i, received("f" + std::to_string(i), "x"));
  }
  EXPECT_TRUE(batch.full());
  EXPECT_EQ(batch.commit().results.size(), kCommitFiles);
}

TEST_F(CommitBatchTest, PruneRemovesAbandonedPartsAndTheirRecords) {
  FileSink kept = received("sub/big.bin", "partial content", false, true);
  kept.keep_for_resume();  // journaled, part on disk
  FileSink small = received("small", "gone", false, false);
  small.keep_for_resume();  // not journaled: its part goes at once
  EXPECT_EQ(part_files_below(dest()), 1U);
  EXPECT_EQ(journal_->prune(kPartsKeptFor), 0U) << "a fresh part is kept";
  EXPECT_EQ(part_files_below(dest()), 1U);
  // A negative age puts the cutoff in the future: every record counts as abandoned.
  EXPECT_EQ(journal_->prune(std::chrono::hours{-1}), 1U);
  EXPECT_EQ(part_files_below(dest()), 0U);
  EXPECT_EQ(journal_->prune(std::chrono::hours{-1}), 0U);
}

}  // namespace
}  // namespace lp2p::transfer
