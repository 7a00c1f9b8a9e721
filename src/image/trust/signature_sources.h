// SPDX-License-Identifier: Apache-2.0
// Where signatures come from: the lookaside store of containers-registries.d(5) (GPG simple
// signing blobs, file:// or http(s)://) and sigstore attachments in the registry (the
// `sha256-<hex>.sig` manifest cosign writes).
// Trust: everything fetched is untrusted: counts and sizes are capped, blobs are checked
// against their digests, and nothing is believed before its signature verified.
#pragma once

#include <string>
#include <string_view>
#include <vector>

#include "common/bytes.h"
#include "common/result.h"
#include "http/client.h"
#include "image/image_source.h"
#include "image/oci/digest.h"
#include "image/oci/reference.h"

namespace cocoon::image::trust {

// The cosign attachment format (sigstore/cosign specs/SIGNATURE_SPEC.md).
inline constexpr std::string_view kCosignSimpleSigningMediaType =
    "application/vnd.dev.cosign.simplesigning.v1+json";
inline constexpr std::string_view kCosignSignatureAnnotation = "dev.cosignproject.cosign/signature";

// Caps on what a signature source may make us fetch.
inline constexpr std::size_t kMaxSignatures = 64;
inline constexpr std::size_t kMaxSignatureBytes = 256 * 1024;

// The lookaside URL of signature `index` (1-based) of the image `repository` (path without
// the registry, e.g. "library/busybox") with manifest `digest`:
// "<base>/<repository>@sha256=<hex>/signature-<index>" (containers-registries.d(5)).
std::string lookasideUrl(std::string_view base, std::string_view repository,
                         const oci::Digest& digest, std::size_t index);

// Reads signature-1, signature-2, ... from a lookaside base URL until the first one that
// does not exist (ENOENT for file://, HTTP 404 for http(s)://). `http` is used for
// http(s) URLs and may be null when only file:// is configured.
// Errors: kInvalidArgument for another URL scheme or a relative file path;
// kResourceExhausted past kMaxSignatures or kMaxSignatureBytes per signature;
// kUnavailable for another HTTP status; I/O and transport errors naming the URL;
// kFailedPrecondition for an http(s) base without a client.
Result<std::vector<Bytes>> fetchLookasideSignatures(std::string_view base,
                                                    const oci::Reference& ref,
                                                    const oci::Digest& digest,
                                                    http::HttpClient* http);

// One cosign signature: the payload (digest-checked against its layer descriptor) and the
// decoded signature from the layer's annotation.
struct SigstoreSignature {
  Bytes payload;
  Bytes signature;
};

// The tag of a manifest's cosign attachment: "sha256-<hex>.sig".
std::string sigstoreTag(const oci::Digest& manifest_digest);

// Fetches the attachment manifest for `manifest_digest` from `source` and each
// simple-signing layer's payload. A missing attachment (kNotFound) is an empty list; layers
// of other media types are skipped.
// Errors: kInvalidArgument for a malformed attachment manifest or a layer whose signature
// annotation is missing or not base64; kResourceExhausted past the caps; kDataLoss when a
// payload does not match its descriptor; the source's errors.
Result<std::vector<SigstoreSignature>> fetchSigstoreSignatures(ImageSource& source,
                                                               const oci::Digest& manifest_digest);

}  // namespace cocoon::image::trust
