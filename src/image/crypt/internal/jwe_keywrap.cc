// SPDX-License-Identifier: Apache-2.0
// JWE wrapping of ocicrypt private options on top of cocoon::jose.
#include "image/crypt/internal/jwe_keywrap.h"

#include <vector>

#include "crypto/jose/jwe.h"
#include "json/json.h"

namespace cocoon::image::crypt::internal {
namespace {

constexpr std::size_t kMaxJweBytes = 256 * 1024;

// go-jose's FullSerialize writes the first recipient's encrypted_key at the top level as
// well as in "recipients"; RFC 7516 §7.2.1 does not allow both, so drop the copy when it
// is exactly that duplicate (anything else stays and is refused by the parser).
Result<std::string> normalizeGoJose(ByteSpan entry) {
  auto doc = json::parseJson(toString(entry), {.max_bytes = kMaxJweBytes, .max_depth = 16});
  if (!doc) {
    return fail(Code::kInvalidArgument, "JWE: {}", doc.error().message);
  }
  if (!doc->is_object()) {
    return fail(Code::kInvalidArgument, "JWE: expected a JSON object");
  }
  auto top = doc->find("encrypted_key");
  auto recipients = doc->find("recipients");
  if (top != doc->end() && recipients != doc->end() && recipients->is_array() &&
      !recipients->empty() && (*recipients)[0].is_object()) {
    auto first = (*recipients)[0].find("encrypted_key");
    if (first != (*recipients)[0].end() && *first == *top) {
      doc->erase("encrypted_key");
    }
  }
  return json::dumpCompact(*doc);
}

}  // namespace

Result<std::optional<SecretBytes>> unwrapJwe(ByteSpan entry, const crypto::Key& key) {
  COCOON_ASSIGN_OR_RETURN(std::string text, normalizeGoJose(entry));
  jose::JweDecryptOptions options;
  // ocicrypt's UnwrapKey list: RSA-OAEP(-256) and ECDH-ES+AxxxKW; every RFC 7518 enc.
  options.allowed_algorithms = {
      jose::KeyManagementAlgorithm::kRsaOaep, jose::KeyManagementAlgorithm::kRsaOaep256,
      jose::KeyManagementAlgorithm::kEcdhEsA128Kw, jose::KeyManagementAlgorithm::kEcdhEsA192Kw,
      jose::KeyManagementAlgorithm::kEcdhEsA256Kw};
  auto parsed = jose::parseJweJson(text, {});
  if (!parsed) {
    return fail(Code::kInvalidArgument, "JWE: {}", parsed.error().message);
  }
  auto decrypted = jose::decryptJwe(*parsed, jose::JweKey(key), options);
  if (!decrypted) {
    switch (decrypted.error().reason) {
      case jose::JoseReason::kDecryptionFailed:
      case jose::JoseReason::kKeyMismatch:
      case jose::JoseReason::kWrongCurve:
      case jose::JoseReason::kAlgorithmNotAllowed:
      case jose::JoseReason::kUnsupportedAlgorithm:
        return std::optional<SecretBytes>();
      default:
        return fail(Code::kInvalidArgument, "JWE: {}", decrypted.error().message);
    }
  }
  return std::optional<SecretBytes>(std::move(decrypted->plaintext));
}

Result<Bytes> wrapJwe(ByteSpan plaintext, std::span<const crypto::Key> public_keys) {
  if (public_keys.empty()) {
    return fail(Code::kInvalidArgument, "JWE: no recipient keys");
  }
  std::vector<jose::JweRecipient> recipients;
  for (const crypto::Key& key : public_keys) {
    jose::KeyManagementAlgorithm alg;
    switch (key.type()) {
      case crypto::KeyType::kRsa:
        alg = jose::KeyManagementAlgorithm::kRsaOaep;
        break;
      case crypto::KeyType::kEcP256:
      case crypto::KeyType::kEcP384:
      case crypto::KeyType::kEcP521:
        alg = jose::KeyManagementAlgorithm::kEcdhEsA256Kw;
        break;
      default:
        return fail(Code::kInvalidArgument,
                    "JWE: a {} key cannot be a recipient (RSA or EC P-256/384/521)",
                    crypto::keyTypeName(key.type()));
    }
    recipients.push_back({.key = jose::JweKey(key.publicKey()), .alg = alg, .header = nullptr});
  }
  jose::JweEncryptOptions options;
  options.enc = jose::ContentEncryption::kA256Gcm;
  auto jwe = jose::encryptJweJson(plaintext, recipients, options, jose::JweJsonForm::kGeneral);
  if (!jwe) {
    return fail(Code::kInvalidArgument, "JWE: {}", jwe.error().message);
  }
  return toBytes(*jwe);
}

}  // namespace cocoon::image::crypt::internal
