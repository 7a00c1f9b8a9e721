// SPDX-License-Identifier: Apache-2.0
// The KBS handlers' steps, one at a time (mirrors src/kbs/service.cc in order).
#include "stages.h"

#include "common/encoding.h"
#include "common/files.h"
#include "crypto/jose/jwk.h"
#include "crypto/jose/kbs_jwe.h"
#include "crypto/random.h"
#include "kbs/policy/policy.h"
#include "kbs/policy/reference_values.h"
#include "kbs/store/store.h"
#include "kbs/token/ear.h"
#include "kbs_protocol/binding.h"
#include "kbs_protocol/messages.h"
#include "verify/builtin.h"

namespace cocoon::kbs::bench {
namespace {

using Clock = std::chrono::system_clock;

store::Session freshSession() {
  store::Session s;
  s.id = hexEncode(crypto::randomBytes(16));
  s.nonce = base64Encode(crypto::randomBytes(32));
  s.tee = "sample";
  s.created_at = Clock::now();
  s.expires_at = s.created_at + std::chrono::minutes(5);
  return s;
}

// A store miss (no policy stored: the built-in one applies) is the expected answer.
Status okOrNotFound(Result<std::string> r) {
  if (r || r.error().code == Code::kNotFound) {
    return {};
  }
  return fail(r.error());
}

Result<policy::MapReferenceValues> referenceValues(store::KbsStore& store) {
  COCOON_ASSIGN_OR_RETURN(auto all, store.listReferenceValues());
  policy::MapReferenceValues out;
  for (auto& [name, values] : all) {
    std::vector<json::Json> list;
    for (auto& v : values) {
      list.emplace_back(std::move(v.value));
    }
    out.set(name, std::move(list));
  }
  return out;
}

}  // namespace

Result<Stages> measureStages(const StageInputs& in, std::chrono::milliseconds per_op) {
  COCOON_ASSIGN_OR_RETURN(auto store, store::openStore(in.store_url));
  COCOON_ASSIGN_OR_RETURN(std::string pem, readTextFile(in.token_signing_key, 64 * 1024));
  COCOON_ASSIGN_OR_RETURN(crypto::Key token_key, crypto::Key::fromPem(pem));
  COCOON_ASSIGN_OR_RETURN(token::EarSigner signer, token::EarSigner::create(token_key));
  std::vector<crypto::Key> keys{token_key};
  COCOON_ASSIGN_OR_RETURN(jose::JwkSet token_keys, token::earVerificationKeys(keys));
  verify::VerifierRegistry verifiers;
  verify::BuiltinVerifierConfig verifier_config;
  verifier_config.enable_sample = true;
  COCOON_TRY(verify::registerBuiltinVerifiers(verifiers, verifier_config));
  const verify::Verifier* sample = verifiers.find(kbs_protocol::Tee::kSample);
  COCOON_ASSIGN_OR_RETURN(auto attestation_policy,
                          policy::parseAttestationPolicy(policy::defaultAttestationPolicyText()));
  COCOON_ASSIGN_OR_RETURN(auto resource_policy,
                          policy::parseResourcePolicy(policy::developmentResourcePolicyText()));

  // The guest's messages, as KbsClient builds them.
  crypto::Key tee_public = in.tee_key.publicKey();
  jose::Jwk jwk{tee_public, std::nullopt, std::string("ECDH-ES+A256KW"), std::nullopt, {}};
  COCOON_ASSIGN_OR_RETURN(json::Json jwk_json, jose::jwkToJson(jwk));
  store::Session session = freshSession();
  COCOON_TRY(store->createSession(session));
  COCOON_ASSIGN_OR_RETURN(Bytes report_data,
                          kbs_protocol::runtimeDataDigest(session.nonce, jwk_json, "",
                                                          crypto::DigestAlgorithm::kSha384));
  json::Json evidence = {{"svn", "1"}, {"report_data", base64Encode(report_data)}};
  std::string hello = R"({"version":"0.4.0","tee":"sample","extra-params":{}})";
  COCOON_ASSIGN_OR_RETURN(std::string attestation_body,
                          kbs_protocol::serializeAttestation(kbs_protocol::Attestation{
                              std::nullopt, kbs_protocol::RuntimeData{session.nonce, jwk, jwk_json},
                              kbs_protocol::TeeEvidence{evidence, ""}}));
  verify::Expectations expected;
  expected.report_data = report_data;
  COCOON_ASSIGN_OR_RETURN(auto verified,
                          sample->verify(evidence, expected).map_error(verify::toError));
  json::Json runtime_claims = {{"nonce", session.nonce}, {"tee-pubkey", jwk_json}};
  COCOON_ASSIGN_OR_RETURN(auto refs, referenceValues(*store));
  token::EarAppraisal appraisal;
  appraisal.tee = kbs_protocol::Tee::kSample;
  appraisal.tee_claims = verified.claims;
  appraisal.runtime_data_claims = runtime_claims;
  appraisal.development_only = true;
  appraisal.decision = attestation_policy.evaluate(
      policy::makeAttestationInput("sample", verified.claims, nullptr, runtime_claims), refs);
  COCOON_ASSIGN_OR_RETURN(std::string token, token::issueEarToken(signer, appraisal, Clock::now()));
  COCOON_ASSIGN_OR_RETURN(auto earned, token::verifyEarToken(token, token_keys, Clock::now()));

  Stages out;
  auto add = [per_op](std::vector<Cost>& to, std::string name, auto op) -> Status {
    COCOON_ASSIGN_OR_RETURN(Cost c, measure(std::move(name), per_op, op));
    to.push_back(std::move(c));
    return {};
  };
  auto& hs = out.handshake;
  COCOON_ASSIGN_OR_RETURN(out.live_sessions, store->countLiveSessions());
  COCOON_TRY(add(hs, "auth: parse Request", [&] { return kbs_protocol::parseRequest(hello); }));
  COCOON_TRY(add(hs, fmt::format("auth: store countLiveSessions ({} live)", out.live_sessions),
                 [&] { return store->countLiveSessions(); }));
  COCOON_TRY(add(hs, "auth: store createSession (a write)",
                 [&] { return store->createSession(freshSession()); }));
  COCOON_TRY(add(hs, "attest: store getSession", [&] { return store->getSession(session.id); }));
  COCOON_TRY(add(hs, "attest: parse Attestation (JSON + JWK)",
                 [&] { return kbs_protocol::parseAttestation(attestation_body); }));
  COCOON_TRY(add(hs, "attest: runtime-data digest (JCS + SHA-384)", [&] {
    return kbs_protocol::runtimeDataDigest(session.nonce, jwk_json, "",
                                           crypto::DigestAlgorithm::kSha384);
  }));
  COCOON_TRY(add(hs, "attest: sample verifier",
                 [&] { return sample->verify(evidence, expected).map_error(verify::toError); }));
  COCOON_TRY(add(hs, "attest: store getPolicy (none stored)", [&] {
    return okOrNotFound(store->getPolicy(store::PolicyKind::kAttestation, "default"));
  }));
  COCOON_TRY(add(hs, "attest: store listReferenceValues", [&] { return referenceValues(*store); }));
  COCOON_TRY(add(hs, "attest: attestation policy", [&] {
    auto d = attestation_policy.evaluate(
        policy::makeAttestationInput("sample", verified.claims, nullptr, runtime_claims), refs);
    return d.allow ? Status() : fail(Code::kPermissionDenied, "denied: {}", d.explanation);
  }));
  COCOON_TRY(add(hs, "attest: issue EAR token (claims + ES256)",
                 [&] { return token::issueEarToken(signer, appraisal, Clock::now()); }));
  // markSessionAttested needs a fresh session per call: time create+mark, subtract create.
  COCOON_ASSIGN_OR_RETURN(Cost pair, measure("pair", per_op, [&]() -> Status {
                            store::Session s = freshSession();
                            COCOON_TRY(store->createSession(s));
                            return store->markSessionAttested(
                                s.id, token, json::dumpCompact(jwk_json), s.expires_at);
                          }));
  double create_ns = hs[2].ns;
  hs.push_back({"attest: store markSessionAttested (a write)", std::max(0.0, pair.ns - create_ns)});

  auto& get = out.resource;
  COCOON_TRY(add(get, "verify EAR token (ES256 + claims)",
                 [&] { return token::verifyEarToken(token, token_keys, Clock::now()); }));
  COCOON_TRY(add(get, "store getPolicy (none stored)", [&] {
    return okOrNotFound(store->getPolicy(store::PolicyKind::kResource, "default"));
  }));
  COCOON_TRY(add(get, "store listReferenceValues", [&] { return referenceValues(*store); }));
  COCOON_TRY(add(get, "resource policy", [&] {
    auto d =
        resource_policy.evaluate(policy::makeResourceInput(in.resource_path, earned.claims), refs);
    return d.allow ? Status() : fail(Code::kPermissionDenied, "denied: {}", d.reason);
  }));
  COCOON_TRY(add(get, "store getResource", [&] { return store->getResource(in.resource_path); }));
  COCOON_ASSIGN_OR_RETURN(Bytes value, store->getResource(in.resource_path));
  COCOON_TRY(add(get, "JWE to the token's tee-pubkey",
                 [&] { return jose::encryptForKbsResponse(earned.tee_pubkey.key, value); }));
  return out;
}

}  // namespace cocoon::kbs::bench
