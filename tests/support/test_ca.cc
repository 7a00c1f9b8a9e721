// SPDX-License-Identifier: Apache-2.0
// The test CA on OpenSSL 3 X509/X509_CRL building APIs (X509_sign, X509V3_EXT_nconf_nid,
// X509_EXTENSION_create_by_OBJ).
#include "support/test_ca.h"

#include <atomic>
#include <cstdio>
#include <cstdlib>
#include <memory>
#include <utility>

#include <fmt/format.h>
#include <openssl/bn.h>
#include <openssl/core_names.h>
#include <openssl/err.h>
#include <openssl/evp.h>
#include <openssl/x509.h>
#include <openssl/x509v3.h>

namespace cocoon::test {
namespace {

// Aborts with OpenSSL's reason: a builder failure is a bug in the test.
void check(bool ok, const char* what) {
  if (!ok) {
    char reason[256] = "no OpenSSL error";
    if (unsigned long code = ERR_get_error(); code != 0) {
      ERR_error_string_n(code, reason, sizeof(reason));
    }
    std::fprintf(stderr, "test CA: %s failed (%s)\n", what, reason);
    std::abort();
  }
}

template <class T, void (*Free)(T*)>
struct Deleter {
  void operator()(T* p) const { Free(p); }
};
using X509Ptr = std::unique_ptr<X509, Deleter<X509, X509_free>>;
using CrlPtr = std::unique_ptr<X509_CRL, Deleter<X509_CRL, X509_CRL_free>>;
using TimePtr = std::unique_ptr<ASN1_TIME, Deleter<ASN1_TIME, ASN1_TIME_free>>;
using IntegerPtr = std::unique_ptr<ASN1_INTEGER, Deleter<ASN1_INTEGER, ASN1_INTEGER_free>>;
using ExtPtr = std::unique_ptr<X509_EXTENSION, Deleter<X509_EXTENSION, X509_EXTENSION_free>>;
using MdCtxPtr = std::unique_ptr<EVP_MD_CTX, Deleter<EVP_MD_CTX, EVP_MD_CTX_free>>;

std::uint64_t nextSerial() {
  static std::atomic<std::uint64_t> counter{0x1000};
  return counter.fetch_add(1);
}

TimePtr asn1Time(TimePoint t) {
  TimePtr time(ASN1_TIME_set(nullptr, std::chrono::system_clock::to_time_t(t)));
  check(time != nullptr, "ASN1_TIME_set");
  return time;
}

IntegerPtr integerFromHex(const std::string& hex) {
  BIGNUM* bn = nullptr;
  check(BN_hex2bn(&bn, hex.c_str()) > 0, "BN_hex2bn");
  IntegerPtr out(BN_to_ASN1_INTEGER(bn, nullptr));
  BN_free(bn);
  check(out != nullptr, "BN_to_ASN1_INTEGER");
  return out;
}

std::string hexOf(std::uint64_t n) {
  return fmt::format("{:x}", n);
}

// RFC 2253 lists the most specific attribute first, i.e. in reverse of the encoded order,
// so the pairs are added last to first and subject() prints `dn` back unchanged.
void setName(X509_NAME* name, std::string_view dn) {
  std::vector<std::string> pairs;
  std::size_t start = 0;
  while (start < dn.size()) {
    std::size_t end = std::min(dn.find(',', start), dn.size());
    pairs.emplace_back(dn.substr(start, end - start));
    start = end + 1;
  }
  for (auto it = pairs.rbegin(); it != pairs.rend(); ++it) {
    std::size_t eq = it->find('=');
    check(eq != std::string::npos, "subject attribute without '='");
    std::string value = it->substr(eq + 1);
    check(X509_NAME_add_entry_by_txt(name, it->substr(0, eq).c_str(), MBSTRING_UTF8,
                                     reinterpret_cast<const unsigned char*>(value.c_str()), -1, -1,
                                     0) == 1,
          "X509_NAME_add_entry_by_txt");
  }
}

// A standard extension from its OpenSSL config-string form, e.g. "critical,CA:TRUE".
ExtPtr configExtension(X509V3_CTX* ctx, int nid, const std::string& value) {
  ExtPtr ext(X509V3_EXT_nconf_nid(nullptr, ctx, nid, value.c_str()));
  check(ext != nullptr, "X509V3_EXT_nconf_nid");
  return ext;
}

const char* mdName(crypto::DigestAlgorithm digest) {
  return crypto::digestName(digest).data();
}

// Signs with `key`: PSS when asked, no digest for Ed25519, `digest` otherwise.
template <class T, int (*SignCtx)(T*, EVP_MD_CTX*)>
void signWith(T* object, const crypto::Key& key, crypto::DigestAlgorithm digest, bool pss) {
  MdCtxPtr ctx(EVP_MD_CTX_new());
  check(ctx != nullptr, "EVP_MD_CTX_new");
  bool ed = key.type() == crypto::KeyType::kEd25519;
  char* md = const_cast<char*>(mdName(digest));
  OSSL_PARAM pss_params[] = {
      OSSL_PARAM_construct_utf8_string(OSSL_SIGNATURE_PARAM_PAD_MODE, const_cast<char*>("pss"), 0),
      OSSL_PARAM_construct_utf8_string(OSSL_SIGNATURE_PARAM_MGF1_DIGEST, md, 0),
      OSSL_PARAM_construct_utf8_string(OSSL_SIGNATURE_PARAM_PSS_SALTLEN,
                                       const_cast<char*>("digest"), 0),
      OSSL_PARAM_construct_end()};
  check(EVP_DigestSignInit_ex(ctx.get(), nullptr, ed ? nullptr : md, nullptr, nullptr, key.raw(),
                              pss ? pss_params : nullptr) == 1,
        "EVP_DigestSignInit_ex");
  check(SignCtx(object, ctx.get()) > 0, "signing");
}

template <class T, int (*I2d)(const T*, unsigned char**)>
Bytes toDer(const T* object, bool corrupt) {
  int len = I2d(object, nullptr);
  check(len > 0, "i2d");
  Bytes der(static_cast<std::size_t>(len));
  unsigned char* p = der.data();
  check(I2d(object, &p) == len, "i2d");
  if (corrupt) {
    der.back() ^= 0x01;  // the signature BIT STRING ends the structure
  }
  return der;
}

}  // namespace

CertBuilder& CertBuilder::subject(std::string_view dn) {
  subject_ = std::string(dn);
  return *this;
}
CertBuilder& CertBuilder::issuer(const IssuedCert& ca) {
  issuer_ = ca;
  return *this;
}
CertBuilder& CertBuilder::key(const crypto::Key& key) {
  key_ = key;
  return *this;
}
CertBuilder& CertBuilder::keyType(crypto::KeyType type) {
  key_type_ = type;
  return *this;
}
CertBuilder& CertBuilder::validity(TimePoint not_before, TimePoint not_after) {
  not_before_ = not_before;
  not_after_ = not_after;
  return *this;
}
CertBuilder& CertBuilder::notAfterText(std::string generalized_time) {
  not_after_text_ = std::move(generalized_time);
  return *this;
}
CertBuilder& CertBuilder::ca(bool is_ca, int path_len) {
  ca_ = is_ca;
  path_len_ = path_len;
  return *this;
}
CertBuilder& CertBuilder::extension(std::string_view dotted_oid, Bytes value, bool critical) {
  extensions_.push_back(Ext{std::string(dotted_oid), std::move(value), critical});
  return *this;
}
CertBuilder& CertBuilder::serial(std::uint64_t serial) {
  serial_ = serial;
  return *this;
}
CertBuilder& CertBuilder::digest(crypto::DigestAlgorithm digest) {
  digest_ = digest;
  return *this;
}
CertBuilder& CertBuilder::rsaPss() {
  pss_ = true;
  return *this;
}
CertBuilder& CertBuilder::corruptSignature() {
  corrupt_ = true;
  return *this;
}

IssuedCert CertBuilder::build() const {
  crypto::Key key = key_ ? *key_ : *crypto::Key::generate(key_type_);
  X509Ptr x509(X509_new());
  check(x509 != nullptr && X509_set_version(x509.get(), X509_VERSION_3) == 1, "X509_set_version");
  IntegerPtr serial = integerFromHex(hexOf(serial_ ? *serial_ : nextSerial()));
  check(X509_set_serialNumber(x509.get(), serial.get()) == 1, "X509_set_serialNumber");
  setName(X509_get_subject_name(x509.get()), subject_);
  X509* issuer_x509 = issuer_ ? issuer_->cert.raw() : x509.get();
  check(X509_set_issuer_name(x509.get(), X509_get_subject_name(issuer_x509)) == 1,
        "X509_set_issuer_name");
  TimePtr not_after = asn1Time(not_after_);
  if (not_after_text_) {
    check(ASN1_TIME_set_string_X509(not_after.get(), not_after_text_->c_str()) == 1,
          "ASN1_TIME_set_string_X509");
  }
  check(X509_set1_notBefore(x509.get(), asn1Time(not_before_).get()) == 1 &&
            X509_set1_notAfter(x509.get(), not_after.get()) == 1,
        "X509_set1_notBefore/After");
  check(X509_set_pubkey(x509.get(), key.raw()) == 1, "X509_set_pubkey");

  X509V3_CTX v3;
  X509V3_set_ctx(&v3, issuer_x509, x509.get(), nullptr, nullptr, 0);
  std::string basic = ca_ ? "critical,CA:TRUE" : "critical,CA:FALSE";
  if (ca_ && path_len_ >= 0) {
    basic += fmt::format(",pathlen:{}", path_len_);
  }
  std::vector<ExtPtr> standard;
  standard.push_back(configExtension(&v3, NID_basic_constraints, basic));
  standard.push_back(configExtension(
      &v3, NID_key_usage, ca_ ? "critical,keyCertSign,cRLSign" : "critical,digitalSignature"));
  standard.push_back(configExtension(&v3, NID_subject_key_identifier, "hash"));
  for (const ExtPtr& ext : standard) {
    check(X509_add_ext(x509.get(), ext.get(), -1) == 1, "X509_add_ext");
  }
  // After the subject key identifier, so that a self-signed certificate finds its own.
  ExtPtr aki = configExtension(&v3, NID_authority_key_identifier, "keyid:always");
  check(X509_add_ext(x509.get(), aki.get(), -1) == 1, "X509_add_ext AKI");
  for (const Ext& e : extensions_) {
    std::unique_ptr<ASN1_OBJECT, Deleter<ASN1_OBJECT, ASN1_OBJECT_free>> object(
        OBJ_txt2obj(e.oid.c_str(), 1));
    std::unique_ptr<ASN1_OCTET_STRING, Deleter<ASN1_OCTET_STRING, ASN1_OCTET_STRING_free>> value(
        ASN1_OCTET_STRING_new());
    check(object != nullptr && value != nullptr &&
              ASN1_OCTET_STRING_set(value.get(), e.value.data(),
                                    static_cast<int>(e.value.size())) == 1,
          "extension value");
    ExtPtr ext(
        X509_EXTENSION_create_by_OBJ(nullptr, object.get(), e.critical ? 1 : 0, value.get()));
    check(ext != nullptr && X509_add_ext(x509.get(), ext.get(), -1) == 1,
          "X509_EXTENSION_create_by_OBJ");
  }

  const crypto::Key& signer = issuer_ ? issuer_->key : key;
  signWith<X509, X509_sign_ctx>(x509.get(), signer, digest_, pss_);
  auto cert = crypto::Certificate::fromDer(toDer<X509, i2d_X509>(x509.get(), corrupt_));
  check(cert.has_value(), "re-parsing the built certificate");
  return IssuedCert{*cert, key};
}

CrlBuilder& CrlBuilder::issuer(const IssuedCert& ca) {
  issuer_ = ca;
  return *this;
}
CrlBuilder& CrlBuilder::revoke(std::uint64_t serial) {
  revoked_hex_.push_back(hexOf(serial));
  return *this;
}
CrlBuilder& CrlBuilder::revoke(const crypto::Certificate& cert) {
  revoked_hex_.push_back(cert.serialHex());
  return *this;
}
CrlBuilder& CrlBuilder::validity(TimePoint this_update, std::optional<TimePoint> next_update) {
  this_update_ = this_update;
  next_update_ = next_update;
  return *this;
}
CrlBuilder& CrlBuilder::corruptSignature() {
  corrupt_ = true;
  return *this;
}

crypto::Crl CrlBuilder::build() const {
  check(issuer_.has_value(), "CrlBuilder without issuer()");
  CrlPtr crl(X509_CRL_new());
  check(crl != nullptr && X509_CRL_set_version(crl.get(), X509_CRL_VERSION_2) == 1,
        "X509_CRL_set_version");
  check(X509_CRL_set_issuer_name(crl.get(), X509_get_subject_name(issuer_->cert.raw())) == 1,
        "X509_CRL_set_issuer_name");
  TimePtr this_update = asn1Time(this_update_);
  check(X509_CRL_set1_lastUpdate(crl.get(), this_update.get()) == 1, "X509_CRL_set1_lastUpdate");
  if (next_update_) {
    check(X509_CRL_set1_nextUpdate(crl.get(), asn1Time(*next_update_).get()) == 1,
          "X509_CRL_set1_nextUpdate");
  }
  for (const std::string& hex : revoked_hex_) {
    X509_REVOKED* entry = X509_REVOKED_new();
    IntegerPtr serial = integerFromHex(hex);
    check(entry != nullptr && X509_REVOKED_set_serialNumber(entry, serial.get()) == 1 &&
              X509_REVOKED_set_revocationDate(entry, this_update.get()) == 1 &&
              X509_CRL_add0_revoked(crl.get(), entry) == 1,
          "X509_CRL_add0_revoked");
  }
  check(X509_CRL_sort(crl.get()) == 1, "X509_CRL_sort");
  X509V3_CTX v3;
  X509V3_set_ctx(&v3, issuer_->cert.raw(), nullptr, nullptr, crl.get(), 0);
  ExtPtr aki = configExtension(&v3, NID_authority_key_identifier, "keyid:always");
  check(X509_CRL_add_ext(crl.get(), aki.get(), -1) == 1, "X509_CRL_add_ext AKI");
  IntegerPtr number = integerFromHex("1");
  check(X509_CRL_add1_ext_i2d(crl.get(), NID_crl_number, number.get(), 0, 0) == 1,
        "X509_CRL_add1_ext_i2d crlNumber");
  signWith<X509_CRL, X509_CRL_sign_ctx>(crl.get(), issuer_->key, crypto::DigestAlgorithm::kSha256,
                                        false);
  auto parsed = crypto::Crl::fromDer(toDer<X509_CRL, i2d_X509_CRL>(crl.get(), corrupt_));
  check(parsed.has_value(), "re-parsing the built CRL");
  return *parsed;
}

}  // namespace cocoon::test
