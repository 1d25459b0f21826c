#include "common/text.h"

#include "gtest/gtest.h"

namespace dispatch {
namespace {

TEST(Utf8, AcceptsAsciiAndChinese) {
  EXPECT_TRUE(IsValidUtf8("lift broken"));
  EXPECT_TRUE(IsValidUtf8("电梯坏了三天没人修"));
  EXPECT_TRUE(IsValidUtf8("emoji 😀"));
}

TEST(Utf8, RejectsBrokenSequences) {
  EXPECT_FALSE(IsValidUtf8("\xff"));
  EXPECT_FALSE(IsValidUtf8("\xe7\x94"));          // truncated 电
  EXPECT_FALSE(IsValidUtf8("\xc0\xaf"));          // overlong '/'
  EXPECT_FALSE(IsValidUtf8("\xed\xa0\x80"));      // surrogate U+D800
  EXPECT_FALSE(IsValidUtf8("\xf4\x90\x80\x80"));  // above U+10FFFF
}

TEST(Utf8, LengthCountsCharactersNotBytes) {
  EXPECT_EQ(Utf8Length("abc"), 3u);
  EXPECT_EQ(Utf8Length("物业投诉"), 4u);
}

TEST(Text, BlankMeansOnlyAsciiOrFullWidthSpaces) {
  EXPECT_TRUE(IsBlank(""));
  EXPECT_TRUE(IsBlank(" \t\r\n"));
  EXPECT_TRUE(IsBlank("\u3000 \u3000"));  // the ideographic space of Chinese input methods
  EXPECT_FALSE(IsBlank("\u3000修\u3000"));
  EXPECT_FALSE(IsBlank("x"));
  EXPECT_FALSE(IsBlank("\xE3\x80"));  // a truncated U+3000 is not a space
}

TEST(Text, ARequiredTextMustNotBeBlank) {
  EXPECT_EQ(CheckText(" \u3000 ", "reason", 500, /*required=*/true).message(), "reason: required");
  EXPECT_TRUE(CheckText(" \u3000 ", "reason", 500, /*required=*/false).ok());
  EXPECT_TRUE(CheckText("不属于本单位职责", "reason", 500, /*required=*/true).ok());
}

TEST(Phone, MobileAndLandlineAreAccepted) {
  EXPECT_TRUE(IsValidPhone("13812345678"));
  EXPECT_TRUE(IsValidPhone("19912345678"));
  EXPECT_TRUE(IsValidPhone("0571-87654321"));
  EXPECT_TRUE(IsValidPhone("010-1234567"));
  EXPECT_TRUE(IsValidPhone("057187654321"));
}

TEST(Phone, MalformedNumbersAreRejected) {
  EXPECT_FALSE(IsValidPhone(""));
  EXPECT_FALSE(IsValidPhone("1381234567"));     // 10 digits
  EXPECT_FALSE(IsValidPhone("12812345678"));    // no 12x mobile prefix
  EXPECT_FALSE(IsValidPhone("138-1234-5678"));  // dashes in a mobile
  EXPECT_FALSE(IsValidPhone("+8613812345678"));
  EXPECT_FALSE(IsValidPhone("call me"));
  EXPECT_FALSE(IsValidPhone("0571-123"));
}

TEST(Masking, PhoneKeepsPrefixAndLastFourDigits) {
  EXPECT_EQ(MaskPhone("13812345678"), "138****5678");
  EXPECT_EQ(MaskPhone("0571-87654321"), "0571-****4321");
  EXPECT_EQ(MaskPhone("123"), "****");
}

TEST(Masking, NameKeepsFirstCharacter) {
  EXPECT_EQ(MaskName("张三丰"), "张**");
  EXPECT_EQ(MaskName("Li"), "L*");
  EXPECT_EQ(MaskName(""), "");
}

TEST(ExternalId, AllowsGatewayWorkOrderIds) {
  EXPECT_TRUE(IsValidExternalId("12345-2026-000123", 64));
  EXPECT_TRUE(IsValidExternalId("WO.a_b:c", 64));
  EXPECT_FALSE(IsValidExternalId("", 64));
  EXPECT_FALSE(IsValidExternalId("has space", 64));
  EXPECT_FALSE(IsValidExternalId(std::string(65, 'a'), 64));
}

}  // namespace
}  // namespace dispatch
