// SPDX-License-Identifier: Apache-2.0
// Admin request authentication: `Authorization: Bearer <JWT>` signed by the admin's Ed25519
// key, as trustee's KBS admin API expects (header {"alg":"EdDSA","typ":"JWT"}).
//
// Trust: the header comes from the network; only a token that verifies against the
// configured admin public key authorises a change of resources, policies or reference values.
#pragma once

#include <chrono>
#include <filesystem>
#include <string_view>

#include "common/result.h"
#include "crypto/key.h"

namespace cocoon::kbs {

// Immutable after construction; thread-safe.
class AdminAuthenticator {
 public:
  // The key must be a public (or private, whose public half is used) Ed25519 key.
  // Errors: kInvalidArgument for another key type.
  static Result<AdminAuthenticator> create(crypto::Key admin_key);
  // Reads a PEM file. Errors: those of readTextFile/Key::fromPem, naming the path.
  static Result<AdminAuthenticator> fromPemFile(const std::filesystem::path& path);

  // Checks the value of an Authorization header. Tokens may omit "exp" (trustee's admin
  // tokens need not carry one); when present, exp and nbf are checked at `now` with 60 s of
  // leeway. Errors, all kUnauthenticated: no header, not "Bearer <token>", token that does
  // not verify (message carries the JOSE reason, never the token).
  Status authorize(std::string_view authorization_header,
                   std::chrono::system_clock::time_point now) const;

 private:
  explicit AdminAuthenticator(crypto::Key key) : key_(std::move(key)) {}
  crypto::Key key_;
};

}  // namespace cocoon::kbs
