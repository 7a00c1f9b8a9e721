// SPDX-License-Identifier: Apache-2.0
// Certificates, CRLs and chain verification against chains built by the test CA.
#include "crypto/x509.h"

#include <gtest/gtest.h>

#include "common/encoding.h"
#include "support/asym_vectors.h"
#include "support/expect.h"
#include "support/test_ca.h"

namespace cocoon::crypto {
namespace {

using test::CertBuilder;
using test::CrlBuilder;
using test::expectError;
using test::expectValue;
using test::IssuedCert;
using test::kDay;
using test::kTestNow;
using test::unhex;

// AMD SEV-SNP VCEK TCB extension (bootloader SVN) and Intel SGX PCK extension OIDs.
constexpr std::string_view kAmdBlSplOid = "1.3.6.1.4.1.3704.1.3.1";
constexpr std::string_view kIntelSgxOid = "1.2.840.113741.1.13.1";

// A root -> intermediate -> leaf chain, all valid at kTestNow.
struct Chain {
  IssuedCert root = CertBuilder().subject("CN=Test Root,O=cocoon").ca(true).build();
  IssuedCert inter =
      CertBuilder().subject("CN=Test Intermediate,O=cocoon").issuer(root).ca(true).build();
  IssuedCert leaf = CertBuilder().subject("CN=leaf").issuer(inter).build();

  ChainVerifyOptions options() const {
    ChainVerifyOptions o;
    o.trust_anchors = {root.cert};
    o.intermediates = {inter.cert};
    o.verification_time = kTestNow;
    return o;
  }
  // Both CRLs that RevocationCheck::kRequireCrlForEveryCertificate needs, nothing revoked.
  ChainVerifyOptions withCrls() const {
    ChainVerifyOptions o = options();
    o.revocation = RevocationCheck::kRequireCrlForEveryCertificate;
    o.crls = {CrlBuilder().issuer(inter).build(), CrlBuilder().issuer(root).build()};
    return o;
  }
};

void expectChainError(const Result<std::vector<Certificate>, ChainError>& r, ChainFailure reason,
                      int depth, std::string_view message_part) {
  ASSERT_FALSE(r.has_value()) << "expected " << chainFailureName(reason);
  EXPECT_EQ(r.error().reason, reason) << r.error().message;
  EXPECT_EQ(r.error().depth, depth) << r.error().message;
  EXPECT_NE(r.error().message.find(message_part), std::string::npos) << r.error().message;
}

// ---- Certificate ------------------------------------------------------------------------

TEST(Certificate, NeverExpiringNotAfterClampsToTheLatestTime) {
  // RFC 5280 4.1.2.5: 99991231235959Z means "no well-defined expiration date"; the year
  // 9999 is past what a nanosecond clock holds.
  IssuedCert cert = CertBuilder().notAfterText("99991231235959Z").build();
  EXPECT_EQ(cert.cert.notAfter(), TimePoint::max());
  EXPECT_EQ(cert.cert.notBefore(), kTestNow - 365 * kDay);
}

TEST(Certificate, ExposesItsFields) {
  Key key = test::generated(KeyType::kEcP384);
  IssuedCert cert = CertBuilder()
                        .subject("CN=leaf,OU=Engineering,O=cocoon")
                        .key(key)
                        .serial(0x1234abcd)
                        .validity(kTestNow - 2 * kDay, kTestNow + 3 * kDay)
                        .build();
  EXPECT_EQ(cert.cert.subject(), "CN=leaf,OU=Engineering,O=cocoon");
  EXPECT_EQ(cert.cert.issuer(), "CN=leaf,OU=Engineering,O=cocoon");
  EXPECT_EQ(cert.cert.serialHex(), "1234abcd");
  EXPECT_EQ(cert.cert.notBefore(), kTestNow - 2 * kDay);
  EXPECT_EQ(cert.cert.notAfter(), kTestNow + 3 * kDay);
  EXPECT_FALSE(cert.cert.isCa());
  EXPECT_TRUE(cert.cert.isSelfIssued());
  auto pub = cert.cert.publicKey();
  ASSERT_TRUE(pub);
  EXPECT_TRUE(pub->samePublicKey(key));
  EXPECT_FALSE(pub->hasPrivate());
}

TEST(Certificate, RoundTripsDerAndPem) {
  Chain chain;
  const Certificate& leaf = chain.leaf.cert;
  auto from_der = Certificate::fromDer(leaf.der());
  ASSERT_TRUE(from_der);
  EXPECT_EQ(from_der->der(), leaf.der());
  auto from_pem = Certificate::fromPem(leaf.pem());
  ASSERT_TRUE(from_pem);
  EXPECT_EQ(from_pem->der(), leaf.der());
  EXPECT_TRUE(chain.root.cert.isCa());
  EXPECT_FALSE(leaf.isSelfIssued());
  EXPECT_EQ(leaf.issuer(), "CN=Test Intermediate,O=cocoon");
}

TEST(Certificate, RejectsMalformedInput) {
  Bytes der = Chain().leaf.cert.der();
  der.push_back(0);
  expectError(Certificate::fromDer(der), Code::kInvalidArgument,
              "certificate: 1 trailing bytes after the DER");
  der.resize(der.size() / 2);
  expectError(Certificate::fromDer(der), Code::kInvalidArgument, "certificate: malformed DER");
  expectError(Certificate::fromDer({}), Code::kInvalidArgument, "DER must be 1..65536 bytes");
  expectError(Certificate::fromDer(Bytes(kMaxCertificateSize + 1, 0x30)), Code::kInvalidArgument,
              "found 65537");
  expectError(Certificate::fromPem(test::generated(KeyType::kEcP256).publicPem()),
              Code::kInvalidArgument, "PEM: expected 'CERTIFICATE', found 'PUBLIC KEY'");
}

TEST(Certificate, ParsesPemBundlesInOrder) {
  Chain chain;
  std::string bundle = chain.leaf.cert.pem() + "\n" + chain.inter.cert.pem();
  auto certs = Certificate::parsePemBundle(bundle);
  ASSERT_TRUE(certs) << certs.error().toString();
  ASSERT_EQ(certs->size(), 2u);
  EXPECT_EQ((*certs)[0].subject(), "CN=leaf");
  EXPECT_EQ((*certs)[1].subject(), "CN=Test Intermediate,O=cocoon");

  expectError(Certificate::parsePemBundle(bundle + chain.leaf.key.publicPem()),
              Code::kInvalidArgument,
              "PEM bundle: block 2 is 'PUBLIC KEY', expected 'CERTIFICATE'");
  std::string many;
  for (std::size_t i = 0; i <= kMaxBundleCertificates; ++i) {
    many += chain.leaf.cert.pem();
  }
  expectError(Certificate::parsePemBundle(many), Code::kInvalidArgument, "more than 16 blocks");
}

TEST(Certificate, FindsExtensionsByOid) {
  Bytes tcb = unhex("020103");  // INTEGER 3
  Bytes sgx = unhex(
      "3006060453"
      "02010f0a");  // an opaque SEQUENCE
  IssuedCert cert = CertBuilder()
                        .extension(kAmdBlSplOid, tcb)
                        .extension(kIntelSgxOid, sgx, /*critical=*/true)
                        .build();
  auto amd = cert.cert.extensionValue(kAmdBlSplOid);
  ASSERT_TRUE(amd);
  ASSERT_TRUE(amd->has_value());
  EXPECT_EQ(**amd, tcb);
  auto intel = cert.cert.extension(kIntelSgxOid);
  ASSERT_TRUE(intel && intel->has_value());
  EXPECT_EQ((*intel)->value, sgx);
  EXPECT_TRUE((*intel)->critical);
  expectValue(cert.cert.extensionCritical(kAmdBlSplOid), false);
  expectValue(cert.cert.extensionCritical(kIntelSgxOid), true);
  // basicConstraints is added by the builder (critical).
  expectValue(cert.cert.extensionCritical("2.5.29.19"), true);
}

TEST(Certificate, ReportsAbsentExtensionsAndBadOids) {
  IssuedCert cert = CertBuilder().build();
  auto absent = cert.cert.extensionValue("1.3.6.1.4.1.3704.1.3.2");
  ASSERT_TRUE(absent);
  EXPECT_FALSE(absent->has_value());
  expectError(cert.cert.extensionCritical("1.3.6.1.4.1.3704.1.3.2"), Code::kNotFound,
              "no extension 1.3.6.1.4.1.3704.1.3.2");
  for (std::string_view bad : {"", "1", "1..2", ".1.2", "1.2.", "basicConstraints", "1.2.x"}) {
    expectError(cert.cert.extensionValue(bad), Code::kInvalidArgument,
                "is not a dotted numeric OID");
  }
}

TEST(Certificate, VerifiesSignatureWithExplicitIssuerKey) {
  Chain chain;
  EXPECT_TRUE(chain.leaf.cert.verifySignature(chain.inter.key.publicKey()));
  expectError(chain.leaf.cert.verifySignature(chain.root.key), Code::kUnauthenticated,
              "certificate 'CN=leaf': signature does not verify with the given P-256 key");
}

// AMD signs its ARK and ASK with RSASSA-PSS (SHA-384); both the explicit-key check and the
// chain verifier must accept such certificates.
TEST(Certificate, VerifiesRsaPssSignatures) {
  IssuedCert ark = CertBuilder()
                       .subject("CN=ARK-Test")
                       .key(test::rsaKey(test::kRfc7515A2, true))
                       .ca(true)
                       .digest(DigestAlgorithm::kSha384)
                       .rsaPss()
                       .build();
  IssuedCert ask = CertBuilder()
                       .subject("CN=ASK-Test")
                       .issuer(ark)
                       .keyType(KeyType::kRsa)
                       .ca(true)
                       .digest(DigestAlgorithm::kSha384)
                       .rsaPss()
                       .build();
  EXPECT_TRUE(ark.cert.verifySignature(ark.key));
  EXPECT_TRUE(ask.cert.verifySignature(ark.key.publicKey()));
  expectError(ask.cert.verifySignature(ask.key), Code::kUnauthenticated);
  IssuedCert vcek =
      CertBuilder().subject("CN=VCEK-Test").issuer(ask).keyType(KeyType::kEcP384).build();
  ChainVerifyOptions options;
  options.trust_anchors = {ark.cert};
  options.intermediates = {ask.cert};
  options.verification_time = kTestNow;
  auto verified = verifyChain(vcek.cert, options);
  ASSERT_TRUE(verified) << verified.error().message;
  EXPECT_EQ(verified->size(), 3u);
}

// ---- Crl --------------------------------------------------------------------------------

TEST(Crl, ExposesItsFields) {
  Chain chain;
  Crl crl = CrlBuilder()
                .issuer(chain.inter)
                .revoke(chain.leaf.cert)
                .revoke(0xabc)
                .validity(kTestNow - kDay, kTestNow + 7 * kDay)
                .build();
  EXPECT_EQ(crl.issuer(), "CN=Test Intermediate,O=cocoon");
  EXPECT_EQ(crl.thisUpdate(), kTestNow - kDay);
  EXPECT_EQ(crl.nextUpdate(), kTestNow + 7 * kDay);
  EXPECT_TRUE(crl.isRevoked(chain.leaf.cert));
  EXPECT_FALSE(crl.isRevoked(chain.inter.cert));
  expectValue(crl.isRevoked(chain.leaf.cert.serialHex()), true);
  expectValue(crl.isRevoked("0ABC"), true);
  expectValue(crl.isRevoked("abd"), false);
  expectError(crl.isRevoked("xyz"), Code::kInvalidArgument, "CRL: serial 'xyz' is not hex");
  expectError(crl.isRevoked(""), Code::kInvalidArgument, "is not hex");
  EXPECT_TRUE(crl.verifySignature(chain.inter.key));
  expectError(crl.verifySignature(chain.root.key), Code::kUnauthenticated,
              "CRL from 'CN=Test Intermediate,O=cocoon': signature does not verify");

  Crl open_ended = CrlBuilder().issuer(chain.root).validity(kTestNow, std::nullopt).build();
  EXPECT_EQ(open_ended.nextUpdate(), std::nullopt);
}

TEST(Crl, RoundTripsAndRejectsMalformedInput) {
  Crl crl = CrlBuilder().issuer(Chain().root).build();
  auto again = Crl::fromDer(crl.der());
  ASSERT_TRUE(again);
  EXPECT_EQ(again->der(), crl.der());
  std::string pem =
      "-----BEGIN X509 CRL-----\n" + base64Encode(crl.der()) + "\n-----END X509 CRL-----\n";
  EXPECT_TRUE(Crl::fromPem(pem));
  Bytes der = crl.der();
  der.push_back(0);
  expectError(Crl::fromDer(der), Code::kInvalidArgument, "CRL: 1 trailing bytes after the DER");
  expectError(Crl::fromDer(unhex("3000")), Code::kInvalidArgument, "CRL: malformed DER");
  expectError(Crl::fromPem(Chain().leaf.cert.pem()), Code::kInvalidArgument,
              "PEM: expected 'X509 CRL', found 'CERTIFICATE'");
}

// Found by x509_fuzz: d2i_X509_CRL accepts a UTCTime "26\xf1\0\0\0\0\0\0\058Z".
TEST(Crl, RejectsMalformedTimes) {
  auto crl = base64Decode(
      "MIG9MGQCAQEwCgYIKoZIzj0EAwIwJTESMBAGA1UEAwwJRnV6eiBSb290MQ8wDQYDVQQKDAZjb2Nvb24XDTI28QAA"
      "AAAAAAA1OFoXDTI2MTIyODA5MjA1OFqgDjAMMAoGA1UdFAQDAgEBMAoGCCqGSM49BAMCA0kAMEYCIQCR7SEoYm+t"
      "xjTWAuSz3X6QoK3epG41hJuVdqL3yb3kJQIhAL91Mwd+GRWSGbHExQ8aghRxAPlwnN08csPzxRkkuoR/");
  ASSERT_TRUE(crl);
  expectError(Crl::fromDer(*crl), Code::kInvalidArgument, "CRL: thisUpdate is not a valid time");
}

// ---- verifyChain: success -----------------------------------------------------------------

TEST(VerifyChain, AcceptsAGoodChainAndReturnsIt) {
  Chain chain;
  auto verified = verifyChain(chain.leaf.cert, chain.options());
  ASSERT_TRUE(verified) << verified.error().message;
  ASSERT_EQ(verified->size(), 3u);
  EXPECT_EQ((*verified)[0].der(), chain.leaf.cert.der());
  EXPECT_EQ((*verified)[1].der(), chain.inter.cert.der());
  EXPECT_EQ((*verified)[2].der(), chain.root.cert.der());
}

TEST(VerifyChain, AcceptsAGoodChainWithCrls) {
  Chain chain;
  auto verified = verifyChain(chain.leaf.cert, chain.withCrls());
  ASSERT_TRUE(verified) << verified.error().message;
}

TEST(VerifyChain, AcceptsAnIntermediateAnchorAsPartialChain) {
  Chain chain;
  ChainVerifyOptions options = chain.options();
  options.trust_anchors = {chain.inter.cert};
  options.intermediates.clear();
  auto verified = verifyChain(chain.leaf.cert, options);
  ASSERT_TRUE(verified) << verified.error().message;
  EXPECT_EQ(verified->size(), 2u);
}

// ---- verifyChain: each failure ------------------------------------------------------------

TEST(VerifyChain, RejectsExpiredLeaf) {
  Chain chain;
  IssuedCert leaf = CertBuilder()
                        .subject("CN=leaf")
                        .issuer(chain.inter)
                        .validity(kTestNow - 30 * kDay, kTestNow - kDay)
                        .build();
  expectChainError(verifyChain(leaf.cert, chain.options()), ChainFailure::kExpired, 0,
                   "certificate chain: certificate has expired at depth 0 (subject 'CN=leaf')");
}

TEST(VerifyChain, RejectsNotYetValidLeaf) {
  Chain chain;
  IssuedCert leaf =
      CertBuilder().issuer(chain.inter).validity(kTestNow + kDay, kTestNow + 30 * kDay).build();
  expectChainError(verifyChain(leaf.cert, chain.options()), ChainFailure::kNotYetValid, 0,
                   "certificate is not yet valid at depth 0");
}

TEST(VerifyChain, JudgesValidityAtTheGivenTime) {
  Chain chain;
  ChainVerifyOptions options = chain.options();
  options.verification_time = kTestNow + 400 * kDay;
  // Everything has expired by then; OpenSSL checks from the anchor down.
  expectChainError(verifyChain(chain.leaf.cert, options), ChainFailure::kExpired, 2,
                   "certificate has expired at depth 2 (subject 'CN=Test Root,O=cocoon')");
}

TEST(VerifyChain, RejectsExpiredIntermediate) {
  Chain chain;
  IssuedCert inter = CertBuilder()
                         .subject("CN=Old Intermediate")
                         .issuer(chain.root)
                         .ca(true)
                         .validity(kTestNow - 30 * kDay, kTestNow - kDay)
                         .build();
  IssuedCert leaf = CertBuilder().issuer(inter).build();
  ChainVerifyOptions options = chain.options();
  options.intermediates = {inter.cert};
  expectChainError(verifyChain(leaf.cert, options), ChainFailure::kExpired, 1,
                   "at depth 1 (subject 'CN=Old Intermediate')");
}

TEST(VerifyChain, RejectsRevokedLeaf) {
  Chain chain;
  ChainVerifyOptions options = chain.withCrls();
  options.crls[0] = CrlBuilder().issuer(chain.inter).revoke(chain.leaf.cert).build();
  expectChainError(verifyChain(chain.leaf.cert, options), ChainFailure::kRevoked, 0,
                   "certificate revoked at depth 0 (subject 'CN=leaf')");
}

TEST(VerifyChain, RejectsRevokedIntermediate) {
  Chain chain;
  ChainVerifyOptions options = chain.withCrls();
  options.crls[1] = CrlBuilder().issuer(chain.root).revoke(chain.inter.cert).build();
  expectChainError(verifyChain(chain.leaf.cert, options), ChainFailure::kRevoked, 1,
                   "certificate revoked at depth 1");
}

TEST(VerifyChain, RequiresACrlFromEveryIssuer) {
  Chain chain;
  ChainVerifyOptions options = chain.withCrls();
  options.crls = {CrlBuilder().issuer(chain.root).build()};
  expectChainError(verifyChain(chain.leaf.cert, options), ChainFailure::kCrlMissing, 0,
                   "unable to get certificate CRL at depth 0");
  options.crls = {CrlBuilder().issuer(chain.inter).build()};
  expectChainError(verifyChain(chain.leaf.cert, options), ChainFailure::kCrlMissing, 1,
                   "unable to get certificate CRL at depth 1");
}

TEST(VerifyChain, RejectsStaleAndForgedCrls) {
  Chain chain;
  ChainVerifyOptions options = chain.withCrls();
  options.crls[0] =
      CrlBuilder().issuer(chain.inter).validity(kTestNow - 60 * kDay, kTestNow - kDay).build();
  expectChainError(verifyChain(chain.leaf.cert, options), ChainFailure::kCrlExpired, 0,
                   "CRL has expired");
  options.crls[0] =
      CrlBuilder().issuer(chain.inter).validity(kTestNow + kDay, kTestNow + 9 * kDay).build();
  expectChainError(verifyChain(chain.leaf.cert, options), ChainFailure::kCrlNotYetValid, 0,
                   "CRL is not yet valid");
  options.crls[0] = CrlBuilder().issuer(chain.inter).corruptSignature().build();
  expectChainError(verifyChain(chain.leaf.cert, options), ChainFailure::kCrlBadSignature, 0,
                   "CRL signature failure");
}

TEST(VerifyChain, RejectsWrongAnchor) {
  Chain chain;
  Chain other;
  ChainVerifyOptions options = chain.options();
  options.trust_anchors = {other.root.cert};
  expectChainError(verifyChain(chain.leaf.cert, options), ChainFailure::kUntrusted, 1,
                   "unable to get local issuer certificate");
}

TEST(VerifyChain, RejectsSelfSignedLeafThatIsNoAnchor) {
  Chain chain;
  IssuedCert lone = CertBuilder().subject("CN=lone").build();
  expectChainError(verifyChain(lone.cert, chain.options()), ChainFailure::kUntrusted, 0,
                   "self-signed certificate at depth 0 (subject 'CN=lone')");
}

TEST(VerifyChain, RejectsTamperedSignature) {
  Chain chain;
  IssuedCert leaf = CertBuilder().issuer(chain.inter).corruptSignature().build();
  expectChainError(verifyChain(leaf.cert, chain.options()), ChainFailure::kBadSignature, 0,
                   "certificate signature failure at depth 0");
}

TEST(VerifyChain, RejectsCertificateSignedByAnotherKeyUnderTheIssuersName) {
  Chain chain;
  IssuedCert impostor{chain.inter.cert, test::generated(KeyType::kEcP256)};
  IssuedCert leaf = CertBuilder().issuer(impostor).build();
  expectChainError(verifyChain(leaf.cert, chain.options()), ChainFailure::kBadSignature, 0,
                   "certificate signature failure");
}

TEST(VerifyChain, RejectsPathLongerThanMaxDepth) {
  Chain chain;
  IssuedCert inter2 =
      CertBuilder().subject("CN=Second Intermediate").issuer(chain.inter).ca(true).build();
  IssuedCert leaf = CertBuilder().issuer(inter2).build();
  ChainVerifyOptions options = chain.options();
  options.intermediates.push_back(inter2.cert);
  EXPECT_TRUE(verifyChain(leaf.cert, options));
  options.max_depth = 1;
  expectChainError(verifyChain(leaf.cert, options), ChainFailure::kPathTooLong, 2,
                   "certificate chain too long at depth 2");
}

TEST(VerifyChain, EnforcesPathLengthConstraint) {
  IssuedCert root = CertBuilder().subject("CN=Root pathlen 0").ca(true, 0).build();
  IssuedCert inter = CertBuilder().subject("CN=Inter").issuer(root).ca(true).build();
  IssuedCert leaf = CertBuilder().issuer(inter).build();
  ChainVerifyOptions options;
  options.trust_anchors = {root.cert};
  options.intermediates = {inter.cert};
  options.verification_time = kTestNow;
  expectChainError(verifyChain(leaf.cert, options), ChainFailure::kPathTooLong, 2,
                   "path length constraint exceeded at depth 2 (subject 'CN=Root pathlen 0')");
}

TEST(VerifyChain, RejectsIssuerThatIsNotACa) {
  Chain chain;
  IssuedCert not_ca = CertBuilder().subject("CN=Not A CA").issuer(chain.root).build();
  IssuedCert leaf = CertBuilder().issuer(not_ca).build();
  ChainVerifyOptions options = chain.options();
  options.intermediates = {not_ca.cert};
  auto r = verifyChain(leaf.cert, options);
  ASSERT_FALSE(r);
  EXPECT_EQ(r.error().reason, ChainFailure::kInvalidCa) << r.error().message;
}

TEST(VerifyChain, RejectsInvalidOptions) {
  Chain chain;
  ChainVerifyOptions options = chain.options();
  options.trust_anchors.clear();
  expectChainError(verifyChain(chain.leaf.cert, options), ChainFailure::kInvalidOptions, -1,
                   "no trust anchors given");
  options = chain.options();
  options.verification_time = {};
  expectChainError(verifyChain(chain.leaf.cert, options), ChainFailure::kInvalidOptions, -1,
                   "no verification time given");
  options = chain.withCrls();
  options.revocation = RevocationCheck::kNone;
  expectChainError(verifyChain(chain.leaf.cert, options), ChainFailure::kInvalidOptions, -1,
                   "CRLs given but revocation checking is off");
}

Result<std::size_t> chainLength(const Certificate& leaf, const ChainVerifyOptions& options) {
  COCOON_ASSIGN_OR_RETURN(std::vector<Certificate> chain, verifyChain(leaf, options));
  return chain.size();
}

TEST(VerifyChain, ChainErrorConvertsToError) {
  Chain chain;
  ChainVerifyOptions options = chain.options();
  expectValue(chainLength(chain.leaf.cert, options), 3u);
  options.trust_anchors = {Chain().root.cert};
  expectError(chainLength(chain.leaf.cert, options), Code::kUnauthenticated,
              "unable to get local issuer certificate");
  options.trust_anchors.clear();
  expectError(chainLength(chain.leaf.cert, options), Code::kInvalidArgument, "no trust anchors");
  EXPECT_EQ(chainFailureName(ChainFailure::kCrlMissing), "CRL missing");
}

}  // namespace
}  // namespace cocoon::crypto
