// SPDX-License-Identifier: Apache-2.0
// The KBS endpoints: RCAR (auth, attest), resources, admin, JWKS.
#include "kbs/service.h"

#include <array>
#include <map>
#include <memory>
#include <mutex>
#include <sstream>

#include <toml++/toml.h>

#include "common/encoding.h"
#include "common/log.h"
#include "common/toml.h"
#include "crypto/jose/kbs_jwe.h"
#include "crypto/random.h"
#include "kbs/internal/http_error.h"
#include "kbs/internal/verified_tokens.h"
#include "kbs/policy/policy.h"
#include "kbs/policy/reference_values.h"
#include "kbs_protocol/binding.h"
#include "kbs_protocol/messages.h"

namespace cocoon::kbs {
namespace {

using http::server::Request;
using http::server::Response;
using internal::failure;
using internal::failureFrom;
using internal::HttpFailure;
using kbs_protocol::ErrorKind;
using Clock = std::chrono::system_clock;

constexpr std::string_view kCookieName = "kbs-session-id";
constexpr std::string_view kResourcePrefix = "/kbs/v0/resource/";
constexpr std::string_view kReferenceValuePrefix = "/kbs/v0/reference-value/";
constexpr std::string_view kDefaultPolicyId = "default";
// Verified bearer tokens kept (a few KiB each): about one per guest attested in the last
// token lifetime on a busy KBS; beyond it tokens are verified again.
constexpr std::size_t kVerifiedTokenCapacity = 4096;

template <class T>
using HttpResult = Result<T, HttpFailure>;

tl::unexpected<HttpFailure> httpFail(HttpFailure f) {
  return tl::unexpected<HttpFailure>(std::move(f));
}

// The value of cookie `name` in a Cookie header ("a=1; kbs-session-id=abc").
std::optional<std::string> cookieValue(const Request& request, std::string_view name) {
  auto header = request.headers.get("cookie");
  if (!header) {
    return std::nullopt;
  }
  std::string_view rest = *header;
  while (!rest.empty()) {
    auto semi = rest.find(';');
    std::string_view pair = rest.substr(0, semi);
    rest = semi == std::string_view::npos ? std::string_view() : rest.substr(semi + 1);
    while (!pair.empty() && pair.front() == ' ') {
      pair.remove_prefix(1);
    }
    if (pair.starts_with(name) && pair.size() > name.size() && pair[name.size()] == '=') {
      return std::string(pair.substr(name.size() + 1));
    }
  }
  return std::nullopt;
}

// {"token":"<token>"}: a compact JWS is base64url and dots only, so it needs no JSON
// escaping and the answer skips building a JSON value around a ~1.6 KB string. The token's
// own string becomes the body (no second buffer when it has the room).
std::string tokenBody(std::string token) {
  token.insert(0, R"({"token":")");
  token.append(R"("})");
  return token;
}

// A resource path segment: what trustee's repository/type/tag may hold.
bool validSegment(std::string_view s) {
  if (s.empty() || s == "." || s == ".." || s.size() > 128) {
    return false;
  }
  for (char c : s) {
    if (!std::isalnum(static_cast<unsigned char>(c)) && c != '-' && c != '_' && c != '.') {
      return false;
    }
  }
  return true;
}

HttpResult<std::string> resourcePathOf(const Request& request) {
  std::string_view rest = std::string_view(request.path).substr(kResourcePrefix.size());
  std::vector<std::string_view> segments;
  while (true) {
    auto slash = rest.find('/');
    segments.push_back(rest.substr(0, slash));
    if (slash == std::string_view::npos) {
      break;
    }
    rest = rest.substr(slash + 1);
  }
  if (segments.size() != 3 || !validSegment(segments[0]) || !validSegment(segments[1]) ||
      !validSegment(segments[2])) {
    return httpFail(failure(400, ErrorKind::kInvalidRequestPath,
                            "a resource path is /kbs/v0/resource/<repository>/<type>/<tag> with "
                            "segments of [A-Za-z0-9._-]"));
  }
  return fmt::format("{}/{}/{}", segments[0], segments[1], segments[2]);
}

Result<Bytes> decodeBase64Either(std::string_view text) {
  if (auto url = base64UrlDecode(text)) {
    return url;
  }
  return base64Decode(text);
}

// Init-data TOML -> (its claims as JSON, the hash algorithm it names).
Result<std::pair<json::Json, crypto::DigestAlgorithm>> parseInitData(std::string_view body) {
  COCOON_ASSIGN_OR_RETURN(toml::table table, parseToml(body, "init-data", 256 * 1024));
  COCOON_ASSIGN_OR_RETURN(std::string alg_name, getString(table, "algorithm", "sha384"));
  auto alg = crypto::parseDigestName(alg_name);
  if (!alg || *alg == crypto::DigestAlgorithm::kSha1) {
    return fail(Code::kInvalidArgument,
                "init-data algorithm '{}' is not one of sha256, sha384, sha512", alg_name);
  }
  std::ostringstream out;
  out << toml::json_formatter{table};
  COCOON_ASSIGN_OR_RETURN(json::Json claims, json::parseJson(out.str()));
  return std::pair{std::move(claims), *alg};
}

// The init-data field size of each TEE (PROTOCOLS.md §1.3): the digest is padded or
// truncated to it, as the guest's firmware measured it.
std::size_t initDataFieldSize(kbs_protocol::Tee tee, crypto::DigestAlgorithm alg) {
  switch (tee) {
    case kbs_protocol::Tee::kSnp:
    case kbs_protocol::Tee::kTpm:
    case kbs_protocol::Tee::kAzSnpVtpm:
    case kbs_protocol::Tee::kAzTdxVtpm:
      return 32;
    case kbs_protocol::Tee::kTdx:
      return 48;
    case kbs_protocol::Tee::kCca:
      return 64;
    default:
      return crypto::digestSize(alg);
  }
}

// Reference values from the store as the policy engine reads them.
Result<policy::MapReferenceValues> referenceValues(store::KbsStore& store) {
  COCOON_ASSIGN_OR_RETURN(auto all, store.listReferenceValues());
  policy::MapReferenceValues out;
  for (auto& [name, values] : all) {
    std::vector<json::Json> list;
    list.reserve(values.size());
    for (auto& v : values) {
      list.emplace_back(std::move(v.value));
    }
    out.set(name, std::move(list));
  }
  return out;
}

}  // namespace

struct KbsService::Impl {
  store::KbsStore& store;
  const verify::VerifierRegistry& verifiers;
  AdminAuthenticator admin;
  token::EarSigner signer;
  jose::JwkSet token_keys;
  http::server::MetricsRegistry& metrics;
  KbsServiceOptions options;

  // Compiled policies by their text: admins change them rarely, requests read them often.
  std::mutex cache_mutex;
  std::map<std::string, std::shared_ptr<const policy::AttestationPolicy>, std::less<>>
      attestation_cache;  // shared: a request keeps its policy while another replaces it
  std::map<std::string, std::shared_ptr<const policy::ResourcePolicy>, std::less<>> resource_cache;
  // Bearer tokens verified before: a guest presents one token for each of its resources.
  internal::VerifiedTokens verified_tokens{kVerifiedTokenCapacity};

  Impl(store::KbsStore& s, const verify::VerifierRegistry& v, AdminAuthenticator a,
       token::EarSigner t, http::server::MetricsRegistry& m, KbsServiceOptions o)
      : store(s),
        verifiers(v),
        admin(std::move(a)),
        signer(std::move(t)),
        metrics(m),
        options(std::move(o)) {
    std::vector<crypto::Key> keys{signer.key()};
    auto set = token::earVerificationKeys(keys);
    if (set) {
      token_keys = std::move(*set);
    }
  }

  // The live-session count for the max_sessions cap, refreshed at most once a second: a
  // count over the store on every /auth would cost more than the handshake itself.
  std::mutex count_mutex;
  std::uint64_t live_sessions = 0;
  Clock::time_point counted_at{};

  std::uint64_t liveSessions() {
    std::lock_guard lock(count_mutex);
    auto now = options.clock();
    if (now - counted_at >= std::chrono::seconds(1)) {
      if (auto live = store.countLiveSessions()) {
        live_sessions = *live;
      }
      counted_at = now;
    } else {
      ++live_sessions;  // this request is about to add one
    }
    return live_sessions;
  }

  void countAttestation(std::string_view tee, std::string_view result) {
    metrics
        .counter("kbs_attestations_total", "Attestations by TEE and result",
                 {{"tee", std::string(tee)}, {"result", std::string(result)}})
        .inc();
  }

  template <class Policy>
  HttpResult<std::shared_ptr<const Policy>> cachedPolicy(
      std::map<std::string, std::shared_ptr<const Policy>, std::less<>>& cache,
      const std::string& text,
      Result<Policy> (*parse)(std::string_view, const policy::PolicyLimits&)) {
    std::lock_guard lock(cache_mutex);
    if (auto it = cache.find(text); it != cache.end()) {
      return it->second;
    }
    auto parsed = parse(text, {});
    if (!parsed) {
      return httpFail(failure(500, ErrorKind::kPolicyDeny,
                              "the stored policy does not compile: " + parsed.error().toString()));
    }
    if (cache.size() > 64) {
      cache.clear();
    }
    auto p = std::make_shared<const Policy>(std::move(*parsed));
    cache.emplace(text, p);
    return p;
  }

  HttpResult<std::string> policyText(store::PolicyKind kind, std::string_view builtin) {
    auto id = kind == store::PolicyKind::kResource ? store::kResourcePolicyId : kDefaultPolicyId;
    auto text = store.getPolicy(kind, id);
    if (text) {
      return *text;
    }
    if (text.error().code == Code::kNotFound) {
      return std::string(builtin);
    }
    return httpFail(
        failure(503, ErrorKind::kPolicyDeny, "reading the policy: " + text.error().toString()));
  }

  // ---- RCAR -------------------------------------------------------------------------

  HttpResult<Response> auth(const Request& request) {
    auto parsed = kbs_protocol::parseRequest(request.body);
    if (!parsed) {
      return httpFail(failureFrom(parsed.error(), 401, ErrorKind::kAttestationError));
    }
    if (verifiers.find(parsed->tee) == nullptr) {
      return httpFail(failure(
          401, ErrorKind::kAttestationError,
          fmt::format("this KBS does not verify TEE '{}'{}", kbs_protocol::teeName(parsed->tee),
                      parsed->tee == kbs_protocol::Tee::kSample
                          ? " (sample evidence is accepted only with --allow-sample)"
                          : "")));
    }
    if (liveSessions() >= options.max_sessions) {
      return httpFail(
          failure(503, ErrorKind::kAttestationError, "too many sessions in progress; retry later"));
    }
    auto now = options.clock();
    store::Session session;
    // One draw for both: 16 bytes of session id, then the 32-byte nonce.
    std::array<std::uint8_t, 16 + kbs_protocol::kNonceBytes> random{};
    crypto::fillRandom(random);
    session.id = hexEncode(ByteSpan(random).first(16));
    session.nonce = base64Encode(ByteSpan(random).subspan(16));
    session.tee = std::string(kbs_protocol::teeName(parsed->tee));
    session.created_at = now;
    session.expires_at = now + options.session_ttl;
    if (auto s = store.createSession(session); !s) {
      return httpFail(failure(503, ErrorKind::kAttestationError,
                              "creating the session: " + s.error().toString()));
    }
    kbs_protocol::Challenge challenge;
    challenge.nonce = session.nonce;
    Response response = Response::json(200, kbs_protocol::serializeChallenge(challenge));
    response.headers.add(
        "Set-Cookie", fmt::format("{}={}; Path=/kbs; Max-Age={}; HttpOnly", kCookieName, session.id,
                                  options.session_ttl.count()));
    return response;
  }

  HttpResult<store::Session> sessionOf(const Request& request) {
    auto id = cookieValue(request, kCookieName);
    if (!id) {
      return httpFail(failure(401, ErrorKind::kAttestationError,
                              "no kbs-session-id cookie: POST /kbs/v0/auth first"));
    }
    auto session = store.getSession(*id);
    if (!session) {
      if (session.error().code == Code::kNotFound) {
        return httpFail(failure(401, ErrorKind::kAttestationError,
                                "unknown or expired session: POST /kbs/v0/auth again"));
      }
      return httpFail(failure(503, ErrorKind::kAttestationError, session.error().toString()));
    }
    return *session;
  }

  HttpResult<Response> attest(const Request& request) {
    COCOON_ASSIGN_OR_RETURN(store::Session session, sessionOf(request));
    if (session.state == store::SessionState::kAttested) {
      return Response::json(200, tokenBody(session.token));
    }
    auto tee = kbs_protocol::parseTee(session.tee);
    const verify::Verifier* verifier = tee ? verifiers.find(*tee) : nullptr;
    if (verifier == nullptr) {
      return httpFail(failure(401, ErrorKind::kAttestationError, "the session's TEE is gone"));
    }
    auto attestation = kbs_protocol::parseAttestation(request.body);
    if (!attestation) {
      countAttestation(session.tee, "malformed");
      return httpFail(failureFrom(attestation.error(), 401, ErrorKind::kAttestationError));
    }
    // Freshness: the evidence must answer this session's challenge.
    if (attestation->runtime_data.nonce != session.nonce) {
      countAttestation(session.tee, "refused");
      return httpFail(failure(401, ErrorKind::kAttestationError,
                              "runtime-data.nonce is not this session's challenge"));
    }
    const auto& evidence = attestation->tee_evidence;
    auto report_data = kbs_protocol::runtimeDataDigest(
        session.nonce, attestation->runtime_data.tee_pubkey_json, evidence.additional_evidence,
        crypto::DigestAlgorithm::kSha384);
    if (!report_data) {
      return httpFail(failureFrom(report_data.error(), 401, ErrorKind::kAttestationError));
    }
    verify::Expectations expected;
    expected.report_data = std::move(*report_data);
    expected.now = options.clock();
    json::Json init_data_claims = nullptr;
    if (attestation->init_data) {
      auto init = parseInitData(attestation->init_data->body);
      if (!init) {
        return httpFail(failureFrom(init.error(), 401, ErrorKind::kAttestationError));
      }
      auto digest = kbs_protocol::initDataDigest(attestation->init_data->body, init->second,
                                                 initDataFieldSize(*tee, init->second));
      if (!digest) {
        return httpFail(failureFrom(digest.error(), 401, ErrorKind::kAttestationError));
      }
      expected.init_data_digest = std::move(*digest);
      init_data_claims = std::move(init->first);
    }
    auto verified = verifier->verify(evidence.primary_evidence, expected);
    if (!verified) {
      countAttestation(session.tee, "refused");
      COCOON_LOG_RATE_LIMITED(kInfo, "kbs", "attestation refused ({}): {}", session.tee,
                              verified.error().message);
      return httpFail(
          failure(401, ErrorKind::kAttestationError, verify::toError(verified.error()).toString()));
    }
    // The session keeps the guest's key as text; the JSON value itself moves into the
    // policy input and from there into the token's claims (no copies of the claims).
    const std::string tee_pubkey_text =
        json::dumpCompact(attestation->runtime_data.tee_pubkey_json);
    json::Json runtime_data_claims = json::Json::object();
    runtime_data_claims["nonce"] = session.nonce;
    runtime_data_claims["tee-pubkey"] = std::move(attestation->runtime_data.tee_pubkey_json);

    // Appraisal by the attestation policy over TEE-neutral claims.
    COCOON_ASSIGN_OR_RETURN(std::string text, policyText(store::PolicyKind::kAttestation,
                                                         policy::defaultAttestationPolicyText()));
    COCOON_ASSIGN_OR_RETURN(auto appraiser,
                            cachedPolicy(attestation_cache, text, &policy::parseAttestationPolicy));
    auto refs = referenceValues(store);
    if (!refs) {
      return httpFail(failure(503, ErrorKind::kAttestationError, refs.error().toString()));
    }
    json::Json input =
        policy::makeAttestationInput(session.tee, std::move(verified->claims),
                                     std::move(init_data_claims), std::move(runtime_data_claims));
    token::EarAppraisal appraisal;
    appraisal.tee = *tee;
    appraisal.development_only = verified->development_only;
    appraisal.decision = appraiser->evaluate(input, *refs);
    appraisal.tee_claims = std::move(input["claims"]);
    appraisal.init_data_claims = std::move(input["init_data_claims"]);
    appraisal.runtime_data_claims = std::move(input["runtime_data_claims"]);
    if (!appraisal.decision.allow) {
      countAttestation(session.tee, "denied");
      return httpFail(failure(401, ErrorKind::kPolicyDeny,
                              "the attestation policy '" + appraisal.decision.policy_id +
                                  "' denied the evidence: " + appraisal.decision.explanation));
    }
    auto now = options.clock();
    auto token = token::issueEarToken(signer, appraisal, now);
    if (!token) {
      return httpFail(failure(500, ErrorKind::kAttestationError, token.error().toString()));
    }
    auto marked = store.markSessionAttested(session.id, *token, tee_pubkey_text,
                                            now + signer.config().validity);
    if (!marked) {
      // Another request attested this session first (a replayed challenge): refuse.
      countAttestation(session.tee, "replayed");
      return httpFail(failure(401, ErrorKind::kAttestationError,
                              "this challenge was already answered: " + marked.error().message));
    }
    countAttestation(session.tee, "ok");
    if (verified->development_only) {
      COCOON_LOG_RATE_LIMITED(kWarn, "kbs", "issued a token for development-only {} evidence",
                              session.tee);
    }
    return Response::json(200, tokenBody(std::move(*token)));
  }

  // The token a resource request presents: Bearer, else the attested session's.
  HttpResult<std::shared_ptr<const token::EarToken>> tokenOf(const Request& request) {
    std::string token;
    if (auto auth = request.headers.get("authorization"); auth && auth->starts_with("Bearer ")) {
      token = std::string(auth->substr(7));
    } else if (cookieValue(request, kCookieName)) {
      COCOON_ASSIGN_OR_RETURN(store::Session session, sessionOf(request));
      if (session.state != store::SessionState::kAttested) {
        return httpFail(failure(401, ErrorKind::kTokenNotFound,
                                "the session is not attested: POST /kbs/v0/attest first"));
      }
      token = session.token;
    } else {
      return httpFail(failure(401, ErrorKind::kTokenNotFound,
                              "no attestation token: send Authorization: Bearer <token> or the "
                              "kbs-session-id cookie of an attested session"));
    }
    const auto now = options.clock();
    if (auto known = verified_tokens.find(token, now)) {
      return known;
    }
    auto verified = token::verifyEarToken(token, token_keys, now);
    if (!verified) {
      return httpFail(failure(401, ErrorKind::kTokenVerifierError,
                              "attestation token refused: " + verified.error().toString()));
    }
    auto shared = std::make_shared<const token::EarToken>(std::move(*verified));
    verified_tokens.add(std::move(token), shared, now);
    return shared;
  }

  HttpResult<Response> getResource(const Request& request) {
    COCOON_ASSIGN_OR_RETURN(std::string path, resourcePathOf(request));
    COCOON_ASSIGN_OR_RETURN(std::shared_ptr<const token::EarToken> token, tokenOf(request));
    COCOON_ASSIGN_OR_RETURN(
        std::string text, policyText(store::PolicyKind::kResource,
                                     options.allow_sample ? policy::developmentResourcePolicyText()
                                                          : policy::defaultResourcePolicyText()));
    COCOON_ASSIGN_OR_RETURN(auto rp,
                            cachedPolicy(resource_cache, text, &policy::parseResourcePolicy));
    auto refs = referenceValues(store);
    if (!refs) {
      return httpFail(failure(503, ErrorKind::kPolicyDeny, refs.error().toString()));
    }
    auto decision = rp->evaluate(policy::makeResourceInput(path, token->claims), *refs);
    if (!decision.allow) {
      metrics.counter("kbs_resource_requests_total", "Resource requests", {{"result", "denied"}})
          .inc();
      return httpFail(
          failure(403, ErrorKind::kPolicyDeny,
                  fmt::format("resource policy '{}' rule '{}' denied {}: {}", decision.policy_id,
                              decision.rule_id, path, decision.reason)));
    }
    auto value = store.getResource(path);
    if (!value) {
      if (value.error().code == Code::kNotFound) {
        return httpFail(
            failure(404, ErrorKind::kPluginNotFound, fmt::format("no resource {}", path)));
      }
      return httpFail(failure(503, ErrorKind::kPluginNotFound, value.error().toString()));
    }
    auto jwe = jose::encryptForKbsResponse(token->tee_pubkey.key, *value);
    if (!jwe) {
      return httpFail(failure(400, ErrorKind::kJweError,
                              "encrypting to the token's tee-pubkey: " + jwe.error().toString()));
    }
    metrics.counter("kbs_resource_requests_total", "Resource requests", {{"result", "ok"}}).inc();
    return Response::json(200, std::move(*jwe));
  }

  // ---- admin ------------------------------------------------------------------------

  HttpResult<void> authorize(const Request& request) {
    auto header = request.headers.get("authorization");
    auto ok = admin.authorize(header ? *header : std::string_view(), options.clock());
    if (!ok) {
      COCOON_LOG_RATE_LIMITED(kWarn, "kbs", "admin request refused from {}: {}", request.remote,
                              ok.error().message);
      return httpFail(failure(401, ErrorKind::kAdminAuth, ok.error().toString()));
    }
    return {};
  }

  HttpResult<Response> setResource(const Request& request) {
    COCOON_TRY(authorize(request));
    COCOON_ASSIGN_OR_RETURN(std::string path, resourcePathOf(request));
    if (request.body.size() > options.max_resource_bytes) {
      return httpFail(
          failure(413, ErrorKind::kInvalidRequestPath,
                  fmt::format("a resource holds at most {} bytes", options.max_resource_bytes)));
    }
    if (auto s = store.putResource(path, asBytes(request.body)); !s) {
      return httpFail(failureFrom(s.error(), 503, ErrorKind::kPluginNotFound));
    }
    COCOON_LOG(kInfo, "kbs", "admin set resource {} ({} bytes)", path, request.body.size());
    return Response::json(200, "{}");
  }

  HttpResult<json::Json> adminJson(const Request& request) {
    COCOON_TRY(authorize(request));
    auto body = json::parseJson(request.body);
    if (!body || !body->is_object()) {
      return httpFail(failure(400, ErrorKind::kAdminAuth,
                              body ? "the body is not a JSON object" : body.error().toString()));
    }
    return std::move(*body);
  }

  HttpResult<Response> setAttestationPolicy(const Request& request) {
    COCOON_ASSIGN_OR_RETURN(json::Json body, adminJson(request));
    auto type = json::getOptionalString(body, "type");
    if (type && *type && **type != "json" && **type != "cocoon") {
      return httpFail(failure(400, ErrorKind::kAdminAuth,
                              fmt::format("policy type '{}' is not supported: cocoon policies "
                                          "are JSON rules (type \"json\"; docs/policy.md)",
                                          **type)));
    }
    auto id = json::getOptionalString(body, "policy_id");
    std::string policy_id = id && *id ? **id : std::string(kDefaultPolicyId);
    return storePolicy(body, store::PolicyKind::kAttestation, policy_id);
  }

  HttpResult<Response> setResourcePolicy(const Request& request) {
    COCOON_ASSIGN_OR_RETURN(json::Json body, adminJson(request));
    return storePolicy(body, store::PolicyKind::kResource, std::string(store::kResourcePolicyId));
  }

  HttpResult<Response> storePolicy(const json::Json& body, store::PolicyKind kind,
                                   const std::string& id) {
    auto encoded = json::getString(body, "policy");
    if (!encoded) {
      return httpFail(failureFrom(encoded.error(), 400, ErrorKind::kAdminAuth));
    }
    auto decoded = decodeBase64Either(*encoded);
    if (!decoded) {
      return httpFail(failure(400, ErrorKind::kAdminAuth, "policy: not base64"));
    }
    std::string text = toString(*decoded);
    Status valid = kind == store::PolicyKind::kAttestation
                       ? Status(policy::parseAttestationPolicy(text).map([](auto&&) {}))
                       : Status(policy::parseResourcePolicy(text).map([](auto&&) {}));
    if (!valid) {
      return httpFail(failureFrom(valid.error(), 400, ErrorKind::kAdminAuth));
    }
    if (auto s = store.putPolicy(kind, id, text); !s) {
      return httpFail(failureFrom(s.error(), 503, ErrorKind::kAdminAuth));
    }
    COCOON_LOG(kInfo, "kbs", "admin set the {} policy '{}'",
               kind == store::PolicyKind::kAttestation ? "attestation" : "resource", id);
    return Response::json(200, "{}");
  }

  HttpResult<Response> setReferenceValue(const Request& request) {
    COCOON_ASSIGN_OR_RETURN(json::Json body, adminJson(request));
    std::string name = request.path.substr(kReferenceValuePrefix.size());
    if (!validSegment(name)) {
      return httpFail(failure(400, ErrorKind::kInvalidRequestPath,
                              "a reference value name is one segment of [A-Za-z0-9._-]"));
    }
    auto values = json::getArray(body, "values");
    if (!values) {
      return httpFail(failureFrom(values.error(), 400, ErrorKind::kAdminAuth));
    }
    std::optional<Clock::time_point> expires;
    if (body.contains("expires_in")) {
      auto seconds = json::getInt(body, "expires_in");
      // A hundred years keeps now + expires_in inside the nanosecond clock.
      constexpr std::int64_t kLongest = 100LL * 366 * 24 * 60 * 60;
      if (!seconds || *seconds <= 0 || *seconds > kLongest) {
        return httpFail(
            failure(400, ErrorKind::kAdminAuth, "expires_in: positive seconds, at most 100 years"));
      }
      expires = options.clock() + std::chrono::seconds(*seconds);
    }
    std::vector<store::ReferenceValue> list;
    for (const auto& v : **values) {
      if (!v.is_string()) {
        return httpFail(failure(400, ErrorKind::kAdminAuth, "values: strings only"));
      }
      list.push_back({v.get<std::string>(), expires});
    }
    auto mode_text = json::getOptionalString(body, "mode");
    auto mode = store::ReferenceValueMode::kAppend;
    if (mode_text && *mode_text) {
      if (**mode_text == "replace") {
        mode = store::ReferenceValueMode::kReplace;
      } else if (**mode_text != "append") {
        return httpFail(failure(400, ErrorKind::kAdminAuth, "mode: \"append\" or \"replace\""));
      }
    }
    if (auto s = store.registerReferenceValues(name, list, mode); !s) {
      return httpFail(failureFrom(s.error(), 503, ErrorKind::kAdminAuth));
    }
    COCOON_LOG(kInfo, "kbs", "admin registered {} reference value(s) for {}", list.size(), name);
    return Response::json(200, "{}");
  }

  HttpResult<Response> listReferenceValues(const Request& request) {
    COCOON_TRY(authorize(request));
    auto all = store.listReferenceValues();
    if (!all) {
      return httpFail(failure(503, ErrorKind::kAdminAuth, all.error().toString()));
    }
    json::Json out = json::Json::object();
    for (const auto& [name, values] : *all) {
      json::Json list = json::Json::array();
      for (const auto& v : values) {
        json::Json item = {{"value", v.value}};
        if (v.expires_at) {
          item["expires_at"] =
              std::chrono::duration_cast<std::chrono::seconds>(v.expires_at->time_since_epoch())
                  .count();
        }
        list.push_back(std::move(item));
      }
      out[name] = std::move(list);
    }
    return Response::json(200, json::dumpCompact(out));
  }

  HttpResult<Response> jwks(const Request& /*request*/) {
    std::vector<crypto::Key> keys{signer.key()};
    auto doc = token::earJwks(keys);
    if (!doc) {
      return httpFail(failure(500, ErrorKind::kTokenVerifierError, doc.error().toString()));
    }
    return Response::json(200, json::dumpCompact(*doc));
  }
};

KbsService::KbsService(store::KbsStore& store, const verify::VerifierRegistry& verifiers,
                       AdminAuthenticator admin, token::EarSigner signer,
                       http::server::MetricsRegistry& metrics, KbsServiceOptions options)
    : impl_(std::make_unique<Impl>(store, verifiers, std::move(admin), std::move(signer), metrics,
                                   std::move(options))) {}

KbsService::~KbsService() = default;

Status KbsService::addRoutes(http::server::Router& router) {
  Impl* impl = impl_.get();
  using Method = HttpResult<Response> (Impl::*)(const Request&);
  auto wrap = [impl](Method method) {
    return [impl, method](const Request& request) -> Response {
      auto r = (impl->*method)(request);
      return r ? std::move(*r) : internal::toResponse(r.error());
    };
  };
  COCOON_TRY(router.add("POST", "/kbs/v0/auth", wrap(&Impl::auth)));
  COCOON_TRY(router.add("POST", "/kbs/v0/attest", wrap(&Impl::attest)));
  COCOON_TRY(router.addPrefix("GET", kResourcePrefix, wrap(&Impl::getResource)));
  COCOON_TRY(router.addPrefix("POST", kResourcePrefix, wrap(&Impl::setResource)));
  COCOON_TRY(router.add("POST", "/kbs/v0/attestation-policy", wrap(&Impl::setAttestationPolicy)));
  COCOON_TRY(router.add("POST", "/kbs/v0/resource-policy", wrap(&Impl::setResourcePolicy)));
  COCOON_TRY(router.addPrefix("POST", kReferenceValuePrefix, wrap(&Impl::setReferenceValue)));
  COCOON_TRY(router.add("GET", "/kbs/v0/reference-value", wrap(&Impl::listReferenceValues)));
  COCOON_TRY(router.add("GET", "/.well-known/jwks.json", wrap(&Impl::jwks)));
  return {};
}

http::server::Response kbsErrorResponse(unsigned status, std::string_view detail) {
  std::string kind = status == 404 ? "InvalidRequestPath" : "InvalidRequest";
  return internal::toResponse({status, kind, std::string(detail)});
}

}  // namespace cocoon::kbs
