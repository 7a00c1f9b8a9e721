// SPDX-License-Identifier: Apache-2.0
#include "verify/tpm/structures.h"

#include <gtest/gtest.h>

#include "common/encoding.h"
#include "support/expect.h"
#include "verify/tpm/builders.h"

namespace cocoon::verify::tpm {
namespace {

using cocoon::test::expectError;
using cocoon::test::unhex;
using test::QuoteAttestBuilder;

// tpm_quote.message of trustee deps/verifier/test_data/tpm_evidence.json (45e7c3a2,
// 2025-07-11), a swtpm quote; see shared/testdata/evidence/README.md.
constexpr std::string_view kVectorMessage =
    "/1RDR4AYACIACzCBpMu+MH894UVvmHWjwmMlKKcNkfz1eMzwkkZeTo4JAECgQYK1BoeNTym5HuYGpxoNM2HM8bIt"
    "sgyYrcqlN76jk+8OQaGLNWmrZ48Ul/vFwSAAAAAAAAAAAAAAAAAAAAAAAAAAAHIObisAAAACAAAAAAEgGRAjABY2"
    "NgAAAAEACwP///8AIAGd5kyTGGVeQiw9A4MRaYluMfAqHXTk2P71db9ODXX6";

TEST(TpmQuoteAttest, ParsesRealSwtpmQuote) {
  auto q = parseQuoteAttest(*base64Decode(kVectorMessage));
  ASSERT_TRUE(q) << q.error().toString();
  EXPECT_EQ(q->magic, kTpmGeneratedValue);
  EXPECT_EQ(q->type, kTpmStAttestQuote);
  EXPECT_EQ(q->qualified_signer.size(), 34u);
  EXPECT_EQ(hexEncode(q->extra_data),
            "a04182b506878d4f29b91ee606a71a0d3361ccf1b22db20c98adcaa537bea393ef0e41a18b3569ab"
            "678f1497fbc5c12000000000000000000000000000000000");
  EXPECT_EQ(q->firmware_version, 0x2019102300163636u);
  EXPECT_EQ(q->clock_info.safe, 1);
  ASSERT_EQ(q->pcr_select.size(), 1u);
  EXPECT_EQ(q->pcr_select[0].hash, kAlgSha256);
  EXPECT_EQ(selectedPcrs(q->pcr_select[0]).size(), 24u);
  EXPECT_EQ(q->pcr_digest.size(), 32u);
}

TEST(TpmQuoteAttest, RoundTripsThroughBuilder) {
  QuoteAttestBuilder b;
  b.extraData(Bytes(64, 7)).firmwareVersion(42).pcrSelect({{kAlgSha256, {0x01, 0x01, 0x00}}});
  auto q = parseQuoteAttest(b.build());
  ASSERT_TRUE(q) << q.error().toString();
  EXPECT_EQ(q->extra_data, Bytes(64, 7));
  EXPECT_EQ(q->firmware_version, 42u);
  EXPECT_EQ(selectedPcrs(q->pcr_select[0]), (std::vector<unsigned>{0, 8}));
  EXPECT_EQ(q->pcr_digest, b.fields().pcr_digest);
}

TEST(TpmQuoteAttest, RejectsEveryTruncation) {
  const Bytes full = QuoteAttestBuilder().build();
  for (std::size_t n = 0; n < full.size(); ++n) {
    auto q = parseQuoteAttest(ByteSpan(full).first(n));
    ASSERT_FALSE(q) << "accepted " << n << " of " << full.size() << " bytes";
    EXPECT_EQ(q.error().code, Code::kOutOfRange) << n << ": " << q.error().toString();
  }
}

TEST(TpmQuoteAttest, RejectsTrailingByte) {
  Bytes b = QuoteAttestBuilder().build();
  b.push_back(0);
  expectError(parseQuoteAttest(b), Code::kInvalidArgument, "1 trailing bytes at offset");
}

TEST(TpmQuoteAttest, RejectsWrongMagicAndType) {
  expectError(parseQuoteAttest(QuoteAttestBuilder().magic(0xff544348).build()),
              Code::kInvalidArgument, "TPMS_ATTEST.magic is 0xff544348, expected 0xff544347");
  // TPM_ST_ATTEST_CERTIFY (0x8017) is a valid attestation but not a quote.
  expectError(parseQuoteAttest(QuoteAttestBuilder().type(0x8017).build()), Code::kUnimplemented,
              "TPMS_ATTEST.type is 0x8017, expected 0x8018 (quote)");
}

TEST(TpmQuoteAttest, RejectsLengthsAboveTheirCaps) {
  expectError(parseQuoteAttest(QuoteAttestBuilder().qualifiedSigner(Bytes(67, 0)).build()),
              Code::kInvalidArgument,
              "qualifiedSigner at offset 6: size 67 exceeds the maximum 66");
  expectError(parseQuoteAttest(QuoteAttestBuilder().extraData(Bytes(67, 0)).build()),
              Code::kInvalidArgument, "extraData at offset 42: size 67 exceeds the maximum 66");
  expectError(parseQuoteAttest(QuoteAttestBuilder().pcrDigest(Bytes(65, 0)).build()),
              Code::kInvalidArgument, "pcrDigest");
  expectError(parseQuoteAttest(QuoteAttestBuilder().pcrSelect({{kAlgSha256, Bytes(5, 0)}}).build()),
              Code::kInvalidArgument, "sizeofSelect");
  std::vector<PcrSelection> banks(17, PcrSelection{kAlgSha256, {0, 0, 0}});
  expectError(parseQuoteAttest(QuoteAttestBuilder().pcrSelect(banks).build()),
              Code::kInvalidArgument, "count 17 exceeds the maximum 16");
  expectError(parseQuoteAttest(QuoteAttestBuilder().safe(2).build()), Code::kInvalidArgument,
              "clockInfo.safe");
}

TEST(TpmQuoteAttest, RejectsEachLengthFieldPlusOneAndMaximum) {
  const Bytes full = QuoteAttestBuilder().build();
  // Big-endian 16-bit length fields of the default quote: qualifiedSigner.size (6),
  // extraData.size (42), the low half of pcrSelect.count (103), pcrDigest.size (111).
  ASSERT_EQ(full.size(), 145u);
  const std::size_t fields[] = {6, 42, 103, 111};
  for (std::size_t at : fields) {
    for (std::uint16_t bump : {std::uint16_t{1}, std::uint16_t{0xffff}}) {
      Bytes b = full;
      const auto v =
          static_cast<std::uint16_t>(bump == 1 ? ((b[at] << 8) | b[at + 1]) + 1 : 0xffff);
      b[at] = static_cast<std::uint8_t>(v >> 8);
      b[at + 1] = static_cast<std::uint8_t>(v);
      auto q = parseQuoteAttest(b);
      ASSERT_FALSE(q) << "size field at " << at << " set to " << v;
      EXPECT_TRUE(q.error().code == Code::kOutOfRange || q.error().code == Code::kInvalidArgument)
          << q.error().toString();
    }
  }
}

TEST(TpmSignature, ParsesRsaAndEcdsa) {
  auto rsa = parseSignature(test::marshalRsaSignature(kAlgRsaSsa, kAlgSha256, Bytes(256, 1)));
  ASSERT_TRUE(rsa);
  EXPECT_EQ(rsa->sig_alg, kAlgRsaSsa);
  EXPECT_EQ(rsa->hash, kAlgSha256);
  EXPECT_EQ(rsa->rsa_signature, Bytes(256, 1));
  auto ec = parseSignature(test::marshalEcdsaSignature(kAlgSha256, Bytes(32, 2), Bytes(31, 3)));
  ASSERT_TRUE(ec);
  EXPECT_EQ(ec->ecdsa_r, Bytes(32, 2));
  EXPECT_EQ(ec->ecdsa_s, Bytes(31, 3));
}

TEST(TpmSignature, RejectsEveryTruncationAndTrailingByte) {
  for (const Bytes& full : {test::marshalRsaSignature(kAlgRsaPss, kAlgSha256, Bytes(256, 1)),
                            test::marshalEcdsaSignature(kAlgSha256, Bytes(32, 2), Bytes(32, 3))}) {
    for (std::size_t n = 0; n < full.size(); ++n) {
      auto s = parseSignature(ByteSpan(full).first(n));
      ASSERT_FALSE(s) << n;
      EXPECT_EQ(s.error().code, Code::kOutOfRange) << n;
    }
    Bytes longer = full;
    longer.push_back(0);
    expectError(parseSignature(longer), Code::kInvalidArgument, "1 trailing bytes");
  }
}

TEST(TpmSignature, RejectsOtherSchemesAndOversizedValues) {
  // TPM_ALG_HMAC (0x0005): a symmetric "signature" proves nothing to a remote verifier.
  expectError(parseSignature(test::marshalRsaSignature(0x0005, kAlgSha256, Bytes(32, 0))),
              Code::kUnimplemented, "TPMT_SIGNATURE.sigAlg is 0x0005");
  expectError(parseSignature(test::marshalRsaSignature(kAlgRsaSsa, kAlgSha256, Bytes(513, 0))),
              Code::kInvalidArgument, "sig at offset 4: size 513 exceeds the maximum 512");
  expectError(parseSignature(test::marshalEcdsaSignature(kAlgSha256, Bytes(129, 0), Bytes(32, 0))),
              Code::kInvalidArgument, "signatureR");
}

}  // namespace
}  // namespace cocoon::verify::tpm
