// SPDX-License-Identifier: Apache-2.0
// Certificate and Crl: strict DER/PEM parsing and accessors on OpenSSL X509 / X509_CRL.
#include "crypto/x509.h"

#include <algorithm>
#include <cctype>
#include <ctime>
#include <utility>

#include <openssl/objects.h>
#include <openssl/x509.h>
#include <openssl/x509v3.h>

#include "crypto/detail/fatal.h"
#include "crypto/detail/ossl.h"
#include "crypto/detail/pem.h"
#include "crypto/detail/x509_util.h"

namespace cocoon::crypto {
namespace {

using detail::cryptoCheck;
using detail::takeOpensslError;
using ObjectPtr = detail::OsslPtr<ASN1_OBJECT, ASN1_OBJECT_free>;
using IntegerPtr = detail::OsslPtr<ASN1_INTEGER, ASN1_INTEGER_free>;

constexpr std::string_view kCertificateLabel = "CERTIFICATE";
constexpr std::string_view kCrlLabel = "X509 CRL";
constexpr std::size_t kMaxOidText = 128;

// d2i accepts any string in a Time field; parsing checks each one here so that the
// accessors below cannot fail.
Status checkTime(const ASN1_TIME* time, std::string_view what) {
  std::tm tm{};
  if (time == nullptr || ASN1_TIME_to_tm(time, &tm) != 1) {
    takeOpensslError();
    return fail(Code::kInvalidArgument, "{} is not a valid time", what);
  }
  return okStatus();
}

TimePoint toTimePoint(const ASN1_TIME* time) {
  std::tm tm{};
  // checkTime() accepted this time when the structure was parsed.
  cryptoCheck(time != nullptr && ASN1_TIME_to_tm(time, &tm) == 1, "ASN1_TIME_to_tm");
  namespace chrono = std::chrono;
  const chrono::sys_days date = chrono::year(tm.tm_year + 1900) /
                                chrono::month(static_cast<unsigned>(tm.tm_mon + 1)) /
                                chrono::day(static_cast<unsigned>(tm.tm_mday));
  const chrono::sys_seconds at =
      date + chrono::hours(tm.tm_hour) + chrono::minutes(tm.tm_min) + chrono::seconds(tm.tm_sec);
  // TimePoint counts nanoseconds (years 1678-2262), ASN.1 times run from year 0 to 9999, and
  // RFC 5280 gives 99991231235959Z to certificates that never expire: clamp rather than overflow.
  constexpr auto kLatest = chrono::floor<chrono::seconds>(TimePoint::max());
  constexpr auto kEarliest = chrono::ceil<chrono::seconds>(TimePoint::min());
  if (at >= kLatest) {
    return TimePoint::max();
  }
  if (at <= kEarliest) {
    return TimePoint::min();
  }
  return chrono::time_point_cast<TimePoint::duration>(at);
}

// A numeric OID: at least two arcs of digits separated by single dots.
Result<ObjectPtr> parseOid(std::string_view dotted) {
  bool shape_ok = !dotted.empty() && dotted.size() <= kMaxOidText && dotted.front() != '.' &&
                  dotted.back() != '.' && dotted.find("..") == std::string_view::npos &&
                  dotted.find('.') != std::string_view::npos &&
                  std::all_of(dotted.begin(), dotted.end(), [](char c) {
                    return c == '.' || std::isdigit(static_cast<unsigned char>(c));
                  });
  ObjectPtr object(shape_ok ? OBJ_txt2obj(std::string(dotted).c_str(), 1) : nullptr);
  if (object == nullptr) {
    takeOpensslError();
    return fail(Code::kInvalidArgument, "'{}' is not a dotted numeric OID",
                dotted.substr(0, kMaxOidText));
  }
  return object;
}

Status expectConsumed(ByteSpan der, std::size_t used, std::string_view what) {
  if (used != der.size()) {
    return fail(Code::kInvalidArgument, "{}: {} trailing bytes after the DER", what,
                der.size() - used);
  }
  return okStatus();
}

Result<detail::PemBlock> singlePem(std::string_view pem, std::string_view label) {
  COCOON_ASSIGN_OR_RETURN(detail::PemBlock block, detail::decodePem(pem));
  if (block.label != label) {
    return fail(Code::kInvalidArgument, "PEM: expected '{}', found '{}'", label, block.label);
  }
  return block;
}

}  // namespace

// ---- Certificate --------------------------------------------------------------------------

Certificate::Certificate(x509_st* x509, Bytes der) : x509_(x509), der_(std::move(der)) {}

Certificate::Certificate(const Certificate& other) : x509_(other.x509_), der_(other.der_) {
  X509_up_ref(x509_);
}

Certificate& Certificate::operator=(const Certificate& other) {
  if (this != &other) {
    X509_up_ref(other.x509_);
    X509_free(x509_);
    x509_ = other.x509_;
    der_ = other.der_;
  }
  return *this;
}

Certificate::Certificate(Certificate&& other) noexcept
    : x509_(std::exchange(other.x509_, nullptr)), der_(std::move(other.der_)) {}

Certificate& Certificate::operator=(Certificate&& other) noexcept {
  if (this != &other) {
    X509_free(x509_);
    x509_ = std::exchange(other.x509_, nullptr);
    der_ = std::move(other.der_);
  }
  return *this;
}

Certificate::~Certificate() {
  X509_free(x509_);
}

Result<Certificate> Certificate::fromDer(ByteSpan der) {
  if (der.empty() || der.size() > kMaxCertificateSize) {
    return fail(Code::kInvalidArgument, "certificate: DER must be 1..{} bytes, found {}",
                kMaxCertificateSize, der.size());
  }
  const unsigned char* p = der.data();
  detail::OsslPtr<X509, X509_free> x509(d2i_X509(nullptr, &p, static_cast<long>(der.size())));
  if (x509 == nullptr) {
    return fail(Code::kInvalidArgument, "certificate: malformed DER: {}", takeOpensslError());
  }
  COCOON_TRY(expectConsumed(der, static_cast<std::size_t>(p - der.data()), "certificate"));
  COCOON_TRY(checkTime(X509_get0_notBefore(x509.get()), "certificate: notBefore"));
  COCOON_TRY(checkTime(X509_get0_notAfter(x509.get()), "certificate: notAfter"));
  return Certificate(x509.release(), Bytes(der.begin(), der.end()));
}

Result<Certificate> Certificate::fromPem(std::string_view pem) {
  COCOON_ASSIGN_OR_RETURN(detail::PemBlock block, singlePem(pem, kCertificateLabel));
  return fromDer(block.der);
}

Result<std::vector<Certificate>> Certificate::parsePemBundle(std::string_view pem) {
  COCOON_ASSIGN_OR_RETURN(auto blocks, detail::decodePemBlocks(pem, kMaxBundleCertificates));
  std::vector<Certificate> certificates;
  certificates.reserve(blocks.size());
  for (std::size_t i = 0; i < blocks.size(); ++i) {
    if (blocks[i].label != kCertificateLabel) {
      return fail(Code::kInvalidArgument, "PEM bundle: block {} is '{}', expected '{}'", i,
                  blocks[i].label, kCertificateLabel);
    }
    auto certificate = fromDer(blocks[i].der);
    if (!certificate) {
      return fail(certificate.error().addContext(fmt::format("PEM bundle block {}", i)));
    }
    certificates.push_back(std::move(*certificate));
  }
  return certificates;
}

std::string Certificate::pem() const {
  return detail::encodePem(kCertificateLabel, der_);
}

std::string Certificate::subject() const {
  return detail::nameToString(X509_get_subject_name(x509_));
}

std::string Certificate::issuer() const {
  return detail::nameToString(X509_get_issuer_name(x509_));
}

std::string Certificate::serialHex() const {
  return detail::integerToHex(X509_get0_serialNumber(x509_));
}

TimePoint Certificate::notBefore() const {
  return toTimePoint(X509_get0_notBefore(x509_));
}

TimePoint Certificate::notAfter() const {
  return toTimePoint(X509_get0_notAfter(x509_));
}

Result<Key> Certificate::publicKey() const {
  EVP_PKEY* pkey = X509_get_pubkey(x509_);
  if (pkey == nullptr) {
    return fail(Code::kInvalidArgument, "certificate '{}': unreadable public key: {}", subject(),
                takeOpensslError());
  }
  return Key::adopt(pkey);
}

bool Certificate::isCa() const {
  return (X509_get_extension_flags(x509_) & EXFLAG_CA) != 0;
}

bool Certificate::isSelfIssued() const {
  bool self = X509_self_signed(x509_, 0) == 1;
  ERR_clear_error();
  return self;
}

Result<std::optional<Certificate::Extension>> Certificate::extension(
    std::string_view dotted_oid) const {
  COCOON_ASSIGN_OR_RETURN(ObjectPtr object, parseOid(dotted_oid));
  int index = X509_get_ext_by_OBJ(x509_, object.get(), -1);
  if (index < 0) {
    return std::optional<Extension>();
  }
  if (X509_get_ext_by_OBJ(x509_, object.get(), index) >= 0) {
    return fail(Code::kInvalidArgument, "certificate '{}': extension {} appears more than once",
                subject(), dotted_oid);
  }
  X509_EXTENSION* ext = X509_get_ext(x509_, index);
  const ASN1_OCTET_STRING* data = X509_EXTENSION_get_data(ext);
  const unsigned char* bytes = ASN1_STRING_get0_data(data);
  Extension out;
  out.value.assign(bytes, bytes + ASN1_STRING_length(data));
  out.critical = X509_EXTENSION_get_critical(ext) != 0;
  return std::optional<Extension>(std::move(out));
}

Result<std::optional<Bytes>> Certificate::extensionValue(std::string_view dotted_oid) const {
  COCOON_ASSIGN_OR_RETURN(std::optional<Extension> ext, extension(dotted_oid));
  if (!ext) {
    return std::optional<Bytes>();
  }
  return std::optional<Bytes>(std::move(ext->value));
}

Result<bool> Certificate::extensionCritical(std::string_view dotted_oid) const {
  COCOON_ASSIGN_OR_RETURN(std::optional<Extension> ext, extension(dotted_oid));
  if (!ext) {
    return fail(Code::kNotFound, "certificate '{}': no extension {}", subject(), dotted_oid);
  }
  return ext->critical;
}

Status Certificate::verifySignature(const Key& issuer_key) const {
  if (X509_verify(x509_, issuer_key.raw()) != 1) {
    takeOpensslError();
    return fail(Code::kUnauthenticated,
                "certificate '{}': signature does not verify with the given {} key", subject(),
                keyTypeName(issuer_key.type()));
  }
  return okStatus();
}

// ---- Crl --------------------------------------------------------------------------------

Crl::Crl(X509_crl_st* crl, Bytes der) : crl_(crl), der_(std::move(der)) {}

Crl::Crl(const Crl& other) : crl_(other.crl_), der_(other.der_) {
  X509_CRL_up_ref(crl_);
}

Crl& Crl::operator=(const Crl& other) {
  if (this != &other) {
    X509_CRL_up_ref(other.crl_);
    X509_CRL_free(crl_);
    crl_ = other.crl_;
    der_ = other.der_;
  }
  return *this;
}

Crl::Crl(Crl&& other) noexcept
    : crl_(std::exchange(other.crl_, nullptr)), der_(std::move(other.der_)) {}

Crl& Crl::operator=(Crl&& other) noexcept {
  if (this != &other) {
    X509_CRL_free(crl_);
    crl_ = std::exchange(other.crl_, nullptr);
    der_ = std::move(other.der_);
  }
  return *this;
}

Crl::~Crl() {
  X509_CRL_free(crl_);
}

Result<Crl> Crl::fromDer(ByteSpan der) {
  if (der.empty() || der.size() > kMaxCrlSize) {
    return fail(Code::kInvalidArgument, "CRL: DER must be 1..{} bytes, found {}", kMaxCrlSize,
                der.size());
  }
  const unsigned char* p = der.data();
  detail::OsslPtr<X509_CRL, X509_CRL_free> crl(
      d2i_X509_CRL(nullptr, &p, static_cast<long>(der.size())));
  if (crl == nullptr) {
    return fail(Code::kInvalidArgument, "CRL: malformed DER: {}", takeOpensslError());
  }
  COCOON_TRY(expectConsumed(der, static_cast<std::size_t>(p - der.data()), "CRL"));
  COCOON_TRY(checkTime(X509_CRL_get0_lastUpdate(crl.get()), "CRL: thisUpdate"));
  if (const ASN1_TIME* next = X509_CRL_get0_nextUpdate(crl.get())) {
    COCOON_TRY(checkTime(next, "CRL: nextUpdate"));
  }
  return Crl(crl.release(), Bytes(der.begin(), der.end()));
}

Result<Crl> Crl::fromPem(std::string_view pem) {
  COCOON_ASSIGN_OR_RETURN(detail::PemBlock block, singlePem(pem, kCrlLabel));
  return fromDer(block.der);
}

std::string Crl::issuer() const {
  return detail::nameToString(X509_CRL_get_issuer(crl_));
}

TimePoint Crl::thisUpdate() const {
  return toTimePoint(X509_CRL_get0_lastUpdate(crl_));
}

std::optional<TimePoint> Crl::nextUpdate() const {
  const ASN1_TIME* next = X509_CRL_get0_nextUpdate(crl_);
  if (next == nullptr) {
    return std::nullopt;
  }
  return toTimePoint(next);
}

Result<bool> Crl::isRevoked(std::string_view serial_hex) const {
  bool hex = !serial_hex.empty() && serial_hex.size() <= 2 * 64 &&
             std::all_of(serial_hex.begin(), serial_hex.end(),
                         [](char c) { return std::isxdigit(static_cast<unsigned char>(c)); });
  BIGNUM* raw = nullptr;
  std::string text(serial_hex);
  if (!hex || BN_hex2bn(&raw, text.c_str()) != static_cast<int>(text.size())) {
    BN_free(raw);
    return fail(Code::kInvalidArgument, "CRL: serial '{}' is not hex", serial_hex.substr(0, 40));
  }
  detail::BnPtr bn(raw);
  IntegerPtr serial(BN_to_ASN1_INTEGER(bn.get(), nullptr));
  cryptoCheck(serial != nullptr, "BN_to_ASN1_INTEGER");
  X509_REVOKED* entry = nullptr;
  // 1: listed; 2: listed as removeFromCRL (a delta-CRL undo), which is not a revocation.
  return X509_CRL_get0_by_serial(crl_, &entry, serial.get()) == 1;
}

bool Crl::isRevoked(const Certificate& cert) const {
  X509_REVOKED* entry = nullptr;
  return X509_CRL_get0_by_cert(crl_, &entry, cert.raw()) == 1;
}

Status Crl::verifySignature(const Key& issuer_key) const {
  if (X509_CRL_verify(crl_, issuer_key.raw()) != 1) {
    takeOpensslError();
    return fail(Code::kUnauthenticated,
                "CRL from '{}': signature does not verify with the given {} key", issuer(),
                keyTypeName(issuer_key.type()));
  }
  return okStatus();
}

}  // namespace cocoon::crypto
