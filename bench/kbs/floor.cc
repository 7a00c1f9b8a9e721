// SPDX-License-Identifier: Apache-2.0
// The per-handshake and per-GET crypto floor, measured through crypto/ and crypto/jose/.
#include "floor.h"

#include "common/encoding.h"
#include "crypto/jose/jwk.h"
#include "crypto/jose/jws.h"
#include "crypto/jose/kbs_jwe.h"
#include "crypto/random.h"
#include "json/json.h"
#include "kbs_protocol/binding.h"

namespace cocoon::kbs::bench {
namespace {

// The token's protected header without "alg" (signJwsCompact sets it) and its payload.
Result<std::pair<json::Json, Bytes>> splitToken(std::string_view token) {
  auto first = token.find('.');
  auto second = first == std::string_view::npos ? first : token.find('.', first + 1);
  if (second == std::string_view::npos) {
    return fail(Code::kInvalidArgument, "the KBS token is not a compact JWS (no two dots)");
  }
  COCOON_ASSIGN_OR_RETURN(Bytes header_bytes, base64UrlDecode(token.substr(0, first)));
  COCOON_ASSIGN_OR_RETURN(Bytes payload,
                          base64UrlDecode(token.substr(first + 1, second - first - 1)));
  COCOON_ASSIGN_OR_RETURN(json::Json header, json::parseJson(toString(header_bytes)));
  if (!header.is_object()) {
    return fail(Code::kInvalidArgument, "the KBS token's header is not a JSON object");
  }
  header.erase("alg");
  return std::pair{std::move(header), std::move(payload)};
}

}  // namespace

Result<Floor> measureFloor(const FloorInputs& inputs, std::chrono::milliseconds per_op) {
  COCOON_ASSIGN_OR_RETURN(auto parts, splitToken(inputs.token));
  COCOON_ASSIGN_OR_RETURN(crypto::Key signing_key, crypto::Key::generate(crypto::KeyType::kEcP256));
  jose::JwsSigner signer{signing_key, jose::JwsAlgorithm::kEs256, parts.first};
  crypto::Key tee_public = inputs.tee_key.publicKey();
  jose::Jwk jwk{tee_public, std::nullopt, std::string("ECDH-ES+A256KW"), std::nullopt, {}};
  COCOON_ASSIGN_OR_RETURN(json::Json jwk_json, jose::jwkToJson(jwk));
  std::string jwk_text = json::dumpCompact(jwk_json);
  std::string nonce = base64Encode(crypto::randomBytes(32));
  COCOON_ASSIGN_OR_RETURN(std::string token, jose::signJwsCompact(parts.second, signer));
  jose::JwsVerifyOptions es256{{jose::JwsAlgorithm::kEs256}};

  Floor floor;
  auto add = [per_op](std::vector<Cost>& to, std::string name, auto op) -> Status {
    COCOON_ASSIGN_OR_RETURN(Cost c, measure(std::move(name), per_op, op));
    to.push_back(std::move(c));
    return {};
  };
  COCOON_TRY(add(floor.handshake, "session id (16 B) + nonce (32 B) random, encoded", [] {
    // Both strings are used (summed) so the calls stay in the loop.
    std::size_t n =
        hexEncode(crypto::randomBytes(16)).size() + base64Encode(crypto::randomBytes(32)).size();
    return n == 76 ? Status() : fail(Code::kInternal, "encoded {} bytes, expected 76", n);
  }));
  COCOON_TRY(add(floor.handshake, "JCS + SHA-384 of the runtime data", [&] {
    return kbs_protocol::runtimeDataDigest(nonce, jwk_json, "", crypto::DigestAlgorithm::kSha384);
  }));
  COCOON_TRY(add(floor.handshake, "JWK parse of the tee-pubkey (P-256, on-curve check)",
                 [&] { return jose::parseJwk(jwk_text); }));
  COCOON_TRY(add(floor.handshake, fmt::format("ES256 sign of a {}-byte token", inputs.token.size()),
                 [&] { return jose::signJwsCompact(parts.second, signer); }));
  COCOON_TRY(add(floor.resource, fmt::format("ES256 verify of the {}-byte token", token.size()),
                 [&] { return jose::verifyJwsCompact(token, signing_key, es256); }));
  COCOON_TRY(add(floor.resource,
                 fmt::format("JWE ECDH-ES+A256KW/A256GCM to P-256 ({} B)", inputs.resource.size()),
                 [&] { return jose::encryptForKbsResponse(tee_public, inputs.resource); }));
  return floor;
}

}  // namespace cocoon::kbs::bench
