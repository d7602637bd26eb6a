#include "auth/identity.hpp"

#include <gtest/gtest.h>
#include <sys/stat.h>

#include <filesystem>

#include "common/hex.hpp"

namespace lp2p::auth {
namespace {

TEST(Fingerprint, MatchesTheBriefsTestValue) {
  // osp-brief §2.2: the SPKI of the P-256 generator (private key d = 1).
  const auto spki = *from_hex(
      "3059301306072a8648ce3d020106082a8648ce3d030107034200046b17d1f2e12c4247f8bce6e563a440f277037d"
      "812deb33a0f4"
      "a13945d898c2964fe342e2fe1a7f9b8ee7eb4a7c0f9e162bce33576b315ececbb6406837bf51f5");
  EXPECT_EQ(fingerprint_of_spki(spki), "XNJS+wzokyQ2+vjM0QQJgbie5K1rn+niorfnGqyyfNM=");
}

class IdentityTest : public ::testing::Test {
 protected:
  void SetUp() override {
    dir_ = std::filesystem::temp_directory_path() /
           ("lp2p-identity-" + std::to_string(::getpid()) + "-" +
            ::testing::UnitTest::GetInstance()->current_test_info()->name());
    std::filesystem::remove_all(dir_);
  }
  void TearDown() override { std::filesystem::remove_all(dir_); }
  std::filesystem::path dir_;
};

TEST_F(IdentityTest, CreatedOnceThenLoadedWithTheSameFingerprint) {
  auto first = Identity::load_or_create(dir_);
  ASSERT_TRUE(first) << first.error().message;
  EXPECT_EQ(first->fingerprint().size(), 44U);
  struct stat st {};
  ASSERT_EQ(::stat((dir_ / "agent-key.pem").c_str(), &st), 0);
  EXPECT_EQ(st.st_mode & 0777, 0600U);
  auto second = Identity::load_or_create(dir_);
  ASSERT_TRUE(second);
  EXPECT_EQ(second->fingerprint(), first->fingerprint());
  EXPECT_EQ(fingerprint_of_spki(second->spki()), second->fingerprint());
}

TEST_F(IdentityTest, AGarbageKeyFileIsAClearError) {
  std::filesystem::create_directories(dir_);
  std::FILE* f = std::fopen((dir_ / "agent-key.pem").c_str(), "w");
  std::fputs("not a key\n", f);
  std::fclose(f);
  auto r = Identity::load_or_create(dir_);
  ASSERT_FALSE(r);
  EXPECT_NE(r.error().message.find("agent-key.pem"), std::string::npos);
}

}  // namespace
}  // namespace lp2p::auth
