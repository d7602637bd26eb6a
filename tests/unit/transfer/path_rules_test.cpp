// transfer/path_rules: the names a manifest may carry, against hostile input, and their display.
#include "transfer/path_rules.hpp"

#include <gtest/gtest.h>

#include <string>
#include <vector>

namespace lp2p::transfer {
namespace {

using Components = std::vector<std::string>;

Components accepted(std::string_view path) {
  auto checked = check_relative_path(path);
  EXPECT_TRUE(checked) << display_path(path) << ": " << checked.error().describe();
  return checked ? *checked : Components{};
}

// Refused with invalid_argument, the message quoting the escaped path and containing `why`.
void refused(std::string_view path, std::string_view why) {
  auto checked = check_relative_path(path);
  ASSERT_FALSE(checked) << "accepted: " << display_path(path);
  EXPECT_EQ(checked.error().code, Errc::invalid_argument);
  const std::string& message = checked.error().message;
  EXPECT_NE(message.find(why), std::string::npos) << message;
  EXPECT_NE(message.find("\"" + display_path(path) + "\""), std::string::npos) << message;
  // The message itself is safe to print: no raw control bytes, whatever the path held.
  for (const char c : message) {
    EXPECT_FALSE(static_cast<unsigned char>(c) < 0x20 || c == 0x7F) << message;
  }
}

TEST(CheckRelativePath, PlainPathsGiveTheirComponents) {
  EXPECT_EQ(accepted("a.txt"), Components{"a.txt"});
  EXPECT_EQ(accepted("dir/sub/file.bin"), (Components{"dir", "sub", "file.bin"}));
  EXPECT_EQ(accepted(".bashrc"), Components{".bashrc"});
  EXPECT_EQ(accepted("..."), Components{"..."});
  EXPECT_EQ(accepted("..a/b.."), (Components{"..a", "b.."}));
  EXPECT_EQ(accepted("back\\slash:colon"), Components{"back\\slash:colon"});
  EXPECT_EQ(accepted("with space /x"), (Components{"with space ", "x"}));
}

TEST(CheckRelativePath, UnicodeNamesAreAccepted) {
  EXPECT_EQ(accepted("фото/日本語 ✓.jpg"), (Components{"фото", "日本語 ✓.jpg"}));
  EXPECT_EQ(accepted("emoji 😀/\xc2\xa0nbsp"), (Components{"emoji 😀", "\xc2\xa0nbsp"}));
  EXPECT_EQ(accepted("\xf4\x8f\xbf\xbf"), Components{"\xf4\x8f\xbf\xbf"});  // U+10FFFF
}

TEST(CheckRelativePath, TraversalAndAbsolutePathsAreRefused) {
  refused("../etc/passwd", "\"..\" component");
  refused("..", "\"..\" component");
  refused("a/../b", "\"..\" component");
  refused("a/..", "\"..\" component");
  refused("a/./b", "\".\" component");
  refused(".", "\".\" component");
  refused("./a", "\".\" component");
  refused("/etc/passwd", "absolute");
  refused("/", "absolute");
  refused("//server/share", "absolute");
}

TEST(CheckRelativePath, EmptyPathsAndComponentsAreRefused) {
  refused("", "empty");
  refused("a//b", "empty component");
  refused("a/", "ends with '/'");
  refused("a/b/", "ends with '/'");
}

TEST(CheckRelativePath, InvalidUtf8IsRefused) {
  refused("\xc0\xaf", "invalid UTF-8");              // overlong '/'
  refused("a\xc0\xae\xc0\xae/b", "invalid UTF-8");   // overlong ".."
  refused("\xe0\x80\xaf", "invalid UTF-8");          // 3-byte overlong
  refused("\xf0\x80\x80\xaf", "invalid UTF-8");      // 4-byte overlong
  refused("\xed\xa0\x80", "invalid UTF-8");          // U+D800, a surrogate
  refused("x\xed\xbf\xbf", "invalid UTF-8");         // U+DFFF
  refused("\xf4\x90\x80\x80", "invalid UTF-8");      // U+110000
  refused("\xf8\x88\x80\x80\x80", "invalid UTF-8");  // 5-byte form
  refused("abc\xe6\x97", "invalid UTF-8");           // truncated at the end
  refused("\xe6\x97/x", "invalid UTF-8");            // truncated before '/'
  refused("\x80", "invalid UTF-8");                  // stray continuation byte
  refused("\xff\xfe", "invalid UTF-8");
  refused("latin1-caf\xe9.txt", "invalid UTF-8");
}

TEST(CheckRelativePath, ControlCharactersAreRefused) {
  refused(std::string("a\0b", 3), "NUL");
  refused(std::string("\0", 1), "NUL");
  refused("\x1b[31mred", "control character");
  refused("line\nbreak", "control character");
  refused("tab\there", "control character");
  refused("cr\r", "control character");
  refused("del\x7f", "control character");
  refused("c1\xc2\x80", "control character");  // U+0080
  refused("c1\xc2\x9b", "control character");  // U+009B, CSI
  refused("c1\xc2\x9f", "control character");  // U+009F
}

TEST(CheckRelativePath, LengthLimits) {
  const std::string longest(kMaxComponentBytes, 'x');
  EXPECT_EQ(accepted(longest), Components{longest});
  refused(longest + "x", "longer than 255 bytes");
  refused("ok/" + longest + "y/ok", "longer than 255 bytes");
  // A multibyte name over the limit in bytes, not in characters (128 × 2 bytes = 256).
  std::string cyrillic;
  for (int i = 0; i < 128; ++i) cyrillic += "ж";
  refused(cyrillic, "longer than 255 bytes");

  std::string path;
  while (path.size() + 101 <= kMaxPathBytes) path += std::string(100, 'p') + "/";
  path += std::string(kMaxPathBytes - path.size(), 'f');
  ASSERT_EQ(path.size(), kMaxPathBytes);
  EXPECT_EQ(accepted(path).size(), 41U);
  refused(path + "f", "longer than 4096 bytes");
}

TEST(CheckRelativePath, DepthLimit) {
  std::string deep = "d";
  for (std::size_t i = 1; i < kMaxPathDepth; ++i) deep += "/d";
  EXPECT_EQ(accepted(deep).size(), kMaxPathDepth);
  refused(deep + "/d", "deeper than 64");
}

TEST(CheckRelativePath, PartFileNamesAreReserved) {
  refused("x.lp2p-part", "reserved");
  refused(".x.0123abcd.lp2p-part", "reserved");
  refused("dir.lp2p-part/x", "reserved");
  EXPECT_EQ(accepted("x.lp2p-part.txt"), Components{"x.lp2p-part.txt"});
  EXPECT_EQ(accepted("x.lp2p-par"), Components{"x.lp2p-par"});
}

TEST(IsPartName, SuffixOnly) {
  EXPECT_TRUE(is_part_name(".lp2p-part"));
  EXPECT_TRUE(is_part_name(".a.ff.lp2p-part"));
  EXPECT_FALSE(is_part_name("a.lp2p-part "));
  EXPECT_FALSE(is_part_name("lp2p-part"));
  EXPECT_FALSE(is_part_name(""));
}

TEST(DisplayPath, PrintableUtf8IsKept) {
  EXPECT_EQ(display_path("фото/日本語 ✓.jpg"), "фото/日本語 ✓.jpg");
  EXPECT_EQ(display_path("plain/ascii ~!"), "plain/ascii ~!");
  EXPECT_EQ(display_path(""), "");
}

TEST(DisplayPath, EverythingElseIsEscaped) {
  EXPECT_EQ(display_path("\x1b[31mred"), "\\x1b[31mred");
  EXPECT_EQ(display_path(std::string("a\0b", 3)), "a\\x00b");
  EXPECT_EQ(display_path("a\nb\x7f"), "a\\x0ab\\x7f");
  EXPECT_EQ(display_path("\xc0\xaf"), "\\xc0\\xaf");
  EXPECT_EQ(display_path("\xed\xa0\x80"), "\\xed\\xa0\\x80");
  EXPECT_EQ(display_path("c1\xc2\x9b"), "c1\\xc2\\x9b");
  EXPECT_EQ(display_path("caf\xe9"), "caf\\xe9");
  EXPECT_EQ(display_path("back\\slash"), "back\\x5cslash");
  // U+202E (right-to-left override), assembled so that this source holds no raw override.
  const std::string override_char = std::string("\xe2\x80") + "\xae";
  EXPECT_EQ(display_path("abc" + override_char + "exe.txt"), "abc\\xe2\\x80\\xaeexe.txt");
  EXPECT_EQ(display_path(std::string("\xe2\x81") + "\xa6" + "x"), "\\xe2\\x81\\xa6x");  // U+2066
}

TEST(DisplayPath, LongPathsAreCutWithoutSplittingACharacter) {
  const std::string long_ascii(300, 'a');
  EXPECT_EQ(display_path(long_ascii), std::string(kMaxDisplayBytes, 'a') + "…");
  EXPECT_EQ(display_path(std::string(kMaxDisplayBytes, 'a')), std::string(kMaxDisplayBytes, 'a'));

  // 199 bytes then a 2-byte character: the character does not fit, and is not cut.
  const std::string shown = display_path(std::string(199, 'a') + "жжж");
  EXPECT_EQ(shown, std::string(199, 'a') + "…");
  // Nor is an escape.
  EXPECT_EQ(display_path(std::string(198, 'a') + "\x1b\x1b"), std::string(198, 'a') + "…");
}

}  // namespace
}  // namespace lp2p::transfer
