// SPDX-License-Identifier: Apache-2.0
// Decryption of ocicrypt layers in the pull pipeline: which key opens a layer's wrapped
// private options (private keys for "jwe", the KBS for "provider.attestation-agent"), and the
// image::DecryptProvider that the puller asks for each encrypted layer.
// Trust: descriptors and their annotations are untrusted (manifest); the keys are ours.
#pragma once

#include <filesystem>
#include <memory>
#include <vector>

#include "common/result.h"
#include "crypto/key.h"
#include "image/crypt/annotations.h"
#include "image/crypt/keyprovider.h"
#include "image/oci/manifest.h"
#include "image/puller.h"

namespace cocoon::image::crypt {

// The keys a pull may use. Copyable; the fetcher is borrowed and must outlive every use.
struct DecryptionKeys {
  // Private keys (RSA, EC) tried on every "jwe" entry.
  std::vector<crypto::Key> private_keys;
  // Asked for the KEK of "provider.attestation-agent" entries; nullptr: scheme unused.
  KeyResourceFetcher* fetcher = nullptr;
};

// Reads private keys from PEM files (`--decryption-key`, as skopeo names it; unencrypted
// PKCS#8, "RSA PRIVATE KEY" or "EC PRIVATE KEY"). Errors: I/O errors naming the file,
// kInvalidArgument for a file that is not such a private key (naming the file, never its
// content).
Result<std::vector<crypto::Key>> loadPrivateKeys(const std::vector<std::filesystem::path>& files);

// The private options of the layer `descriptor`, unwrapped with the first key that fits:
// "jwe" entries with each private key, then "provider.attestation-agent" entries through
// the fetcher. Errors:
// - kInvalidArgument: malformed annotations (parseLayerEncryption), a malformed JWE or
//   packet, private options that decrypt but do not parse;
// - kPermissionDenied: no key opens any entry; the message names the layer digest, the
//   schemes present (with their entry counts) and why each was not usable (no private key,
//   no fetcher, wrong key, scheme not supported: pkcs7, pgp, other providers);
// - the fetcher's errors (kUnavailable, kNotFound, kPermissionDenied, ...) with context.
Result<PrivateOptions> unwrapLayerOptions(const oci::Descriptor& descriptor,
                                          const LayerEncryption& encryption,
                                          const DecryptionKeys& keys,
                                          const AnnotationLimits& limits = {});

// The DecryptProvider of `cocoon image pull --decryption-key` and of the guest image
// service. forLayer parses the descriptor's annotations, unwraps the options (errors of
// parseLayerEncryption and unwrapLayerOptions) and returns a hook whose source decrypts
// AES-256-CTR and checks the HMAC at the end of the stream (kDataLoss). Thread-safe when
// the fetcher is.
class KeyDecryptProvider : public DecryptProvider {
 public:
  explicit KeyDecryptProvider(DecryptionKeys keys, AnnotationLimits limits = {})
      : keys_(std::move(keys)), limits_(limits) {}
  Result<std::unique_ptr<layer::DecryptHook>> forLayer(const oci::Descriptor& descriptor) override;

 private:
  DecryptionKeys keys_;
  AnnotationLimits limits_;
};

}  // namespace cocoon::image::crypt
