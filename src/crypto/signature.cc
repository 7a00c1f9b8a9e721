// SPDX-License-Identifier: Apache-2.0
// Signatures on EVP_DigestSign/EVP_DigestVerify, plus ECDSA DER <-> r||s conversion.
#include "crypto/signature.h"

#include <algorithm>

#include <openssl/core_names.h>
#include <openssl/ec.h>

#include "crypto/detail/fatal.h"
#include "crypto/detail/ossl.h"

namespace cocoon::crypto {
namespace {

using detail::cryptoCheck;
using detail::MdCtxPtr;
using detail::takeOpensslError;
using EcdsaSigPtr = detail::OsslPtr<ECDSA_SIG, ECDSA_SIG_free>;

enum class Family : std::uint8_t { kPkcs1, kPss, kEcdsa, kEd25519 };

Family familyOf(SignatureScheme scheme) {
  switch (scheme) {
    case SignatureScheme::kRsaPkcs1Sha256:
    case SignatureScheme::kRsaPkcs1Sha384:
    case SignatureScheme::kRsaPkcs1Sha512:
      return Family::kPkcs1;
    case SignatureScheme::kRsaPssSha256:
    case SignatureScheme::kRsaPssSha384:
    case SignatureScheme::kRsaPssSha512:
      return Family::kPss;
    case SignatureScheme::kEcdsaSha256:
    case SignatureScheme::kEcdsaSha384:
    case SignatureScheme::kEcdsaSha512:
      return Family::kEcdsa;
    case SignatureScheme::kEd25519:
      return Family::kEd25519;
  }
  return Family::kEd25519;
}

// OpenSSL's digest name; nullptr for Ed25519, which hashes inside (RFC 8032 PureEdDSA).
const char* digestOf(SignatureScheme scheme) {
  switch (scheme) {
    case SignatureScheme::kRsaPkcs1Sha256:
    case SignatureScheme::kRsaPssSha256:
    case SignatureScheme::kEcdsaSha256:
      return "SHA256";
    case SignatureScheme::kRsaPkcs1Sha384:
    case SignatureScheme::kRsaPssSha384:
    case SignatureScheme::kEcdsaSha384:
      return "SHA384";
    case SignatureScheme::kRsaPkcs1Sha512:
    case SignatureScheme::kRsaPssSha512:
    case SignatureScheme::kEcdsaSha512:
      return "SHA512";
    case SignatureScheme::kEd25519:
      return nullptr;
  }
  return nullptr;
}

Status checkKeyFits(const Key& key, SignatureScheme scheme) {
  KeyType wanted = signatureSchemeKeyType(scheme);
  if (key.raw() == nullptr || key.type() != wanted) {
    return fail(Code::kInvalidArgument, "{}: key must be {}, found {}", signatureSchemeName(scheme),
                keyTypeName(wanted), keyTypeName(key.type()));
  }
  return okStatus();
}

// A digest-sign or digest-verify context with the scheme's padding: PKCS#1 v1.5, or PSS
// with MGF1 of the same hash and salt length = hash length (RFC 7518 §3.5; on verify,
// OpenSSL then requires exactly that salt length).
Result<MdCtxPtr> initContext(const Key& key, SignatureScheme scheme, bool sign) {
  MdCtxPtr ctx(EVP_MD_CTX_new());
  cryptoCheck(ctx != nullptr, "EVP_MD_CTX_new");
  const char* md = digestOf(scheme);
  OSSL_PARAM params[4] = {OSSL_PARAM_construct_end(), OSSL_PARAM_construct_end(),
                          OSSL_PARAM_construct_end(), OSSL_PARAM_construct_end()};
  Family family = familyOf(scheme);
  if (family == Family::kPkcs1) {
    params[0] = OSSL_PARAM_construct_utf8_string(
        OSSL_SIGNATURE_PARAM_PAD_MODE, const_cast<char*>(OSSL_PKEY_RSA_PAD_MODE_PKCSV15), 0);
  } else if (family == Family::kPss) {
    params[0] = OSSL_PARAM_construct_utf8_string(OSSL_SIGNATURE_PARAM_PAD_MODE,
                                                 const_cast<char*>(OSSL_PKEY_RSA_PAD_MODE_PSS), 0);
    params[1] = OSSL_PARAM_construct_utf8_string(OSSL_SIGNATURE_PARAM_MGF1_DIGEST,
                                                 const_cast<char*>(md), 0);
    params[2] = OSSL_PARAM_construct_utf8_string(
        OSSL_SIGNATURE_PARAM_PSS_SALTLEN, const_cast<char*>(OSSL_PKEY_RSA_PSS_SALT_LEN_DIGEST), 0);
  }
  int rc =
      sign ? EVP_DigestSignInit_ex(ctx.get(), nullptr, md, nullptr, nullptr, key.raw(), params)
           : EVP_DigestVerifyInit_ex(ctx.get(), nullptr, md, nullptr, nullptr, key.raw(), params);
  if (rc != 1) {
    // E.g. an RSASSA-PSS-restricted key asked for PKCS#1 v1.5 or another hash.
    return fail(Code::kInvalidArgument, "{}: the key cannot be used with this scheme: {}",
                signatureSchemeName(scheme), takeOpensslError());
  }
  return ctx;
}

}  // namespace

std::string_view signatureSchemeName(SignatureScheme scheme) {
  switch (scheme) {
    case SignatureScheme::kRsaPkcs1Sha256:
      return "RSA-PKCS1-SHA256";
    case SignatureScheme::kRsaPkcs1Sha384:
      return "RSA-PKCS1-SHA384";
    case SignatureScheme::kRsaPkcs1Sha512:
      return "RSA-PKCS1-SHA512";
    case SignatureScheme::kRsaPssSha256:
      return "RSA-PSS-SHA256";
    case SignatureScheme::kRsaPssSha384:
      return "RSA-PSS-SHA384";
    case SignatureScheme::kRsaPssSha512:
      return "RSA-PSS-SHA512";
    case SignatureScheme::kEcdsaSha256:
      return "ECDSA-SHA256";
    case SignatureScheme::kEcdsaSha384:
      return "ECDSA-SHA384";
    case SignatureScheme::kEcdsaSha512:
      return "ECDSA-SHA512";
    case SignatureScheme::kEd25519:
      return "Ed25519";
  }
  return "unknown";
}

KeyType signatureSchemeKeyType(SignatureScheme scheme) {
  switch (scheme) {
    case SignatureScheme::kEcdsaSha256:
      return KeyType::kEcP256;
    case SignatureScheme::kEcdsaSha384:
      return KeyType::kEcP384;
    case SignatureScheme::kEcdsaSha512:
      return KeyType::kEcP521;
    case SignatureScheme::kEd25519:
      return KeyType::kEd25519;
    default:
      return KeyType::kRsa;
  }
}

Result<Bytes> sign(const Key& key, SignatureScheme scheme, ByteSpan message,
                   EcdsaEncoding encoding) {
  COCOON_TRY(checkKeyFits(key, scheme));
  if (!key.hasPrivate()) {
    return fail(Code::kFailedPrecondition, "{}: signing needs a private key",
                signatureSchemeName(scheme));
  }
  COCOON_ASSIGN_OR_RETURN(MdCtxPtr ctx, initContext(key, scheme, true));
  std::size_t len = static_cast<std::size_t>(EVP_PKEY_get_size(key.raw()));
  Bytes signature(len);
  if (EVP_DigestSign(ctx.get(), signature.data(), &len, message.data(), message.size()) != 1) {
    // Only a malformed private key (e.g. inconsistent imported RSA factors) gets here.
    return fail(Code::kInvalidArgument, "{}: signing failed: {}", signatureSchemeName(scheme),
                takeOpensslError());
  }
  signature.resize(len);
  if (familyOf(scheme) == Family::kEcdsa && encoding == EcdsaEncoding::kRaw) {
    return ecdsaDerToRaw(signature, keyFieldSize(key.type()));
  }
  return signature;
}

Status verify(const Key& key, SignatureScheme scheme, ByteSpan message, ByteSpan signature,
              EcdsaEncoding encoding) {
  COCOON_TRY(checkKeyFits(key, scheme));
  Bytes der;
  if (familyOf(scheme) == Family::kEcdsa && encoding == EcdsaEncoding::kRaw) {
    std::size_t field = keyFieldSize(key.type());
    if (signature.size() != 2 * field) {
      return fail(Code::kUnauthenticated, "{}: raw signature must be {} bytes, found {}",
                  signatureSchemeName(scheme), 2 * field, signature.size());
    }
    COCOON_ASSIGN_OR_RETURN(der, ecdsaRawToDer(signature, field));
    signature = der;
  }
  COCOON_ASSIGN_OR_RETURN(MdCtxPtr ctx, initContext(key, scheme, false));
  if (EVP_DigestVerify(ctx.get(), signature.data(), signature.size(), message.data(),
                       message.size()) != 1) {
    takeOpensslError();
    return fail(Code::kUnauthenticated, "{}: signature does not verify",
                signatureSchemeName(scheme));
  }
  return okStatus();
}

Result<Bytes> ecdsaRawToDer(ByteSpan raw, std::size_t field_size) {
  if (field_size == 0 || field_size > 66 || raw.size() != 2 * field_size) {
    return fail(Code::kInvalidArgument, "ECDSA r||s: expected 2 x {} bytes, found {}", field_size,
                raw.size());
  }
  BIGNUM* r = BN_bin2bn(raw.data(), static_cast<int>(field_size), nullptr);
  BIGNUM* s = BN_bin2bn(raw.data() + field_size, static_cast<int>(field_size), nullptr);
  EcdsaSigPtr sig(ECDSA_SIG_new());
  cryptoCheck(r != nullptr && s != nullptr && sig != nullptr && ECDSA_SIG_set0(sig.get(), r, s),
              "ECDSA_SIG_set0");
  int len = i2d_ECDSA_SIG(sig.get(), nullptr);
  cryptoCheck(len > 0, "i2d_ECDSA_SIG");
  Bytes out(static_cast<std::size_t>(len));
  unsigned char* p = out.data();
  cryptoCheck(i2d_ECDSA_SIG(sig.get(), &p) == len, "i2d_ECDSA_SIG");
  return out;
}

Result<Bytes> ecdsaDerToRaw(ByteSpan der, std::size_t field_size) {
  if (field_size == 0 || field_size > 66) {
    return fail(Code::kInvalidArgument, "ECDSA signature: unsupported field size {}", field_size);
  }
  const unsigned char* p = der.data();
  EcdsaSigPtr sig(d2i_ECDSA_SIG(nullptr, &p, static_cast<long>(der.size())));
  if (sig == nullptr) {
    takeOpensslError();
    return fail(Code::kInvalidArgument, "ECDSA signature: not a DER SEQUENCE of two INTEGERs");
  }
  std::size_t used = static_cast<std::size_t>(p - der.data());
  if (used != der.size()) {
    return fail(Code::kInvalidArgument, "ECDSA signature: {} trailing bytes after the DER",
                der.size() - used);
  }
  // d2i tolerates some BER forms; only the one DER encoding is accepted.
  unsigned char* reencoded = nullptr;
  int len = i2d_ECDSA_SIG(sig.get(), &reencoded);
  bool canonical =
      len == static_cast<int>(der.size()) && std::equal(der.begin(), der.end(), reencoded);
  OPENSSL_free(reencoded);
  if (!canonical) {
    return fail(Code::kInvalidArgument, "ECDSA signature: not in canonical DER form");
  }
  const BIGNUM* r = nullptr;
  const BIGNUM* s = nullptr;
  ECDSA_SIG_get0(sig.get(), &r, &s);
  for (const BIGNUM* v : {r, s}) {
    if (BN_is_negative(v) || static_cast<std::size_t>(BN_num_bytes(v)) > field_size) {
      return fail(Code::kInvalidArgument, "ECDSA signature: {} does not fit {} bytes",
                  v == r ? "r" : "s", field_size);
    }
  }
  Bytes out(2 * field_size);
  int width = static_cast<int>(field_size);
  cryptoCheck(BN_bn2binpad(r, out.data(), width) == width &&
                  BN_bn2binpad(s, out.data() + field_size, width) == width,
              "BN_bn2binpad");
  return out;
}

}  // namespace cocoon::crypto
