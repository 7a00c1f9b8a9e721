// SPDX-License-Identifier: Apache-2.0
// Certificate-chain verification on X509_STORE / X509_STORE_CTX with explicit anchors,
// explicit time and optional CRLs, and the mapping of OpenSSL verify errors to ChainFailure.
#include <openssl/x509.h>
#include <openssl/x509_vfy.h>

#include "crypto/detail/fatal.h"
#include "crypto/detail/ossl.h"
#include "crypto/detail/x509_util.h"
#include "crypto/x509.h"

namespace cocoon::crypto {
namespace {

using detail::cryptoCheck;
using StorePtr = detail::OsslPtr<X509_STORE, X509_STORE_free>;
using StoreCtxPtr = detail::OsslPtr<X509_STORE_CTX, X509_STORE_CTX_free>;

struct CertStackFree {
  void operator()(STACK_OF(X509) * stack) const { sk_X509_free(stack); }
};
using CertStackPtr = std::unique_ptr<STACK_OF(X509), CertStackFree>;

ChainFailure failureOf(int error) {
  switch (error) {
    case X509_V_ERR_CERT_HAS_EXPIRED:
      return ChainFailure::kExpired;
    case X509_V_ERR_CERT_NOT_YET_VALID:
      return ChainFailure::kNotYetValid;
    case X509_V_ERR_CERT_REVOKED:
      return ChainFailure::kRevoked;
    case X509_V_ERR_UNABLE_TO_GET_CRL:
    case X509_V_ERR_UNABLE_TO_GET_CRL_ISSUER:
      return ChainFailure::kCrlMissing;
    case X509_V_ERR_CRL_HAS_EXPIRED:
      return ChainFailure::kCrlExpired;
    case X509_V_ERR_CRL_NOT_YET_VALID:
      return ChainFailure::kCrlNotYetValid;
    case X509_V_ERR_CRL_SIGNATURE_FAILURE:
    case X509_V_ERR_UNABLE_TO_DECRYPT_CRL_SIGNATURE:
      return ChainFailure::kCrlBadSignature;
    case X509_V_ERR_CERT_SIGNATURE_FAILURE:
    case X509_V_ERR_UNABLE_TO_DECRYPT_CERT_SIGNATURE:
    case X509_V_ERR_UNABLE_TO_DECODE_ISSUER_PUBLIC_KEY:
      return ChainFailure::kBadSignature;
    case X509_V_ERR_UNABLE_TO_GET_ISSUER_CERT:
    case X509_V_ERR_UNABLE_TO_GET_ISSUER_CERT_LOCALLY:
    case X509_V_ERR_UNABLE_TO_VERIFY_LEAF_SIGNATURE:
    case X509_V_ERR_DEPTH_ZERO_SELF_SIGNED_CERT:
    case X509_V_ERR_SELF_SIGNED_CERT_IN_CHAIN:
    case X509_V_ERR_CERT_UNTRUSTED:
    case X509_V_ERR_CERT_REJECTED:
      return ChainFailure::kUntrusted;
    case X509_V_ERR_CERT_CHAIN_TOO_LONG:
    case X509_V_ERR_PATH_LENGTH_EXCEEDED:
      return ChainFailure::kPathTooLong;
    case X509_V_ERR_INVALID_CA:
    case X509_V_ERR_KEYUSAGE_NO_CERTSIGN:
    case X509_V_ERR_KEYUSAGE_NO_CRL_SIGN:
      return ChainFailure::kInvalidCa;
    default:
      return ChainFailure::kInvalidCertificate;
  }
}

ChainError invalidOptions(std::string message) {
  return ChainError{ChainFailure::kInvalidOptions, -1, "certificate chain: " + std::move(message)};
}

STACK_OF(X509) * newStack(const std::vector<Certificate>& certificates) {
  STACK_OF(X509)* stack = sk_X509_new_null();
  cryptoCheck(stack != nullptr, "sk_X509_new_null");
  for (const Certificate& cert : certificates) {
    cryptoCheck(sk_X509_push(stack, cert.raw()) > 0, "sk_X509_push");
  }
  return stack;
}

}  // namespace

std::string_view chainFailureName(ChainFailure reason) {
  switch (reason) {
    case ChainFailure::kInvalidOptions:
      return "invalid options";
    case ChainFailure::kUntrusted:
      return "untrusted";
    case ChainFailure::kBadSignature:
      return "bad signature";
    case ChainFailure::kExpired:
      return "expired";
    case ChainFailure::kNotYetValid:
      return "not yet valid";
    case ChainFailure::kRevoked:
      return "revoked";
    case ChainFailure::kCrlMissing:
      return "CRL missing";
    case ChainFailure::kCrlExpired:
      return "CRL expired";
    case ChainFailure::kCrlNotYetValid:
      return "CRL not yet valid";
    case ChainFailure::kCrlBadSignature:
      return "CRL bad signature";
    case ChainFailure::kPathTooLong:
      return "path too long";
    case ChainFailure::kInvalidCa:
      return "invalid CA";
    case ChainFailure::kInvalidCertificate:
      return "invalid certificate";
  }
  return "unknown";
}

Code chainFailureCode(ChainFailure reason) {
  return reason == ChainFailure::kInvalidOptions ? Code::kInvalidArgument : Code::kUnauthenticated;
}

ChainError::operator Error() const {
  return Error(chainFailureCode(reason), message);
}

Result<std::vector<Certificate>, ChainError> verifyChain(const Certificate& leaf,
                                                         const ChainVerifyOptions& options) {
  if (options.trust_anchors.empty()) {
    return tl::unexpected(invalidOptions("no trust anchors given"));
  }
  if (options.verification_time == TimePoint{}) {
    return tl::unexpected(invalidOptions("no verification time given"));
  }
  if (options.max_depth < 0) {
    return tl::unexpected(
        invalidOptions(fmt::format("max_depth {} is negative", options.max_depth)));
  }
  if (options.intermediates.size() > kMaxBundleCertificates) {
    return tl::unexpected(invalidOptions(fmt::format(
        "{} intermediates, at most {}", options.intermediates.size(), kMaxBundleCertificates)));
  }
  if (options.revocation == RevocationCheck::kNone && !options.crls.empty()) {
    return tl::unexpected(invalidOptions("CRLs given but revocation checking is off"));
  }

  StorePtr store(X509_STORE_new());
  cryptoCheck(store != nullptr, "X509_STORE_new");
  bool partial = false;
  for (const Certificate& anchor : options.trust_anchors) {
    cryptoCheck(X509_STORE_add_cert(store.get(), anchor.raw()) == 1, "X509_STORE_add_cert");
    partial = partial || !anchor.isSelfIssued();
  }
  for (const Crl& crl : options.crls) {
    cryptoCheck(X509_STORE_add_crl(store.get(), crl.raw()) == 1, "X509_STORE_add_crl");
  }
  CertStackPtr untrusted(newStack(options.intermediates));
  StoreCtxPtr ctx(X509_STORE_CTX_new());
  cryptoCheck(ctx != nullptr &&
                  X509_STORE_CTX_init(ctx.get(), store.get(), leaf.raw(), untrusted.get()) == 1,
              "X509_STORE_CTX_init");

  X509_VERIFY_PARAM* param = X509_STORE_CTX_get0_param(ctx.get());
  // set_time also sets X509_V_FLAG_USE_CHECK_TIME.
  X509_VERIFY_PARAM_set_time(param,
                             std::chrono::system_clock::to_time_t(options.verification_time));
  X509_VERIFY_PARAM_set_depth(param, options.max_depth);
  unsigned long flags = X509_V_FLAG_USE_CHECK_TIME;
  if (options.x509_strict) {
    flags |= X509_V_FLAG_X509_STRICT;
  }
  if (options.revocation == RevocationCheck::kRequireCrlForEveryCertificate) {
    flags |= X509_V_FLAG_CRL_CHECK | X509_V_FLAG_CRL_CHECK_ALL;
  }
  if (partial) {
    // An anchor that is not a self-issued root (a pinned intermediate) must be allowed to
    // end the chain; without this flag OpenSSL insists on reaching a self-signed root.
    flags |= X509_V_FLAG_PARTIAL_CHAIN;
  }
  cryptoCheck(X509_VERIFY_PARAM_set_flags(param, flags) == 1, "X509_VERIFY_PARAM_set_flags");

  if (X509_verify_cert(ctx.get()) != 1) {
    ERR_clear_error();
    int error = X509_STORE_CTX_get_error(ctx.get());
    int depth = X509_STORE_CTX_get_error_depth(ctx.get());
    X509* current = X509_STORE_CTX_get_current_cert(ctx.get());
    std::string subject =
        current != nullptr ? detail::nameToString(X509_get_subject_name(current)) : "unknown";
    return tl::unexpected(
        ChainError{failureOf(error), depth,
                   fmt::format("certificate chain: {} at depth {} (subject '{}')",
                               X509_verify_cert_error_string(error), depth, subject)});
  }

  // The chain holds the very X509 objects given in, so each maps back to its Certificate
  // (keeping the DER exactly as received).
  STACK_OF(X509)* chain = X509_STORE_CTX_get0_chain(ctx.get());
  std::vector<Certificate> verified;
  for (int i = 0; i < sk_X509_num(chain); ++i) {
    const X509* cert = sk_X509_value(chain, i);
    const Certificate* match = cert == leaf.raw() ? &leaf : nullptr;
    for (const auto* pool : {&options.intermediates, &options.trust_anchors}) {
      for (const Certificate& candidate : *pool) {
        match = match == nullptr && candidate.raw() == cert ? &candidate : match;
      }
    }
    cryptoCheck(match != nullptr, "a chain certificate that was not given in");
    verified.push_back(*match);
  }
  return verified;
}

}  // namespace cocoon::crypto
