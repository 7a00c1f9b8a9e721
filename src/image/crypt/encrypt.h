// SPDX-License-Identifier: Apache-2.0
// encryptImage: copies an image from an ImageSource to an ImageDestination with every layer
// encrypted the ocicrypt way (AES_256_CTR_HMAC_SHA256, "+encrypted" media types, wrapped
// keys per recipient in the layer annotations), for `cocoon image encrypt`.
// Trust: the source image is the user's own, still every blob is checked against its
// digest while it is read; the destination is not trusted to keep bytes (ImageDestination).
#pragma once

#include <string>
#include <string_view>
#include <vector>

#include "common/bytes.h"
#include "common/result.h"
#include "crypto/key.h"
#include "image/image_destination.h"
#include "image/image_source.h"
#include "image/oci/digest.h"
#include "image/oci/manifest.h"
#include "image/oci/platform.h"
#include "image/oci/reference.h"

namespace cocoon::image::crypt {

// A keyprovider recipient: the layer keys are wrapped with `kek`, the bytes of the KBS
// resource `kid` ("kbs:///repo/type/tag") that the guest will fetch after attestation.
struct ProviderRecipient {
  std::string kid;
  SecretBytes kek;  // 32 bytes
};

// Who can decrypt the image: at least one recipient in total.
struct EncryptRecipients {
  std::vector<crypto::Key> jwe_public_keys;  // RSA or EC P-256/384/521 (public halves used)
  std::vector<ProviderRecipient> providers;
};

struct EncryptOptions {
  oci::Platform platform = oci::hostPlatform();  // which manifest of an index
  oci::ManifestLimits manifest_limits;
  std::size_t max_config_bytes = std::size_t{8} << 20;
};

struct EncryptResult {
  oci::Digest manifest_digest;  // of the encrypted image's manifest, as written
  std::size_t layers = 0;       // layers encrypted
};

// Reads `ref` from `source` (through an index: the manifest for options.platform), encrypts
// every layer with a fresh random key and nonce, and writes the config, the encrypted
// blobs and a manifest (same config, layer media types + "+encrypted", ocicrypt
// annotations; other manifest fields kept) to `dest` under `dest_reference`. Each layer is
// read twice (once to learn the ciphertext's digest, once to upload it: AES-CTR with the
// same key and nonce gives the same bytes); nothing is held in memory or on disk.
// Errors: kInvalidArgument for no recipient, a bad provider kid or KEK size, a key that
// cannot be a JWE recipient; kFailedPrecondition for a Docker schema 2 image (convert to
// OCI first, e.g. `skopeo copy --format oci`) or a layer that is already encrypted;
// kDataLoss when the source's bytes do not match their digests; errors of source and dest.
Result<EncryptResult> encryptImage(ImageSource& source, const oci::Reference& ref,
                                   ImageDestination& dest, std::string_view dest_reference,
                                   const EncryptRecipients& recipients,
                                   const EncryptOptions& options = {});

}  // namespace cocoon::image::crypt
