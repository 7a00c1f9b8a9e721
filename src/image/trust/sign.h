// SPDX-License-Identifier: Apache-2.0
// Producing sigstore (cosign-format) signatures: the simple-signing payload for an image's
// top-level manifest, signed with a private key and written as the `sha256-<hex>.sig`
// attachment next to the image (`cocoon image sign`).
#pragma once

#include <string>
#include <string_view>

#include "common/result.h"
#include "crypto/key.h"
#include "crypto/signature.h"
#include "image/image_destination.h"
#include "image/image_source.h"
#include "image/oci/reference.h"

namespace cocoon::image::trust {

// The scheme cosign signatures use with a key of this type: ECDSA P-256 with SHA-256 (DER
// signature), RSA PKCS#1 v1.5 with SHA-256, Ed25519.
// Errors: kUnimplemented naming any other key type.
Result<crypto::SignatureScheme> sigstoreScheme(const crypto::Key& key);

struct SignedAttachment {
  oci::Digest manifest_digest;    // what was signed: the top-level manifest of the image
  std::string tag;                // "sha256-<hex>.sig"
  oci::Digest attachment_digest;  // the attachment manifest written
  std::string payload;            // the signed payload bytes
};

// Signs the manifest `ref` names in `source` (fetched, and checked against ref's digest when
// it has one) with `key`, claiming `identity` (a docker reference with tag or digest), and
// writes the attachment (config, payload layer with the base64 signature annotation,
// manifest under the tag) to `dest`, which must be the image's own repository or layout.
// An existing attachment under the tag (read from `source`, which must be at the same
// place as `dest`) is extended, as cosign does: its signatures by other keys or of other
// payloads stay, and a signature of the same payload by the same key is replaced rather
// than duplicated, so signing twice leaves one signature.
// Errors: kInvalidArgument for an identity that does not parse or has no tag/digest, or a
// public-only key (kFailedPrecondition); kUnimplemented for the key type; kDataLoss when
// the manifest does not match ref's digest; kResourceExhausted when the attachment already
// holds kMaxSignatures signatures; errors of parsing the existing attachment (with
// context); those of source and dest.
Result<SignedAttachment> signImage(ImageSource& source, const oci::Reference& ref,
                                   ImageDestination& dest, const crypto::Key& key,
                                   std::string_view identity);

}  // namespace cocoon::image::trust
