// SPDX-License-Identifier: Apache-2.0
// RCAR client and resource fetch.
#include "attest/kbs_client/kbs_client.h"

#include "common/encoding.h"
#include "crypto/jose/jwk.h"
#include "crypto/jose/kbs_jwe.h"
#include "kbs_protocol/binding.h"
#include "kbs_protocol/messages.h"

namespace cocoon::attest {
namespace {

constexpr std::size_t kMaxAnswerBytes = 4 << 20;

Code codeForStatus(int status) {
  switch (status) {
    case 400:
      return Code::kInvalidArgument;
    case 401:
      return Code::kUnauthenticated;
    case 403:
      return Code::kPermissionDenied;
    case 404:
      return Code::kNotFound;
    case 413:
    case 431:
      return Code::kResourceExhausted;
    default:
      return status >= 500 ? Code::kUnavailable : Code::kFailedPrecondition;
  }
}

}  // namespace

Result<json::Json> SampleAttester::evidence(ByteSpan report_data) {
  return json::Json{{"svn", "1"}, {"report_data", base64Encode(report_data)}};
}

Error kbsAnswerError(const http::Response& response, std::string_view what) {
  auto info = kbs_protocol::parseErrorInfo(toString(response.body));
  std::string detail = info ? fmt::format("{} ({})", info->detail, info->type)
                            : fmt::format("HTTP {} without a KBS error body", response.status);
  return makeError(codeForStatus(response.status), "{}: KBS answered {}: {}", what, response.status,
                   detail);
}

KbsClient::KbsClient(std::string base_url, crypto::Key tee_key, http::HttpClient& http,
                     KbsClientOptions options)
    : base_url_(std::move(base_url)),
      tee_key_(std::move(tee_key)),
      http_(http),
      options_(std::move(options)) {
  while (!base_url_.empty() && base_url_.back() == '/') {
    base_url_.pop_back();
  }
}

Result<http::Response> KbsClient::post(std::string_view path, std::string body) {
  http::Request request;
  request.method = "POST";
  request.url = base_url_ + std::string(path);
  request.headers.emplace_back("Content-Type", "application/json");
  if (!cookie_.empty()) {
    request.headers.emplace_back("Cookie", cookie_);
  }
  request.body = std::move(body);
  return http_.send(request, kMaxAnswerBytes);
}

Result<std::string> KbsClient::attest(Attester& attester) {
  kbs_protocol::Request hello;
  hello.tee = attester.tee();
  hello.extra_params = json::Json::object();
  COCOON_ASSIGN_OR_RETURN(http::Response challenge_answer,
                          post("/kbs/v0/auth", kbs_protocol::serializeRequest(hello)));
  if (challenge_answer.status != 200) {
    return fail(kbsAnswerError(challenge_answer, "auth"));
  }
  auto set_cookie = challenge_answer.header("set-cookie");
  if (!set_cookie) {
    return fail(Code::kInvalidArgument, "auth: the KBS set no session cookie");
  }
  cookie_ = set_cookie->substr(0, set_cookie->find(';'));
  COCOON_ASSIGN_OR_RETURN(kbs_protocol::Challenge challenge,
                          withContext(kbs_protocol::parseChallenge(toString(challenge_answer.body)),
                                      "auth: the KBS's challenge"));

  jose::Jwk jwk{tee_key_, std::nullopt, std::nullopt, std::nullopt, {}};
  COCOON_ASSIGN_OR_RETURN(jose::KeyManagementAlgorithm alg, jose::kbsKeyManagement(tee_key_));
  jwk.alg = std::string(jose::keyManagementName(alg));
  COCOON_ASSIGN_OR_RETURN(json::Json jwk_json, jose::jwkToJson(jwk));

  COCOON_ASSIGN_OR_RETURN(Bytes report_data,
                          kbs_protocol::runtimeDataDigest(challenge.nonce, jwk_json, "",
                                                          crypto::DigestAlgorithm::kSha384));
  COCOON_ASSIGN_OR_RETURN(json::Json evidence, attester.evidence(report_data));
  kbs_protocol::Attestation attestation{std::nullopt,
                                        kbs_protocol::RuntimeData{challenge.nonce, jwk, jwk_json},
                                        kbs_protocol::TeeEvidence{std::move(evidence), ""}};
  if (!options_.init_data.empty()) {
    attestation.init_data = kbs_protocol::InitData{"toml", options_.init_data};
  }
  COCOON_ASSIGN_OR_RETURN(std::string body, kbs_protocol::serializeAttestation(attestation));
  COCOON_ASSIGN_OR_RETURN(http::Response answer, post("/kbs/v0/attest", std::move(body)));
  if (answer.status != 200) {
    return fail(kbsAnswerError(answer, "attest"));
  }
  COCOON_ASSIGN_OR_RETURN(json::Json parsed, json::parseJson(toString(answer.body)));
  COCOON_ASSIGN_OR_RETURN(token_, withContext(json::getString(parsed, "token"), "attest answer"));
  return token_;
}

Result<SecretBytes> KbsClient::getResource(std::string_view path) {
  http::Request request;
  request.url = base_url_ + "/kbs/v0/resource/" + std::string(path);
  if (!token_.empty()) {
    request.headers.emplace_back("Authorization", "Bearer " + token_);
  } else if (!cookie_.empty()) {
    request.headers.emplace_back("Cookie", cookie_);
  }
  COCOON_ASSIGN_OR_RETURN(http::Response answer, http_.send(request, kMaxAnswerBytes));
  if (answer.status != 200) {
    return fail(kbsAnswerError(answer, fmt::format("resource {}", path)));
  }
  auto plain = jose::decryptKbsResponse(tee_key_, toString(answer.body));
  if (!plain) {
    return fail(Code::kDataLoss, "resource {}: the KBS's JWE does not decrypt with our key: {}",
                path, plain.error().toString());
  }
  return std::move(*plain);
}

}  // namespace cocoon::attest
