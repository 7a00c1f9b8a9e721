// SPDX-License-Identifier: Apache-2.0
#include "common/encoding.h"

#include <gtest/gtest.h>

namespace cocoon {
namespace {

// RFC 4648 §10 test vectors.
struct Vector {
  const char* plain;
  const char* b64;
  const char* b64url;
};
const Vector kVectors[] = {
    {"", "", ""},
    {"f", "Zg==", "Zg"},
    {"fo", "Zm8=", "Zm8"},
    {"foo", "Zm9v", "Zm9v"},
    {"foob", "Zm9vYg==", "Zm9vYg"},
    {"fooba", "Zm9vYmE=", "Zm9vYmE"},
    {"foobar", "Zm9vYmFy", "Zm9vYmFy"},
};

TEST(Base64, Rfc4648Vectors) {
  for (const auto& v : kVectors) {
    EXPECT_EQ(base64Encode(asBytes(v.plain)), v.b64);
    EXPECT_EQ(base64UrlEncode(asBytes(v.plain)), v.b64url);
    EXPECT_EQ(toString(*base64Decode(v.b64)), v.plain);
    EXPECT_EQ(toString(*base64UrlDecode(v.b64url)), v.plain);
  }
}

TEST(Base64Url, UsesUrlAlphabet) {
  const Bytes b = {0xfb, 0xff, 0xbf};
  EXPECT_EQ(base64UrlEncode(b), "-_-_");
  EXPECT_EQ(base64Encode(b), "+/+/");
  EXPECT_EQ(*base64UrlDecode("-_-_"), b);
}

TEST(Base64Url, RejectsMalformedInput) {
  const char* bad[] = {"Zg==", "Zg=",  "Z",        "Zm9vY",
                       "Zm+v", "Zm/v", "Zm9 v",    "Zm9v\n",
                       "Zh",   "Zm9",  "\xc3\xa9", std::string_view("Zm\0v", 4).data()};
  for (const char* text : bad) {
    auto r = base64UrlDecode(text);
    EXPECT_FALSE(r) << text;
    if (!r) {
      EXPECT_EQ(r.error().code, Code::kInvalidArgument);
    }
  }
  // "Zh" has non-zero bits in the unused part of the last character.
  EXPECT_EQ(base64UrlDecode("Zh").error().message,
            "base64url: non-zero padding bits in the last character");
  EXPECT_EQ(base64UrlDecode("Zm+v").error().message, "base64url: invalid character at offset 2");
}

TEST(Base64, RejectsMalformedInput) {
  const char* bad[] = {
      "Zg", "Zg=", "Zg===", "Z===", "====", "Zh==", "Zm9vYm-y", "Zm9v\n", "Zm=v", " Zm9v"};
  for (const char* text : bad) {
    auto r = base64Decode(text);
    EXPECT_FALSE(r) << text;
    if (!r) {
      EXPECT_EQ(r.error().code, Code::kInvalidArgument);
    }
  }
}

TEST(Hex, RoundTripAndStrictness) {
  const Bytes b = {0x00, 0xab, 0xCD, 0xff};
  EXPECT_EQ(hexEncode(b), "00abcdff");
  EXPECT_EQ(*hexDecode("00ABcdFF"), b);
  EXPECT_EQ(hexDecode("abc").error().message, "hex: odd length 3");
  EXPECT_EQ(hexDecode("0g").error().message, "hex: invalid character at offset 1");
  EXPECT_EQ(hexDecode(" 00").error().code, Code::kInvalidArgument);
  EXPECT_TRUE(hexDecode("")->empty());
}

}  // namespace
}  // namespace cocoon
