// SPDX-License-Identifier: Apache-2.0
// PolicyEnforcer: the puller's ImagePolicyCheck that evaluates a containers-policy.json
// against an image: scope lookup, then every requirement of the scope, fetching and
// verifying GPG (lookaside) and sigstore (attachment) signatures as the requirements ask.
// Trust: the policy and registries.d are the owner's; signatures and the image are not.
#pragma once

#include <filesystem>
#include <string>

#include "http/client.h"
#include "image/puller.h"
#include "image/trust/policy.h"
#include "image/trust/registries_d.h"

namespace cocoon::image::trust {

// What is being pulled, as far as the policy is concerned.
struct PolicyTarget {
  std::string transport = std::string(kDockerTransport);  // "docker" or "oci"
  // For "oci": the layout directory and tag (scopes are paths, see ociLayoutScopes).
  std::filesystem::path layout_dir;
  std::string layout_tag;
};

// Immutable after construction; check() may run from several threads at once (each call
// builds its own keyring). `http` (may be null: file:// lookasides only) must outlive it.
class PolicyEnforcer : public ImagePolicyCheck {
 public:
  PolicyEnforcer(Policy policy, RegistriesD registries_d, PolicyTarget target,
                 http::HttpClient* http)
      : policy_(std::move(policy)),
        registries_d_(std::move(registries_d)),
        target_(std::move(target)),
        http_(http) {}

  // Accepts when every requirement of the image's scope holds:
  // - insecureAcceptAnything holds; reject never holds;
  // - signedBy holds when at least one lookaside signature verifies with one of the
  //   policy's GPG keys and its payload names `manifest_digest`'s manifest and an identity
  //   that satisfies signedIdentity;
  // - sigstoreSigned likewise with the cosign attachments (registries.d must enable
  //   use-sigstore-attachments for the scope) and the policy's public key (ECDSA P-256 with
  //   SHA-256, RSA PKCS#1 v1.5 with SHA-256, or Ed25519).
  // Errors: kPermissionDenied "<image> refused by <scope>[i] <requirement>: <why>" (why:
  // rejected, no signatures, each signature's failure); configuration errors (an
  // unreadable or malformed key: kNotFound / kInvalidArgument / kUnimplemented naming the
  // key) and signature-source errors (transport, caps) as they are.
  Status check(ImageSource& source, const oci::Reference& ref, const oci::Digest& manifest_digest,
               ByteSpan manifest) const override;

  // The scope and requirements `ref` would be checked against (for messages and tests).
  ScopeMatch scopeFor(const oci::Reference& ref) const;

 private:
  Policy policy_;
  RegistriesD registries_d_;
  PolicyTarget target_;
  http::HttpClient* http_;
};

}  // namespace cocoon::image::trust
