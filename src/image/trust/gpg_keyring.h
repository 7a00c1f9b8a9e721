// SPDX-License-Identifier: Apache-2.0
// GPG simple-signing verification through gpgme against a throwaway keyring that holds
// only the policy's keys (a temporary GNUPGHOME, never the user's keyring).
// Trust: the signed blobs come from a lookaside store (untrusted); the keys come from
// the policy (trusted).
#pragma once

#include <memory>
#include <string>
#include <vector>

#include "common/bytes.h"
#include "common/files.h"
#include "common/result.h"

struct gpgme_context;

namespace cocoon::image::trust {

// A keyring in its own temporary GNUPGHOME, removed when destroyed. Not thread-safe (one
// gpgme context); use one per thread.
class GpgKeyring {
 public:
  // Imports each of `keys` (binary or ASCII-armoured OpenPGP public keys or keyrings).
  // Errors: kInvalidArgument when a key blob imports no key (naming its index);
  // kInternal when gpgme or the gpg engine fails to start (message has gpgme's reason).
  static Result<std::unique_ptr<GpgKeyring>> create(const std::vector<Bytes>& keys);
  ~GpgKeyring();
  GpgKeyring(const GpgKeyring&) = delete;
  GpgKeyring& operator=(const GpgKeyring&) = delete;

  // Primary-key fingerprints (upper-case hex) of the imported keys.
  const std::vector<std::string>& fingerprints() const { return fingerprints_; }

  // Verifies an OpenPGP signed message (not a detached signature) and returns the content
  // it signs. Exactly one signature must be present, valid, made by (a subkey of) a key
  // of this keyring; key trust levels are ignored (the keyring is the trust).
  // Errors: kUnauthenticated for a malformed message, a bad signature, an unknown or
  // unusable key, or not exactly one signature (message says which).
  Result<Bytes> verify(ByteSpan signed_message);

 private:
  GpgKeyring(TempDir home, gpgme_context* ctx) : home_(std::move(home)), ctx_(ctx) {}
  TempDir home_;
  gpgme_context* ctx_;
  std::vector<std::string> fingerprints_;
};

}  // namespace cocoon::image::trust
