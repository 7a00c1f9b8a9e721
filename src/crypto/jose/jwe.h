// SPDX-License-Identifier: Apache-2.0
// JSON Web Encryption (RFC 7516, RFC 7518): compact and JSON (general and flattened)
// serializations, several recipients, shared and per-recipient headers, JWE AAD.
// Key management: RSA-OAEP, RSA-OAEP-256, ECDH-ES (direct and +A128KW/+A192KW/+A256KW on
// P-256/P-384/P-521/X25519), A128KW/A192KW/A256KW, dir. Content encryption: A128GCM,
// A192GCM, A256GCM, A128CBC-HS256, A192CBC-HS384, A256CBC-HS512. Not supported: RSA1_5,
// PBES2, AxxxGCMKW, "zip" (compression before encryption leaks through length).
// Trust: the parse and decrypt functions take attacker-controlled text; the plaintext is
// authentic only when decryption succeeds.
#pragma once

#include <cstdint>
#include <optional>
#include <span>
#include <string>
#include <string_view>
#include <variant>
#include <vector>

#include "common/bytes.h"
#include "crypto/jose/algorithms.h"
#include "crypto/jose/header.h"
#include "crypto/jose/jose_error.h"
#include "crypto/key.h"
#include "json/json.h"

namespace cocoon::jose {

// The key of one recipient: an asymmetric key (RSA-OAEP*, ECDH-ES*; public to encrypt,
// private to decrypt) or a shared symmetric key (AxxxKW, dir). Copyable.
class JweKey {
 public:
  JweKey(crypto::Key key) : key_(std::move(key)) {}  // NOLINT: a Key is a JweKey
  static JweKey symmetric(SecretBytes key) { return JweKey(std::move(key)); }

  // nullptr when the key is of the other kind.
  const crypto::Key* asymmetric() const { return std::get_if<crypto::Key>(&key_); }
  const SecretBytes* symmetricKey() const { return std::get_if<SecretBytes>(&key_); }

  // When set, decryption tries only recipients whose "kid" is absent or equal.
  std::optional<std::string> kid;

 private:
  explicit JweKey(SecretBytes key) : key_(std::move(key)) {}
  std::variant<crypto::Key, SecretBytes> key_;
};

// One recipient of a parsed JWE.
struct JweRecipientEntry {
  json::Json header = nullptr;  // the per-recipient unprotected header, null when absent
  Bytes encrypted_key;
};

// A JWE after parsing: structure checked, nothing decrypted or authenticated.
struct ParsedJwe {
  std::string protected_b64;              // exactly as received; empty when absent
  json::Json protected_header = nullptr;  // decoded, null when absent
  json::Json shared_unprotected = nullptr;
  std::vector<JweRecipientEntry> recipients;
  Bytes iv;
  Bytes ciphertext;
  Bytes tag;
  std::optional<std::string> aad_b64;  // the JSON "aad" member as received
};

// Parses BASE64URL(header).encrypted_key.iv.ciphertext.tag. Fails with kTooLarge beyond
// limits.max_input_bytes, kMalformed unless there are exactly five segments and a
// protected header, kBadBase64 for a segment that is not strict base64url, and the
// protected header errors of decodeProtectedHeader.
JoseResult<ParsedJwe> parseJweCompact(std::string_view token, const JoseLimits& limits = {});
// Parses the general ({"protected","unprotected","recipients":[{"header",
// "encrypted_key"}],"aad","iv","ciphertext","tag"}) or flattened ({..., "header",
// "encrypted_key"} instead of "recipients") JSON serialization. Unknown members are
// refused (kMalformed), more than limits.max_entries recipients is kTooLarge.
JoseResult<ParsedJwe> parseJweJson(std::string_view text, const JoseLimits& limits = {});

std::vector<KeyManagementAlgorithm> defaultKeyManagementAlgorithms();  // all we implement
std::vector<ContentEncryption> defaultContentEncryptions();            // all we implement

struct JweDecryptOptions {
  std::vector<KeyManagementAlgorithm> allowed_algorithms = defaultKeyManagementAlgorithms();
  std::vector<ContentEncryption> allowed_encryptions = defaultContentEncryptions();
};

struct DecryptedJwe {
  SecretBytes plaintext;
  JoseHeader header;  // protected + shared unprotected + the recipient's header
  std::size_t recipient_index = 0;
  Bytes aad;  // the decoded JSON "aad" member (authenticated), empty when absent
};

// Decrypts for the first recipient that `key` can serve. For each recipient in order the
// JOSE Header is assembled (buildJoseHeader errors: kDuplicateParameter, kUnknownCritical,
// kUnsupportedFeature for "zip", ...), then:
//   kUnsupportedAlgorithm  alg or enc we do not implement (RSA1_5, PBES2, ...);
//   kAlgorithmNotAllowed   alg or enc outside the options' lists;
//   kKeyMismatch           the key's kind, type or size does not fit alg/enc;
//   kWrongCurve            ECDH-ES "epk" on another curve than the key (the point itself
//                          is validated on its curve: kInvalidKey otherwise);
//   kDecryptionFailed      anything after that: a wrong key, a bad tag, bad padding, a
//                          wrong CEK size. One message for all, so that no step can serve
//                          as an oracle (RFC 7516 §11.4, §11.5); a failed RSA decryption
//                          continues with a random CEK.
// With several recipients, those that do not fit the key are skipped; the error is
// kDecryptionFailed when one was tried and failed, else the first recipient's error.
JoseResult<DecryptedJwe> decryptJwe(const ParsedJwe& jwe, const JweKey& key,
                                    const JweDecryptOptions& options = {});
JoseResult<DecryptedJwe> decryptJweCompact(std::string_view token, const JweKey& key,
                                           const JweDecryptOptions& options = {},
                                           const JoseLimits& limits = {});
JoseResult<DecryptedJwe> decryptJweJson(std::string_view text, const JweKey& key,
                                        const JweDecryptOptions& options = {},
                                        const JoseLimits& limits = {});

// One recipient to encrypt to.
struct JweRecipient {
  JweKey key;
  KeyManagementAlgorithm alg;
  // Extra per-recipient unprotected header parameters (JSON serialization only).
  json::Json header = nullptr;
};

struct JweEncryptOptions {
  ContentEncryption enc = ContentEncryption::kA256Gcm;
  // Extra protected header parameters ("cty", "typ", ...); "alg"/"enc"/"epk" are set here.
  json::Json protected_params = json::Json::object();
  // The shared unprotected header (JSON serialization only); null for none.
  json::Json shared_unprotected = nullptr;
  // JWE AAD (JSON serialization only).
  std::optional<Bytes> aad;
  // ECDH-ES PartyUInfo / PartyVInfo, sent as "apu"/"apv" when not empty.
  Bytes apu;
  Bytes apv;
};

// Encrypts in the compact serialization: every header parameter goes into the protected
// header (alg, enc, kid from recipient.key.kid, epk/apu/apv). Fails with
// kInvalidArgument when the key does not fit alg/enc, the key is symmetric where alg needs
// an asymmetric one or the other way round, or options use JSON-only features.
JoseResult<std::string> encryptJweCompact(ByteSpan plaintext, const JweRecipient& recipient,
                                          const JweEncryptOptions& options = {});

enum class JweJsonForm : std::uint8_t { kGeneral, kFlattened };

// Encrypts in the JSON serialization. Flattened (exactly one recipient): alg, enc, kid and
// epk/apu/apv go into the protected header, as KBS resource responses have them. General:
// enc and protected_params in the protected header, each recipient's alg, kid and
// epk/apu/apv in its own header. "dir" and direct "ECDH-ES" fix the CEK, so they must be
// the only recipient (kInvalidArgument otherwise).
JoseResult<std::string> encryptJweJson(ByteSpan plaintext, std::span<const JweRecipient> recipients,
                                       const JweEncryptOptions& options = {},
                                       JweJsonForm form = JweJsonForm::kGeneral);

}  // namespace cocoon::jose
