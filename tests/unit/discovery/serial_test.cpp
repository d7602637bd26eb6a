#include "auth/serial.hpp"

#include <gtest/gtest.h>
#include <unistd.h>

#include <filesystem>

#include "common/base64.hpp"

namespace lp2p::auth {
namespace {

class SerialTest : public ::testing::Test {
 protected:
  void SetUp() override {
    dir_ = std::filesystem::temp_directory_path() /
           ("lp2p-serial-" + std::to_string(::getpid()) + "-" +
            ::testing::UnitTest::GetInstance()->current_test_info()->name());
    std::filesystem::remove_all(dir_);
  }
  void TearDown() override { std::filesystem::remove_all(dir_); }
  std::filesystem::path dir_;
};

TEST_F(SerialTest, IsA160BitUuidBaseAndCounterStableAcrossRuns) {
  auto first = load_or_create_serial(dir_);
  ASSERT_TRUE(first) << first.error().message;
  const auto bytes = first->bytes();
  EXPECT_EQ(bytes[0] & 0x80U, 0U) << "MSB cleared: at most 20 bytes in DER";
  EXPECT_EQ(bytes[6] >> 4, 4U) << "UUID version 4";
  EXPECT_EQ(bytes[8] >> 6, 2U) << "RFC 4122 variant";
  EXPECT_EQ(first->counter, 1U);
  EXPECT_EQ(bytes[19], 1U);
  EXPECT_EQ(first->sn().size(), 27U);
  EXPECT_EQ(first->sn().find_first_of("+/="), std::string::npos) << "base64url without padding";
  EXPECT_EQ(*from_base64(first->sn()), std::vector<std::uint8_t>(bytes.begin(), bytes.end()));
  auto again = load_or_create_serial(dir_);
  ASSERT_TRUE(again);
  EXPECT_EQ(*again, *first);
}

TEST_F(SerialTest, NextSerialIncrementsTheCounterOnly) {
  auto first = load_or_create_serial(dir_);
  ASSERT_TRUE(first);
  auto next = next_serial(dir_);
  ASSERT_TRUE(next);
  EXPECT_EQ(next->base, first->base);
  EXPECT_EQ(next->counter, 2U);
  EXPECT_EQ(load_or_create_serial(dir_)->counter, 2U);
}

TEST(CertificateSerial, MatchesTheBriefsHostnameExample) {
  // osp-brief §2.3: serial 123e4567e89b42d3a456426614174000 || 00000001.
  CertificateSerial s{{0x12, 0x3e, 0x45, 0x67, 0xe8, 0x9b, 0x42, 0xd3, 0xa4, 0x56, 0x42, 0x66, 0x14,
                       0x17, 0x40, 0x00},
                      1};
  EXPECT_EQ(s.sn(), "Ej5FZ-ibQtOkVkJmFBdAAAAAAAE");
}

}  // namespace
}  // namespace lp2p::auth
