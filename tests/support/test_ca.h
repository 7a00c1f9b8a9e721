// SPDX-License-Identifier: Apache-2.0
// A test CA: fluent certificate and CRL builders that sign with keys made at test time, so
// "expired", "revoked", "wrong issuer" and "bad signature" are each a one-line test.
#pragma once

#include <chrono>
#include <cstdint>
#include <optional>
#include <string>
#include <string_view>
#include <vector>

#include "common/bytes.h"
#include "crypto/digest.h"
#include "crypto/key.h"
#include "crypto/x509.h"

namespace cocoon::test {

using crypto::TimePoint;

// The "now" of certificate tests (2025-06-01T00:00:00Z); builders' default validity
// periods are centred on it.
inline constexpr TimePoint kTestNow{std::chrono::sys_days{std::chrono::year{2025} / 6 / 1}};
inline constexpr std::chrono::hours kDay{24};

// A certificate and its private key.
struct IssuedCert {
  crypto::Certificate cert;
  crypto::Key key;
};

// Builds one certificate. Defaults: subject "CN=cocoon test", self-signed, a fresh P-256
// key, valid kTestNow - 365 days .. kTestNow + 365 days, not a CA, a process-unique serial,
// SHA-256. Every certificate follows the RFC 5280 profile that X509_V_FLAG_X509_STRICT
// checks: subject and authority key identifiers, critical basicConstraints, and a critical
// keyUsage (keyCertSign + cRLSign for CAs, digitalSignature otherwise). Build failures
// abort the test binary (they are bugs in the test, not outcomes).
class CertBuilder {
 public:
  // Comma-separated attribute=value pairs in RFC 2253 order, e.g. "CN=root,O=cocoon" (no
  // escaping); Certificate::subject() prints it back unchanged.
  CertBuilder& subject(std::string_view dn);
  // Signed by `ca`'s key, with `ca`'s subject as issuer name (default: self-signed).
  CertBuilder& issuer(const IssuedCert& ca);
  // The subject key (default: a fresh key of keyType()).
  CertBuilder& key(const crypto::Key& key);
  CertBuilder& keyType(crypto::KeyType type);
  CertBuilder& validity(TimePoint not_before, TimePoint not_after);
  // notAfter as ASN.1 GeneralizedTime text, for times a TimePoint cannot hold
  // (e.g. RFC 5280's "99991231235959Z", no expiry).
  CertBuilder& notAfterText(std::string generalized_time);
  // basicConstraints cA, with pathLenConstraint when path_len >= 0.
  CertBuilder& ca(bool is_ca, int path_len = -1);
  // An extension whose extnValue OCTET STRING holds `value` (the extension's DER).
  CertBuilder& extension(std::string_view dotted_oid, Bytes value, bool critical = false);
  CertBuilder& serial(std::uint64_t serial);
  // Signature digest (SHA-256 default); ignored for Ed25519 signers.
  CertBuilder& digest(crypto::DigestAlgorithm digest);
  // RSASSA-PSS (MGF1 with the same hash, salt = hash length), as AMD signs its ARK/ASK;
  // the signer must have an RSA key.
  CertBuilder& rsaPss();
  // Flips a bit of the signature after signing.
  CertBuilder& corruptSignature();

  IssuedCert build() const;

 private:
  std::string subject_ = "CN=cocoon test";
  std::optional<IssuedCert> issuer_;
  std::optional<crypto::Key> key_;
  crypto::KeyType key_type_ = crypto::KeyType::kEcP256;
  TimePoint not_before_ = kTestNow - 365 * kDay;
  TimePoint not_after_ = kTestNow + 365 * kDay;
  std::optional<std::string> not_after_text_;
  bool ca_ = false;
  int path_len_ = -1;
  struct Ext {
    std::string oid;
    Bytes value;
    bool critical;
  };
  std::vector<Ext> extensions_;
  std::optional<std::uint64_t> serial_;
  crypto::DigestAlgorithm digest_ = crypto::DigestAlgorithm::kSha256;
  bool pss_ = false;
  bool corrupt_ = false;
};

// Builds one CRL (version 2, with authorityKeyIdentifier and cRLNumber). Defaults:
// thisUpdate kTestNow - 1 day, nextUpdate kTestNow + 30 days, nothing revoked.
// REQUIRES: issuer() is set.
class CrlBuilder {
 public:
  CrlBuilder& issuer(const IssuedCert& ca);
  CrlBuilder& revoke(std::uint64_t serial);
  CrlBuilder& revoke(const crypto::Certificate& cert);
  CrlBuilder& validity(TimePoint this_update, std::optional<TimePoint> next_update);
  CrlBuilder& corruptSignature();

  crypto::Crl build() const;

 private:
  std::optional<IssuedCert> issuer_;
  std::vector<std::string> revoked_hex_;
  TimePoint this_update_ = kTestNow - kDay;
  std::optional<TimePoint> next_update_ = kTestNow + 30 * kDay;
  bool corrupt_ = false;
};

}  // namespace cocoon::test
