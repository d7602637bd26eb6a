// hash_whole and hash_prefix against one-shot digests, over files of many sizes, one past a read
// block; and ReadBuffer's alignment, which the fast reads rely on.
#include "transfer/hashing.hpp"

#include <fcntl.h>
#include <gtest/gtest.h>
#include <unistd.h>

#include <cstdlib>
#include <filesystem>
#include <random>
#include <vector>

#include "common/unique_fd.hpp"
#include "transfer/file_read.hpp"

namespace lp2p::transfer {
namespace {

constexpr std::uint64_t kChunk = std::uint64_t{64} << 10;

class HashingTest : public ::testing::Test {
 protected:
  void SetUp() override {
    std::string pattern = (std::filesystem::temp_directory_path() / "lp2p-hash-XXXXXX").string();
    ASSERT_NE(::mkdtemp(pattern.data()), nullptr);
    dir_ = pattern;
  }
  void TearDown() override { std::filesystem::remove_all(dir_); }

  // A file of `size` pseudo-random bytes; its content in `bytes`.
  UniqueFd file_of(std::size_t size, std::vector<std::uint8_t>& bytes) {
    std::mt19937 random(static_cast<unsigned>(size));
    bytes.resize(size);
    for (auto& b : bytes) b = static_cast<std::uint8_t>(random());
    const auto path = dir_ / std::to_string(size);
    UniqueFd fd(::open(path.c_str(), O_RDWR | O_CREAT | O_TRUNC | O_CLOEXEC, 0600));
    EXPECT_EQ(::write(fd.get(), bytes.data(), size), static_cast<ssize_t>(size));
    return fd;
  }

  std::filesystem::path dir_;
};

TEST_F(HashingTest, DigestsMatchOneShotHashesOfTheFile) {
  // Up to past one 4 MiB read: the last size takes two reads, the second a short one.
  for (const std::size_t size :
       {std::size_t{0}, std::size_t{1}, std::size_t{kChunk}, std::size_t{kChunk + 1},
        std::size_t{3 * kChunk}, std::size_t{2 * kChunk + 4097}, std::size_t{(4U << 20) + 4097}}) {
    SCOPED_TRACE(size);
    std::vector<std::uint8_t> bytes;
    const UniqueFd fd = file_of(size, bytes);
    auto digest = hash_whole(fd.get(), size, nullptr, {});
    ASSERT_TRUE(digest) << digest.error().message;
    EXPECT_EQ(*digest, sha256_of(bytes));
  }
}

TEST_F(HashingTest, AFileShorterThanItsSizeIsAnError) {
  std::vector<std::uint8_t> bytes;
  const UniqueFd fd = file_of(1000, bytes);
  auto digest = hash_whole(fd.get(), 5000, nullptr, {});
  ASSERT_FALSE(digest);
  EXPECT_EQ(digest.error().code, Errc::io_error);
}

TEST_F(HashingTest, APrefixAndAPeekAreDigestsOfWhatWasFed) {
  std::vector<std::uint8_t> bytes;
  const UniqueFd fd = file_of(3 * kChunk + 5, bytes);
  Sha256Stream stream;
  ASSERT_TRUE(hash_prefix(fd.get(), 2 * kChunk + 1, stream));
  EXPECT_EQ(stream.peek(), sha256_of(std::span(bytes).first(2 * kChunk + 1)));
  stream.update(std::span(bytes).subspan(2 * kChunk + 1));  // a peek does not end the stream
  EXPECT_EQ(stream.finish(), sha256_of(bytes));
  EXPECT_FALSE(hash_prefix(fd.get(), bytes.size() + 1, stream)) << "past the end";
}

TEST(ReadBufferTest, IsPageAlignedAtAnySize) {
  for (const std::size_t size :
       {std::size_t{0}, std::size_t{1}, std::size_t{4097}, std::size_t{1} << 20}) {
    const ReadBuffer buffer(size);
    EXPECT_EQ(reinterpret_cast<std::uintptr_t>(buffer.data()) % kPageSize, 0U);
    EXPECT_EQ(buffer.size(), size);
    EXPECT_EQ(buffer.span().size(), size);
  }
}

}  // namespace
}  // namespace lp2p::transfer
