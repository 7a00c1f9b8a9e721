// SPDX-License-Identifier: Apache-2.0
#include "kbs_protocol/messages.h"

#include <string>

#include <gtest/gtest.h>

#include "support/expect.h"

namespace cocoon::kbs_protocol {
namespace {

using json::Json;

// Like test::expectError, but matches the whole error text, context included (the parsers
// add the member path, e.g. "runtime-data.nonce", as context).
template <class T>
void expectError(const Result<T>& r, Code code, std::string_view part = {}) {
  ASSERT_FALSE(r.has_value()) << "expected " << codeName(code) << ", got success";
  EXPECT_EQ(r.error().code, code) << r.error().toString();
  EXPECT_THAT(r.error().toString(), ::testing::HasSubstr(std::string(part)));
}

// 32 zero bytes, standard base64.
constexpr std::string_view kNonce = "AAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAA=";

// RFC 7515 A.3.1: the public part of the P-256 example key.
const Json kEcJwk = {{"kty", "EC"},
                     {"crv", "P-256"},
                     {"alg", "ECDH-ES+A256KW"},
                     {"x", "f83OJ3D2xF1Bg8vub9tLe1gHMzV76e8Tus9uPHvRVEU"},
                     {"y", "x_FEzRu9m36HLN_tue659LNpXW6pCyStikYjKIWI5a0"}};

Json validRequest() {
  return {{"version", "0.4.0"},
          {"tee", "snp"},
          {"extra-params", {{"supported-hash-algorithms", {"sha256", "sha384", "sha512", "sm3"}}}}};
}

Json validChallenge() {
  return {{"nonce", kNonce}, {"extra-params", ""}};
}

Json validAttestation() {
  return {
      {"init-data", {{"format", "toml"}, {"body", "algorithm = \"sha384\"\n"}}},
      {"runtime-data", {{"nonce", kNonce}, {"tee-pubkey", kEcJwk}}},
      {"tee-evidence", {{"primary_evidence", {{"quote", "AAAA"}}}, {"additional_evidence", ""}}}};
}

std::string text(const Json& value) {
  return json::dumpCompact(value);
}

// --- version and nonce -------------------------------------------------------------

TEST(CheckVersion, AcceptsAny04Patch) {
  EXPECT_TRUE(checkVersion("0.4.0"));
  EXPECT_TRUE(checkVersion("0.4.17"));
}

TEST(CheckVersion, RefusesOtherVersionsAsUnimplemented) {
  expectError(checkVersion("0.3.0"), Code::kUnimplemented, "\"0.3.0\" is not supported");
  expectError(checkVersion("1.0.0"), Code::kUnimplemented, "\"1.0.0\"");
  expectError(checkVersion("0.5.0"), Code::kUnimplemented);
}

TEST(CheckVersion, RefusesMalformedVersions) {
  for (const char* version :
       {"", "0.4", "0.4.", ".4.0", "0.4.x", "0.4.0.1", "v0.4.0", "0.4.-1", "0.4.99999999999"}) {
    expectError(checkVersion(version), Code::kInvalidArgument, "expected <major>");
  }
}

TEST(CheckNonce, AcceptsBase64Of32Bytes) {
  EXPECT_TRUE(checkNonce(kNonce));
  EXPECT_TRUE(checkNonce("MDEyMzQ1Njc4OWFiY2RlZjAxMjM0NTY3ODlhYmNkZWY="));
}

TEST(CheckNonce, RefusesOtherLengthsAndAlphabets) {
  expectError(checkNonce("MDEyMzQ1Njc4OWFiY2RlZjAxMjM0NTY3ODlhYmNkZQ=="), Code::kInvalidArgument,
              "nonce has 31 bytes, expected 32");
  expectError(checkNonce("AAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAA"), Code::kInvalidArgument,
              "not standard base64");
  expectError(checkNonce("AAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAA_="), Code::kInvalidArgument,
              "not standard base64");
  expectError(checkNonce(""), Code::kInvalidArgument, "nonce has 0 bytes");
}

// --- Request -----------------------------------------------------------------------

TEST(Request, ParsesTheGuestRequest) {
  auto request = parseRequest(text(validRequest()));
  ASSERT_TRUE(request) << request.error().toString();
  EXPECT_EQ(request->version, "0.4.0");
  EXPECT_EQ(request->tee, Tee::kSnp);
  EXPECT_EQ(request->extra_params["supported-hash-algorithms"][1], "sha384");
}

TEST(Request, RoundTrips) {
  const std::string original = text(validRequest());
  auto request = parseRequest(original);
  ASSERT_TRUE(request);
  EXPECT_EQ(json::parseJson(serializeRequest(*request)).value(), validRequest());
}

TEST(Request, DefaultSerializesVersion040) {
  Request request;
  request.tee = Tee::kTdx;
  EXPECT_EQ(serializeRequest(request), R"({"extra-params":{},"tee":"tdx","version":"0.4.0"})");
}

TEST(Request, RefusesEachMissingMember) {
  for (const char* key : {"version", "tee", "extra-params"}) {
    Json request = validRequest();
    request.erase(key);
    expectError(parseRequest(text(request)), Code::kInvalidArgument, key);
  }
}

TEST(Request, RefusesWrongTypes) {
  Json request = validRequest();
  request["version"] = 4;
  expectError(parseRequest(text(request)), Code::kInvalidArgument, "version");
  request = validRequest();
  request["tee"] = Json::array();
  expectError(parseRequest(text(request)), Code::kInvalidArgument, "tee");
  expectError(parseRequest("[]"), Code::kInvalidArgument, "expected a JSON object");
  expectError(parseRequest("{"), Code::kInvalidArgument);
}

TEST(Request, RefusesUnknownMembers) {
  Json request = validRequest();
  request["extra_params"] = Json::object();
  expectError(parseRequest(text(request)), Code::kInvalidArgument,
              "request: unknown member \"extra_params\"");
}

TEST(Request, RefusesUnsupportedVersionAndTee) {
  Json request = validRequest();
  request["version"] = "0.3.0";
  expectError(parseRequest(text(request)), Code::kUnimplemented, "request.version");
  request["version"] = "1.0.0";
  expectError(parseRequest(text(request)), Code::kUnimplemented, "request.version");
  request = validRequest();
  request["tee"] = "sev";
  expectError(parseRequest(text(request)), Code::kUnimplemented, "request.tee");
}

TEST(Request, RefusesOversizeAndDeepInput) {
  Json request = validRequest();
  request["extra-params"] = std::string(kMaxMessageBytes, 'a');
  expectError(parseRequest(text(request)), Code::kResourceExhausted);
  std::string deep = R"({"version":"0.4.0","tee":"snp","extra-params":)";
  deep += std::string(kMaxDepth + 1, '[') + std::string(kMaxDepth + 1, ']') + "}";
  expectError(parseRequest(deep), Code::kResourceExhausted);
}

TEST(Request, RefusesDuplicateMembers) {
  expectError(parseRequest(R"({"version":"0.4.0","tee":"snp","tee":"tdx","extra-params":""})"),
              Code::kInvalidArgument);
}

// --- Challenge ---------------------------------------------------------------------

TEST(Challenge, ParsesAndRoundTrips) {
  auto challenge = parseChallenge(text(validChallenge()));
  ASSERT_TRUE(challenge) << challenge.error().toString();
  EXPECT_EQ(challenge->nonce, kNonce);
  EXPECT_EQ(challenge->extra_params, "");
  EXPECT_EQ(serializeChallenge(*challenge),
            R"({"extra-params":"","nonce":")" + std::string(kNonce) + R"("})");
}

TEST(Challenge, RefusesMissingWrongAndUnknownMembers) {
  for (const char* key : {"nonce", "extra-params"}) {
    Json challenge = validChallenge();
    challenge.erase(key);
    expectError(parseChallenge(text(challenge)), Code::kInvalidArgument, key);
  }
  Json challenge = validChallenge();
  challenge["nonce"] = 42;
  expectError(parseChallenge(text(challenge)), Code::kInvalidArgument, "nonce");
  challenge = validChallenge();
  challenge["session"] = "x";
  expectError(parseChallenge(text(challenge)), Code::kInvalidArgument, "unknown member");
}

TEST(Challenge, RefusesBadNonce) {
  Json challenge = validChallenge();
  challenge["nonce"] = "42";
  expectError(parseChallenge(text(challenge)), Code::kInvalidArgument, "challenge.nonce");
  challenge["nonce"] = "MDEyMzQ1Njc4OWFiY2RlZjAxMjM0NTY3ODlhYmNkZQ==";
  expectError(parseChallenge(text(challenge)), Code::kInvalidArgument, "31 bytes");
}

// --- Attestation -------------------------------------------------------------------

TEST(Attestation, ParsesEveryPart) {
  auto attestation = parseAttestation(text(validAttestation()));
  ASSERT_TRUE(attestation) << attestation.error().toString();
  ASSERT_TRUE(attestation->init_data);
  EXPECT_EQ(attestation->init_data->format, "toml");
  EXPECT_EQ(attestation->init_data->body, "algorithm = \"sha384\"\n");
  EXPECT_EQ(attestation->runtime_data.nonce, kNonce);
  EXPECT_EQ(attestation->runtime_data.tee_pubkey.key.type(), crypto::KeyType::kEcP256);
  EXPECT_EQ(attestation->runtime_data.tee_pubkey_json, kEcJwk);
  EXPECT_EQ(attestation->tee_evidence.primary_evidence["quote"], "AAAA");
  EXPECT_EQ(attestation->tee_evidence.additional_evidence, "");
}

TEST(Attestation, RoundTrips) {
  const std::string original = text(validAttestation());
  auto attestation = parseAttestation(original);
  ASSERT_TRUE(attestation);
  auto serialized = serializeAttestation(*attestation);
  ASSERT_TRUE(serialized);
  EXPECT_EQ(*serialized, original);
}

TEST(Attestation, SerializesTheKeyWhenNoJsonIsKept) {
  auto attestation = parseAttestation(text(validAttestation()));
  ASSERT_TRUE(attestation);
  attestation->runtime_data.tee_pubkey_json = nullptr;
  auto again = parseAttestation(serializeAttestation(*attestation).value());
  ASSERT_TRUE(again) << again.error().toString();
  EXPECT_TRUE(
      again->runtime_data.tee_pubkey.key.samePublicKey(attestation->runtime_data.tee_pubkey.key));
}

TEST(Attestation, InitDataIsOptionalAndMayBeNull) {
  Json attestation = validAttestation();
  attestation.erase("init-data");
  auto parsed = parseAttestation(text(attestation));
  ASSERT_TRUE(parsed) << parsed.error().toString();
  EXPECT_FALSE(parsed->init_data);
  EXPECT_EQ(serializeAttestation(*parsed).value(), text(attestation));
  attestation["init-data"] = nullptr;
  parsed = parseAttestation(text(attestation));
  ASSERT_TRUE(parsed) << parsed.error().toString();
  EXPECT_FALSE(parsed->init_data);
}

TEST(Attestation, RefusesEachMissingRequiredMember) {
  for (const char* key : {"runtime-data", "tee-evidence"}) {
    Json attestation = validAttestation();
    attestation.erase(key);
    expectError(parseAttestation(text(attestation)), Code::kInvalidArgument, key);
  }
  const std::pair<const char*, const char*> nested[] = {{"init-data", "format"},
                                                        {"init-data", "body"},
                                                        {"runtime-data", "nonce"},
                                                        {"runtime-data", "tee-pubkey"},
                                                        {"tee-evidence", "primary_evidence"},
                                                        {"tee-evidence", "additional_evidence"}};
  for (const auto& [outer, inner] : nested) {
    Json attestation = validAttestation();
    attestation[outer].erase(inner);
    expectError(parseAttestation(text(attestation)), Code::kInvalidArgument, inner);
  }
}

TEST(Attestation, RefusesWrongTypes) {
  Json attestation = validAttestation();
  attestation["init-data"] = "toml";
  expectError(parseAttestation(text(attestation)), Code::kInvalidArgument, "init-data");
  attestation = validAttestation();
  attestation["runtime-data"]["tee-pubkey"] = text(kEcJwk);
  expectError(parseAttestation(text(attestation)), Code::kInvalidArgument, "tee-pubkey");
  attestation = validAttestation();
  attestation["tee-evidence"]["additional_evidence"] = Json::object();
  expectError(parseAttestation(text(attestation)), Code::kInvalidArgument, "additional_evidence");
  attestation = validAttestation();
  attestation["init-data"]["body"] = 1;
  expectError(parseAttestation(text(attestation)), Code::kInvalidArgument, "body");
}

TEST(Attestation, RefusesUnknownMembersAtEveryLevel) {
  Json attestation = validAttestation();
  attestation["runtime_data"] = Json::object();
  expectError(parseAttestation(text(attestation)), Code::kInvalidArgument,
              "attestation: unknown member \"runtime_data\"");
  attestation = validAttestation();
  attestation["tee-evidence"]["primary-evidence"] = Json::object();
  expectError(parseAttestation(text(attestation)), Code::kInvalidArgument,
              "tee-evidence: unknown member \"primary-evidence\"");
  attestation = validAttestation();
  attestation["runtime-data"]["extra"] = 1;
  expectError(parseAttestation(text(attestation)), Code::kInvalidArgument, "runtime-data");
}

TEST(Attestation, RefusesBadNonceAndKeys) {
  Json attestation = validAttestation();
  attestation["runtime-data"]["nonce"] = "bm9uY2U=";
  expectError(parseAttestation(text(attestation)), Code::kInvalidArgument, "runtime-data.nonce");
  attestation = validAttestation();
  attestation["runtime-data"]["tee-pubkey"]["x"] = "not base64url!";
  expectError(parseAttestation(text(attestation)), Code::kInvalidArgument,
              "runtime-data.tee-pubkey");
  attestation = validAttestation();
  attestation["runtime-data"]["tee-pubkey"] = {{"kty", "oct"}, {"k", "AAAA"}};
  expectError(parseAttestation(text(attestation)), Code::kUnimplemented, "runtime-data.tee-pubkey");
}

TEST(Attestation, RefusesPrivateTeeKey) {
  // RFC 7515 A.3.1 private scalar d of the same key.
  Json attestation = validAttestation();
  attestation["runtime-data"]["tee-pubkey"]["d"] = "jpsQnnGQmL-YBIffH1136cspYG6-0iY7X1fCE9-E9LI";
  expectError(parseAttestation(text(attestation)), Code::kInvalidArgument, "must be a public key");
}

TEST(Attestation, RefusesOversizeInput) {
  Json attestation = validAttestation();
  attestation["tee-evidence"]["additional_evidence"] = std::string(kMaxAttestationBytes, 'a');
  expectError(parseAttestation(text(attestation)), Code::kResourceExhausted);
}

// --- ErrorInfo ---------------------------------------------------------------------

TEST(ErrorInfo, KindsMapToTrusteeTypeUrls) {
  EXPECT_EQ(errorTypeUrl(ErrorKind::kPolicyDeny),
            "https://github.com/confidential-containers/kbs/errors/PolicyDeny");
  for (ErrorKind kind :
       {ErrorKind::kAdminAuth, ErrorKind::kAttestationError, ErrorKind::kInvalidRequestPath,
        ErrorKind::kJweError, ErrorKind::kPluginNotFound, ErrorKind::kPolicyDeny,
        ErrorKind::kTokenNotFound, ErrorKind::kTokenVerifierError}) {
    EXPECT_EQ(errorKindFromType(errorTypeUrl(kind)), kind);
  }
  EXPECT_EQ(errorKindFromType("https://github.com/confidential-containers/kbs/errors/Nope"),
            std::nullopt);
  EXPECT_EQ(errorKindFromType("https://example.com/errors/PolicyDeny"), std::nullopt);
}

TEST(ErrorInfo, ParsesAndRoundTrips) {
  const ErrorInfo error = makeErrorInfo(ErrorKind::kTokenNotFound, "no token");
  const std::string wire = serializeErrorInfo(error);
  EXPECT_EQ(wire, R"({"detail":"no token","type":")"
                  R"(https://github.com/confidential-containers/kbs/errors/TokenNotFound"})");
  auto parsed = parseErrorInfo(wire);
  ASSERT_TRUE(parsed) << parsed.error().toString();
  EXPECT_EQ(parsed->type, error.type);
  EXPECT_EQ(parsed->detail, "no token");
}

TEST(ErrorInfo, RefusesMissingWrongAndUnknownMembers) {
  expectError(parseErrorInfo(R"({"type":"x"})"), Code::kInvalidArgument, "detail");
  expectError(parseErrorInfo(R"({"detail":"x"})"), Code::kInvalidArgument, "type");
  expectError(parseErrorInfo(R"({"type":1,"detail":"x"})"), Code::kInvalidArgument, "type");
  expectError(parseErrorInfo(R"({"type":"t","detail":"x","status":401})"), Code::kInvalidArgument,
              "unknown member \"status\"");
}

}  // namespace
}  // namespace cocoon::kbs_protocol
