// transfer::DestDir on real files, one temporary directory per test: "dest" is the destination,
// "outside" a directory next to it that no operation may ever write to, whatever links the
// destination holds.
#include "transfer/dest_dir.hpp"

#include <fcntl.h>
#include <gtest/gtest.h>
#include <sys/stat.h>
#include <unistd.h>

#include <array>
#include <atomic>
#include <cerrno>
#include <filesystem>
#include <fstream>
#include <iterator>
#include <limits>
#include <optional>
#include <stdexcept>
#include <type_traits>

#include "transfer/file_names.hpp"
#include "transfer/fs_error.hpp"
#include "transfer/path_rules.hpp"

namespace lp2p::transfer {
namespace {

namespace fs = std::filesystem;
using Components = std::vector<std::string>;

static_assert(!std::is_copy_constructible_v<DestDir> && std::is_move_constructible_v<DestDir>);
static_assert(!std::is_copy_constructible_v<PartFile> && std::is_move_constructible_v<PartFile>);
static_assert(!std::is_copy_constructible_v<UniqueFd> && std::is_move_constructible_v<UniqueFd>);

std::string slurp(const fs::path& file) {
  std::ifstream in(file, std::ios::binary);
  return {std::istreambuf_iterator<char>(in), std::istreambuf_iterator<char>()};
}

void spit(const fs::path& file, std::string_view text) {
  std::ofstream out(file, std::ios::binary | std::ios::trunc);
  out << text;
}

std::span<const std::uint8_t> bytes_of(std::string_view text) {
  return {reinterpret_cast<const std::uint8_t*>(text.data()), text.size()};
}

struct stat lstat_of(const fs::path& file) {
  struct stat status {};
  EXPECT_EQ(::lstat(file.c_str(), &status), 0) << file;
  return status;
}

class DestDirTest : public ::testing::Test {
 protected:
  void SetUp() override {
    static std::atomic<int> counter{0};
    base_ = fs::temp_directory_path() /
            ("lp2p-dest-" + std::to_string(::getpid()) + "-" + std::to_string(counter++));
    fs::remove_all(base_);
    fs::create_directories(outside());
    auto opened = DestDir::open(dest(), true);
    ASSERT_TRUE(opened) << opened.error().describe();
    dir_.emplace(std::move(*opened));
  }
  void TearDown() override {
    dir_.reset();
    std::error_code ec;
    fs::permissions(dest(), fs::perms::owner_all, fs::perm_options::add, ec);
    fs::remove_all(base_);
  }

  [[nodiscard]] fs::path dest() const { return base_ / "dest"; }
  [[nodiscard]] fs::path outside() const { return base_ / "outside"; }
  [[nodiscard]] bool outside_is_empty() const { return fs::is_empty(outside()); }

  PartFile must_open_part(const Components& path, std::string_view tag = "0123abcd",
                          bool keep = false) {
    auto part = dir_->open_part(path, tag, keep);
    EXPECT_TRUE(part) << part.error().describe();
    if (!part) throw std::runtime_error("open_part failed");
    return std::move(*part);
  }

  // A part file of `path` holding `content`, committed under its last component.
  Result<void> deliver(const Components& path, std::string_view content, bool overwrite,
                       std::uint32_t mode = 0644, std::optional<std::int64_t> mtime = {}) {
    PartFile part = must_open_part(path);
    EXPECT_TRUE(part.write_at(bytes_of(content), 0));
    return dir_->commit(std::move(part), path.back(), mode, mtime, overwrite);
  }

  static void expect_refused(const Result<void>& r, std::string_view words) {
    ASSERT_FALSE(r) << "succeeded; expected: " << words;
    EXPECT_EQ(r.error().code, Errc::refused) << r.error().describe();
    EXPECT_NE(r.error().message.find(words), std::string::npos) << r.error().describe();
  }
  template <class T>
  static void expect_refused(const Result<T>& r, std::string_view words) {
    ASSERT_FALSE(r) << "succeeded; expected: " << words;
    EXPECT_EQ(r.error().code, Errc::refused) << r.error().describe();
    EXPECT_NE(r.error().message.find(words), std::string::npos) << r.error().describe();
  }

  fs::path base_;
  std::optional<DestDir> dir_;
};

TEST_F(DestDirTest, OpenCreatesOneLevelOnly) {
  EXPECT_TRUE(fs::is_directory(dest()));
  EXPECT_EQ(dir_->root(), dest());
  const mode_t mask = ::umask(0);
  ::umask(mask);
  EXPECT_EQ(lstat_of(dest()).st_mode & 0777, 0755U & ~mask);

  auto deep = DestDir::open(base_ / "x" / "y", true);
  ASSERT_FALSE(deep);
  EXPECT_FALSE(fs::exists(base_ / "x"));
  auto missing = DestDir::open(base_ / "missing", false);
  ASSERT_FALSE(missing);
  EXPECT_EQ(missing.error().code, Errc::not_found);
  spit(base_ / "file", "x");
  EXPECT_FALSE(DestDir::open(base_ / "file", true));
}

TEST_F(DestDirTest, RootIsMadeAbsoluteAndMayBeASymlink) {
  fs::create_directory_symlink(dest(), base_ / "link");
  auto via_link = DestDir::open(base_ / "link" / "", false);
  ASSERT_TRUE(via_link) << via_link.error().describe();
  EXPECT_EQ(via_link->root(), base_ / "link");
  ASSERT_TRUE(via_link->make_dirs({"made"}));
  EXPECT_TRUE(fs::is_directory(dest() / "made"));
}

TEST_F(DestDirTest, MakeDirsNested) {
  ASSERT_TRUE(dir_->make_dirs({"a", "b", "c"}));
  EXPECT_TRUE(fs::is_directory(dest() / "a" / "b" / "c"));
  ASSERT_TRUE(dir_->make_dirs({"a", "b", "c"}));  // existing: fine
  ASSERT_TRUE(dir_->make_dirs({"a", "d"}));
  EXPECT_TRUE(fs::is_directory(dest() / "a" / "d"));
  ASSERT_TRUE(dir_->make_dirs({}));
}

TEST_F(DestDirTest, MakeDirsRefusesAFileInTheWay) {
  spit(dest() / "a", "file");
  expect_refused(dir_->make_dirs({"a", "b"}), "'a' in");
  expect_refused(dir_->make_dirs({"a", "b"}), "is not a directory");
  EXPECT_EQ(slurp(dest() / "a"), "file");
}

TEST_F(DestDirTest, UnusableComponentsAreInvalidArguments) {
  for (const Components& bad :
       {Components{".."}, Components{"a", ".."}, Components{"."}, Components{""}, Components{"a/b"},
        Components{std::string(1, '\0')}, Components{std::string(256, 'x')}}) {
    auto r = dir_->make_dirs(bad);
    ASSERT_FALSE(r);
    EXPECT_EQ(r.error().code, Errc::invalid_argument) << r.error().describe();
    EXPECT_FALSE(dir_->stat_at(bad));
  }
  EXPECT_TRUE(outside_is_empty());
  EXPECT_TRUE(fs::is_empty(dest()));
}

TEST_F(DestDirTest, ASymlinkInTheMiddleIsNeverFollowed) {
  fs::create_directory_symlink(outside(), dest() / "a");
  spit(outside() / "f", "outside's file");

  expect_refused(dir_->make_dirs({"a", "b"}), "refusing to follow the symbolic link 'a' in");
  expect_refused(dir_->open_part({"a", "f"}, "00", false), "symbolic link 'a'");
  expect_refused(dir_->open_part({"a", "b", "f"}, "00", true), "symbolic link 'a'");
  expect_refused(dir_->stat_at({"a", "f"}), "symbolic link 'a'");
  expect_refused(dir_->open_read({"a", "f"}), "symbolic link 'a'");
  expect_refused(dir_->free_name({"a"}, "f"), "symbolic link 'a'");
  expect_refused(dir_->remove_part({"a"}, ".f.00.lp2p-part"), "symbolic link 'a'");
  expect_refused(dir_->sync_dir({"a"}), "symbolic link 'a'");

  // The link itself, as the last component, is only looked at.
  auto link = dir_->stat_at({"a"});
  ASSERT_TRUE(link) << link.error().describe();
  ASSERT_TRUE(link->has_value());
  EXPECT_TRUE(S_ISLNK((*link)->st_mode));

  EXPECT_EQ(fs::directory_iterator(outside())->path().filename(), "f");
  EXPECT_EQ(std::distance(fs::directory_iterator(outside()), fs::directory_iterator()), 1);
  EXPECT_EQ(slurp(outside() / "f"), "outside's file");
}

TEST_F(DestDirTest, ASymlinkDeeperDownIsNeverFollowed) {
  fs::create_directories(dest() / "a");
  fs::create_directory_symlink(outside(), dest() / "a" / "b");
  expect_refused(dir_->make_dirs({"a", "b", "c"}), "symbolic link 'a/b'");
  expect_refused(dir_->open_part({"a", "b", "f"}, "00", false), "symbolic link 'a/b'");
  EXPECT_TRUE(outside_is_empty());
}

TEST_F(DestDirTest, ASymlinkPlantedBeforeCommitIsRefused) {
  PartFile part = must_open_part({"a", "f"});
  ASSERT_TRUE(part.write_at(bytes_of("payload"), 0));
  // Someone moves the directory out and leaves a link to it in its place.
  fs::rename(dest() / "a", outside() / "a");
  fs::create_directory_symlink(outside() / "a", dest() / "a");

  expect_refused(dir_->commit(std::move(part), "f", 0644, std::nullopt, false),
                 "symbolic link 'a'");
  EXPECT_FALSE(fs::exists(outside() / "a" / "f"));
}

TEST_F(DestDirTest, APartFileReplacedBehindOurBackIsNotCommitted) {
  PartFile part = must_open_part({"f"});
  const std::string name = part.name();
  fs::remove(dest() / name);
  spit(dest() / name, "someone else's");
  expect_refused(dir_->commit(std::move(part), "f", 0644, std::nullopt, false), "another file");
  EXPECT_FALSE(fs::exists(dest() / "f"));
}

TEST_F(DestDirTest, ASymlinkAsThePartNameIsNotFollowed) {
  spit(outside() / "victim", "keep me");
  fs::create_symlink(outside() / "victim", dest() / ".f.0123abcd.lp2p-part");
  expect_refused(dir_->open_part({"f"}, "0123abcd", false), "symbolic link '.f.0123abcd");
  expect_refused(dir_->open_part({"f"}, "0123abcd", true), "symbolic link");
  EXPECT_EQ(slurp(outside() / "victim"), "keep me");
}

TEST_F(DestDirTest, AHardLinkedPartFileIsNeitherTruncatedNorWritten) {
  spit(outside() / "victim", "keep me");
  fs::create_hard_link(outside() / "victim", dest() / ".f.0123abcd.lp2p-part");
  expect_refused(dir_->open_part({"f"}, "0123abcd", false), "hard links");
  expect_refused(dir_->open_part({"f"}, "0123abcd", true), "hard links");
  EXPECT_EQ(slurp(outside() / "victim"), "keep me");
}

TEST_F(DestDirTest, AFifoAsThePartNameIsRefusedWithoutBlocking) {
  ASSERT_EQ(::mkfifo((dest() / ".f.0123abcd.lp2p-part").c_str(), 0600), 0);
  expect_refused(dir_->open_part({"f"}, "0123abcd", true), "not a regular file");
}

TEST_F(DestDirTest, ASymlinkAsTheFinalNameIsReplacedNeverItsTarget) {
  spit(outside() / "target", "secret");
  fs::create_symlink(outside() / "target", dest() / "f");

  expect_refused(deliver({"f"}, "new", false), "already exists");
  EXPECT_TRUE(fs::is_symlink(dest() / "f"));
  EXPECT_EQ(slurp(outside() / "target"), "secret");

  ASSERT_TRUE(deliver({"f"}, "new", true));
  EXPECT_FALSE(fs::is_symlink(dest() / "f"));
  EXPECT_TRUE(S_ISREG(lstat_of(dest() / "f").st_mode));
  EXPECT_EQ(slurp(dest() / "f"), "new");
  EXPECT_EQ(slurp(outside() / "target"), "secret");
  EXPECT_EQ(std::distance(fs::directory_iterator(outside()), fs::directory_iterator()), 1);
}

TEST_F(DestDirTest, CommitRenamesAndRemovesThePartName) {
  PartFile part = must_open_part({"d", "f.txt"});
  EXPECT_EQ(part.name(), ".f.txt.0123abcd.lp2p-part");
  EXPECT_EQ(part.dir(), Components{"d"});
  EXPECT_EQ(lstat_of(dest() / "d" / part.name()).st_mode & 0777, 0600U);
  ASSERT_TRUE(part.write_at(bytes_of("hello "), 0));
  ASSERT_TRUE(part.write_at(bytes_of("world"), 6));
  ASSERT_TRUE(part.sync());
  const std::string name = part.name();
  ASSERT_TRUE(dir_->commit(std::move(part), "f.txt", 0644, std::nullopt, false));
  EXPECT_EQ(slurp(dest() / "d" / "f.txt"), "hello world");
  EXPECT_FALSE(fs::exists(dest() / "d" / name));
}

TEST_F(DestDirTest, CommitWithoutOverwriteRefusesATakenName) {
  spit(dest() / "f", "old");
  auto r = deliver({"f"}, "new", false);
  expect_refused(r, "already exists");
  EXPECT_EQ(slurp(dest() / "f"), "old");
  // The part file stays, for the caller to remove or retry.
  EXPECT_TRUE(fs::exists(dest() / ".f.0123abcd.lp2p-part"));
}

TEST_F(DestDirTest, CommitWithOverwriteReplacesAFileNeverADirectory) {
  spit(dest() / "f", "old");
  ASSERT_TRUE(deliver({"f"}, "new", true));
  EXPECT_EQ(slurp(dest() / "f"), "new");

  fs::create_directories(dest() / "d" / "inner");
  expect_refused(deliver({"d"}, "new", true), "is a directory");
  EXPECT_TRUE(fs::is_directory(dest() / "d" / "inner"));
  fs::create_directories(dest() / "e");
  expect_refused(deliver({"e"}, "new", true), "is a directory");
  EXPECT_TRUE(fs::is_directory(dest() / "e"));
}

TEST_F(DestDirTest, CommitSetsModeAndMtime) {
  constexpr std::int64_t kMtime = 1'600'000'000'123'456'789;
  ASSERT_TRUE(deliver({"exec"}, "#!/bin/sh\n", false, 0755, kMtime));
  const struct stat exec = lstat_of(dest() / "exec");
  EXPECT_EQ(exec.st_mode & 07777, 0755U);
  EXPECT_EQ(exec.st_mtim.tv_sec, 1'600'000'000);
  EXPECT_EQ(exec.st_mtim.tv_nsec, 123'456'789);

  ASSERT_TRUE(deliver({"none"}, "x", false, 0));  // the owner keeps read and write
  EXPECT_EQ(lstat_of(dest() / "none").st_mode & 07777, 0600U);

  ASSERT_TRUE(deliver({"setuid"}, "x", false, 04777));  // special bits never set
  EXPECT_EQ(lstat_of(dest() / "setuid").st_mode & 07777, 0777U);

  ASSERT_TRUE(deliver({"old"}, "x", false, 0444, -1'500'000'000));  // 1.5 s before 1970
  const struct stat old = lstat_of(dest() / "old");
  EXPECT_EQ(old.st_mode & 07777, 0644U);
  EXPECT_EQ(old.st_mtim.tv_sec, -2);
  EXPECT_EQ(old.st_mtim.tv_nsec, 500'000'000);
}

TEST_F(DestDirTest, CommitRefusesAPartFileName) {
  PartFile part = must_open_part({"f"});
  auto r = dir_->commit(std::move(part), "x.lp2p-part", 0644, std::nullopt, false);
  ASSERT_FALSE(r);
  EXPECT_EQ(r.error().code, Errc::invalid_argument);
}

TEST_F(DestDirTest, PartFilesAreKeptOrTruncated) {
  {
    PartFile part = must_open_part({"f"});
    EXPECT_EQ(part.size(), 0U);
    ASSERT_TRUE(part.write_at(bytes_of("0123456789"), 0));
  }
  {
    PartFile kept = must_open_part({"f"}, "0123abcd", true);
    EXPECT_EQ(kept.size(), 10U);
    ASSERT_TRUE(kept.truncate(4));
  }
  EXPECT_EQ(slurp(dest() / ".f.0123abcd.lp2p-part"), "0123");
  {
    PartFile fresh = must_open_part({"f"}, "0123abcd", false);
    EXPECT_EQ(fresh.size(), 0U);
  }
  EXPECT_EQ(fs::file_size(dest() / ".f.0123abcd.lp2p-part"), 0U);
  // Another tag is another part file.
  PartFile other = must_open_part({"f"}, "ffff0000", true);
  EXPECT_EQ(other.name(), ".f.ffff0000.lp2p-part");
}

TEST_F(DestDirTest, PartFileWritesAtOffsetsLeaveHoles) {
  PartFile part = must_open_part({"sparse"});
  ASSERT_TRUE(part.write_at(bytes_of("end"), 5));
  ASSERT_TRUE(part.write_at(bytes_of("ab"), 0));
  ASSERT_TRUE(part.write_at({}, 100));  // nothing to write: no change
  EXPECT_EQ(slurp(dest() / part.name()), std::string("ab\0\0\0end", 8));
  auto r = part.write_at(bytes_of("x"), std::numeric_limits<std::uint64_t>::max());
  ASSERT_FALSE(r);
  EXPECT_EQ(r.error().code, Errc::invalid_argument);
}

TEST_F(DestDirTest, OpenPartChecksTheTag) {
  for (const std::string_view tag :
       std::array<std::string_view, 5>{"", "xyz", "01/2", "../a", std::string_view("0\0", 2)}) {
    auto r = dir_->open_part({"f"}, tag, false);
    ASSERT_FALSE(r);
    EXPECT_EQ(r.error().code, Errc::invalid_argument);
  }
  const std::string long_tag(65, 'a');
  EXPECT_FALSE(dir_->open_part({"f"}, long_tag, false));
  EXPECT_TRUE(fs::is_empty(dest()));
}

TEST_F(DestDirTest, PartNamesOfLongFinalNamesFit) {
  const std::string longest(kMaxComponentBytes, 'n');
  PartFile part = must_open_part({longest});
  EXPECT_EQ(part.name().size(), kMaxComponentBytes);
  EXPECT_TRUE(is_part_name(part.name()));
  const std::string name = part.name();
  ASSERT_TRUE(dir_->commit(std::move(part), longest, 0644, std::nullopt, false));
  EXPECT_TRUE(fs::exists(dest() / longest));
  EXPECT_EQ(part_name_for(longest, "0123abcd"), name);  // the same name every time
}

TEST_F(DestDirTest, StatAt) {
  fs::create_directories(dest() / "d");
  spit(dest() / "d" / "f", "12345");
  auto file = dir_->stat_at({"d", "f"});
  ASSERT_TRUE(file && file->has_value());
  EXPECT_EQ((*file)->st_size, 5);
  auto missing = dir_->stat_at({"d", "nope"});
  ASSERT_TRUE(missing);
  EXPECT_FALSE(missing->has_value());
  auto missing_dir = dir_->stat_at({"nope", "f"});
  ASSERT_TRUE(missing_dir);
  EXPECT_FALSE(missing_dir->has_value());
  auto under_a_file = dir_->stat_at({"d", "f", "g"});
  ASSERT_TRUE(under_a_file);
  EXPECT_FALSE(under_a_file->has_value());
  auto root = dir_->stat_at({});
  ASSERT_TRUE(root && root->has_value());
  EXPECT_TRUE(S_ISDIR((*root)->st_mode));
}

TEST_F(DestDirTest, OpenRead) {
  fs::create_directories(dest() / "d");
  spit(dest() / "d" / "f", "content");
  auto fd = dir_->open_read({"d", "f"});
  ASSERT_TRUE(fd) << fd.error().describe();
  std::array<char, 16> buffer{};
  EXPECT_EQ(::read(fd->get(), buffer.data(), buffer.size()), 7);
  EXPECT_EQ(std::string(buffer.data(), 7), "content");
  EXPECT_EQ(::fcntl(fd->get(), F_GETFL) & O_NONBLOCK, 0);
  EXPECT_NE(::fcntl(fd->get(), F_GETFD) & FD_CLOEXEC, 0);

  auto missing = dir_->open_read({"d", "nope"});
  ASSERT_FALSE(missing);
  EXPECT_EQ(missing.error().code, Errc::not_found);
  expect_refused(dir_->open_read({"d"}), "not a regular file");
  spit(outside() / "secret", "s");
  fs::create_symlink(outside() / "secret", dest() / "d" / "link");
  expect_refused(dir_->open_read({"d", "link"}), "symbolic link 'd/link'");
}

TEST_F(DestDirTest, FreeNameKeepsTheExtension) {
  EXPECT_EQ(*dir_->free_name({}, "a.txt"), "a.txt");
  spit(dest() / "a.txt", "");
  EXPECT_EQ(*dir_->free_name({}, "a.txt"), "a (1).txt");
  spit(dest() / "a (1).txt", "");
  EXPECT_EQ(*dir_->free_name({}, "a.txt"), "a (2).txt");

  spit(dest() / "archive.tar.gz", "");
  EXPECT_EQ(*dir_->free_name({}, "archive.tar.gz"), "archive (1).tar.gz");
  fs::create_directory(dest() / "folder");
  EXPECT_EQ(*dir_->free_name({}, "folder"), "folder (1)");
  fs::create_symlink("/nonexistent", dest() / "dangling");  // a dangling link takes its name too
  EXPECT_EQ(*dir_->free_name({}, "dangling"), "dangling (1)");

  EXPECT_EQ(*dir_->free_name({"not", "made"}, "a.txt"), "a.txt");
  fs::create_directories(dest() / "sub");
  spit(dest() / "sub" / ".hidden", "");
  EXPECT_EQ(*dir_->free_name({"sub"}, ".hidden"), ".hidden (1)");
}

TEST(NumberedName, Extensions) {
  EXPECT_EQ(numbered_name("a.txt", 1), "a (1).txt");
  EXPECT_EQ(numbered_name("my.photo.jpg", 2), "my.photo (2).jpg");
  EXPECT_EQ(numbered_name("archive.tar.gz", 1), "archive (1).tar.gz");
  EXPECT_EQ(numbered_name("ARCHIVE.TAR.XZ", 3), "ARCHIVE (3).TAR.XZ");
  EXPECT_EQ(numbered_name("x.tar.zst", 1), "x (1).tar.zst");
  EXPECT_EQ(numbered_name(".tar.gz", 1), ".tar (1).gz");  // no stem for the compound form
  EXPECT_EQ(numbered_name("README", 1), "README (1)");
  EXPECT_EQ(numbered_name(".bashrc", 1), ".bashrc (1)");
  EXPECT_EQ(numbered_name("trailing.", 1), "trailing. (1)");
  EXPECT_EQ(numbered_name("a.thisextensionistoolong", 1), "a.thisextensionistoolong (1)");
  EXPECT_EQ(numbered_name("фото.jpg", 10), "фото (10).jpg");
}

TEST(NumberedName, StaysWithinTheComponentLimitWithoutSplittingACharacter) {
  std::string stem;
  for (int i = 0; i < 125; ++i) stem += "ж";  // 250 bytes
  const std::string numbered = numbered_name(stem + ".txt", 12);
  EXPECT_LE(numbered.size(), kMaxComponentBytes);
  EXPECT_TRUE(numbered.ends_with(" (12).txt"));
  EXPECT_TRUE(check_relative_path(numbered)) << "cut inside a character";
}

TEST(PartNameFor, CutsLongNamesAtACharacterBoundary) {
  EXPECT_EQ(part_name_for("f.txt", "ab"), ".f.txt.ab.lp2p-part");
  std::string name;
  for (int i = 0; i < 127; ++i) name += "ж";  // 254 bytes
  const std::string part = part_name_for(name, "0123abcd");
  EXPECT_LE(part.size(), kMaxComponentBytes);
  EXPECT_TRUE(part.ends_with(".0123abcd.lp2p-part"));
  EXPECT_TRUE(check_relative_path(part.substr(0, part.size() - kPartSuffix.size())));
}

TEST_F(DestDirTest, RemovePart) {
  PartFile part = must_open_part({"d", "f"});
  const std::string& name = part.name();
  ASSERT_TRUE(dir_->remove_part({"d"}, name));
  EXPECT_FALSE(fs::exists(dest() / "d" / name));
  EXPECT_TRUE(dir_->remove_part({"d"}, name));     // absent: fine
  EXPECT_TRUE(dir_->remove_part({"gone"}, name));  // absent directory: fine
  spit(dest() / "d" / "precious", "x");
  auto r = dir_->remove_part({"d"}, "precious");  // never a person's file
  ASSERT_FALSE(r);
  EXPECT_EQ(r.error().code, Errc::invalid_argument);
  EXPECT_TRUE(fs::exists(dest() / "d" / "precious"));
}

TEST_F(DestDirTest, FreeSpaceAndSyncDir) {
  auto space = dir_->free_space();
  ASSERT_TRUE(space) << space.error().describe();
  EXPECT_GT(*space, 0U);
  ASSERT_TRUE(dir_->make_dirs({"a", "b"}));
  EXPECT_TRUE(dir_->sync_dir({}));
  EXPECT_TRUE(dir_->sync_dir({"a", "b"}));
  auto missing = dir_->sync_dir({"nope"});
  ASSERT_FALSE(missing);
  EXPECT_EQ(missing.error().code, Errc::not_found);
}

TEST_F(DestDirTest, AReadOnlyDestinationIsARefusal) {
  if (::geteuid() == 0) GTEST_SKIP() << "root ignores directory permissions";
  fs::permissions(dest(), fs::perms::owner_read | fs::perms::owner_exec, fs::perm_options::replace);
  auto r = dir_->open_part({"f"}, "00", false);
  ASSERT_FALSE(r);
  EXPECT_EQ(r.error().code, Errc::refused) << r.error().describe();
  EXPECT_NE(r.error().message.find("Permission denied"), std::string::npos);
}

TEST(FsError, ErrnoIsClassified) {
  EXPECT_EQ(errc_of_errno(ENOSPC), Errc::no_space);
  EXPECT_EQ(errc_of_errno(EDQUOT), Errc::no_space);
  EXPECT_EQ(errc_of_errno(EACCES), Errc::refused);
  EXPECT_EQ(errc_of_errno(EPERM), Errc::refused);
  EXPECT_EQ(errc_of_errno(EROFS), Errc::refused);
  EXPECT_EQ(errc_of_errno(EIO), Errc::io_error);
  EXPECT_EQ(errc_of_errno(ENOENT), Errc::io_error);
  EXPECT_EQ(errc_of_errno(EMFILE), Errc::io_error);
  EXPECT_EQ(errc_of_errno(0), Errc::io_error);

  const Error full = fs_error(ENOSPC, "cannot write /dest/f");
  EXPECT_EQ(full.code, Errc::no_space);
  EXPECT_EQ(full.message, "cannot write /dest/f: No space left on device");
  EXPECT_EQ(full.describe(), "no space left: cannot write /dest/f: No space left on device");
}

}  // namespace
}  // namespace lp2p::transfer
