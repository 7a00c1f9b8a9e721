// SPDX-License-Identifier: Apache-2.0
// ECDH-ES: ECDH shared secret + Concat KDF with the JOSE OtherInfo (RFC 7518 §4.6.2).
#include "crypto/jose/ecdh_es.h"

#include "crypto/asym_encrypt.h"

namespace cocoon::jose {
namespace {

void appendU32(Bytes& out, std::uint32_t value) {
  for (int shift = 24; shift >= 0; shift -= 8) {
    out.push_back(static_cast<std::uint8_t>(value >> shift));
  }
}

void appendLengthPrefixed(Bytes& out, ByteSpan data) {
  appendU32(out, static_cast<std::uint32_t>(data.size()));
  out.insert(out.end(), data.begin(), data.end());
}

}  // namespace

Bytes ecdhEsOtherInfo(std::string_view algorithm_id, ByteSpan apu, ByteSpan apv,
                      std::size_t key_bytes) {
  Bytes info;
  info.reserve(16 + algorithm_id.size() + apu.size() + apv.size());
  appendLengthPrefixed(info, asBytes(algorithm_id));
  appendLengthPrefixed(info, apu);
  appendLengthPrefixed(info, apv);
  appendU32(info, static_cast<std::uint32_t>(key_bytes * 8));
  return info;
}

SecretBytes ecdhEsKdf(ByteSpan z, std::string_view algorithm_id, ByteSpan apu, ByteSpan apv,
                      std::size_t key_bytes) {
  return crypto::concatKdfSha256(z, ecdhEsOtherInfo(algorithm_id, apu, apv, key_bytes), key_bytes);
}

JoseResult<SecretBytes> ecdhEsDeriveKey(const crypto::Key& own, const crypto::Key& peer,
                                        std::string_view algorithm_id, ByteSpan apu, ByteSpan apv,
                                        std::size_t key_bytes) {
  if (own.type() != peer.type()) {
    return joseFail(JoseReason::kWrongCurve, "ECDH-ES: ephemeral key is {}, recipient key is {}",
                    crypto::keyTypeName(peer.type()), crypto::keyTypeName(own.type()));
  }
  if (!own.hasPrivate()) {
    return joseFail(JoseReason::kInvalidArgument, "ECDH-ES: the own key has no private part");
  }
  auto z = crypto::ecdh(own, peer);
  if (!z) {
    return joseFromError(JoseReason::kInvalidKey, "ECDH-ES key agreement", z.error());
  }
  return ecdhEsKdf(z->span(), algorithm_id, apu, apv, key_bytes);
}

}  // namespace cocoon::jose
