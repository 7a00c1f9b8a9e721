// SPDX-License-Identifier: Apache-2.0
// The JSON bodies of the KBS attestation protocol 0.4.x (RCAR, PROTOCOLS.md §1.1, §1.2,
// §1.5; kbs-types Request/Challenge/Attestation/ErrorInformation): parse and serialize.
// Trust: every parse function takes text from the other side of the protocol (the KBS
// parses Request and Attestation from a guest; the guest parses Challenge and ErrorInfo
// from a KBS). They refuse missing, mistyped and unknown members and oversized input.
#pragma once

#include <cstddef>
#include <cstdint>
#include <optional>
#include <string>
#include <string_view>

#include "common/result.h"
#include "crypto/jose/jwk.h"
#include "json/json.h"
#include "kbs_protocol/tee.h"

namespace cocoon::kbs_protocol {

// The version this library speaks and writes into a Request.
inline constexpr std::string_view kProtocolVersion = "0.4.0";

// Size caps. Attestation carries TEE evidence (quotes with certificate chains, GPU
// evidence), so it gets a larger cap than the small control messages.
inline constexpr std::size_t kMaxMessageBytes = 64 * 1024;
inline constexpr std::size_t kMaxAttestationBytes = 4 * 1024 * 1024;
inline constexpr std::size_t kMaxDepth = 32;

// Bytes of a challenge nonce (before base64).
inline constexpr std::size_t kNonceBytes = 32;

// Accepts "0.4.<patch>" (decimal digits). Fails with kInvalidArgument when `version` is
// not three dot-separated decimal numbers and with kUnimplemented for any other version.
Status checkVersion(std::string_view version);

// Accepts the standard base64 (padded, RFC 4648 §4) of exactly kNonceBytes bytes; fails
// with kInvalidArgument otherwise.
Status checkNonce(std::string_view nonce);

// POST /kbs/v0/auth body: {"version","tee","extra-params"}.
struct Request {
  std::string version{kProtocolVersion};
  Tee tee = Tee::kSample;
  json::Json extra_params = json::Json::object();  // any JSON value
};

// /auth response body: {"nonce","extra-params"}.
struct Challenge {
  std::string nonce;             // checkNonce holds
  json::Json extra_params = "";  // trustee sends ""; any JSON value
};

// "init-data": {"format","body"}; body is the whole init-data text (TOML).
struct InitData {
  std::string format;
  std::string body;
};

// "runtime-data": {"nonce","tee-pubkey"}. No default constructor: a Jwk always holds a key.
struct RuntimeData {
  std::string nonce;           // checkNonce holds
  jose::Jwk tee_pubkey;        // a public key
  json::Json tee_pubkey_json;  // the JWK object exactly as received (for the binding)
};

// "tee-evidence": {"primary_evidence","additional_evidence"} (snake_case, as on the wire).
struct TeeEvidence {
  json::Json primary_evidence;      // TEE-specific JSON, any value
  std::string additional_evidence;  // JSON text mapping tee -> evidence, or ""
};

// POST /kbs/v0/attest body.
struct Attestation {
  std::optional<InitData> init_data;  // absent or JSON null on the wire
  RuntimeData runtime_data;
  TeeEvidence tee_evidence;
};

// Error kinds a KBS names in its error body (PROTOCOLS.md §1.5).
enum class ErrorKind : std::uint8_t {
  kAdminAuth,
  kAttestationError,
  kInvalidRequestPath,
  kJweError,
  kPluginNotFound,
  kPolicyDeny,
  kTokenNotFound,
  kTokenVerifierError,
};

// The URL prefix of every error "type".
inline constexpr std::string_view kErrorTypePrefix =
    "https://github.com/confidential-containers/kbs/errors/";

// Error body {"type","detail"}. `type` is kept as received: a KBS may use kinds we do
// not know, and a client still wants to show them.
struct ErrorInfo {
  std::string type;
  std::string detail;
};

// "AdminAuth", ... and the full type URL of a kind.
std::string_view errorKindName(ErrorKind kind);
std::string errorTypeUrl(ErrorKind kind);
// The kind named by a type URL; nullopt for another prefix or an unknown kind.
std::optional<ErrorKind> errorKindFromType(std::string_view type);
ErrorInfo makeErrorInfo(ErrorKind kind, std::string detail);

// Parsers. All fail with kResourceExhausted when the text is over its cap (64 KiB, 4 MiB
// for Attestation) or nests deeper than kMaxDepth, with kInvalidArgument for malformed
// JSON, a missing, mistyped or unknown member (the message names it, e.g.
// "runtime-data.nonce"), a bad nonce or a private tee-pubkey, and with kUnimplemented
// for an unsupported version or tee (Request only). A tee-pubkey that jose::jwkFromJson
// refuses fails with that reason's code (kUnimplemented for kty "oct", other curves).
Result<Request> parseRequest(std::string_view text);
Result<Challenge> parseChallenge(std::string_view text);
Result<Attestation> parseAttestation(std::string_view text);
Result<ErrorInfo> parseErrorInfo(std::string_view text);

// Compact JSON. serializeAttestation writes tee_pubkey_json when it is an object (so a
// received message round-trips byte for byte in its key), else the JWK of tee_pubkey;
// it fails only when that key cannot be exported as a JWK.
std::string serializeRequest(const Request& request);
std::string serializeChallenge(const Challenge& challenge);
Result<std::string> serializeAttestation(const Attestation& attestation);
std::string serializeErrorInfo(const ErrorInfo& error);

}  // namespace cocoon::kbs_protocol
