// SPDX-License-Identifier: Apache-2.0
// Policy evaluation: scope lookup, then each requirement against the image's signatures.
#include "image/trust/enforcer.h"

#include <optional>
#include <vector>

#include "common/files.h"
#include "crypto/signature.h"
#include "image/trust/gpg_keyring.h"
#include "image/trust/sign.h"
#include "image/trust/signature_payload.h"
#include "image/trust/signature_sources.h"

namespace cocoon::image::trust {
namespace {

constexpr std::size_t kMaxKeyFileBytes = 1 << 20;

Result<std::vector<Bytes>> keyBlobs(const Requirement& r) {
  if (r.key_paths.empty()) {
    return std::vector<Bytes>{r.key_data};
  }
  std::vector<Bytes> out;
  for (const auto& path : r.key_paths) {
    COCOON_ASSIGN_OR_RETURN(
        Bytes data, withContext(readFile(path, kMaxKeyFileBytes), "policy key " + path.string()));
    out.push_back(std::move(data));
  }
  return out;
}

// What one check() call needs, with each signature source fetched at most once.
class Evaluation {
 public:
  Evaluation(const RegistriesD& registries_d, const PolicyTarget& target, http::HttpClient* http,
             ImageSource& source, const oci::Reference& ref, const oci::Digest& digest,
             ByteSpan manifest)
      : registries_d_(registries_d),
        target_(target),
        http_(http),
        source_(source),
        ref_(ref),
        digest_(digest),
        manifest_(manifest) {}

  // Ok, or kPermissionDenied with the reason; other codes for configuration errors.
  Status holds(const Requirement& r) {
    switch (r.kind) {
      case RequirementKind::kInsecureAcceptAnything:
        return okStatus();
      case RequirementKind::kReject:
        return fail(Code::kPermissionDenied, "the policy rejects this image");
      case RequirementKind::kSignedBy:
        return signedBy(r);
      case RequirementKind::kSigstoreSigned:
        return sigstoreSigned(r);
    }
    return fail(Code::kInternal, "unknown requirement");
  }

 private:
  bool fromRegistry() const { return target_.transport == kDockerTransport; }

  Status signedBy(const Requirement& r) {
    if (!fromRegistry()) {
      return fail(Code::kPermissionDenied,
                  "no signatures: an OCI layout carries no GPG signatures");
    }
    if (!lookaside_) {
      const std::string base = lookasideFor(registries_d_, ref_);
      COCOON_ASSIGN_OR_RETURN(lookaside_, fetchLookasideSignatures(base, ref_, digest_, http_));
      lookaside_base_ = base;
    }
    if (lookaside_->empty()) {
      return fail(Code::kPermissionDenied, "no GPG signatures for {} in lookaside {}", digest_,
                  lookaside_base_);
    }
    COCOON_ASSIGN_OR_RETURN(std::vector<Bytes> keys, keyBlobs(r));
    COCOON_ASSIGN_OR_RETURN(std::unique_ptr<GpgKeyring> ring, GpgKeyring::create(keys));
    std::string reasons;
    for (std::size_t i = 0; i < lookaside_->size(); ++i) {
      Status s = [&]() -> Status {
        COCOON_ASSIGN_OR_RETURN(Bytes content, ring->verify((*lookaside_)[i]));
        COCOON_ASSIGN_OR_RETURN(SignaturePayload payload,
                                parseSignaturePayload(content, PayloadFormat::kAtomic));
        return checkPayload(payload, r.signed_identity, ref_, manifest_);
      }();
      if (s) {
        return okStatus();
      }
      reasons += fmt::format("; signature-{}: {}", i + 1, s.error().message);
    }
    return fail(Code::kPermissionDenied, "no signature satisfies it{}", reasons);
  }

  Status sigstoreSigned(const Requirement& r) {
    if (!fromRegistry()) {
      return fail(Code::kPermissionDenied,
                  "no signatures: an OCI layout carries no sigstore attachments");
    }
    if (!sigstore_) {
      if (useSigstoreAttachments(registries_d_, ref_)) {
        COCOON_ASSIGN_OR_RETURN(sigstore_, fetchSigstoreSignatures(source_, digest_));
      } else {
        sigstore_.emplace();
        sigstore_disabled_ = true;
      }
    }
    if (sigstore_->empty()) {
      return fail(Code::kPermissionDenied, "no sigstore signatures for {}{}", digest_,
                  sigstore_disabled_
                      ? " (registries.d does not enable use-sigstore-attachments for it)"
                      : "");
    }
    COCOON_ASSIGN_OR_RETURN(std::vector<Bytes> keys, keyBlobs(r));
    COCOON_ASSIGN_OR_RETURN(
        crypto::Key key,
        withContext(crypto::Key::fromPem(toString(keys.front())), "sigstoreSigned public key"));
    COCOON_ASSIGN_OR_RETURN(crypto::SignatureScheme scheme, sigstoreScheme(key));
    std::string reasons;
    for (std::size_t i = 0; i < sigstore_->size(); ++i) {
      const SigstoreSignature& sig = (*sigstore_)[i];
      Status s = [&]() -> Status {
        COCOON_TRY(crypto::verify(key, scheme, sig.payload, sig.signature));
        COCOON_ASSIGN_OR_RETURN(SignaturePayload payload,
                                parseSignaturePayload(sig.payload, PayloadFormat::kCosign));
        return checkPayload(payload, r.signed_identity, ref_, manifest_);
      }();
      if (s) {
        return okStatus();
      }
      reasons += fmt::format("; signature {}: {}", i + 1, s.error().message);
    }
    return fail(Code::kPermissionDenied, "no signature satisfies it{}", reasons);
  }

  const RegistriesD& registries_d_;
  const PolicyTarget& target_;
  http::HttpClient* http_;
  ImageSource& source_;
  const oci::Reference& ref_;
  const oci::Digest& digest_;
  ByteSpan manifest_;
  std::optional<std::vector<Bytes>> lookaside_;
  std::string lookaside_base_;
  std::optional<std::vector<SigstoreSignature>> sigstore_;
  bool sigstore_disabled_ = false;
};

}  // namespace

ScopeMatch PolicyEnforcer::scopeFor(const oci::Reference& ref) const {
  if (target_.transport == kOciTransport) {
    return findRequirements(policy_, kOciTransport,
                            ociLayoutScopes(target_.layout_dir, target_.layout_tag));
  }
  return findRequirements(policy_, kDockerTransport, dockerScopes(ref));
}

Status PolicyEnforcer::check(ImageSource& source, const oci::Reference& ref,
                             const oci::Digest& manifest_digest, ByteSpan manifest) const {
  if (target_.transport != kDockerTransport && target_.transport != kOciTransport) {
    return fail(Code::kInvalidArgument, "policy transport \"{}\" is not supported",
                target_.transport);
  }
  const ScopeMatch match = scopeFor(ref);
  Evaluation evaluation(registries_d_, target_, http_, source, ref, manifest_digest, manifest);
  for (std::size_t i = 0; i < match.requirements->size(); ++i) {
    const Requirement& r = (*match.requirements)[i];
    Status s = evaluation.holds(r);
    if (!s && s.error().code == Code::kPermissionDenied) {
      return fail(Code::kPermissionDenied, "{} refused by {}[{}] {}: {}", ref.toString(),
                  match.label, i, r.describe(), s.error().message);
    }
    COCOON_TRY(withContext(std::move(s), fmt::format("{}[{}] {}", match.label, i, r.describe())));
  }
  return okStatus();
}

}  // namespace cocoon::image::trust
