// SPDX-License-Identifier: Apache-2.0
// The simple-signing payload (containers-signature(5)) that both GPG "atomic" signatures
// and sigstore/cosign signatures sign, parsed strictly, and the checks of its claims
// against the image being pulled.
// Trust: payload bytes come from a registry or a lookaside server (untrusted) and are
// parsed only after their signature verified; the parser still treats them as hostile.
#pragma once

#include <cstdint>
#include <optional>
#include <string>
#include <string_view>

#include "common/bytes.h"
#include "common/result.h"
#include "image/oci/digest.h"
#include "image/oci/reference.h"
#include "image/trust/policy.h"

namespace cocoon::image::trust {

// critical.type of each format.
inline constexpr std::string_view kAtomicSignatureType = "atomic container signature";
inline constexpr std::string_view kCosignSignatureType = "cosign container image signature";

// Payloads over this size are refused before parsing.
inline constexpr std::size_t kMaxPayloadBytes = 64 * 1024;

enum class PayloadFormat : std::uint8_t {
  kAtomic,  // GPG simple signing (skopeo --sign-by)
  kCosign,  // sigstore attachments
};

struct SignaturePayload {
  oci::Digest manifest_digest;            // critical.image.docker-manifest-digest
  std::string docker_reference;           // critical.identity.docker-reference, as written
  std::optional<std::string> creator;     // optional.creator
  std::optional<std::int64_t> timestamp;  // optional.timestamp (seconds since the epoch)
};

// Parses a payload: {"critical":{"type","image":{"docker-manifest-digest"},
// "identity":{"docker-reference"}},"optional":{...}}. Every object of "critical" must have
// exactly these fields; "optional" may hold anything, but "creator" must be a string and
// "timestamp" an integer when present (kCosign also allows "optional": null or absent).
// Errors: kResourceExhausted over kMaxPayloadBytes; kInvalidArgument for malformed JSON, a
// missing, unknown or mistyped field (named by its path, e.g. "critical.image.x"), a type
// other than `format`'s, or a digest that does not parse (kUnimplemented for an algorithm
// other than sha256/sha512).
Result<SignaturePayload> parseSignaturePayload(ByteSpan payload, PayloadFormat format);

// Whether the identity a signature claims (`signature_reference`, its docker-reference)
// satisfies `rule` for the image the user named (`image`), as containers-policy.json(5)
// defines: matchExact (same reference, tag or digest), matchRepoDigestOrExact (same
// repository when `image` names a digest, else the same reference), matchRepository,
// exactReference, exactRepository, remapIdentity (the image name's `prefix` replaced by
// `signedPrefix` when it matches at a '/' boundary, then matchRepoDigestOrExact). A
// signature reference without tag or digest matches only the repository rules; one that
// does not parse matches nothing. An image reference with both a tag and a digest counts
// as its digest.
bool identityMatches(const SignedIdentity& rule, const oci::Reference& image,
                     std::string_view signature_reference);

// Checks a verified payload against the image: the payload's digest must be the digest
// of `manifest` (computed with the payload's algorithm), and its identity must satisfy
// `rule`. Errors: kPermissionDenied naming the expected and found digest or identity.
Status checkPayload(const SignaturePayload& payload, const SignedIdentity& rule,
                    const oci::Reference& image, ByteSpan manifest);

}  // namespace cocoon::image::trust
