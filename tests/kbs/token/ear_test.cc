// SPDX-License-Identifier: Apache-2.0
#include "kbs/token/ear.h"

#include <chrono>
#include <string>
#include <vector>

#include <gtest/gtest.h>

#include "common/encoding.h"
#include "crypto/jose/jwt.h"
#include "support/expect.h"

namespace cocoon::kbs::token {
namespace {

using crypto::Key;
using crypto::KeyType;
using jose::JoseReason;
using json::Json;
using Clock = std::chrono::system_clock;

constexpr std::int64_t kNow = 1'800'000'000;

Clock::time_point at(std::int64_t unix_seconds) {
  return Clock::time_point(std::chrono::seconds(unix_seconds));
}

// Which reason a failed verification gave (for readable assertions).
template <class T>
std::string reasonOf(const jose::JoseResult<T>& r) {
  return r ? std::string("success") : std::string(jose::joseReasonName(r.error().reason));
}

Json decodeSegment(std::string_view token, int index) {
  std::size_t start = 0;
  for (int i = 0; i < index; ++i) {
    start = token.find('.', start) + 1;
  }
  const std::size_t end = token.find('.', start);
  Bytes raw = base64UrlDecode(token.substr(start, end - start)).value();
  return json::parseJson(std::string(raw.begin(), raw.end())).value();
}

class EarTokenTest : public ::testing::Test {
 protected:
  EarTokenTest()
      : signer_(EarSigner::create(*Key::generate(KeyType::kEcP256)).value()),
        tee_key_(*Key::generate(KeyType::kEcP256)) {
    const Key keys[] = {signer_.key()};
    keys_ = earVerificationKeys(keys).value();
    appraisal_.tee = kbs_protocol::Tee::kSnp;
    appraisal_.tee_claims = {{"measurement", "aa11"}, {"report_data", "00ff"}, {"init_data", "ab"}};
    appraisal_.init_data_claims = {{"aa.toml", "x"}};
    appraisal_.runtime_data_claims = {
        {"nonce", "bm9uY2U="},
        {"tee-pubkey", *jose::jwkToJson(jose::Jwk{tee_key_.publicKey(), {}, {}, {}, {}})}};
    appraisal_.decision.allow = true;
    appraisal_.decision.policy_id = "default";
    appraisal_.decision.vector.set(policy::TrustComponent::kHardware, 2);
  }

  std::string issue() { return issueEarToken(signer_, appraisal_, at(kNow)).value(); }

  // A token with arbitrary claims, signed like ours (same header).
  std::string signClaims(const Json& claims, const Key& key, jose::JwsAlgorithm alg) {
    jose::JwsSigner jws{key, alg, Json{{"kid", jose::jwkThumbprintBase64Url(key)}}};
    return jose::signJwt(claims, jws).value();
  }

  Json issuedClaims() { return decodeSegment(issue(), 1); }

  jose::JoseResult<EarToken> verifyClaims(const Json& claims) {
    return verifyEarToken(signClaims(claims, signer_.key(), jose::JwsAlgorithm::kEs256), keys_,
                          at(kNow));
  }

  EarSigner signer_;
  Key tee_key_;
  jose::JwkSet keys_;
  EarAppraisal appraisal_;
};

TEST_F(EarTokenTest, RoundTrips) {
  auto token = verifyEarToken(issue(), keys_, at(kNow));
  ASSERT_TRUE(token) << token.error().toString();
  EXPECT_EQ(token->profile, kEarProfile);
  EXPECT_EQ(token->iat, kNow);
  EXPECT_EQ(token->exp, kNow + 300);
  EXPECT_EQ(token->status, policy::TrustTier::kAffirming);
  EXPECT_EQ(token->vector, appraisal_.decision.vector);
  EXPECT_EQ(token->policy_id, "default");
  EXPECT_TRUE(token->tee_pubkey.key.samePublicKey(tee_key_));
  EXPECT_FALSE(token->development_only);
  EXPECT_EQ(token->claims["submods"]["cpu0"]["ear.status"], "affirming");
}

TEST_F(EarTokenTest, HasTrusteesHeaderAndClaimSet) {
  const std::string token = issue();
  Json header = decodeSegment(token, 0);
  EXPECT_EQ(header["alg"], "ES256");
  EXPECT_EQ(header["typ"], "JWT");
  EXPECT_EQ(header["kid"], signer_.kid());
  EXPECT_EQ(header["jwk"]["kty"], "EC");
  EXPECT_EQ(header["jwk"]["crv"], "P-256");
  EXPECT_FALSE(header["jwk"].contains("d"));

  Json claims = decodeSegment(token, 1);
  EXPECT_EQ(claims["ear.verifier-id"], (Json{{"developer", "cocoon"}, {"build", "cocoon-kbs"}}));
  const Json& cpu0 = claims["submods"]["cpu0"];
  EXPECT_EQ(cpu0["ear.trustworthiness-vector"], (Json{{"hardware", 2}}));
  EXPECT_EQ(cpu0["ear.appraisal-policy-id"], "default");
  EXPECT_FALSE(cpu0.contains(kDevelopmentOnlyClaim));
  // trustee's transform_claims layout; the KBS reads the tee-pubkey at this pointer.
  const Json& annotated = cpu0["ear.veraison.annotated-evidence"];
  EXPECT_EQ(annotated["snp"], (Json{{"measurement", "aa11"}}));
  EXPECT_EQ(annotated["report_data"], "00ff");
  EXPECT_EQ(annotated["init_data"], "ab");
  EXPECT_EQ(annotated["init_data_claims"], appraisal_.init_data_claims);
  EXPECT_EQ(claims.at(Json::json_pointer(
                "/submods/cpu0/ear.veraison.annotated-evidence/runtime_data_claims/tee-pubkey")),
            appraisal_.runtime_data_claims["tee-pubkey"]);
}

// The claims as issueEarToken built them before it wrote them directly: a json::Json
// document, dumped compact. Tokens must keep these bytes (trustee's EAR, and clients
// that compare tokens).
std::string referenceClaims(const EarAppraisal& appraisal, std::int64_t iat) {
  Json tee_claims = appraisal.tee_claims;
  Json annotated = Json::object();
  if (tee_claims.contains("init_data")) {
    annotated["init_data"] = tee_claims["init_data"];
    annotated["init_data_claims"] = appraisal.init_data_claims;
    tee_claims.erase("init_data");
  }
  if (tee_claims.contains("report_data")) {
    annotated["report_data"] = tee_claims["report_data"];
    tee_claims.erase("report_data");
  }
  annotated["runtime_data_claims"] = appraisal.runtime_data_claims;
  annotated[std::string(kbs_protocol::teeName(appraisal.tee))] = tee_claims;
  Json submod = {{"ear.status", policy::trustTierName(appraisal.decision.vector.status())},
                 {"ear.trustworthiness-vector", appraisal.decision.vector.toJson()},
                 {"ear.appraisal-policy-id", appraisal.decision.policy_id},
                 {"ear.veraison.annotated-evidence", annotated}};
  if (appraisal.development_only) {
    submod[kDevelopmentOnlyClaim] = true;
  }
  Json claims = {{"eat_profile", kEarProfile},
                 {"iat", iat},
                 {"exp", iat + 300},
                 {"ear.verifier-id", {{"developer", "cocoon"}, {"build", "cocoon-kbs"}}},
                 {"submods", {{"cpu0", submod}}}};
  return json::dumpCompact(claims);
}

std::string claimsBytes(std::string_view token) {
  const std::size_t start = token.find('.') + 1;
  Bytes raw = base64UrlDecode(token.substr(start, token.find('.', start) - start)).value();
  return std::string(raw.begin(), raw.end());
}

TEST_F(EarTokenTest, ClaimsAreTheBytesOfTheJsonDocument) {
  EXPECT_EQ(claimsBytes(issue()), referenceClaims(appraisal_, kNow));
  // TEE names that sort before, between and after the annotated evidence's own members;
  // claims with escapes, non-ASCII, numbers of every kind, arrays and nesting; the
  // development-only marker; every trust component; no init_data or report_data.
  appraisal_.tee_claims = {
      {"quote", {{"body", {{"mr_td", "ab\"c\\d\n\u0001\u007f"}, {"svn", -3}}}}},
      {"list", {1, 2.5, 1e300, -0.0, true, nullptr, "\u00e9\u4e2d\U0001F600"}},
      {"big", std::uint64_t{18446744073709551615u}},
      {"ill-formed", std::string("a\xff\xc0\x80"
                                 "b\xe2\x82")},
      {"", Json::object()},
      {"report_data", Json::array()}};
  appraisal_.development_only = true;
  for (std::size_t i = 0; i < policy::kTrustComponentCount; ++i) {
    appraisal_.decision.vector.set(static_cast<policy::TrustComponent>(i),
                                   static_cast<std::int8_t>(i * 17 - 60));
  }
  appraisal_.decision.policy_id = "p\"olicy\t";
  for (auto tee : {kbs_protocol::Tee::kAzSnpVtpm, kbs_protocol::Tee::kCca,
                   kbs_protocol::Tee::kSample, kbs_protocol::Tee::kTpm}) {
    appraisal_.tee = tee;
    EXPECT_EQ(claimsBytes(issue()), referenceClaims(appraisal_, kNow))
        << kbs_protocol::teeName(tee);
  }
  appraisal_.tee_claims = Json::object();
  appraisal_.init_data_claims = nullptr;
  EXPECT_EQ(claimsBytes(issue()), referenceClaims(appraisal_, kNow));
  appraisal_.tee_claims = {{"init_data", "cd"}};
  EXPECT_EQ(claimsBytes(issue()), referenceClaims(appraisal_, kNow));
}

TEST_F(EarTokenTest, MarksDevelopmentOnlyEvidence) {
  appraisal_.tee = kbs_protocol::Tee::kSample;
  appraisal_.development_only = true;
  auto token = verifyEarToken(issue(), keys_, at(kNow));
  ASSERT_TRUE(token) << token.error().toString();
  EXPECT_TRUE(token->development_only);
  EXPECT_TRUE(token->annotated_evidence.contains("sample"));
}

TEST_F(EarTokenTest, ExpiresAfterFiveMinutesExactly) {
  const std::string token = issue();
  EXPECT_TRUE(verifyEarToken(token, keys_, at(kNow + 299)));
  EXPECT_EQ(reasonOf(verifyEarToken(token, keys_, at(kNow + 300))), "EXPIRED");
  EarVerifyOptions options;
  options.leeway_seconds = 10;
  EXPECT_TRUE(verifyEarToken(token, keys_, at(kNow + 309), options));
  EXPECT_EQ(reasonOf(verifyEarToken(token, keys_, at(kNow + 310), options)), "EXPIRED");
}

TEST_F(EarTokenTest, RefusesTokensIssuedInTheFuture) {
  const std::string token = issue();
  auto r = verifyEarToken(token, keys_, at(kNow - 1));
  EXPECT_EQ(reasonOf(r), "NOT_YET_VALID");
  EXPECT_EQ(r.error().message, "EAR: issued at 1800000000, after now 1799999999");
  EarVerifyOptions options;
  options.leeway_seconds = 1;
  EXPECT_TRUE(verifyEarToken(token, keys_, at(kNow - 1), options));
}

TEST_F(EarTokenTest, RefusesATokenOfAnotherKbs) {
  EarSigner other = EarSigner::create(*Key::generate(KeyType::kEcP256)).value();
  const std::string token = issueEarToken(other, appraisal_, at(kNow)).value();
  EXPECT_EQ(reasonOf(verifyEarToken(token, keys_, at(kNow))), "KEY_NOT_FOUND");
  // Even under our kid, another key's signature does not verify.
  jose::JwkSet forged_kid{{jose::Jwk{signer_.key().publicKey(), other.kid(), "ES256", "sig", {}}}};
  auto r = verifyEarToken(token, forged_kid, at(kNow));
  EXPECT_EQ(reasonOf(r), "BAD_SIGNATURE");
  EXPECT_EQ(static_cast<Error>(r.error()).code, Code::kUnauthenticated);
}

TEST_F(EarTokenTest, RefusesATamperedPayload) {
  std::string token = issue();
  const std::size_t dot = token.find('.');
  token[dot + 5] = token[dot + 5] == 'A' ? 'B' : 'A';
  EXPECT_EQ(reasonOf(verifyEarToken(token, keys_, at(kNow))), "BAD_SIGNATURE");
}

TEST_F(EarTokenTest, RefusesAlgorithmsOtherThanEs256) {
  const Key p384 = *Key::generate(KeyType::kEcP384);
  jose::JwkSet keys = keys_;
  keys.keys.push_back(jose::Jwk{p384.publicKey(), jose::jwkThumbprintBase64Url(p384), {}, {}, {}});
  const std::string es384 = signClaims(issuedClaims(), p384, jose::JwsAlgorithm::kEs384);
  EXPECT_EQ(reasonOf(verifyEarToken(es384, keys, at(kNow))), "ALGORITHM_NOT_ALLOWED");
  // An unsigned token: {"alg":"none","typ":"JWT"}.
  const std::string none = "eyJhbGciOiJub25lIiwidHlwIjoiSldUIn0." +
                           base64UrlEncode(asBytes(json::dumpCompact(issuedClaims()))) + ".";
  EXPECT_EQ(reasonOf(verifyEarToken(none, keys_, at(kNow))), "UNSUPPORTED_ALGORITHM");
}

TEST_F(EarTokenTest, RefusesMissingClaims) {
  const std::vector<std::string> pointers = {
      "/exp",
      "/iat",
      "/eat_profile",
      "/ear.verifier-id",
      "/submods",
      "/submods/cpu0",
      "/submods/cpu0/ear.status",
      "/submods/cpu0/ear.trustworthiness-vector",
      "/submods/cpu0/ear.appraisal-policy-id",
      "/submods/cpu0/ear.veraison.annotated-evidence",
      "/submods/cpu0/ear.veraison.annotated-evidence/runtime_data_claims",
      "/submods/cpu0/ear.veraison.annotated-evidence/runtime_data_claims/tee-pubkey",
  };
  for (const std::string& pointer : pointers) {
    Json claims = issuedClaims();
    Json::json_pointer ptr(pointer);
    claims[ptr.parent_pointer()].erase(ptr.back());
    EXPECT_EQ(reasonOf(verifyClaims(claims)), "MISSING_CLAIM") << pointer;
  }
}

TEST_F(EarTokenTest, RefusesInvalidClaims) {
  struct Case {
    std::string pointer;
    Json value;
    std::string message;
  };
  const Json private_jwk =
      *jose::jwkToJson(jose::Jwk{tee_key_, {}, {}, {}, {}}, jose::JwkExport::kPrivate);
  const std::vector<Case> cases = {
      {"/eat_profile", "tag:example.com,2024:other", "eat_profile \"tag:example.com,2024:other\""},
      {"/iat", "now", "\"iat\" must be a number"},
      {"/exp", 1800000100.5, "exp must be an integer"},
      {"/submods", Json::array(), "submods must be an object"},
      {"/submods/cpu0/ear.status", "great", "\"great\" is not an AR4SI tier"},
      {"/submods/cpu0/ear.status", "none",
       "\"none\" is less severe than its vector's \"affirming\""},
      {"/submods/cpu0/ear.trustworthiness-vector", Json{{"hardware", 300}}, "\"hardware\" must"},
      {"/submods/cpu0/ear.appraisal-policy-id", 5, "ear.appraisal-policy-id must be a string"},
      {"/submods/cpu0/cocoon.development-only", "yes", "must be a boolean"},
      {"/submods/cpu0/ear.veraison.annotated-evidence/runtime_data_claims/tee-pubkey",
       Json{{"kty", "EC"}}, "tee-pubkey: "},
      {"/submods/cpu0/ear.veraison.annotated-evidence/runtime_data_claims/tee-pubkey", private_jwk,
       "tee-pubkey holds a private key"},
  };
  for (const Case& c : cases) {
    Json claims = issuedClaims();
    claims[Json::json_pointer(c.pointer)] = c.value;
    auto r = verifyClaims(claims);
    ASSERT_EQ(reasonOf(r), "INVALID_CLAIM") << c.pointer;
    EXPECT_NE(r.error().message.find(c.message), std::string::npos)
        << c.pointer << ": " << r.error().message;
  }
  // A more severe status than the vector's is the verifier's right (rust-ear keeps it).
  Json claims = issuedClaims();
  claims["submods"]["cpu0"]["ear.status"] = "warning";
  EXPECT_TRUE(verifyClaims(claims));
}

TEST_F(EarTokenTest, IssueRefusesDeniedAppraisalsAndMissingTeePubkey) {
  appraisal_.decision.allow = false;
  appraisal_.decision.explanation = "denied by rule \"x\"";
  test::expectError(issueEarToken(signer_, appraisal_, at(kNow)), Code::kFailedPrecondition,
                    "the attestation was denied (denied by rule \"x\")");
  appraisal_.decision.allow = true;
  appraisal_.runtime_data_claims.erase("tee-pubkey");
  test::expectError(issueEarToken(signer_, appraisal_, at(kNow)), Code::kInvalidArgument,
                    "runtime_data_claims.tee-pubkey missing");
  appraisal_.tee_claims = Json::array();
  test::expectError(issueEarToken(signer_, appraisal_, at(kNow)), Code::kInvalidArgument,
                    "TEE claims must be an object");
}

TEST(EarSigner, WantsAPrivateP256KeyAndAPositiveValidity) {
  const Key p384 = *Key::generate(KeyType::kEcP384);
  test::expectError(EarSigner::create(p384), Code::kInvalidArgument,
                    "expected a private P-256 key, found private P-384");
  const Key p256 = *Key::generate(KeyType::kEcP256);
  test::expectError(EarSigner::create(p256.publicKey()), Code::kInvalidArgument,
                    "found public P-256");
  EarIssuerConfig config;
  config.validity = std::chrono::seconds(0);
  test::expectError(EarSigner::create(p256, config), Code::kInvalidArgument,
                    "expected > 0 s, found 0 s");
  const Key keys[] = {p384};
  test::expectError(earJwks(keys), Code::kInvalidArgument, "expected P-256, found P-384");
}

TEST_F(EarTokenTest, JwksDocumentVerifiesTokens) {
  const Key keys[] = {signer_.key()};
  Json jwks = earJwks(keys).value();
  ASSERT_EQ(jwks["keys"].size(), 1u);
  const Json& jwk = jwks["keys"][0];
  EXPECT_EQ(jwk["kid"], signer_.kid());
  EXPECT_EQ(jwk["kid"], jose::jwkThumbprintBase64Url(signer_.key()));
  EXPECT_EQ(jwk["alg"], "ES256");
  EXPECT_EQ(jwk["use"], "sig");
  EXPECT_FALSE(jwk.contains("d"));
  // What a relying party does: fetch the document, parse it, verify.
  auto parsed = jose::parseJwkSet(json::dumpCompact(jwks));
  ASSERT_TRUE(parsed) << parsed.error().toString();
  EXPECT_TRUE(verifyEarToken(issue(), *parsed, at(kNow)));
}

TEST(EarVector, VerifiesTheSignatureOfVeraisonsExample) {
  // veraison/rust-ear README.md "Verification" example: an ES256 EAR and its P-256 key.
  constexpr std::string_view kToken =
      "eyJ0eXAiOiJKV1QiLCJhbGciOiJFUzI1NiJ9.eyJlYXRfcHJvZmlsZSI6InRlc3QiLCJpYXQiOjEsImVhci52ZXJ"
      "pZmllci1pZCI6eyJkZXZlbG9wZXIiOiJodHRwczovL3ZlcmFpc29uLXByb2plY3Qub3JnIiwiYnVpbGQiOiJ2c3R"
      "zIDAuMC4xIn0sInN1Ym1vZHMiOnsidGVzdCI6eyJlYXIuc3RhdHVzIjoibm9uZSJ9fX0.G25v0j0NDQhSOcK3Jt"
      "fq5vqVxnoWuWf-Q0DCNkCwpyB03DGr25ZDJ3IDSAHVPZrr6TVMwj8RcGEzQnCrucem4Q";
  auto key = jose::parseJwk(
      R"({"kty":"EC","crv":"P-256","x":"G8fAud93NgCg8C_0bY1YqVZ5zNlkb-cNsGTQia7m0is",)"
      R"("y":"RK1gonvUKKQOCSHDwz3SiN9EijCqmXS4sDeRbc8RnL0"})");
  ASSERT_TRUE(key) << key.error().toString();
  // The signature verifies; the token is then refused because it has no "exp" (and is
  // not of trustee's profile): proof that only claim checks stop it.
  auto r = verifyEarToken(kToken, jose::JwkSet{{*key}}, at(kNow));
  EXPECT_EQ(reasonOf(r), "MISSING_CLAIM");
  EXPECT_NE(r.error().message.find("exp"), std::string::npos) << r.error().message;
  const Key other = *Key::generate(KeyType::kEcP256);
  jose::JwkSet wrong{{jose::Jwk{other.publicKey(), {}, {}, {}, {}}}};
  EXPECT_EQ(reasonOf(verifyEarToken(kToken, wrong, at(kNow))), "BAD_SIGNATURE");
}

}  // namespace
}  // namespace cocoon::kbs::token
