// SPDX-License-Identifier: Apache-2.0
// X.509 certificates, CRLs and certificate-chain verification on OpenSSL X509/X509_STORE.
// Trust: certificates and CRLs arrive from untrusted places (evidence, AMD KDS, Intel PCS,
// registries). Parsing one proves nothing; only verifyChain() against caller-chosen trust
// anchors, or verifySignature() with a key the caller trusts, does. The system trust store
// is never consulted.
#pragma once

#include <chrono>
#include <cstddef>
#include <cstdint>
#include <optional>
#include <string>
#include <string_view>
#include <vector>

#include "common/bytes.h"
#include "common/result.h"
#include "crypto/key.h"

struct x509_st;
struct X509_crl_st;

namespace cocoon::crypto {

using TimePoint = std::chrono::system_clock::time_point;

// Input caps (STYLE §5.6): one DER certificate, one DER CRL, certificates in a PEM bundle.
inline constexpr std::size_t kMaxCertificateSize = 64 * 1024;
inline constexpr std::size_t kMaxCrlSize = 4 * 1024 * 1024;
inline constexpr std::size_t kMaxBundleCertificates = 16;

// A parsed certificate. Immutable; copies share the OpenSSL object (reference counted), so
// copying is cheap, and a Certificate may be used from several threads at once.
class Certificate {
 public:
  Certificate(const Certificate& other);
  Certificate& operator=(const Certificate& other);
  Certificate(Certificate&& other) noexcept;
  Certificate& operator=(Certificate&& other) noexcept;
  ~Certificate();

  // One DER certificate, nothing after it. kInvalidArgument when malformed or larger than
  // kMaxCertificateSize.
  static Result<Certificate> fromDer(ByteSpan der);
  // Exactly one "CERTIFICATE" PEM block (whitespace around it allowed).
  static Result<Certificate> fromPem(std::string_view pem);
  // One or more "CERTIFICATE" blocks separated only by whitespace, in input order (AMD KDS
  // cert_chain, Intel PCS issuer chains). kInvalidArgument on any other block or text, or
  // on more than kMaxBundleCertificates.
  static Result<std::vector<Certificate>> parsePemBundle(std::string_view pem);

  // The DER bytes exactly as received.
  const Bytes& der() const { return der_; }
  std::string pem() const;
  // Distinguished names in RFC 2253 form, e.g. "CN=SEV-VCEK,OU=Engineering,O=AMD".
  std::string subject() const;
  std::string issuer() const;
  // Lower-case hex of the serial number without leading zeros ("0" for zero).
  std::string serialHex() const;
  TimePoint notBefore() const;
  TimePoint notAfter() const;
  // The subject public key. kInvalidArgument when its algorithm or curve is unsupported
  // (see Key::adopt).
  Result<Key> publicKey() const;
  // True when basicConstraints says cA = TRUE.
  bool isCa() const;
  // True when the issuer and subject names match and, if present, the key identifiers too
  // (the signature is not checked).
  bool isSelfIssued() const;

  struct Extension {
    Bytes value;  // the contents of extnValue's OCTET STRING (DER of the extension)
    bool critical = false;
  };
  // The extension with OID `dotted_oid` (e.g. "1.3.6.1.4.1.3704.1.3.1"), or nullopt when
  // absent. kInvalidArgument when dotted_oid is not a numeric OID or when the certificate
  // carries that extension more than once (RFC 5280 §4.2 forbids it).
  Result<std::optional<Extension>> extension(std::string_view dotted_oid) const;
  // extension()'s value only.
  Result<std::optional<Bytes>> extensionValue(std::string_view dotted_oid) const;
  // Whether the extension is marked critical: kNotFound when it is absent.
  Result<bool> extensionCritical(std::string_view dotted_oid) const;

  // Checks this certificate's signature with a key the caller trusts (e.g. AMD's ARK key,
  // whose RSASSA-PSS signatures need no chain). kUnauthenticated when it does not verify.
  Status verifySignature(const Key& issuer_key) const;

  // For code inside crypto/ that calls OpenSSL directly; owned by this.
  x509_st* raw() const { return x509_; }

 private:
  Certificate(x509_st* x509, Bytes der);
  x509_st* x509_ = nullptr;
  Bytes der_;
};

// A parsed certificate revocation list. Immutable and shareable like Certificate.
class Crl {
 public:
  Crl(const Crl& other);
  Crl& operator=(const Crl& other);
  Crl(Crl&& other) noexcept;
  Crl& operator=(Crl&& other) noexcept;
  ~Crl();

  // One DER CRL, nothing after it; kInvalidArgument when malformed or over kMaxCrlSize.
  static Result<Crl> fromDer(ByteSpan der);
  // Exactly one "X509 CRL" PEM block.
  static Result<Crl> fromPem(std::string_view pem);

  const Bytes& der() const { return der_; }
  std::string issuer() const;  // RFC 2253
  TimePoint thisUpdate() const;
  // Absent in CRLs that do not promise a next issue (RFC 5280 §5.1.2.5 makes it optional).
  std::optional<TimePoint> nextUpdate() const;
  // Whether the CRL lists the serial (hex as Certificate::serialHex prints it, any case).
  // kInvalidArgument when serial_hex is not hex.
  Result<bool> isRevoked(std::string_view serial_hex) const;
  // Whether the CRL lists `cert` (serial and issuer name must both match).
  bool isRevoked(const Certificate& cert) const;
  // Checks the CRL's signature with a key the caller trusts; kUnauthenticated otherwise.
  Status verifySignature(const Key& issuer_key) const;

  X509_crl_st* raw() const { return crl_; }

 private:
  Crl(X509_crl_st* crl, Bytes der);
  X509_crl_st* crl_ = nullptr;
  Bytes der_;
};

// What verifyChain() checks about revocation.
enum class RevocationCheck : std::uint8_t {
  // No revocation check; ChainVerifyOptions::crls must then be empty (so CRLs are never
  // silently ignored).
  kNone,
  // Every certificate in the chain, the trust anchor included, must be covered by a CRL
  // from its issuer that is valid at the verification time and correctly signed
  // (OpenSSL X509_V_FLAG_CRL_CHECK | X509_V_FLAG_CRL_CHECK_ALL); a missing CRL fails with
  // ChainFailure::kCrlMissing. For a chain leaf <- CA <- root that means two CRLs: the CA's
  // (covering the leaf) and the root's (covering the CA and the root itself).
  kRequireCrlForEveryCertificate,
};

struct ChainVerifyOptions {
  // The only certificates trusted. Must not be empty. Normally self-signed roots; when an
  // anchor is not self-issued (an intermediate pinned as trust anchor), verification
  // enables X509_V_FLAG_PARTIAL_CHAIN so the chain may end at that anchor.
  std::vector<Certificate> trust_anchors;
  // Untrusted certificates from which the chain may be built (order does not matter).
  std::vector<Certificate> intermediates;
  std::vector<Crl> crls;
  RevocationCheck revocation = RevocationCheck::kNone;
  // The time at which validity periods and CRLs are judged. Required (there is no implicit
  // "now"): pass the caller's Clock time. The epoch (the default) is refused.
  TimePoint verification_time{};
  // The maximum number of intermediate CA certificates between leaf and anchor (OpenSSL's
  // verify depth: neither the leaf nor the anchor counts).
  int max_depth = 4;
  // X509_V_FLAG_X509_STRICT: RFC 5280 profile checks (key identifiers, CA key usage,
  // basicConstraints criticality, no explicit EC parameters). Turn off only for a vendor
  // chain known to deviate, and say which in a comment at the call site.
  bool x509_strict = true;
};

// Why a chain was rejected, fine-grained so that attestation verifiers can report it
// (STYLE §4.1). chainFailureCode() maps each to a Code.
enum class ChainFailure : std::uint8_t {
  kInvalidOptions,      // no anchors, no time, CRLs without a revocation check (kInvalidArgument)
  kUntrusted,           // no path to a trust anchor
  kBadSignature,        // a certificate's signature does not verify
  kExpired,             // a certificate's notAfter is before the verification time
  kNotYetValid,         // a certificate's notBefore is after the verification time
  kRevoked,             // a CRL lists a certificate of the chain
  kCrlMissing,          // revocation required but no CRL from some issuer
  kCrlExpired,          // a CRL's nextUpdate is before the verification time
  kCrlNotYetValid,      // a CRL's thisUpdate is after the verification time
  kCrlBadSignature,     // a CRL's signature does not verify
  kPathTooLong,         // more intermediates than max_depth, or a pathLenConstraint exceeded
  kInvalidCa,           // an issuer is not a CA or may not sign certificates/CRLs
  kInvalidCertificate,  // any other OpenSSL verify error (e.g. a strict-profile violation)
};

std::string_view chainFailureName(ChainFailure reason);
// kInvalidArgument for kInvalidOptions, kUnauthenticated for all others.
Code chainFailureCode(ChainFailure reason);

struct ChainError {
  ChainFailure reason = ChainFailure::kUntrusted;
  // Position in the chain of the certificate at fault (0 = leaf); -1 when none.
  int depth = -1;
  // OpenSSL's verify error string, the depth and subject of the failing certificate, e.g.
  // "certificate has expired at depth 0 (subject 'CN=leaf')".
  std::string message;

  // As an Error with chainFailureCode(reason), so ChainError passes through COCOON_TRY in
  // functions that return Result<T>.
  operator Error() const;  // NOLINT(google-explicit-constructor): documented conversion
};

// Builds and verifies a chain from `leaf` to one of options.trust_anchors at
// options.verification_time. Returns the verified chain, leaf first and anchor last.
// X509_V_FLAG_X509_STRICT (unless disabled) and X509_V_FLAG_USE_CHECK_TIME always apply;
// no certificate purpose or extended key usage is checked (callers check what their
// protocol requires, e.g. the VCEK's TCB extensions).
Result<std::vector<Certificate>, ChainError> verifyChain(const Certificate& leaf,
                                                         const ChainVerifyOptions& options);

}  // namespace cocoon::crypto
