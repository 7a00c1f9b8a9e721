// SPDX-License-Identifier: Apache-2.0
// RCAR client and resource fetch.
#include "attest/kbs_client/kbs_client.h"

#include <algorithm>
#include <thread>

#include "common/encoding.h"
#include "crypto/jose/jwk.h"
#include "crypto/jose/kbs_jwe.h"
#include "http/curl_client.h"
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

bool retryable(Code code) {
  return code == Code::kUnavailable || code == Code::kDeadlineExceeded;
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
  return sendWithRetry(request, path);
}

Result<http::Response> KbsClient::sendWithRetry(const http::Request& request,
                                                std::string_view what) {
  const int attempts = std::max(1, options_.retry.max_attempts);
  auto backoff = options_.retry.initial_backoff;
  Error last;
  for (int attempt = 1; attempt <= attempts; ++attempt) {
    if (attempt > 1) {
      if (options_.sleep) {
        options_.sleep(backoff);
      } else {
        std::this_thread::sleep_for(backoff);
      }
      backoff = std::min(backoff * 2, options_.retry.max_backoff);
    }
    auto answer = http_.send(request, kMaxAnswerBytes);
    if (answer && answer->status < 500) {
      return answer;
    }
    if (!answer && !retryable(answer.error().code)) {
      return answer;
    }
    last = answer ? kbsAnswerError(*answer, std::string(what)) : std::move(answer).error();
  }
  if (attempts == 1) {
    return fail(std::move(last));
  }
  return fail(last.code, "KBS {}: {} failed after {} attempts; last error: {}",
              http::redactUrl(request.url), what, attempts, last.toString());
}

Result<std::string> KbsClient::attest(Attester& attester) {
  cookie_.clear();
  COCOON_ASSIGN_OR_RETURN(std::string token, handshake(attester));
  attester_ = &attester;
  token_exp_ = jwtExpiry(token);
  token_ = std::move(token);
  ++attestations_;
  return token_;
}

Result<std::string> KbsClient::handshake(Attester& attester) {
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
  COCOON_ASSIGN_OR_RETURN(json::Json parsed,
                          withContext(json::parseJson(toString(answer.body)), "attest answer"));
  return withContext(json::getString(parsed, "token"), "attest answer");
}

void KbsClient::setToken(std::string token) {
  token_exp_ = jwtExpiry(token);
  token_ = std::move(token);
  attester_ = nullptr;
}

bool KbsClient::tokenExpired() const {
  if (!token_exp_) {
    return false;
  }
  const auto now = options_.now ? options_.now() : std::chrono::system_clock::now();
  const auto seconds =
      std::chrono::duration_cast<std::chrono::seconds>(now.time_since_epoch()).count();
  return seconds + options_.token_expiry_margin.count() >= *token_exp_;
}

Result<SecretBytes> KbsClient::getResource(std::string_view path) {
  bool reattested = false;
  if (attester_ != nullptr && (token_.empty() || tokenExpired())) {
    COCOON_TRY(withContext(attest(*attester_), "renewing the expired token"));
    reattested = true;
  }
  for (;;) {
    http::Request request;
    request.url = base_url_ + "/kbs/v0/resource/" + std::string(path);
    if (!token_.empty()) {
      request.headers.emplace_back("Authorization", "Bearer " + token_);
    } else if (!cookie_.empty()) {
      request.headers.emplace_back("Cookie", cookie_);
    }
    const std::string what = fmt::format("resource {}", path);
    COCOON_ASSIGN_OR_RETURN(http::Response answer, sendWithRetry(request, what));
    if (answer.status == 401 && attester_ != nullptr && !reattested) {
      COCOON_TRY(withContext(attest(*attester_), "re-attesting after the KBS refused the token"));
      reattested = true;
      continue;
    }
    if (answer.status != 200) {
      return fail(kbsAnswerError(answer, what));
    }
    auto plain = jose::decryptKbsResponse(tee_key_, toString(answer.body));
    if (!plain) {
      return fail(Code::kDataLoss, "resource {}: the KBS's JWE does not decrypt with our key: {}",
                  path, plain.error().toString());
    }
    return std::move(*plain);
  }
}

Result<crypto::Key> generateTeeKey(TeeKeyType type) {
  return type == TeeKeyType::kRsa2048 ? crypto::Key::generate(crypto::KeyType::kRsa, 2048)
                                      : crypto::Key::generate(crypto::KeyType::kEcP256);
}

std::optional<std::int64_t> jwtExpiry(std::string_view token) {
  const auto first = token.find('.');
  const auto second = first == std::string_view::npos ? first : token.find('.', first + 1);
  if (second == std::string_view::npos) {
    return std::nullopt;
  }
  auto payload = base64UrlDecode(token.substr(first + 1, second - first - 1));
  if (!payload) {
    return std::nullopt;
  }
  auto claims = json::parseJson(toString(*payload));
  if (!claims || !claims->is_object()) {
    return std::nullopt;
  }
  auto exp = json::getInt(*claims, "exp");
  return exp ? std::optional<std::int64_t>(*exp) : std::nullopt;
}

Result<std::unique_ptr<http::HttpClient>> makeKbsHttpClient(std::string_view base_url,
                                                            const KbsHttpOptions& options) {
  const bool https = base_url.starts_with("https://");
  if (!https && !base_url.starts_with("http://")) {
    return fail(Code::kInvalidArgument, "KBS URL {:?} is neither http:// nor https://",
                http::redactUrl(base_url));
  }
  if (https && options.kbs_cert_file.empty() && !options.allow_system_trust) {
    return fail(Code::kFailedPrecondition,
                "KBS {} is https but no KBS certificate is pinned: the guest does not trust the "
                "host's CA store (pass the KBS's certificate or CA)",
                http::redactUrl(base_url));
  }
  http::CurlClientOptions curl;
  curl.ca_bundle_file = options.kbs_cert_file;
  curl.connect_timeout = options.connect_timeout;
  curl.stall_timeout = options.stall_timeout;
  curl.total_timeout = options.total_timeout;
  curl.user_agent = "cocoon-attestation-agent";
  return http::makeCurlHttpClient(curl);
}

}  // namespace cocoon::attest
