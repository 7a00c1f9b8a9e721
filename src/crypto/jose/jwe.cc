// SPDX-License-Identifier: Apache-2.0
// JWE decryption (RFC 7516 §5.2) and encryption (§5.1) over the parsed serializations.
#include "crypto/jose/jwe.h"

#include <algorithm>

#include "common/encoding.h"
#include "crypto/jose/content_encryption.h"
#include "crypto/jose/internal/codec.h"
#include "crypto/jose/internal/key_management.h"
#include "crypto/random.h"

namespace cocoon::jose {
namespace {

using internal::KeyDelivery;

template <class T>
bool contains(const std::vector<T>& list, T value) {
  return std::find(list.begin(), list.end(), value) != list.end();
}

// RFC 7516 §5.1 step 14: ASCII(BASE64URL(protected)) [|| '.' || BASE64URL(JWE AAD)].
std::string additionalData(std::string_view protected_b64,
                           const std::optional<std::string>& aad_b64) {
  std::string aad(protected_b64);
  if (aad_b64) {
    aad.append(".").append(*aad_b64);
  }
  return aad;
}

// RFC 7516 §5.2 steps 4-17 for one recipient. `attempted` is set once the key's
// cryptography ran, which makes any later failure a plain kDecryptionFailed.
JoseResult<DecryptedJwe> decryptRecipient(const ParsedJwe& jwe, std::size_t index,
                                          const JweKey& key, const JweDecryptOptions& options,
                                          std::string_view aad, bool& attempted) {
  const JweRecipientEntry& recipient = jwe.recipients[index];
  HeaderParts parts;
  parts.protected_header = jwe.protected_header.is_null() ? nullptr : &jwe.protected_header;
  parts.shared_unprotected = jwe.shared_unprotected.is_null() ? nullptr : &jwe.shared_unprotected;
  parts.per_entry = recipient.header.is_null() ? nullptr : &recipient.header;
  COCOON_ASSIGN_OR_RETURN(JoseHeader header, buildJoseHeader(parts, HeaderUse::kJwe));
  if (key.kid && header.kid && *key.kid != *header.kid) {
    return joseFail(JoseReason::kKeyNotFound, "JWE recipient {} is for kid \"{}\"", index,
                    std::string_view(*header.kid).substr(0, 64));
  }
  COCOON_ASSIGN_OR_RETURN(KeyManagementAlgorithm alg, parseKeyManagement(header.alg));
  COCOON_ASSIGN_OR_RETURN(ContentEncryption enc, parseContentEncryption(*header.enc));
  if (!contains(options.allowed_algorithms, alg)) {
    return joseFail(JoseReason::kAlgorithmNotAllowed, "JWE alg {} is not in the allow-list",
                    keyManagementName(alg));
  }
  if (!contains(options.allowed_encryptions, enc)) {
    return joseFail(JoseReason::kAlgorithmNotAllowed, "JWE enc {} is not in the allow-list",
                    contentEncryptionName(enc));
  }
  COCOON_TRY(internal::checkKeyFits(alg, enc, key));
  attempted = true;
  COCOON_ASSIGN_OR_RETURN(SecretBytes cek,
                          internal::recoverCek(alg, enc, header, recipient.encrypted_key, key));
  COCOON_ASSIGN_OR_RETURN(
      SecretBytes plaintext,
      decryptContent(enc, cek.span(), jwe.iv, asBytes(aad), jwe.ciphertext, jwe.tag));
  DecryptedJwe result{std::move(plaintext), std::move(header), index, {}};
  if (jwe.aad_b64) {
    COCOON_ASSIGN_OR_RETURN(result.aad, internal::decodeBase64Url(*jwe.aad_b64, "JWE \"aad\""));
  }
  return result;
}

tl::unexpected<JoseError> invalid(std::string_view what) {
  return joseFail(JoseReason::kInvalidArgument, "JWE encryption: {}", what);
}

// Copies `params` into `into`; kInvalidArgument when a name is already there.
JoseStatus addParams(json::Json& into, const json::Json& params) {
  if (params.is_null()) {
    return {};
  }
  if (!params.is_object()) {
    return invalid("header parameters must be a JSON object");
  }
  for (const auto& [name, value] : params.items()) {
    if (into.contains(name)) {
      return joseFail(JoseReason::kInvalidArgument,
                      "JWE encryption: header parameter \"{}\" set twice", name);
    }
    into[name] = value;
  }
  return {};
}

// Everything encryption produces, before serialization.
struct Sealed {
  std::string protected_b64;
  std::vector<json::Json> recipient_headers;  // null when empty
  std::vector<Bytes> encrypted_keys;
  Bytes iv;
  ContentCiphertext content;
  std::optional<std::string> aad_b64;
};

// RFC 7516 §5.1. `single_header` puts every parameter of the (single) recipient into the
// protected header (compact and flattened forms).
JoseResult<Sealed> seal(ByteSpan plaintext, std::span<const JweRecipient> recipients,
                        const JweEncryptOptions& options, bool single_header) {
  if (recipients.empty()) {
    return invalid("no recipients");
  }
  for (const JweRecipient& recipient : recipients) {
    if (auto fits = internal::checkKeyFits(recipient.alg, options.enc, recipient.key); !fits) {
      return joseFail(JoseReason::kInvalidArgument, "JWE encryption: {}", fits.error().message);
    }
    if (internal::determinesCek(recipient.alg) && recipients.size() != 1) {
      return invalid("dir and direct ECDH-ES must be the only recipient");
    }
  }
  SecretBytes cek;
  std::vector<KeyDelivery> deliveries;
  if (internal::determinesCek(recipients[0].alg)) {
    COCOON_ASSIGN_OR_RETURN(auto agreed,
                            internal::agreeCek(recipients[0].alg, options.enc, recipients[0].key,
                                               options.apu, options.apv));
    cek = std::move(agreed.first);
    deliveries.push_back(std::move(agreed.second));
  } else {
    cek = crypto::randomSecret(contentKeySize(options.enc));
    for (const JweRecipient& recipient : recipients) {
      COCOON_ASSIGN_OR_RETURN(
          KeyDelivery delivery,
          internal::deliverCek(recipient.alg, recipient.key, cek.span(), options.apu, options.apv));
      deliveries.push_back(std::move(delivery));
    }
  }
  json::Json protected_header = json::Json::object();
  COCOON_TRY(addParams(protected_header, options.protected_params));
  COCOON_TRY(addParams(protected_header, {{"enc", contentEncryptionName(options.enc)}}));
  Sealed sealed;
  for (std::size_t i = 0; i < recipients.size(); ++i) {
    json::Json own = {{"alg", keyManagementName(recipients[i].alg)}};
    if (recipients[i].key.kid) {
      own["kid"] = *recipients[i].key.kid;
    }
    COCOON_TRY(addParams(own, deliveries[i].header_params));
    json::Json header = recipients[i].header.is_null() ? json::Json() : recipients[i].header;
    if (single_header) {
      COCOON_TRY(addParams(protected_header, own));
    } else {
      header = header.is_null() ? json::Json::object() : header;
      COCOON_TRY(addParams(header, own));
    }
    sealed.recipient_headers.push_back(std::move(header));
    sealed.encrypted_keys.push_back(std::move(deliveries[i].encrypted_key));
  }
  // Refuse to produce what a receiver (we included) would refuse.
  for (const json::Json& header : sealed.recipient_headers) {
    HeaderParts parts{&protected_header,
                      options.shared_unprotected.is_null() ? nullptr : &options.shared_unprotected,
                      header.is_null() ? nullptr : &header};
    if (auto built = buildJoseHeader(parts, HeaderUse::kJwe); !built) {
      return joseFail(JoseReason::kInvalidArgument, "JWE encryption: {}", built.error().message);
    }
  }
  sealed.protected_b64 = base64UrlEncode(asBytes(json::dumpCompact(protected_header)));
  if (options.aad) {
    sealed.aad_b64 = base64UrlEncode(*options.aad);
  }
  sealed.iv = crypto::randomBytes(contentIvSize(options.enc));
  const std::string aad = additionalData(sealed.protected_b64, sealed.aad_b64);
  COCOON_ASSIGN_OR_RETURN(
      sealed.content, encryptContent(options.enc, cek.span(), sealed.iv, asBytes(aad), plaintext));
  return sealed;
}

}  // namespace

std::vector<KeyManagementAlgorithm> defaultKeyManagementAlgorithms() {
  auto all = allKeyManagementAlgorithms();
  return {all.begin(), all.end()};
}

std::vector<ContentEncryption> defaultContentEncryptions() {
  auto all = allContentEncryptions();
  return {all.begin(), all.end()};
}

JoseResult<DecryptedJwe> decryptJwe(const ParsedJwe& jwe, const JweKey& key,
                                    const JweDecryptOptions& options) {
  const std::string aad = additionalData(jwe.protected_b64, jwe.aad_b64);
  std::optional<JoseError> first_error;
  bool attempted = false;
  for (std::size_t i = 0; i < jwe.recipients.size(); ++i) {
    auto result = decryptRecipient(jwe, i, key, options, aad, attempted);
    if (result) {
      return result;
    }
    if (!first_error) {
      first_error = std::move(result).error();
    }
  }
  if (!first_error) {
    return joseFail(JoseReason::kMalformed, "JWE has no recipient");
  }
  if (attempted && jwe.recipients.size() > 1) {
    return joseFail(JoseReason::kDecryptionFailed, "JWE: no recipient decrypts with the key");
  }
  return tl::unexpected(std::move(*first_error));
}

JoseResult<DecryptedJwe> decryptJweCompact(std::string_view token, const JweKey& key,
                                           const JweDecryptOptions& options,
                                           const JoseLimits& limits) {
  COCOON_ASSIGN_OR_RETURN(ParsedJwe jwe, parseJweCompact(token, limits));
  return decryptJwe(jwe, key, options);
}

JoseResult<DecryptedJwe> decryptJweJson(std::string_view text, const JweKey& key,
                                        const JweDecryptOptions& options,
                                        const JoseLimits& limits) {
  COCOON_ASSIGN_OR_RETURN(ParsedJwe jwe, parseJweJson(text, limits));
  return decryptJwe(jwe, key, options);
}

JoseResult<std::string> encryptJweCompact(ByteSpan plaintext, const JweRecipient& recipient,
                                          const JweEncryptOptions& options) {
  if (!recipient.header.is_null() || !options.shared_unprotected.is_null() || options.aad) {
    return invalid("the compact serialization has no unprotected header and no AAD");
  }
  COCOON_ASSIGN_OR_RETURN(Sealed sealed, seal(plaintext, std::span(&recipient, 1), options, true));
  return fmt::format("{}.{}.{}.{}.{}", sealed.protected_b64,
                     base64UrlEncode(sealed.encrypted_keys[0]), base64UrlEncode(sealed.iv),
                     base64UrlEncode(sealed.content.ciphertext),
                     base64UrlEncode(sealed.content.tag));
}

JoseResult<std::string> encryptJweJson(ByteSpan plaintext, std::span<const JweRecipient> recipients,
                                       const JweEncryptOptions& options, JweJsonForm form) {
  const bool flattened = form == JweJsonForm::kFlattened;
  if (flattened && recipients.size() != 1) {
    return invalid("the flattened serialization has exactly one recipient");
  }
  COCOON_ASSIGN_OR_RETURN(Sealed sealed, seal(plaintext, recipients, options, flattened));
  json::Json out = {{"protected", sealed.protected_b64},
                    {"iv", base64UrlEncode(sealed.iv)},
                    {"ciphertext", base64UrlEncode(sealed.content.ciphertext)},
                    {"tag", base64UrlEncode(sealed.content.tag)}};
  if (!options.shared_unprotected.is_null()) {
    out["unprotected"] = options.shared_unprotected;
  }
  if (sealed.aad_b64) {
    out["aad"] = *sealed.aad_b64;
  }
  json::Json entries = json::Json::array();
  for (std::size_t i = 0; i < sealed.encrypted_keys.size(); ++i) {
    json::Json entry = json::Json::object();
    if (!sealed.recipient_headers[i].is_null()) {
      entry["header"] = sealed.recipient_headers[i];
    }
    if (!sealed.encrypted_keys[i].empty()) {
      entry["encrypted_key"] = base64UrlEncode(sealed.encrypted_keys[i]);
    }
    entries.push_back(std::move(entry));
  }
  if (flattened) {
    for (auto& [name, value] : entries[0].items()) {
      out[name] = value;
    }
  } else {
    out["recipients"] = std::move(entries);
  }
  return json::dumpCompact(out);
}

}  // namespace cocoon::jose
