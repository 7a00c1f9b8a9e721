// SPDX-License-Identifier: Apache-2.0
// cocoon-kbs end to end: a KbsDaemon on loopback, driven over HTTP by the KBS client and by
// hand-made requests for every rejection the protocol needs.
#include <chrono>

#include <gtest/gtest.h>

#include "attest/kbs_client/kbs_client.h"
#include "attest/swtpm.h"
#include "attest/tpm.h"
#include "common/encoding.h"
#include "common/files.h"
#include "crypto/jose/jwk.h"
#include "crypto/jose/jwt.h"
#include "crypto/jose/kbs_jwe.h"
#include "http/curl_client.h"
#include "kbs/daemon.h"
#include "kbs/token/ear.h"
#include "kbs_protocol/binding.h"
#include "kbs_protocol/messages.h"
#include "support/expect.h"
#include "support/postgres.h"
#include "support/test_ca.h"

namespace cocoon::kbs {
namespace {

using test::expectError;

struct Answer {
  int status = 0;
  std::string type;  // error kind, e.g. "AdminAuth"
  std::string body;
  std::string cookie;
};

class KbsFlow : public ::testing::Test {
 protected:
  void SetUp() override {
    auto dir = TempDir::create("kbs-flow");
    ASSERT_TRUE(dir);
    dir_.emplace(std::move(*dir));
    auto admin = crypto::Key::generate(crypto::KeyType::kEd25519);
    ASSERT_TRUE(admin);
    admin_.emplace(std::move(*admin));
    ASSERT_TRUE(writeFileAtomic(dir_->path() / "admin.pem", asBytes(admin_->publicPem())));
    auto http = http::makeCurlHttpClient({});
    ASSERT_TRUE(http);
    http_ = std::move(*http);
  }

  KbsConfig config(const std::string& data = "data") {
    KbsConfig c;
    c.listen = "127.0.0.1:0";
    c.data_dir = dir_->path() / data;
    c.admin_public_key = dir_->path() / "admin.pem";
    c.allow_sample = true;
    c.threads = 2;
    return c;
  }

  std::unique_ptr<KbsDaemon> start(const KbsConfig& c) {
    auto d = KbsDaemon::start(c);
    EXPECT_TRUE(d) << d.error().toString();
    return d ? std::move(*d) : nullptr;
  }

  static std::string url(const KbsDaemon& d) {
    return "http://127.0.0.1:" + std::to_string(d.port());
  }

  std::string adminToken(const crypto::Key& key) {
    auto now = std::chrono::duration_cast<std::chrono::seconds>(
                   std::chrono::system_clock::now().time_since_epoch())
                   .count();
    auto t = jose::signJwt({{"iat", now}, {"exp", now + 300}},
                           jose::JwsSigner{key, jose::JwsAlgorithm::kEdDsa});
    EXPECT_TRUE(t);
    return t ? *t : "";
  }

  Answer call(const std::string& method, const std::string& u, std::string body = "",
              std::vector<std::pair<std::string, std::string>> headers = {}) {
    http::Request r;
    r.method = method;
    r.url = u;
    r.body = std::move(body);
    r.headers = std::move(headers);
    auto resp = http_->send(r, 8 << 20);
    EXPECT_TRUE(resp) << resp.error().toString();
    Answer a;
    if (!resp) {
      return a;
    }
    a.status = resp->status;
    a.body = toString(resp->body);
    if (auto info = kbs_protocol::parseErrorInfo(a.body)) {
      a.type = info->type.substr(info->type.rfind('/') + 1);
    }
    if (auto c = resp->header("set-cookie")) {
      a.cookie = c->substr(0, c->find(';'));
    }
    return a;
  }

  Answer setResource(const KbsDaemon& d, const std::string& path, const std::string& value) {
    return call("POST", url(d) + "/kbs/v0/resource/" + path, value,
                {{"Authorization", "Bearer " + adminToken(*admin_)}});
  }

  attest::KbsClient client(const KbsDaemon& d) {
    auto key = crypto::Key::generate(crypto::KeyType::kEcP256);
    EXPECT_TRUE(key);
    return attest::KbsClient(url(d), std::move(*key), *http_);
  }

  // A sample Attestation body for `nonce`, bound to `bound_key` but carrying `sent_key`.
  std::string sampleAttestation(const std::string& nonce, const crypto::Key& bound_key,
                                const crypto::Key& sent_key) {
    auto jwkJson = [](const crypto::Key& k) {
      jose::Jwk jwk{k, std::nullopt, std::string("ECDH-ES+A256KW"), std::nullopt, {}};
      return *jose::jwkToJson(jwk);
    };
    auto report_data = kbs_protocol::runtimeDataDigest(nonce, jwkJson(bound_key), "",
                                                       crypto::DigestAlgorithm::kSha384);
    json::Json sent = jwkJson(sent_key);
    json::Json body = {
        {"runtime-data", {{"nonce", nonce}, {"tee-pubkey", sent}}},
        {"tee-evidence",
         {{"primary_evidence", {{"svn", "1"}, {"report_data", base64Encode(*report_data)}}},
          {"additional_evidence", ""}}}};
    return body.dump();
  }

  std::optional<TempDir> dir_;
  std::optional<crypto::Key> admin_;
  std::unique_ptr<http::HttpClient> http_;
};

TEST_F(KbsFlow, SampleGuestAttestsAndGetsItsResource) {
  auto kbs = start(config());
  ASSERT_TRUE(kbs);
  ASSERT_EQ(setResource(*kbs, "default/key/1", "the-image-key").status, 200);
  auto guest = client(*kbs);
  attest::SampleAttester attester;
  auto token = guest.attest(attester);
  ASSERT_TRUE(token) << token.error().toString();
  auto secret = guest.getResource("default/key/1");
  ASSERT_TRUE(secret) << secret.error().toString();
  EXPECT_EQ(toString(secret->span()), "the-image-key");
  expectError(guest.getResource("default/key/missing"), Code::kNotFound, "no resource");
  // The token verifies against the published JWKS and marks development-only evidence.
  auto jwks = call("GET", url(*kbs) + "/.well-known/jwks.json");
  ASSERT_EQ(jwks.status, 200);
  auto keys = jose::parseJwkSet(jwks.body);
  ASSERT_TRUE(keys);
  auto verified = token::verifyEarToken(*token, *keys, std::chrono::system_clock::now());
  ASSERT_TRUE(verified) << verified.error().toString();
  EXPECT_TRUE(verified->development_only);
}

TEST_F(KbsFlow, AdminCallsNeedTheAdminKey) {
  auto kbs = start(config());
  ASSERT_TRUE(kbs);
  auto unsigned_call = call("POST", url(*kbs) + "/kbs/v0/resource/a/b/c", "x");
  EXPECT_EQ(unsigned_call.status, 401);
  EXPECT_EQ(unsigned_call.type, "AdminAuth");
  auto other = crypto::Key::generate(crypto::KeyType::kEd25519);
  ASSERT_TRUE(other);
  auto wrong = call("POST", url(*kbs) + "/kbs/v0/resource/a/b/c", "x",
                    {{"Authorization", "Bearer " + adminToken(*other)}});
  EXPECT_EQ(wrong.status, 401);
  EXPECT_EQ(wrong.type, "AdminAuth");
  EXPECT_EQ(setResource(*kbs, "a/b/c", "x").status, 200);
  EXPECT_EQ(setResource(*kbs, "a/../c", "x").status, 400);
}

TEST_F(KbsFlow, ReferenceValueLifetimesMustBeReasonable) {
  auto kbs = start(config());
  ASSERT_TRUE(kbs);
  auto set = [&](const std::string& body) {
    return call("POST", url(*kbs) + "/kbs/v0/reference-value/mr", body,
                {{"Authorization", "Bearer " + adminToken(*admin_)}});
  };
  EXPECT_EQ(set(R"({"values":["aa"],"expires_in":3600})").status, 200);
  for (const char* bad : {R"({"values":["aa"],"expires_in":0})",
                          R"({"values":["aa"],"expires_in":9223372036854775807})"}) {
    auto answer = set(bad);
    EXPECT_EQ(answer.status, 400) << bad;
    EXPECT_NE(answer.body.find("expires_in"), std::string::npos) << answer.body;
  }
}

TEST_F(KbsFlow, RefusesAnotherSessionsNonceAndEvidenceBoundToAnotherKey) {
  auto kbs = start(config());
  ASSERT_TRUE(kbs);
  std::string hello = R"({"version":"0.4.0","tee":"sample","extra-params":{}})";
  auto a = call("POST", url(*kbs) + "/kbs/v0/auth", hello);
  auto b = call("POST", url(*kbs) + "/kbs/v0/auth", hello);
  ASSERT_EQ(a.status, 200);
  ASSERT_EQ(b.status, 200);
  auto nonce_a = kbs_protocol::parseChallenge(a.body)->nonce;
  auto key = crypto::Key::generate(crypto::KeyType::kEcP256);
  auto other = crypto::Key::generate(crypto::KeyType::kEcP256);
  ASSERT_TRUE(key && other);
  // Session B answered with A's challenge: a replay.
  auto replay = call("POST", url(*kbs) + "/kbs/v0/attest", sampleAttestation(nonce_a, *key, *key),
                     {{"Cookie", b.cookie}});
  EXPECT_EQ(replay.status, 401);
  EXPECT_NE(replay.body.find("not this session's challenge"), std::string::npos) << replay.body;
  // Evidence bound to another key than the one sent.
  auto rebound = call("POST", url(*kbs) + "/kbs/v0/attest",
                      sampleAttestation(nonce_a, *other, *key), {{"Cookie", a.cookie}});
  EXPECT_EQ(rebound.status, 401);
  EXPECT_EQ(rebound.type, "AttestationError");
  EXPECT_NE(rebound.body.find("report_data mismatch"), std::string::npos) << rebound.body;
  // The right answer works once.
  auto good = call("POST", url(*kbs) + "/kbs/v0/attest", sampleAttestation(nonce_a, *key, *key),
                   {{"Cookie", a.cookie}});
  EXPECT_EQ(good.status, 200) << good.body;
  // No session at all.
  auto none = call("POST", url(*kbs) + "/kbs/v0/attest", sampleAttestation(nonce_a, *key, *key));
  EXPECT_EQ(none.status, 401);
}

TEST_F(KbsFlow, RefusesMalformedOversizedAndUnknownTeeRequests) {
  auto c = config();
  c.limits.max_body_bytes = 4096;
  auto kbs = start(c);
  ASSERT_TRUE(kbs);
  auto malformed = call("POST", url(*kbs) + "/kbs/v0/auth", "{not json");
  EXPECT_EQ(malformed.status, 400);
  EXPECT_EQ(malformed.type, "InvalidRequest");
  auto big = call("POST", url(*kbs) + "/kbs/v0/auth", std::string(8192, 'x'));
  EXPECT_EQ(big.status, 413);
  // A TEE the protocol names but this KBS has no verifier for.
  auto cca = call("POST", url(*kbs) + "/kbs/v0/auth",
                  R"({"version":"0.4.0","tee":"cca","extra-params":{}})");
  EXPECT_EQ(cca.status, 401);
  EXPECT_NE(cca.body.find("does not verify TEE 'cca'"), std::string::npos) << cca.body;
  auto old = call("POST", url(*kbs) + "/kbs/v0/auth",
                  R"({"version":"0.1.0","tee":"sample","extra-params":{}})");
  EXPECT_EQ(old.status, 400);
  auto nowhere = call("GET", url(*kbs) + "/kbs/v0/nothing");
  EXPECT_EQ(nowhere.status, 404);
}

TEST_F(KbsFlow, WithoutAllowSampleTheSampleTeeIsRefused) {
  auto c = config();
  c.allow_sample = false;
  auto kbs = start(c);
  ASSERT_TRUE(kbs);
  auto guest = client(*kbs);
  attest::SampleAttester attester;
  expectError(guest.attest(attester), Code::kUnauthenticated, "--allow-sample");
}

TEST_F(KbsFlow, ResourcePolicyDeniesAndTokensOfAnotherKbsAreRefused) {
  auto kbs = start(config());
  auto other = start(config("other"));
  ASSERT_TRUE(kbs && other);
  ASSERT_EQ(setResource(*kbs, "team/secret/x", "s").status, 200);
  std::string policy = R"({"version":1,"id":"deny-team","rules":[
      {"id":"no-team","when":{"prefix":[{"claim":"/resource_path"},"team/"]},"deny":"team secrets are closed"}],
      "default":"allow"})";
  auto set = call("POST", url(*kbs) + "/kbs/v0/resource-policy",
                  json::Json({{"policy", base64UrlEncode(asBytes(policy))}}).dump(),
                  {{"Authorization", "Bearer " + adminToken(*admin_)}});
  ASSERT_EQ(set.status, 200) << set.body;
  auto guest = client(*kbs);
  attest::SampleAttester attester;
  ASSERT_TRUE(guest.attest(attester));
  expectError(guest.getResource("team/secret/x"), Code::kPermissionDenied, "team secrets");

  // A token another KBS issued does not open this one.
  auto stranger = client(*other);
  auto foreign = stranger.attest(attester);
  ASSERT_TRUE(foreign);
  guest.setToken(*foreign);
  expectError(guest.getResource("team/secret/x"), Code::kUnauthenticated, "token refused");
}

TEST_F(KbsFlow, ExpiredTokenIsRefused) {
  auto kbs = start(config());
  ASSERT_TRUE(kbs);
  ASSERT_EQ(setResource(*kbs, "a/b/c", "v").status, 200);
  // Issue a token with the KBS's own key, six minutes in the past.
  auto pem = readTextFile(dir_->path() / "data/token-signing-key.pem", 1 << 16);
  ASSERT_TRUE(pem);
  auto signer = token::EarSigner::create(*crypto::Key::fromPem(*pem));
  ASSERT_TRUE(signer);
  auto guest_key = crypto::Key::generate(crypto::KeyType::kEcP256);
  ASSERT_TRUE(guest_key);
  token::EarAppraisal appraisal;
  jose::Jwk jwk{*guest_key, std::nullopt, std::nullopt, std::nullopt, {}};
  appraisal.runtime_data_claims = {{"nonce", "n"}, {"tee-pubkey", *jose::jwkToJson(jwk)}};
  appraisal.decision.allow = true;
  appraisal.decision.vector.set(policy::TrustComponent::kHardware, 2);
  auto past = std::chrono::system_clock::now() - std::chrono::minutes(6);
  auto old = token::issueEarToken(*signer, appraisal, past);
  ASSERT_TRUE(old) << old.error().toString();
  auto answer =
      call("GET", url(*kbs) + "/kbs/v0/resource/a/b/c", "", {{"Authorization", "Bearer " + *old}});
  EXPECT_EQ(answer.status, 401);
  EXPECT_EQ(answer.type, "TokenVerifierError");
  EXPECT_NE(answer.body.find("EXPIRED"), std::string::npos) << answer.body;
}

TEST_F(KbsFlow, ResourcesSurviveARestart) {
  {
    auto kbs = start(config());
    ASSERT_TRUE(kbs);
    ASSERT_EQ(setResource(*kbs, "keep/this/one", "durable").status, 200);
  }
  auto kbs = start(config());
  ASSERT_TRUE(kbs);
  auto guest = client(*kbs);
  attest::SampleAttester attester;
  ASSERT_TRUE(guest.attest(attester));
  auto secret = guest.getResource("keep/this/one");
  ASSERT_TRUE(secret) << secret.error().toString();
  EXPECT_EQ(toString(secret->span()), "durable");
}

// The tpm TEE for real: swtpm started by the test, the guest's quote made through
// tpm2-tss (ESAPI over the swtpm TCTI), the AK registered with the KBS; an AK the KBS does
// not know is refused.
TEST_F(KbsFlow, TpmGuestAttestsWithARealSoftwareTpm) {
  auto tpm = attest::test::Swtpm::start();
  if (!tpm && tpm.error().code == Code::kFailedPrecondition) {
    GTEST_SKIP() << tpm.error().toString();
  }
  ASSERT_TRUE(tpm) << tpm.error().toString();
  attest::TpmAttesterConfig tpm_config;
  tpm_config.tcti = (*tpm)->tcti();
  auto attester = attest::createTpmAttester(tpm_config);
  ASSERT_TRUE(attester) << attester.error().toString();
  auto ak = crypto::Key::fromPublicDer((*attester)->akPublicDer());
  ASSERT_TRUE(ak);
  ASSERT_TRUE(writeFileAtomic(dir_->path() / "ak.pem", asBytes(ak->publicPem())));

  // A KBS that does not know this AK refuses the quote.
  auto stranger = start(config("stranger"));
  ASSERT_TRUE(stranger);
  auto refused = client(*stranger);
  expectError(refused.attest(**attester), Code::kUnauthenticated, "");

  auto c = config();
  c.allow_sample = false;
  c.tpm.trusted_ak_keys = {dir_->path() / "ak.pem"};
  auto kbs = start(c);
  ASSERT_TRUE(kbs);
  ASSERT_EQ(setResource(*kbs, "default/key/tpm", "sealed-for-tpm-guests").status, 200);
  auto guest = client(*kbs);
  auto token = guest.attest(**attester);
  ASSERT_TRUE(token) << token.error().toString();
  auto secret = guest.getResource("default/key/tpm");
  ASSERT_TRUE(secret) << secret.error().toString();
  EXPECT_EQ(toString(secret->span()), "sealed-for-tpm-guests");
}

// Over HTTPS with a certificate from a private CA: the client trusts it through its CA
// bundle, and a client without that bundle refuses the server.
TEST_F(KbsFlow, ServesHttpsToAClientThatTrustsItsCa) {
  using namespace std::chrono_literals;
  const auto now = std::chrono::system_clock::now();
  auto ca =
      test::CertBuilder().subject("CN=kbs test root").ca(true).validity(now - 1h, now + 1h).build();
  // subjectAltName = iPAddress 127.0.0.1 (RFC 5280 §4.2.1.6).
  auto leaf = test::CertBuilder()
                  .subject("CN=127.0.0.1")
                  .issuer(ca)
                  .validity(now - 1h, now + 1h)
                  .extension("2.5.29.17", {0x30, 0x06, 0x87, 0x04, 127, 0, 0, 1})
                  .build();
  ASSERT_TRUE(writeFileAtomic(dir_->path() / "ca.pem", asBytes(ca.cert.pem())));
  ASSERT_TRUE(writeFileAtomic(dir_->path() / "cert.pem", asBytes(leaf.cert.pem())));
  ASSERT_TRUE(writeFileAtomic(dir_->path() / "key.pem", asBytes(*leaf.key.privatePem()), 0600));
  auto c = config();
  c.tls.cert = dir_->path() / "cert.pem";
  c.tls.key = dir_->path() / "key.pem";
  auto kbs = start(c);
  ASSERT_TRUE(kbs);
  const std::string base = "https://127.0.0.1:" + std::to_string(kbs->port());

  http::CurlClientOptions trusting;
  trusting.ca_bundle_file = (dir_->path() / "ca.pem").string();
  auto https = http::makeCurlHttpClient(trusting);
  ASSERT_TRUE(https);
  auto key = crypto::Key::generate(crypto::KeyType::kEcP256);
  ASSERT_TRUE(key);
  attest::KbsClient guest(base, std::move(*key), **https);
  attest::SampleAttester attester;
  auto token = guest.attest(attester);
  ASSERT_TRUE(token) << token.error().toString();

  auto other = crypto::Key::generate(crypto::KeyType::kEcP256);
  ASSERT_TRUE(other);
  attest::KbsClient untrusting(base, std::move(*other), *http_);
  expectError(untrusting.attest(attester), Code::kFailedPrecondition, "");
}

// Two replicas on one PostgreSQL behind no sticky routing: auth on one, attest on the
// other, resources from either.
TEST_F(KbsFlow, TwoReplicasOnOnePostgresServeOneClient) {
  auto pg = test::PostgresServer::start();
  if (!pg && pg.error().code == Code::kFailedPrecondition) {
    GTEST_SKIP() << pg.error().toString();
  }
  ASSERT_TRUE(pg) << pg.error().toString();
  auto db = (*pg)->createDatabase("kbs");
  ASSERT_TRUE(db) << db.error().toString();
  auto a_config = config("a");
  a_config.store = *db;
  auto b_config = config("b");
  b_config.store = *db;
  // Replicas share the token signing key (docs/kbs.md).
  auto key = crypto::Key::generate(crypto::KeyType::kEcP256);
  ASSERT_TRUE(key);
  ASSERT_TRUE(writeFileAtomic(dir_->path() / "token.pem", asBytes(*key->privatePem()), 0600));
  a_config.attestation.token_signing_key = dir_->path() / "token.pem";
  b_config.attestation.token_signing_key = dir_->path() / "token.pem";
  auto a = start(a_config);
  auto b = start(b_config);
  ASSERT_TRUE(a && b);
  ASSERT_EQ(setResource(*a, "shared/key/1", "from-a").status, 200);

  auto guest_key = crypto::Key::generate(crypto::KeyType::kEcP256);
  ASSERT_TRUE(guest_key);
  auto hello = call("POST", url(*a) + "/kbs/v0/auth",
                    R"({"version":"0.4.0","tee":"sample","extra-params":{}})");
  ASSERT_EQ(hello.status, 200);
  auto nonce = kbs_protocol::parseChallenge(hello.body)->nonce;
  auto attested =
      call("POST", url(*b) + "/kbs/v0/attest", sampleAttestation(nonce, *guest_key, *guest_key),
           {{"Cookie", hello.cookie}});
  ASSERT_EQ(attested.status, 200) << attested.body;
  for (const auto* replica : {a.get(), b.get()}) {
    auto r = call("GET", url(*replica) + "/kbs/v0/resource/shared/key/1", "",
                  {{"Cookie", hello.cookie}});
    ASSERT_EQ(r.status, 200) << r.body;
    auto plain = jose::decryptKbsResponse(*guest_key, r.body);
    ASSERT_TRUE(plain) << plain.error().toString();
    EXPECT_EQ(toString(plain->span()), "from-a");
  }
}

}  // namespace
}  // namespace cocoon::kbs
