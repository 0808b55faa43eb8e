#include <gtest/gtest.h>

#include "common/encoding.h"

namespace fnq {
namespace {

TEST(Base64, RoundTripsAllLengths) {
  std::string bytes;
  for (int i = 0; i < 300; ++i) {
    bytes.push_back(static_cast<char>(i * 37));
    auto back = base64_decode(base64_encode(bytes));
    ASSERT_TRUE(back);
    ASSERT_EQ(*back, bytes);
  }
  EXPECT_EQ(base64_encode("hi"), "aGk=");
  EXPECT_EQ(base64_encode("hey"), "aGV5");
}

TEST(Base64, RejectsMalformed) {
  EXPECT_FALSE(base64_decode("a*b="));
  EXPECT_FALSE(base64_decode("aG=k"));
  // A digit left over holds no whole byte: refused, not decoded to less.
  EXPECT_FALSE(base64_decode("Y"));
  EXPECT_FALSE(base64_decode("aGV5Y"));
  EXPECT_FALSE(base64_decode("Y==="));
  EXPECT_FALSE(base64_decode("aGk=="));  // padding past the group of four
  EXPECT_FALSE(base64_decode("Zg="));    // padding short of it
}

TEST(Base64, AcceptsPaddedUnpaddedAndWrapped) {
  EXPECT_EQ(base64_decode("aGk="), "hi");
  EXPECT_EQ(base64_decode("aGk"), "hi");
  EXPECT_EQ(base64_decode("aG\nV5"), "hey");
  EXPECT_EQ(base64_decode(""), "");
}

TEST(Utf8, AcceptsTextRejectsBinary) {
  EXPECT_TRUE(is_valid_utf8("hello"));
  EXPECT_TRUE(is_valid_utf8("h\xc3\xa9llo \xe2\x82\xac \xf0\x9f\x98\x80"));
  EXPECT_FALSE(is_valid_utf8("\xff"));
  EXPECT_FALSE(is_valid_utf8("\xc3"));          // truncated
  EXPECT_FALSE(is_valid_utf8("\xe2\x82"));      // truncated
  EXPECT_FALSE(is_valid_utf8("\xc0\xaf"));      // overlong
  EXPECT_FALSE(is_valid_utf8("\xed\xa0\x80"));  // surrogate
  EXPECT_TRUE(is_valid_utf8(std::string("a\0b", 3)));
}

}  // namespace
}  // namespace fnq
