// SPDX-License-Identifier: Apache-2.0
// ocicrypt layer annotations (containers/ocicrypt docs/spec.md): the wrapped keys per
// scheme, the public cipher options (cipher, HMAC) and the private options JSON (symkey,
// nonce, plaintext digest) that a wrapped key decrypts to.
// Trust: annotations come from the manifest (untrusted: written by whoever pushed the image,
// and the HMAC they carry is only meaningful once a key we hold opened the private options);
// every value is size-capped, strictly base64-decoded and type-checked, unknown JSON members
// are refused.
#pragma once

#include <cstddef>
#include <map>
#include <string>
#include <string_view>
#include <vector>

#include "common/bytes.h"
#include "common/result.h"

namespace cocoon::image::crypt {

inline constexpr std::string_view kEncAnnotationPrefix = "org.opencontainers.image.enc.";
inline constexpr std::string_view kKeysAnnotationPrefix = "org.opencontainers.image.enc.keys.";
inline constexpr std::string_view kPubOptsAnnotation = "org.opencontainers.image.enc.pubopts";
// Scheme names: the annotation key after kKeysAnnotationPrefix.
inline constexpr std::string_view kSchemeJwe = "jwe";
inline constexpr std::string_view kSchemePkcs7 = "pkcs7";
inline constexpr std::string_view kSchemePgp = "pgp";
// CoCo's keyprovider name (guest-components coco_keyprovider).
inline constexpr std::string_view kSchemeAttestationAgent = "provider.attestation-agent";
// The only layer cipher ocicrypt defines.
inline constexpr std::string_view kCipherAesCtrHmac = "AES_256_CTR_HMAC_SHA256";
inline constexpr std::size_t kSymKeySize = 32;  // AES-256
inline constexpr std::size_t kNonceSize = 16;   // the CTR initial counter block
inline constexpr std::size_t kHmacSize = 32;    // HMAC-SHA256

// Caps on what a manifest may make us decode (STYLE.md §5.6).
struct AnnotationLimits {
  std::size_t max_annotation_bytes = 256 * 1024;  // one annotation value
  std::size_t max_entries = 32;                   // recipients per scheme
  std::size_t max_options_bytes = 16 * 1024;      // decoded pubopts / private options JSON
};

// The wrapped keys of one scheme: the decoded (base64) comma-separated entries of
// "org.opencontainers.image.enc.keys.<scheme>", one per recipient (or per JWE).
struct WrappedKeys {
  std::string scheme;  // "jwe", "pkcs7", "pgp", "provider.<name>"
  std::vector<Bytes> entries;
};

// The public options: the cipher is always kCipherAesCtrHmac (others are refused).
struct PublicOptions {
  Bytes hmac;  // kHmacSize bytes: HMAC-SHA256 with the symkey over the whole ciphertext
};

// What a wrapped key decrypts to. Secret (symkey): never logged.
struct PrivateOptions {
  SecretBytes symkey;  // kSymKeySize bytes
  Bytes nonce;         // kNonceSize bytes
  std::string digest;  // the plaintext blob's digest as written ("" when absent)
};

// The encryption annotations of one layer, parsed.
struct LayerEncryption {
  std::vector<WrappedKeys> keys;  // in annotation-key order; at least one scheme
  PublicOptions pubopts;
};

// Parses a layer descriptor's annotations. Annotations outside
// "org.opencontainers.image.enc." are ignored. Errors (kInvalidArgument, the message names
// the annotation and, for lists, the entry index): no keys annotation at all, an empty or
// non-base64 entry, more than limits.max_entries entries, a value over
// limits.max_annotation_bytes; pubopts missing, not base64, not the JSON
// {"cipher":"AES_256_CTR_HMAC_SHA256","hmac":<base64 32 bytes>,"cipheroptions":{}|null}
// (unknown members, another cipher, public cipher options refused); an unknown
// "org.opencontainers.image.enc.*" annotation (a newer format we would misread).
// kResourceExhausted: decoded pubopts over limits.max_options_bytes or nested deeper than 4.
Result<LayerEncryption> parseLayerEncryption(const std::map<std::string, std::string>& annotations,
                                             const AnnotationLimits& limits = {});

// Parses the private options JSON {"symkey":<b64>,"digest":"sha256:..","cipheroptions":
// {"nonce":<b64>}} (Go encoding: standard base64 with padding). Errors: kInvalidArgument
// naming the member for malformed JSON, a missing/mistyped member, a symkey that is not 32
// bytes, a nonce that is not 16 bytes, an unknown member; kResourceExhausted beyond
// limits.max_options_bytes or nested deeper than 4.
Result<PrivateOptions> parsePrivateOptions(ByteSpan json, const AnnotationLimits& limits = {});

// The private options JSON (the members ocicrypt writes; object members sorted).
// Secret: wrap it for each recipient, then drop it.
SecretBytes encodePrivateOptions(const PrivateOptions& options);

// The value of the pubopts annotation: base64 of
// {"cipher":"AES_256_CTR_HMAC_SHA256","hmac":<b64>,"cipheroptions":{}}.
std::string encodePublicOptions(ByteSpan hmac);

// Joins the base64 of each entry with ',' (the value of a keys annotation).
std::string encodeKeysAnnotation(const std::vector<Bytes>& entries);

}  // namespace cocoon::image::crypt
