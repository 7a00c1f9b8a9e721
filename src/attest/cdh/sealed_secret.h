// SPDX-License-Identifier: Apache-2.0
// Sealed secrets in the format of CoCo's confidential data hub: "sealed.<header>.<payload>.
// <signature>", a JWS compact serialization behind a "sealed." prefix whose payload is
// {"version":"0.1.0","type":"vault","name":"kbs:///repo/type/tag","provider":"kbs",
// "provider_settings":{},"annotations":{}}. A vault secret is only a reference: its value
// lives in the KBS and is released to an attested guest. Unsigned secrets carry any
// header and signature segments (CoCo's tools write "fakejwsheader" / "fakesignature").
// Trust: a sealed secret comes from the pod spec (host-controlled). With a verification
// key, nothing in it is used before its signature verifies; without one, only the KBS's
// release policy protects the value, and the reference itself may have been swapped.
#pragma once

#include <cstddef>
#include <cstdint>
#include <optional>
#include <string>
#include <string_view>

#include "common/bytes.h"
#include "common/result.h"
#include "crypto/jose/jws.h"
#include "crypto/key.h"
#include "json/json.h"

namespace cocoon::attest::cdh {

inline constexpr std::string_view kSealedPrefix = "sealed.";
inline constexpr std::string_view kSealedSecretVersion = "0.1.0";
// Larger sealed secrets are refused before any parsing.
inline constexpr std::size_t kMaxSealedSecretBytes = 64 * 1024;

enum class SealedSecretType : std::uint8_t { kVault, kEnvelope };

// The payload of a vault secret (the only type unsealed here).
struct VaultSecret {
  std::string provider;  // "kbs"
  std::string name;      // the resource URI, "kbs:///repo/type/tag"
  json::Json provider_settings = json::Json::object();
  json::Json annotations = json::Json::object();
};

struct SealedSecret {
  SealedSecretType type = SealedSecretType::kVault;
  VaultSecret vault;                // kVault only
  std::optional<std::string> kid;   // the JWS header's "kid", when signed
  bool signature_verified = false;  // true only when a key verified the JWS
};

// Opens a sealed secret. With `verification_key` (a public key, or a private key whose
// public half is used) the JWS must verify with an algorithm that fits the key (RS*/PS*,
// ES256/384/512, EdDSA); without it, the payload is read and nothing is verified.
// Errors:
// - kResourceExhausted: more than kMaxSealedSecretBytes;
// - kInvalidArgument: no "sealed." prefix, not four dot-separated segments, a payload that
//   is not base64url JSON, a "version" other than "0.1.0", a missing or mistyped member,
//   an unknown member, a vault "name" that is not a kbs:///repo/type/tag URI;
// - kUnauthenticated: with a verification key, a header that is not a JWS header, a
//   signature that does not verify, an algorithm that does not fit the key;
// - kUnimplemented: type "envelope" (KMS envelope encryption), a vault provider other
//   than "kbs", an unknown type.
Result<SealedSecret> openSealedSecret(std::string_view sealed,
                                      const crypto::Key* verification_key = nullptr);

// Seals a reference to the KBS resource `name` (kbs:///repo/type/tag). With `signer` the
// result is a real JWS (the signer's protected params carry the "kid"); without one, the
// header and signature are CoCo's placeholders and the secret can only be opened without
// a verification key. Errors: kInvalidArgument for a bad name; the signer's errors
// (kInvalidArgument for a public-only key or one that does not fit the algorithm).
Result<std::string> sealVaultSecret(std::string_view name,
                                    const std::optional<jose::JwsSigner>& signer);

// "kbs:///repo/type/tag" -> "repo/type/tag" (the KBS resource path); the authority, if
// any, is ignored as CoCo does. Errors: kInvalidArgument unless it is a kbs:// URI of the
// resource plugin with exactly three segments (kbs_protocol::parseResourceUri rules).
Result<std::string> kbsResourcePath(std::string_view uri);

}  // namespace cocoon::attest::cdh
