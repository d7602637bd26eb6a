#include "discovery/metadata.hpp"

#include <gtest/gtest.h>

#include "discovery/dns_sd_provider.hpp"

namespace lp2p::discovery {
namespace {

const std::string kFp = "XNJS+wzokyQ2+vjM0QQJgbie5K1rn+niorfnGqyyfNM=";

TEST(Metadata, TxtKeysAreCaseInsensitiveAndTheFirstWins) {
  const auto m = parse_txt({"FP=" + kFp, "fp=other", "flag", "=ignored", "at=abc=def"});
  EXPECT_EQ(m.at("fp"), kFp);
  EXPECT_EQ(m.at("flag"), "");
  EXPECT_EQ(m.at("at"), "abc=def");
  EXPECT_FALSE(m.contains(""));
}

TEST(Metadata, MvIsABinaryVarint) {
  OspMetadata osp{kFp, 300, "tok", "sn1"};
  const Metadata m = make_metadata(osp);
  EXPECT_EQ(m.at("mv"), std::string("\x41\x2c", 2));  // 300 as a 2-byte QUIC varint
  const auto back = osp_metadata(parse_txt(to_txt(m)));
  ASSERT_TRUE(back);
  EXPECT_EQ(back->metadata_version, 300U);
  EXPECT_EQ(back->auth_token, "tok");
  EXPECT_EQ(back->serial, "sn1");
}

TEST(Metadata, VersionZeroIsOneZeroByteAsGoLp2pSendsIt) {
  const auto osp = osp_metadata(parse_txt({"fp=" + kFp, std::string("mv=\0", 4)}));
  ASSERT_TRUE(osp);
  EXPECT_EQ(osp->metadata_version, 0U);
}

TEST(Metadata, BadMvMeansUnknownVersion) {
  const auto osp = osp_metadata(parse_txt({"fp=" + kFp, "mv=\x40"}));  // a 2-byte varint cut short
  ASSERT_TRUE(osp);
  EXPECT_FALSE(osp->metadata_version);
}

TEST(Metadata, FingerprintIsRequiredAndChecked) {
  EXPECT_FALSE(osp_metadata(parse_txt({"mv=0"})));
  EXPECT_FALSE(osp_metadata(parse_txt({"fp=short"})));
  EXPECT_FALSE(osp_metadata(parse_txt({"fp=" + kFp.substr(0, 43) + "!"})));
  EXPECT_TRUE(osp_metadata(parse_txt({"fp=" + kFp})));
}

TEST(InstanceLabel, LongNamesAreCutOnACodePointAndMarkedWithNul) {
  EXPECT_EQ(instance_label("Kitchen laptop"), "Kitchen laptop");
  const std::string exact(63, 'x');
  EXPECT_EQ(instance_label(exact), exact);
  std::string long_name(61, 'a');
  long_name += "\xc3\xa9\xc3\xa9";  // "éé": the second é would straddle byte 62
  // 62 bytes would end inside the first "é": the cut backs up to 61 bytes, then the NUL.
  EXPECT_EQ(instance_label(long_name), std::string(61, 'a') + '\0');
  EXPECT_EQ(instance_label(std::string(100, 'b')), std::string(62, 'b') + '\0');
}

}  // namespace
}  // namespace lp2p::discovery
