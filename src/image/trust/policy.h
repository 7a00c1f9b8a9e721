// SPDX-License-Identifier: Apache-2.0
// containers-policy.json(5): the signature policy that decides which images may be pulled,
// parsed strictly, and the lookup of the requirements that apply to an image.
// Trust: the policy is the workload owner's (a file or a KBS resource); it is parsed as
// untrusted text anyway, and anything not understood is an error, never an accept.
#pragma once

#include <filesystem>
#include <map>
#include <string>
#include <string_view>
#include <vector>

#include "common/bytes.h"
#include "common/result.h"
#include "image/oci/reference.h"

namespace cocoon::image::trust {

// The transports whose scopes this policy evaluates (containers-transports(5) names).
inline constexpr std::string_view kDockerTransport = "docker";
inline constexpr std::string_view kOciTransport = "oci";

// How a signature's claimed identity (its docker-reference) must relate to the image
// being pulled (containers-policy.json(5) "signedIdentity").
enum class IdentityKind : std::uint8_t {
  kMatchExact,
  kMatchRepoDigestOrExact,  // the default
  kMatchRepository,
  kExactReference,
  kExactRepository,
  kRemapIdentity,
};

struct SignedIdentity {
  IdentityKind kind = IdentityKind::kMatchRepoDigestOrExact;
  std::string docker_reference;   // kExactReference: normalised, with a tag or digest
  std::string docker_repository;  // kExactRepository: normalised repository name
  std::string prefix;             // kRemapIdentity
  std::string signed_prefix;      // kRemapIdentity
};

enum class RequirementKind : std::uint8_t {
  kInsecureAcceptAnything,
  kReject,
  kSignedBy,        // GPG simple signing
  kSigstoreSigned,  // cosign-format signatures with a public key
};

struct Requirement {
  RequirementKind kind = RequirementKind::kReject;
  // kSignedBy: keyPath or keyPaths (as paths) or keyData (decoded), exactly one given.
  // kSigstoreSigned: keyPath or keyData, exactly one given.
  std::vector<std::filesystem::path> key_paths;
  Bytes key_data;
  SignedIdentity signed_identity;

  // For messages: `signedBy (GPGKeys, keyPath /etc/pki/key.gpg)`, `reject`.
  std::string describe() const;
};

// The requirements of one scope: all of them must hold.
using Requirements = std::vector<Requirement>;

struct Policy {
  Requirements default_requirements;  // never empty
  // transport name -> scope ("" is the transport's default) -> requirements.
  std::map<std::string, std::map<std::string, Requirements>, std::less<>> transports;
};

// Caps on a policy document.
inline constexpr std::size_t kMaxPolicyBytes = 1 << 20;

// Parses a policy.json text. Everything containers-policy.json(5) defines for the docker
// transport is accepted; other transports' sections are parsed with the same strictness
// and kept, but only "docker" and "oci" scopes are ever looked up (docs/image-trust.md).
// Errors (messages name the JSON path, e.g. `transports.docker["quay.io"][0].keyPath`):
// - kInvalidArgument: malformed JSON, a missing "default", an empty requirement list, an
//   unknown or duplicated field, a field of the wrong type, an unknown requirement or
//   identity type, keyType other than GPGKeys' known set, not exactly one of keyPath /
//   keyPaths / keyData, keyData that is not base64, a docker scope that is not a
//   normalised reference, repository, namespace, host or *.domain, an identity reference
//   that does not parse or lacks its tag/digest;
// - kUnimplemented: features recognised but not supported, named: keyType
//   X509Certificates / signedByGPGKeys / signedByX509CAs, and sigstoreSigned's fulcio,
//   rekorPublicKeyPath(s), rekorPublicKeyData(s), pki, keyPaths, keyDatas;
// - kResourceExhausted: text over kMaxPolicyBytes.
Result<Policy> parsePolicy(std::string_view text);

// Reads and parses a policy file. Errors: those of readTextFile (kNotFound, ...) and
// parsePolicy, with the path as context.
Result<Policy> loadPolicy(const std::filesystem::path& path);

// The scopes an image is looked up under, most specific first (containers-policy.json(5)
// "docker" transport): "host/ns/repo:tag" (or "@digest"; with both, the digest), then
// "host/ns/repo", "host/ns", "host[:port]", then "*.b.example.com", "*.example.com", "*.com"
// from the host without its port.
std::vector<std::string> dockerScopes(const oci::Reference& ref);

// The scopes of an OCI layout (transport "oci"): "<abs dir>:<tag>", "<abs dir>", then each
// parent directory up to "/".
std::vector<std::string> ociLayoutScopes(const std::filesystem::path& dir, std::string_view tag);

// The requirements that apply, and where they came from.
struct ScopeMatch {
  const Requirements* requirements = nullptr;  // points into the Policy
  std::string label;  // `transports.docker["quay.io/ns"]`, `transports.docker[""]`, `default`
};

// The first of `scopes` (in order) that the transport's section names, else the
// transport's "" scope, else "default". Never fails.
ScopeMatch findRequirements(const Policy& policy, std::string_view transport,
                            const std::vector<std::string>& scopes);

}  // namespace cocoon::image::trust
