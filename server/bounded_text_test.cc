#include "server/bounded_text.h"

#include <string>

#include "gtest/gtest.h"

namespace mtasts::server {
namespace {

TEST(IsValidUtf8Test, AcceptsUtf8AndRejectsTheRest) {
  EXPECT_TRUE(IsValidUtf8(""));
  EXPECT_TRUE(IsValidUtf8("b\xC3\xBC" "cher.example"));
  EXPECT_FALSE(IsValidUtf8("bad\xFF.example"));
  EXPECT_FALSE(IsValidUtf8("\xC0\xAF"));  // overlong
  EXPECT_FALSE(IsValidUtf8("\xED\xA0\x80"));  // surrogate
}

TEST(BoundTextTest, ShortValidTextIsKept) {
  const BoundedText t = BoundText("b\xC3\xBC" "cher.example", kMaxEchoOctets);
  EXPECT_EQ(t.text, "b\xC3\xBC" "cher.example");
  EXPECT_FALSE(t.cut);
}

TEST(BoundTextTest, LongTextIsCutToTheBound) {
  const std::string big(4 << 20, 'a');
  const BoundedText t = BoundText(big, kMaxEchoOctets);
  EXPECT_EQ(t.text, std::string(kMaxEchoOctets, 'a'));
  EXPECT_TRUE(t.cut);
}

TEST(BoundTextTest, CutsOnACharacterBoundary) {
  // 254 ASCII bytes then a 2-byte character: it does not fit in 255.
  const std::string in = std::string(254, 'a') + "\xC3\xBC" + "z";
  const BoundedText t = BoundText(in, 255);
  EXPECT_EQ(t.text, std::string(254, 'a'));
  EXPECT_TRUE(t.cut);
}

TEST(BoundTextTest, InvalidBytesBecomeReplacementCharacters) {
  // A lone continuation byte, an overlong "/", a surrogate, a truncated
  // sequence at the end.
  const BoundedText t = BoundText(std::string("a\x80" "b\xC0\xAF" "c\xED\xA0\x80" "d\xE2\x82", 12),
                                  kMaxEchoOctets);
  const std::string r = "\xEF\xBF\xBD";
  EXPECT_EQ(t.text, "a" + r + "b" + r + r + "c" + r + r + r + "d" + r + r);
  EXPECT_FALSE(t.cut);
}

TEST(BoundTextTest, FourByteCharactersAndBoundsAreExact) {
  const std::string emoji = "\xF0\x9F\x93\xAB";  // U+1F4EB
  EXPECT_EQ(BoundText(emoji + emoji, 8).text, emoji + emoji);
  EXPECT_EQ(BoundText(emoji + emoji, 7).text, emoji);
  EXPECT_TRUE(BoundText(emoji + emoji, 7).cut);
  EXPECT_EQ(BoundText("\xF4\x90\x80\x80", 16).text,  // beyond U+10FFFF
            "\xEF\xBF\xBD\xEF\xBF\xBD\xEF\xBF\xBD\xEF\xBF\xBD");
}

}  // namespace
}  // namespace mtasts::server
