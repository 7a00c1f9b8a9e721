// SPDX-License-Identifier: Apache-2.0
#include "crypto/jose/ecdh_es.h"

#include <gtest/gtest.h>

#include "crypto/asym_encrypt.h"
#include "crypto/jose/jwk.h"
#include "jose/rfc_vectors.h"
#include "jose/test_util.h"

namespace cocoon::jose {
namespace {

using crypto::Key;
using crypto::KeyType;
using testing::failsWith;
using testing::hex;
using testing::jwkKey;

TEST(EcdhEs, OtherInfoLayoutOfRfc7518AppendixC) {
  // RFC 7518 Appendix C lists each OtherInfo field as bytes.
  const Bytes expected =
      hex("00 00 00 07 41 31 32 38 47 43 4d"  // AlgorithmID: "A128GCM"
          "00 00 00 05 41 6c 69 63 65"        // PartyUInfo: "Alice"
          "00 00 00 03 42 6f 62"              // PartyVInfo: "Bob"
          "00 00 00 80");                     // SuppPubInfo: 128
  EXPECT_EQ(ecdhEsOtherInfo("A128GCM", asBytes("Alice"), asBytes("Bob"), 16), expected);
}

TEST(EcdhEs, Rfc7518AppendixCDerivedKeyFromBothSides) {
  const Key alice = jwkKey(testing::kRfc7518CAliceKey);
  const Key bob = jwkKey(testing::kRfc7518CBobKey);
  for (const auto& [own, peer] : {std::pair{bob, alice}, std::pair{alice, bob}}) {
    auto key =
        ecdhEsDeriveKey(own, peer.publicKey(), "A128GCM", asBytes("Alice"), asBytes("Bob"), 16);
    ASSERT_TRUE(key) << key.error().message;
    EXPECT_EQ(base64UrlEncode(key->span()), testing::kRfc7518CDerivedKey);
  }
}

TEST(EcdhEs, Rfc8037AppendixA6X25519) {
  // RFC 8037 A.6: Bob's static key, the ephemeral key and the shared secret Z (the RFC 7748
  // §6.1 values).
  const Key bob = *Key::fromOkp(
      KeyType::kX25519, hex("de9edb7d7b7dc1b4d35b61c2ece435373f8343c85b78674dadfc7e146f882b4f"),
      hex("5dab087e624a8a4b79e17f8b83800ee66f3bb1292618b6fd1c2f8b27ff88e0eb"));
  const Key ephemeral = *Key::fromOkp(
      KeyType::kX25519, hex("8520f0098930a754748b7ddcb43ef75a0dbf3a0d26381af4eba4a98eaa9b4e6a"),
      hex("77076d0a7318a57d3c16c17251b26645df4c2f87ebc0992ab177fba51db92c2a"));
  const Bytes z = hex("4a5d9d5ba4ce2de1728e3bf480350f25e07e21c947d19e3376f09b3c1e161742");
  auto own_z = crypto::ecdh(bob, ephemeral.publicKey());
  ASSERT_TRUE(own_z);
  EXPECT_EQ(Bytes(own_z->span().begin(), own_z->span().end()), z);
  // The JWE example's header: {"alg":"ECDH-ES+A128KW","epk":{..},"enc":"A128GCM","kid":"Bob"}.
  auto kek = ecdhEsDeriveKey(bob, ephemeral.publicKey(), "ECDH-ES+A128KW", {}, {}, 16);
  ASSERT_TRUE(kek);
  auto expected = ecdhEsKdf(z, "ECDH-ES+A128KW", {}, {}, 16);
  EXPECT_EQ(Bytes(kek->span().begin(), kek->span().end()),
            Bytes(expected.span().begin(), expected.span().end()));
}

TEST(EcdhEs, RefusesKeysOnDifferentCurves) {
  const Key p256 = jwkKey(testing::kRfc7518CBobKey);
  const Key p384 = jwkKey(testing::kRfc7520S54Key);
  const Key x25519 = *Key::generate(KeyType::kX25519);
  EXPECT_TRUE(failsWith(ecdhEsDeriveKey(p256, p384.publicKey(), "A128GCM", {}, {}, 16),
                        JoseReason::kWrongCurve));
  EXPECT_TRUE(failsWith(ecdhEsDeriveKey(p256, x25519.publicKey(), "A128GCM", {}, {}, 16),
                        JoseReason::kWrongCurve));
  EXPECT_TRUE(failsWith(ecdhEsDeriveKey(p256.publicKey(), p256, "A128GCM", {}, {}, 16),
                        JoseReason::kInvalidArgument));
}

TEST(EcdhEs, RefusesALowOrderX25519Point) {
  const Key own = *Key::generate(KeyType::kX25519);
  auto zero = Key::fromOkp(KeyType::kX25519, Bytes(32, 0));
  ASSERT_TRUE(zero);
  EXPECT_TRUE(
      failsWith(ecdhEsDeriveKey(own, *zero, "A128GCM", {}, {}, 16), JoseReason::kInvalidKey));
}

}  // namespace
}  // namespace cocoon::jose
