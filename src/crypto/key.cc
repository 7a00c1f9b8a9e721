// SPDX-License-Identifier: Apache-2.0
// Asymmetric keys on EVP_PKEY: generation, PEM/DER codecs (OSSL_DECODER/OSSL_ENCODER) and
// raw JWK components (EVP_PKEY_fromdata / EVP_PKEY_get_bn_param).
#include "crypto/key.h"

#include <openssl/core_names.h>
#include <openssl/crypto.h>
#include <openssl/decoder.h>
#include <openssl/encoder.h>
#include <openssl/obj_mac.h>
#include <openssl/objects.h>
#include <openssl/x509.h>

#include <array>
#include <utility>
#include <vector>

#include "crypto/detail/fatal.h"
#include "crypto/detail/ossl.h"
#include "crypto/detail/pem.h"

namespace cocoon::crypto {
namespace {

using detail::BnPtr;
using detail::cryptoCheck;
using detail::ParamBldPtr;
using detail::ParamsPtr;
using detail::PkeyCtxPtr;
using detail::PkeyPtr;
using detail::SecretBnPtr;
using detail::takeOpensslError;

constexpr int kMinRsaBits = 2048;
constexpr int kMaxRsaBits = 16384;
constexpr std::size_t kMaxRsaBytes = kMaxRsaBits / 8;

bool isEc(KeyType type) {
  return type == KeyType::kEcP256 || type == KeyType::kEcP384 || type == KeyType::kEcP521;
}
bool isOkp(KeyType type) {
  return type == KeyType::kEd25519 || type == KeyType::kX25519;
}

// OpenSSL's name for the algorithm (RSA, ED25519, X25519) or the EC group: OpenSSL accepts
// the JOSE names that keyTypeName() returns (matched case-insensitively), and those are
// NUL-terminated literals.
const char* opensslName(KeyType type) {
  return keyTypeName(type).data();
}

Result<KeyType> classify(EVP_PKEY* pkey) {
  // AMD's ARK/ASK certificates carry RSASSA-PSS SubjectPublicKeyInfo; such keys verify PSS
  // signatures and refuse other paddings inside OpenSSL.
  if (EVP_PKEY_is_a(pkey, "RSA") || EVP_PKEY_is_a(pkey, "RSA-PSS")) {
    int bits = EVP_PKEY_get_bits(pkey);
    if (bits < kMinRsaBits || bits > kMaxRsaBits) {
      return fail(Code::kInvalidArgument, "RSA key: modulus must be {}..{} bits, found {}",
                  kMinRsaBits, kMaxRsaBits, bits);
    }
    return KeyType::kRsa;
  }
  if (EVP_PKEY_is_a(pkey, "ED25519")) {
    return KeyType::kEd25519;
  }
  if (EVP_PKEY_is_a(pkey, "X25519")) {
    return KeyType::kX25519;
  }
  if (EVP_PKEY_is_a(pkey, "EC")) {
    char group[64] = {};
    std::size_t len = 0;
    if (EVP_PKEY_get_utf8_string_param(pkey, OSSL_PKEY_PARAM_GROUP_NAME, group, sizeof(group),
                                       &len) != 1) {
      takeOpensslError();
      return fail(Code::kInvalidArgument, "EC key: explicit curve parameters are not supported");
    }
    switch (OBJ_sn2nid(group)) {
      case NID_X9_62_prime256v1:
        return KeyType::kEcP256;
      case NID_secp384r1:
        return KeyType::kEcP384;
      case NID_secp521r1:
        return KeyType::kEcP521;
      default:
        return fail(Code::kInvalidArgument,
                    "EC key: unsupported curve '{}' (expected P-256, P-384 or P-521)", group);
    }
  }
  const char* name = EVP_PKEY_get0_type_name(pkey);
  return fail(Code::kInvalidArgument, "unsupported key algorithm '{}'",
              name != nullptr ? name : "unknown");
}

bool hasBnParam(EVP_PKEY* pkey, const char* name) {
  BIGNUM* value = nullptr;
  bool present = EVP_PKEY_get_bn_param(pkey, name, &value) == 1;
  BN_clear_free(value);
  if (!present) {
    ERR_clear_error();
  }
  return present;
}

bool detectPrivate(EVP_PKEY* pkey, KeyType type) {
  if (type == KeyType::kRsa) {
    return hasBnParam(pkey, OSSL_PKEY_PARAM_RSA_D);
  }
  if (isEc(type)) {
    return hasBnParam(pkey, OSSL_PKEY_PARAM_PRIV_KEY);
  }
  std::size_t len = 0;
  bool present = EVP_PKEY_get_raw_private_key(pkey, nullptr, &len) == 1;
  ERR_clear_error();
  return present;
}

// Decodes one DER structure into a key; the whole input must be consumed.
Result<Key> decodeDer(ByteSpan der, const char* structure, const char* key_type, int selection) {
  EVP_PKEY* pkey = nullptr;
  detail::OsslPtr<OSSL_DECODER_CTX, OSSL_DECODER_CTX_free> ctx(OSSL_DECODER_CTX_new_for_pkey(
      &pkey, "DER", structure, key_type, selection, nullptr, nullptr));
  cryptoCheck(ctx != nullptr, "OSSL_DECODER_CTX_new_for_pkey");
  const unsigned char* data = der.data();
  std::size_t remaining = der.size();
  if (der.empty() || OSSL_DECODER_from_data(ctx.get(), &data, &remaining) != 1 || pkey == nullptr) {
    return fail(Code::kInvalidArgument, "key: not a valid DER {}{}{}: {}", structure,
                key_type != nullptr ? " of type " : "", key_type != nullptr ? key_type : "",
                takeOpensslError());
  }
  PkeyPtr owned(pkey);
  if (remaining != 0) {
    return fail(Code::kInvalidArgument, "key: {} trailing bytes after the DER {}", remaining,
                structure);
  }
  return Key::adopt(owned.release());
}

// Builds a key from OSSL_PARAMs, then runs OpenSSL's consistency checks on it: the full
// key check (private/public match, RSA primes and CRT values, EC scalar range) when
// private, the public check (point on curve and in the subgroup, RSA modulus sanity)
// otherwise.
Result<Key> keyFromParams(const char* algorithm, OSSL_PARAM_BLD* bld, bool with_private,
                          std::string_view what) {
  ParamsPtr params(OSSL_PARAM_BLD_to_param(bld));
  cryptoCheck(params != nullptr, "OSSL_PARAM_BLD_to_param");
  PkeyCtxPtr ctx(EVP_PKEY_CTX_new_from_name(nullptr, algorithm, nullptr));
  cryptoCheck(ctx != nullptr && EVP_PKEY_fromdata_init(ctx.get()) == 1, "EVP_PKEY_fromdata_init");
  EVP_PKEY* pkey = nullptr;
  if (EVP_PKEY_fromdata(ctx.get(), &pkey, with_private ? EVP_PKEY_KEYPAIR : EVP_PKEY_PUBLIC_KEY,
                        params.get()) != 1) {
    return fail(Code::kInvalidArgument, "{}: components do not form a key: {}", what,
                takeOpensslError());
  }
  PkeyPtr owned(pkey);
  PkeyCtxPtr check(EVP_PKEY_CTX_new_from_pkey(nullptr, pkey, nullptr));
  cryptoCheck(check != nullptr, "EVP_PKEY_CTX_new_from_pkey");
  // For a public EC key the quick check (point on the curve, not at infinity) suffices on
  // the cofactor-1 NIST curves we accept; the full check adds a scalar multiplication by the
  // order, which costs more than the ECDH the key is then used for.
  const bool ec = EVP_PKEY_is_a(pkey, "EC") == 1;
  const int checked = with_private ? EVP_PKEY_check(check.get())
                      : ec         ? EVP_PKEY_public_check_quick(check.get())
                                   : EVP_PKEY_public_check(check.get());
  if (checked != 1) {
    return fail(Code::kInvalidArgument, "{}: {} key check failed: {}", what,
                with_private ? "private" : "public", takeOpensslError());
  }
  return Key::adopt(owned.release());
}

// A parameters-only key per curve, built once. Public keys parsed from JWKs (every KBS
// handshake and resource GET) are copies of it with the point set: EVP_PKEY_fromdata would
// build a new EC_GROUP per key (Montgomery setup and inverses), which costs about three
// times the point decode itself. OpenSSL keys are safe to read from several threads.
const EVP_PKEY* curveTemplate(KeyType type) {
  static const std::array<EVP_PKEY*, 3> templates = [] {
    std::array<EVP_PKEY*, 3> built{};
    const std::array<KeyType, 3> curves = {KeyType::kEcP256, KeyType::kEcP384, KeyType::kEcP521};
    for (std::size_t i = 0; i < curves.size(); ++i) {
      PkeyCtxPtr ctx(EVP_PKEY_CTX_new_from_name(nullptr, "EC", nullptr));
      OSSL_PARAM params[] = {
          OSSL_PARAM_construct_utf8_string(OSSL_PKEY_PARAM_GROUP_NAME,
                                           const_cast<char*>(opensslName(curves[i])), 0),
          OSSL_PARAM_construct_end()};
      cryptoCheck(ctx != nullptr && EVP_PKEY_paramgen_init(ctx.get()) == 1 &&
                      EVP_PKEY_CTX_set_params(ctx.get(), params) == 1 &&
                      EVP_PKEY_paramgen(ctx.get(), &built[i]) == 1,
                  "EVP_PKEY_paramgen");
    }
    return built;  // kept for the life of the process
  }();
  switch (type) {
    case KeyType::kEcP384:
      return templates[1];
    case KeyType::kEcP521:
      return templates[2];
    default:
      return templates[0];
  }
}

// The public key at `point` (SEC 1 uncompressed) on the curve of `type`. Setting the encoded
// point decodes it with EC_POINT_oct2point, which refuses a point that is not on the curve;
// the uncompressed form cannot encode the point at infinity. That is the whole of SP 800-56A's
// partial validation, which suffices on the cofactor-1 NIST curves.
Result<PkeyPtr> publicEcKey(KeyType type, ByteSpan point) {
  PkeyPtr pkey(EVP_PKEY_dup(const_cast<EVP_PKEY*>(curveTemplate(type))));
  cryptoCheck(pkey != nullptr, "EVP_PKEY_dup");
  if (EVP_PKEY_set1_encoded_public_key(pkey.get(), point.data(), point.size()) != 1) {
    return fail(Code::kInvalidArgument, "EC key {}: components do not form a key: {}",
                keyTypeName(type), takeOpensslError());
  }
  return pkey;
}

BIGNUM* toBn(ByteSpan bytes, bool secret) {
  BIGNUM* bn = secret ? BN_secure_new() : BN_new();
  cryptoCheck(bn != nullptr && BN_bin2bn(bytes.data(), static_cast<int>(bytes.size()), bn),
              "BN_bin2bn");
  return bn;
}

void pushBn(OSSL_PARAM_BLD* bld, const char* name, const BIGNUM* bn) {
  cryptoCheck(OSSL_PARAM_BLD_push_BN(bld, name, bn) == 1, "OSSL_PARAM_BLD_push_BN");
}

Result<Bytes> getBnBytes(EVP_PKEY* pkey, const char* name, std::size_t pad) {
  BIGNUM* raw = nullptr;
  if (EVP_PKEY_get_bn_param(pkey, name, &raw) != 1) {
    takeOpensslError();
    return fail(Code::kFailedPrecondition, "key: component '{}' is not available", name);
  }
  SecretBnPtr bn(raw);
  std::size_t size = pad != 0 ? pad : static_cast<std::size_t>(BN_num_bytes(bn.get()));
  Bytes out(size);
  cryptoCheck(BN_bn2binpad(bn.get(), out.data(), static_cast<int>(size)) >= 0, "BN_bn2binpad");
  return out;
}

Result<SecretBytes> getSecretBn(EVP_PKEY* pkey, const char* name, std::size_t pad = 0) {
  COCOON_ASSIGN_OR_RETURN(Bytes bytes, getBnBytes(pkey, name, pad));
  return SecretBytes(std::move(bytes));
}

}  // namespace

std::string_view keyTypeName(KeyType type) {
  switch (type) {
    case KeyType::kRsa:
      return "RSA";
    case KeyType::kEcP256:
      return "P-256";
    case KeyType::kEcP384:
      return "P-384";
    case KeyType::kEcP521:
      return "P-521";
    case KeyType::kEd25519:
      return "Ed25519";
    case KeyType::kX25519:
      return "X25519";
  }
  return "unknown";
}

std::size_t keyFieldSize(KeyType type) {
  switch (type) {
    case KeyType::kRsa:
      return 0;
    case KeyType::kEcP256:
    case KeyType::kEd25519:
    case KeyType::kX25519:
      return 32;
    case KeyType::kEcP384:
      return 48;
    case KeyType::kEcP521:
      return 66;
  }
  return 0;
}

Key::Key(evp_pkey_st* pkey, KeyType type, bool has_private)
    : pkey_(pkey), type_(type), has_private_(has_private) {}

Key::Key(const Key& other)
    : pkey_(other.pkey_), type_(other.type_), has_private_(other.has_private_) {
  if (pkey_ != nullptr) {
    EVP_PKEY_up_ref(pkey_);
  }
}

Key& Key::operator=(const Key& other) {
  if (this != &other) {
    if (other.pkey_ != nullptr) {
      EVP_PKEY_up_ref(other.pkey_);
    }
    EVP_PKEY_free(pkey_);
    pkey_ = other.pkey_;
    type_ = other.type_;
    has_private_ = other.has_private_;
  }
  return *this;
}

Key::Key(Key&& other) noexcept
    : pkey_(std::exchange(other.pkey_, nullptr)),
      type_(other.type_),
      has_private_(other.has_private_) {}

Key& Key::operator=(Key&& other) noexcept {
  if (this != &other) {
    EVP_PKEY_free(pkey_);
    pkey_ = std::exchange(other.pkey_, nullptr);
    type_ = other.type_;
    has_private_ = other.has_private_;
  }
  return *this;
}

Key::~Key() {
  EVP_PKEY_free(pkey_);
}

Result<Key> Key::adopt(evp_pkey_st* pkey) {
  PkeyPtr owned(pkey);
  if (pkey == nullptr) {
    return fail(Code::kInvalidArgument, "key: no key given");
  }
  COCOON_ASSIGN_OR_RETURN(KeyType type, classify(pkey));
  bool has_private = detectPrivate(pkey, type);
  return Key(owned.release(), type, has_private);
}

Result<Key> Key::generate(KeyType type, unsigned rsa_bits) {
  if (type == KeyType::kRsa && (rsa_bits < 2048 || rsa_bits > 8192)) {
    return fail(Code::kInvalidArgument,
                "RSA key generation: size must be 2048..8192 bits, found {}", rsa_bits);
  }
  // EC keys are generated on the curve's shared parameters key, which halves the cost of
  // an ephemeral key (one per JWE) against naming the group and building it afresh.
  PkeyCtxPtr ctx(isEc(type) ? EVP_PKEY_CTX_new_from_pkey(
                                  nullptr, const_cast<EVP_PKEY*>(curveTemplate(type)), nullptr)
                            : EVP_PKEY_CTX_new_from_name(nullptr, opensslName(type), nullptr));
  cryptoCheck(ctx != nullptr && EVP_PKEY_keygen_init(ctx.get()) == 1, "EVP_PKEY_keygen_init");
  if (type == KeyType::kRsa) {
    OSSL_PARAM params[2] = {OSSL_PARAM_construct_uint(OSSL_PKEY_PARAM_RSA_BITS, &rsa_bits),
                            OSSL_PARAM_construct_end()};
    cryptoCheck(EVP_PKEY_CTX_set_params(ctx.get(), params) == 1, "EVP_PKEY_CTX_set_params");
  }
  EVP_PKEY* pkey = nullptr;
  cryptoCheck(EVP_PKEY_generate(ctx.get(), &pkey) == 1, "EVP_PKEY_generate");
  return Key(pkey, type, true);
}

Result<Key> Key::fromPem(std::string_view pem) {
  struct Form {
    std::string_view label;
    const char* structure;
    const char* key_type;
    int selection;
  };
  static constexpr Form kForms[] = {
      {"PUBLIC KEY", "SubjectPublicKeyInfo", nullptr, EVP_PKEY_PUBLIC_KEY},
      {"PRIVATE KEY", "PrivateKeyInfo", nullptr, EVP_PKEY_KEYPAIR},
      {"RSA PRIVATE KEY", "type-specific", "RSA", EVP_PKEY_KEYPAIR},
      {"RSA PUBLIC KEY", "type-specific", "RSA", EVP_PKEY_PUBLIC_KEY},
      {"EC PRIVATE KEY", "type-specific", "EC", EVP_PKEY_KEYPAIR},
  };
  COCOON_ASSIGN_OR_RETURN(detail::PemBlock block, detail::decodePem(pem));
  SecretBytes der(std::move(block.der));
  for (const Form& form : kForms) {
    if (block.label == form.label) {
      return decodeDer(der.span(), form.structure, form.key_type, form.selection);
    }
  }
  return fail(Code::kInvalidArgument,
              "key PEM: unsupported label '{}' (expected PUBLIC KEY, PRIVATE KEY, RSA PRIVATE "
              "KEY, RSA PUBLIC KEY or EC PRIVATE KEY)",
              block.label);
}

Result<Key> Key::fromPublicDer(ByteSpan der) {
  return decodeDer(der, "SubjectPublicKeyInfo", nullptr, EVP_PKEY_PUBLIC_KEY);
}

Result<Key> Key::fromPrivateDer(ByteSpan der) {
  return decodeDer(der, "PrivateKeyInfo", nullptr, EVP_PKEY_KEYPAIR);
}

Result<Key> Key::fromRsa(const RsaComponents& c) {
  const std::optional<SecretBytes>* priv[] = {&c.d, &c.p, &c.q, &c.dp, &c.dq, &c.qi};
  std::size_t present = 0;
  for (const auto* part : priv) {
    present += part->has_value() ? 1 : 0;
  }
  if (present != 0 && present != std::size(priv)) {
    return fail(Code::kInvalidArgument,
                "RSA key: private components d, p, q, dp, dq, qi must be all present or all "
                "absent, found {} of 6",
                present);
  }
  if (c.n.size() > kMaxRsaBytes + 1 || c.e.size() > c.n.size()) {
    return fail(Code::kInvalidArgument, "RSA key: n is {} bytes and e {} bytes (n at most {})",
                c.n.size(), c.e.size(), kMaxRsaBytes);
  }
  BnPtr n(toBn(c.n, false));
  BnPtr e(toBn(c.e, false));
  int bits = BN_num_bits(n.get());
  if (bits < kMinRsaBits || bits > kMaxRsaBits) {
    return fail(Code::kInvalidArgument, "RSA key: modulus must be {}..{} bits, found {}",
                kMinRsaBits, kMaxRsaBits, bits);
  }
  ParamBldPtr bld(OSSL_PARAM_BLD_new());
  cryptoCheck(bld != nullptr, "OSSL_PARAM_BLD_new");
  pushBn(bld.get(), OSSL_PKEY_PARAM_RSA_N, n.get());
  pushBn(bld.get(), OSSL_PKEY_PARAM_RSA_E, e.get());
  const char* names[] = {OSSL_PKEY_PARAM_RSA_D,         OSSL_PKEY_PARAM_RSA_FACTOR1,
                         OSSL_PKEY_PARAM_RSA_FACTOR2,   OSSL_PKEY_PARAM_RSA_EXPONENT1,
                         OSSL_PKEY_PARAM_RSA_EXPONENT2, OSSL_PKEY_PARAM_RSA_COEFFICIENT1};
  std::vector<SecretBnPtr> secrets;
  if (present != 0) {
    for (std::size_t i = 0; i < std::size(priv); ++i) {
      if ((*priv[i])->size() > c.n.size()) {
        return fail(Code::kInvalidArgument, "RSA key: private component {} is longer than n",
                    names[i]);
      }
      secrets.emplace_back(toBn((*priv[i])->span(), true));
      pushBn(bld.get(), names[i], secrets.back().get());
    }
  }
  return keyFromParams("RSA", bld.get(), present != 0, "RSA key");
}

Result<Key> Key::fromEc(KeyType type, ByteSpan x, ByteSpan y, std::optional<ByteSpan> d) {
  if (!isEc(type)) {
    return fail(Code::kInvalidArgument, "EC key: {} is not an EC curve", keyTypeName(type));
  }
  std::size_t field = keyFieldSize(type);
  if (x.size() != field || y.size() != field || (d && d->size() != field)) {
    return fail(Code::kInvalidArgument,
                "EC key {}: x, y and d must be {} bytes each, found {}, {} and {}",
                keyTypeName(type), field, x.size(), y.size(), d ? d->size() : field);
  }
  Bytes point;
  point.reserve(1 + 2 * field);
  point.push_back(0x04);  // SEC 1 §2.3.3 uncompressed point
  point.insert(point.end(), x.begin(), x.end());
  point.insert(point.end(), y.begin(), y.end());
  if (!d) {
    // The type and the absence of a private part are known: no need to classify() the key.
    COCOON_ASSIGN_OR_RETURN(PkeyPtr pkey, publicEcKey(type, point));
    return Key(pkey.release(), type, /*has_private=*/false);
  }
  ParamBldPtr bld(OSSL_PARAM_BLD_new());
  cryptoCheck(bld != nullptr, "OSSL_PARAM_BLD_new");
  cryptoCheck(OSSL_PARAM_BLD_push_utf8_string(bld.get(), OSSL_PKEY_PARAM_GROUP_NAME,
                                              opensslName(type), 0) == 1 &&
                  OSSL_PARAM_BLD_push_octet_string(bld.get(), OSSL_PKEY_PARAM_PUB_KEY, point.data(),
                                                   point.size()) == 1,
              "OSSL_PARAM_BLD_push");
  SecretBnPtr scalar;
  if (d) {
    scalar.reset(toBn(*d, true));
    pushBn(bld.get(), OSSL_PKEY_PARAM_PRIV_KEY, scalar.get());
  }
  return keyFromParams("EC", bld.get(), d.has_value(), fmt::format("EC key {}", keyTypeName(type)));
}

Result<Key> Key::fromOkp(KeyType type, ByteSpan x, std::optional<ByteSpan> d) {
  if (!isOkp(type)) {
    return fail(Code::kInvalidArgument, "OKP key: {} is not Ed25519 or X25519", keyTypeName(type));
  }
  constexpr std::size_t kSize = 32;
  if (x.size() != kSize || (d && d->size() != kSize)) {
    return fail(Code::kInvalidArgument, "{} key: x and d must be {} bytes each, found {} and {}",
                keyTypeName(type), kSize, x.size(), d ? d->size() : kSize);
  }
  if (!d) {
    EVP_PKEY* pkey =
        EVP_PKEY_new_raw_public_key_ex(nullptr, opensslName(type), nullptr, x.data(), x.size());
    cryptoCheck(pkey != nullptr, "EVP_PKEY_new_raw_public_key_ex");
    return Key(pkey, type, false);
  }
  PkeyPtr pkey(
      EVP_PKEY_new_raw_private_key_ex(nullptr, opensslName(type), nullptr, d->data(), d->size()));
  cryptoCheck(pkey != nullptr, "EVP_PKEY_new_raw_private_key_ex");
  Bytes derived(kSize);
  std::size_t len = derived.size();
  cryptoCheck(EVP_PKEY_get_raw_public_key(pkey.get(), derived.data(), &len) == 1,
              "EVP_PKEY_get_raw_public_key");
  if (CRYPTO_memcmp(derived.data(), x.data(), kSize) != 0) {
    return fail(Code::kInvalidArgument, "{} key: private key d does not match public key x",
                keyTypeName(type));
  }
  return Key(pkey.release(), type, true);
}

unsigned Key::bits() const {
  switch (type_) {
    case KeyType::kRsa:
      return static_cast<unsigned>(EVP_PKEY_get_bits(pkey_));
    case KeyType::kEcP256:
      return 256;
    case KeyType::kEcP384:
      return 384;
    case KeyType::kEcP521:
      return 521;
    case KeyType::kEd25519:
    case KeyType::kX25519:
      return 255;
  }
  return 0;
}

Key Key::publicKey() const {
  if (!has_private_) {
    return *this;
  }
  Bytes der = publicDer();
  const unsigned char* p = der.data();
  EVP_PKEY* pub = d2i_PUBKEY_ex(nullptr, &p, static_cast<long>(der.size()), nullptr, nullptr);
  cryptoCheck(pub != nullptr, "d2i_PUBKEY_ex of our own SPKI");
  return Key(pub, type_, false);
}

Bytes Key::publicDer() const {
  int len = i2d_PUBKEY(pkey_, nullptr);
  cryptoCheck(len > 0, "i2d_PUBKEY");
  Bytes out(static_cast<std::size_t>(len));
  unsigned char* p = out.data();
  cryptoCheck(i2d_PUBKEY(pkey_, &p) == len, "i2d_PUBKEY");
  return out;
}

std::string Key::publicPem() const {
  return detail::encodePem("PUBLIC KEY", publicDer());
}

Result<SecretBytes> Key::privateDer() const {
  if (!has_private_) {
    return fail(Code::kFailedPrecondition, "{} key: no private part to export", keyTypeName(type_));
  }
  detail::OsslPtr<OSSL_ENCODER_CTX, OSSL_ENCODER_CTX_free> ctx(
      OSSL_ENCODER_CTX_new_for_pkey(pkey_, EVP_PKEY_KEYPAIR, "DER", "PrivateKeyInfo", nullptr));
  unsigned char* data = nullptr;
  std::size_t len = 0;
  cryptoCheck(ctx != nullptr && OSSL_ENCODER_to_data(ctx.get(), &data, &len) == 1,
              "OSSL_ENCODER_to_data PrivateKeyInfo");
  SecretBytes out(ByteSpan(data, len));
  OPENSSL_clear_free(data, len);
  return out;
}

Result<std::string> Key::privatePem() const {
  COCOON_ASSIGN_OR_RETURN(SecretBytes der, privateDer());
  return detail::encodePem("PRIVATE KEY", der.span());
}

Result<RsaComponents> Key::rsaComponents() const {
  if (type_ != KeyType::kRsa) {
    return fail(Code::kFailedPrecondition, "{} key has no RSA components", keyTypeName(type_));
  }
  RsaComponents c;
  COCOON_ASSIGN_OR_RETURN(c.n, getBnBytes(pkey_, OSSL_PKEY_PARAM_RSA_N, 0));
  COCOON_ASSIGN_OR_RETURN(c.e, getBnBytes(pkey_, OSSL_PKEY_PARAM_RSA_E, 0));
  if (!has_private_) {
    return c;
  }
  if (hasBnParam(pkey_, OSSL_PKEY_PARAM_RSA_FACTOR3)) {
    return fail(Code::kFailedPrecondition, "RSA key: multi-prime keys cannot be exported");
  }
  COCOON_ASSIGN_OR_RETURN(c.d, getSecretBn(pkey_, OSSL_PKEY_PARAM_RSA_D));
  COCOON_ASSIGN_OR_RETURN(c.p, getSecretBn(pkey_, OSSL_PKEY_PARAM_RSA_FACTOR1));
  COCOON_ASSIGN_OR_RETURN(c.q, getSecretBn(pkey_, OSSL_PKEY_PARAM_RSA_FACTOR2));
  COCOON_ASSIGN_OR_RETURN(c.dp, getSecretBn(pkey_, OSSL_PKEY_PARAM_RSA_EXPONENT1));
  COCOON_ASSIGN_OR_RETURN(c.dq, getSecretBn(pkey_, OSSL_PKEY_PARAM_RSA_EXPONENT2));
  COCOON_ASSIGN_OR_RETURN(c.qi, getSecretBn(pkey_, OSSL_PKEY_PARAM_RSA_COEFFICIENT1));
  return c;
}

Result<Key::EcPoint> Key::ecPoint() const {
  if (!isEc(type_)) {
    return fail(Code::kFailedPrecondition, "{} key has no EC point", keyTypeName(type_));
  }
  std::size_t field = keyFieldSize(type_);
  EcPoint point;
  COCOON_ASSIGN_OR_RETURN(point.x, getBnBytes(pkey_, OSSL_PKEY_PARAM_EC_PUB_X, field));
  COCOON_ASSIGN_OR_RETURN(point.y, getBnBytes(pkey_, OSSL_PKEY_PARAM_EC_PUB_Y, field));
  if (has_private_) {
    COCOON_ASSIGN_OR_RETURN(point.d, getSecretBn(pkey_, OSSL_PKEY_PARAM_PRIV_KEY, field));
  }
  return point;
}

Result<Key::OkpKey> Key::okpKey() const {
  if (!isOkp(type_)) {
    return fail(Code::kFailedPrecondition, "{} key is not an OKP key", keyTypeName(type_));
  }
  OkpKey out;
  out.x.resize(keyFieldSize(type_));
  std::size_t len = out.x.size();
  cryptoCheck(EVP_PKEY_get_raw_public_key(pkey_, out.x.data(), &len) == 1 && len == out.x.size(),
              "EVP_PKEY_get_raw_public_key");
  if (has_private_) {
    SecretBytes d(keyFieldSize(type_));
    len = d.size();
    cryptoCheck(EVP_PKEY_get_raw_private_key(pkey_, d.data(), &len) == 1 && len == d.size(),
                "EVP_PKEY_get_raw_private_key");
    out.d = std::move(d);
  }
  return out;
}

bool Key::samePublicKey(const Key& other) const {
  if (pkey_ == nullptr || other.pkey_ == nullptr || type_ != other.type_) {
    return false;
  }
  bool same = EVP_PKEY_eq(pkey_, other.pkey_) == 1;
  ERR_clear_error();
  return same;
}

}  // namespace cocoon::crypto
