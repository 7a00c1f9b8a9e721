// SPDX-License-Identifier: Apache-2.0
#include "verify/tdx/quote.h"

#include <gtest/gtest.h>

#include "common/encoding.h"
#include "support/expect.h"
#include "verify/tdx/builders.h"
#include "verify/tdx/testdata.h"

namespace cocoon::verify::tdx {
namespace {

using cocoon::test::expectError;

#define LOAD_OR_SKIP(var, path)                                          \
  auto var = test::evidenceFile(path);                                   \
  if (!var) {                                                            \
    GTEST_SKIP() << "shared/testdata/evidence/" << path << " not found"; \
  }

// Field values from shared/testdata/evidence/README.md (trustee 78962cd4, test_data/).
TEST(TdxQuoteParser, ParsesTrusteeQuoteV4) {
  LOAD_OR_SKIP(bytes, "tdx/tdx_quote_4.dat");
  auto q = parseTdxQuote(*bytes);
  ASSERT_TRUE(q) << q.error().toString();
  EXPECT_TRUE(validateTdxQuote(*q));
  EXPECT_EQ(q->header.version, 4);
  EXPECT_FALSE(q->body_type);
  EXPECT_EQ(hexEncode(q->body.mr_td),
            "705ee9381b8633a9fbe532b52345e8433343d2868959f57889d84ca377c395b689cac1599ccea1b7d4"
            "20483a9ce5f031");
  EXPECT_EQ(hexEncode(q->body.td_attributes), "0100001000000000");
  EXPECT_EQ(hexEncode(q->body.report_data).substr(0, 8), "7c71fe2c");
  EXPECT_EQ(q->signed_data.size(), kHeaderSize + kTdReport10Size);
  EXPECT_EQ(q->qe_auth_data.size(), 32u);
  EXPECT_EQ(q->inner_cert_data_type, kCertDataPckChain);
  EXPECT_TRUE(q->pck_chain_pem.starts_with("-----BEGIN CERTIFICATE-----"));
  EXPECT_EQ(q->trailing_zeros, 0u);
}

TEST(TdxQuoteParser, ParsesTrusteeQuoteV5Tdx15Body) {
  LOAD_OR_SKIP(bytes, "tdx/tdx_quote_5.dat");
  auto q = parseTdxQuote(*bytes);
  ASSERT_TRUE(q) << q.error().toString();
  EXPECT_EQ(q->header.version, 5);
  EXPECT_EQ(q->body_type, kBodyTypeTdx15);
  EXPECT_EQ(hexEncode(q->body.tee_tcb_svn).substr(0, 8), "05010200");
  ASSERT_TRUE(q->body.mr_servicetd);
  EXPECT_EQ(hexEncode(*q->body.mr_servicetd),
            "383c87d3bbb047b2d171eaca95312ede99f258088dc788f6ae2ccf8b6dd848fe8d47629e08b3f6cbd4"
            "a00dd47a5a033d");
  EXPECT_EQ(q->signed_data.size(), kHeaderSize + 6 + kTdReport15Size);
}

TEST(TdxQuoteParser, AcceptsZeroPaddingAfterQuote) {
  for (const char* path : {"tdx/tdx_quote_6.dat", "az-tdx-vtpm/td-quote.bin"}) {
    LOAD_OR_SKIP(bytes, path);
    auto q = parseTdxQuote(*bytes);
    ASSERT_TRUE(q) << path << ": " << q.error().toString();
    EXPECT_EQ(q->trailing_zeros, 70u) << path;
  }
}

TEST(TdxQuoteParser, RejectsNonZeroTrailingByte) {
  Bytes q = test::QuoteBuilder().build();
  q.push_back(0);
  EXPECT_TRUE(parseTdxQuote(q));
  q.push_back(1);
  expectError(parseTdxQuote(q), Code::kInvalidArgument, "byte 1 of them is not zero");
}

TEST(TdxQuoteParser, RoundTripsBuilderQuotes) {
  for (auto [version, type] : {std::pair{4, 2}, std::pair{5, 2}, std::pair{5, 3}}) {
    const Bytes rd(64, 0x42);
    const Bytes bytes =
        test::QuoteBuilder()
            .version(static_cast<std::uint16_t>(version), static_cast<std::uint16_t>(type))
            .reportData(rd)
            .build();
    auto q = parseTdxQuote(bytes);
    ASSERT_TRUE(q) << q.error().toString();
    EXPECT_EQ(Bytes(q->body.report_data.begin(), q->body.report_data.end()), rd);
    EXPECT_EQ(q->body.mr_servicetd.has_value(), type == 3);
  }
}

TEST(TdxQuoteParser, RejectsEveryTruncation) {
  const Bytes full = test::QuoteBuilder().build();
  for (std::size_t n = 0; n < full.size(); ++n) {
    auto q = parseTdxQuote(ByteSpan(full).first(n));
    ASSERT_FALSE(q) << n;
    EXPECT_TRUE(q.error().code == Code::kOutOfRange || q.error().code == Code::kInvalidArgument)
        << n << ": " << q.error().toString();
  }
}

TEST(TdxQuoteParser, RejectsLengthFieldsPlusOneAndMax) {
  const Bytes full = test::QuoteBuilder().build();
  const std::size_t sig_len_at = kHeaderSize + kTdReport10Size;
  const std::size_t cert_size_at = test::QuoteBuilder::kSignatureOffset + 128 + 2;
  const std::size_t auth_size_at = test::QuoteBuilder::kAuthDataOffset - 2;
  const std::size_t inner_size_at = test::QuoteBuilder::kAuthDataOffset + 32 + 2;
  for (std::size_t at : {sig_len_at, cert_size_at, inner_size_at}) {
    for (std::uint32_t delta : {1u, 0xffffffffu}) {
      Bytes q = full;
      std::uint32_t v = 0;
      for (std::size_t i = 0; i < 4; ++i) {
        v |= std::uint32_t{q[at + i]} << (8 * i);
      }
      v = delta == 1 ? v + 1 : delta;
      for (int i = 0; i < 4; ++i) {
        q[at + static_cast<std::size_t>(i)] = static_cast<std::uint8_t>(v >> (8 * i));
      }
      expectError(parseTdxQuote(q), Code::kOutOfRange, "remain");
    }
  }
  for (std::uint16_t v : {std::uint16_t{33}, std::uint16_t{0xffff}}) {
    Bytes q = full;
    q[auth_size_at] = static_cast<std::uint8_t>(v);
    q[auth_size_at + 1] = static_cast<std::uint8_t>(v >> 8);
    auto r = parseTdxQuote(q);
    ASSERT_FALSE(r);
    EXPECT_TRUE(r.error().code == Code::kOutOfRange || r.error().code == Code::kUnimplemented)
        << r.error().toString();
  }
}

TEST(TdxQuoteParser, RejectsUnknownVersionAndCertificationDataType) {
  Bytes q = test::QuoteBuilder().build();
  q[0] = 3;
  expectError(parseTdxQuote(q), Code::kUnimplemented, "quote version is 3, expected 4 or 5");
  q = test::QuoteBuilder().build();
  q[test::QuoteBuilder::kSignatureOffset + 128] = 5;
  expectError(parseTdxQuote(q), Code::kUnimplemented, "certification data type is 5");
  q = test::QuoteBuilder().version(5, 4).build();
  expectError(parseTdxQuote(q), Code::kUnimplemented, "body type is 4");
}

TEST(TdxQuoteParser, ValidateRejectsOtherTeeAndKeyTypes) {
  auto q = parseTdxQuote(test::QuoteBuilder().build());
  ASSERT_TRUE(q);
  TdxQuote sgx = *q;
  sgx.header.tee_type = 0;
  expectError(validateTdxQuote(sgx), Code::kUnimplemented, "TEE type is 0x0, expected 0x81");
  TdxQuote p384 = *q;
  p384.header.att_key_type = 3;
  expectError(validateTdxQuote(p384), Code::kUnimplemented, "attestation key type is 3");
}

}  // namespace
}  // namespace cocoon::verify::tdx
