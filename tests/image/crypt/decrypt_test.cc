// SPDX-License-Identifier: Apache-2.0
// Key unwrapping for pulls: JWE with RSA and EC keys (including go-jose's serialization),
// the keyprovider through a fetcher, and the errors when no key fits.
#include "image/crypt/decrypt.h"

#include <gtest/gtest.h>

#include "common/encoding.h"
#include "common/files.h"
#include "crypto/random.h"
#include "image/crypt/internal/jwe_keywrap.h"
#include "image/crypt/layer_cipher.h"
#include "image/layer/span_source.h"
#include "json/json.h"
#include "support/expect.h"

namespace cocoon::image::crypt {
namespace {

using test::expectError;

crypto::Key generate(crypto::KeyType type) {
  auto key = crypto::Key::generate(type);
  EXPECT_TRUE(key);
  return *key;
}

// Resources from a map; counts calls.
class MapFetcher : public KeyResourceFetcher {
 public:
  Result<SecretBytes> getResource(std::string_view uri) override {
    ++calls;
    auto it = resources.find(std::string(uri));
    if (it == resources.end()) {
      return fail(Code::kNotFound, "no resource {}", uri);
    }
    return SecretBytes(it->second);
  }
  std::map<std::string, Bytes> resources;
  int calls = 0;
};

struct Layer {
  PrivateOptions options = newLayerOptions("sha256:" + std::string(64, '0'));
  oci::Descriptor descriptor;
};

Layer makeLayer(const std::vector<crypto::Key>& jwe_keys,
                const std::vector<std::pair<std::string, Bytes>>& providers = {}) {
  Layer layer;
  SecretBytes json = encodePrivateOptions(layer.options);
  auto& a = layer.descriptor.annotations;
  if (!jwe_keys.empty()) {
    auto jwe = internal::wrapJwe(json.span(), jwe_keys);
    EXPECT_TRUE(jwe) << jwe.error().toString();
    a["org.opencontainers.image.enc.keys.jwe"] = encodeKeysAnnotation({*jwe});
  }
  std::vector<Bytes> packets;
  for (const auto& [kid, kek] : providers) {
    packets.push_back(*wrapProviderPacket(json.span(), kid, kek));
  }
  if (!packets.empty()) {
    a["org.opencontainers.image.enc.keys.provider.attestation-agent"] =
        encodeKeysAnnotation(packets);
  }
  a["org.opencontainers.image.enc.pubopts"] = encodePublicOptions(Bytes(32, 0));
  layer.descriptor.digest = *oci::parseDigest("sha256:" + std::string(64, 'e'));
  return layer;
}

Result<PrivateOptions> unwrap(const Layer& layer, const DecryptionKeys& keys) {
  COCOON_ASSIGN_OR_RETURN(auto enc, parseLayerEncryption(layer.descriptor.annotations));
  return unwrapLayerOptions(layer.descriptor, enc, keys);
}

void expectSameOptions(const Result<PrivateOptions>& got, const Layer& layer) {
  ASSERT_TRUE(got) << got.error().toString();
  EXPECT_EQ(got->nonce, layer.options.nonce);
  EXPECT_EQ(got->digest, layer.options.digest);
  EXPECT_EQ(hexEncode(got->symkey.span()), hexEncode(layer.options.symkey.span()));
}

TEST(UnwrapLayerOptions, OpensJweForEachRecipientKeyType) {
  crypto::Key rsa = generate(crypto::KeyType::kRsa);
  crypto::Key ec = generate(crypto::KeyType::kEcP256);
  crypto::Key p384 = generate(crypto::KeyType::kEcP384);
  Layer layer = makeLayer({rsa, ec, p384});
  expectSameOptions(unwrap(layer, {.private_keys = {rsa}, .fetcher = nullptr}), layer);
  expectSameOptions(unwrap(layer, {.private_keys = {ec}, .fetcher = nullptr}), layer);
  // A key that is not a recipient first, then one that is.
  expectSameOptions(
      unwrap(layer, {.private_keys = {generate(crypto::KeyType::kRsa), p384}, .fetcher = nullptr}),
      layer);
}

TEST(UnwrapLayerOptions, AcceptsGoJoseTopLevelEncryptedKeyDuplicate) {
  crypto::Key rsa = generate(crypto::KeyType::kRsa);
  crypto::Key ec = generate(crypto::KeyType::kEcP256);
  Layer layer = makeLayer({rsa, ec});
  // go-jose FullSerialize repeats recipients[0].encrypted_key at the top level (seen in
  // what skopeo 1.9.3 writes); anything else there is still refused.
  auto& value = layer.descriptor.annotations["org.opencontainers.image.enc.keys.jwe"];
  auto doc = json::parseJson(toString(*base64Decode(value)));
  ASSERT_TRUE(doc);
  (*doc)["encrypted_key"] = (*doc)["recipients"][0]["encrypted_key"];
  value = base64Encode(asBytes(doc->dump()));
  expectSameOptions(unwrap(layer, {.private_keys = {ec}, .fetcher = nullptr}), layer);
  (*doc)["encrypted_key"] = "AAAA";
  value = base64Encode(asBytes(doc->dump()));
  expectError(unwrap(layer, {.private_keys = {ec}, .fetcher = nullptr}), Code::kInvalidArgument,
              "keys.jwe: entry 0: JWE");
}

TEST(UnwrapLayerOptions, NoUsableKeyIsPermissionDeniedNamingTheSchemes) {
  Layer layer = makeLayer({generate(crypto::KeyType::kRsa)}, {{"kbs:///a/b/c", Bytes(32, 1)}});
  layer.descriptor.annotations["org.opencontainers.image.enc.keys.pkcs7"] = "AAAA";
  auto r = unwrap(layer, {.private_keys = {generate(crypto::KeyType::kRsa)}, .fetcher = nullptr});
  expectError(r, Code::kPermissionDenied, "no key to decrypt layer sha256:eeee");
  const std::string msg = r ? "" : r.error().message;
  EXPECT_NE(msg.find("jwe (1 entry): none of the 1 private key(s) is a recipient"),
            std::string::npos)
      << msg;
  EXPECT_NE(msg.find("pkcs7 (1 entry): scheme not supported"), std::string::npos) << msg;
  EXPECT_NE(msg.find("provider.attestation-agent (1 entry): no key broker configured"),
            std::string::npos)
      << msg;
  expectError(unwrap(layer, {}), Code::kPermissionDenied, "jwe (1 entry): no private key given");
}

TEST(UnwrapLayerOptions, MalformedEntriesAreInvalidArgumentNamingTheEntry) {
  crypto::Key rsa = generate(crypto::KeyType::kRsa);
  Layer layer = makeLayer({rsa});
  auto& a = layer.descriptor.annotations;
  const std::string good = a["org.opencontainers.image.enc.keys.jwe"];
  a["org.opencontainers.image.enc.keys.jwe"] = good + "," + base64Encode(asBytes("[1,2]"));
  // The first entry opens: the second is never looked at.
  expectSameOptions(unwrap(layer, {.private_keys = {rsa}, .fetcher = nullptr}), layer);
  a["org.opencontainers.image.enc.keys.jwe"] = base64Encode(asBytes("[1,2]")) + "," + good;
  expectError(unwrap(layer, {.private_keys = {rsa}, .fetcher = nullptr}), Code::kInvalidArgument,
              "org.opencontainers.image.enc.keys.jwe: entry 0: JWE");
  a["org.opencontainers.image.enc.keys.jwe"] = base64Encode(asBytes("not json"));
  expectError(unwrap(layer, {.private_keys = {rsa}, .fetcher = nullptr}), Code::kInvalidArgument,
              "entry 0: JWE");

  a.erase("org.opencontainers.image.enc.keys.jwe");
  a["org.opencontainers.image.enc.keys.provider.attestation-agent"] =
      base64Encode(asBytes(R"({"kid":"kbs:///a/b/c"})"));
  MapFetcher fetcher;
  expectError(unwrap(layer, {.private_keys = {}, .fetcher = &fetcher}), Code::kInvalidArgument,
              "org.opencontainers.image.enc.keys.provider.attestation-agent: entry 0: "
              "attestation-agent packet: json: missing field \"wrap_type\"");
  EXPECT_EQ(fetcher.calls, 0);
}

// An altered wrapped key: A256GCM refuses the JWE, which looks the same as a key that is
// not a recipient (the message says so; nothing is decrypted either way).
TEST(UnwrapLayerOptions, AlteredJweCiphertextIsNotOpened) {
  crypto::Key ec = generate(crypto::KeyType::kEcP256);
  Layer layer = makeLayer({ec});
  auto& value = layer.descriptor.annotations["org.opencontainers.image.enc.keys.jwe"];
  auto doc = json::parseJson(toString(*base64Decode(value)));
  ASSERT_TRUE(doc);
  std::string ciphertext = (*doc)["ciphertext"];
  ciphertext[0] = ciphertext[0] == 'A' ? 'B' : 'A';
  (*doc)["ciphertext"] = ciphertext;
  value = base64Encode(asBytes(doc->dump()));
  expectError(unwrap(layer, {.private_keys = {ec}, .fetcher = nullptr}), Code::kPermissionDenied,
              "jwe (1 entry): none of the 1 private key(s) is a recipient");
}

TEST(UnwrapLayerOptions, WrappedOptionsThatDoNotParseAreInvalidArgument) {
  crypto::Key ec = generate(crypto::KeyType::kEcP256);
  Layer layer;
  auto jwe = internal::wrapJwe(asBytes(R"({"symkey":"AAAA"})"), std::vector<crypto::Key>{ec});
  ASSERT_TRUE(jwe) << jwe.error().toString();
  layer.descriptor.annotations["org.opencontainers.image.enc.keys.jwe"] =
      encodeKeysAnnotation({*jwe});
  layer.descriptor.annotations["org.opencontainers.image.enc.pubopts"] =
      encodePublicOptions(Bytes(32, 0));
  expectError(unwrap(layer, {.private_keys = {ec}, .fetcher = nullptr}), Code::kInvalidArgument,
              "org.opencontainers.image.enc.keys.jwe: private layer options: \"symkey\" is 3 "
              "bytes, expected 32");
}

TEST(UnwrapLayerOptions, KeyproviderFetchesTheKekByKid) {
  Bytes kek = crypto::randomBytes(32);
  Layer layer = makeLayer(
      {}, {{"kbs:///other/key/x", crypto::randomBytes(32)}, {"kbs:///default/key/img", kek}});
  MapFetcher fetcher;
  fetcher.resources["kbs:///default/key/img"] = kek;
  fetcher.resources["kbs:///other/key/x"] = crypto::randomBytes(32);  // not the KEK used
  expectSameOptions(unwrap(layer, {.private_keys = {}, .fetcher = &fetcher}), layer);
  EXPECT_EQ(fetcher.calls, 2);
  // A resource the KBS does not have: its error, with the kid.
  fetcher.resources.erase("kbs:///other/key/x");
  expectError(unwrap(layer, {.private_keys = {}, .fetcher = &fetcher}), Code::kNotFound,
              "fetching the key of kbs:///other/key/x");
}

TEST(KeyDecryptProvider, ReturnsAHookThatDecryptsAndChecksTheHmac) {
  crypto::Key ec = generate(crypto::KeyType::kEcP256);
  Layer layer = makeLayer({ec});
  Bytes plain = crypto::randomBytes(3000);
  Bytes cipher(plain.size());
  auto enc = LayerEncrypter::create(layer.options);
  ASSERT_TRUE(enc);
  enc->update(plain, cipher);
  layer.descriptor.annotations["org.opencontainers.image.enc.pubopts"] =
      encodePublicOptions(enc->finish());
  KeyDecryptProvider provider({.private_keys = {ec}, .fetcher = nullptr});
  auto hook = provider.forLayer(layer.descriptor);
  ASSERT_TRUE(hook) << hook.error().toString();
  layer::SpanSource in(cipher);
  auto source = (*hook)->wrap(in);
  ASSERT_TRUE(source);
  Bytes out(4000);
  auto n = layer::readFull(**source, out);
  ASSERT_TRUE(n) << n.error().toString();
  out.resize(*n);
  EXPECT_EQ(out, plain);

  KeyDecryptProvider stranger(
      {.private_keys = {generate(crypto::KeyType::kEcP256)}, .fetcher = nullptr});
  expectError(stranger.forLayer(layer.descriptor), Code::kPermissionDenied, "no key");
}

TEST(LoadPrivateKeys, RefusesPublicKeysAndGarbage) {
  auto dir = TempDir::create("crypt-keys");
  ASSERT_TRUE(dir);
  crypto::Key rsa = generate(crypto::KeyType::kRsa);
  ASSERT_TRUE(writeFileAtomic(dir->path() / "priv.pem", asBytes(*rsa.privatePem())));
  ASSERT_TRUE(writeFileAtomic(dir->path() / "pub.pem", asBytes(rsa.publicPem())));
  ASSERT_TRUE(writeFileAtomic(dir->path() / "junk.pem", asBytes("junk")));
  auto keys = loadPrivateKeys({dir->path() / "priv.pem"});
  ASSERT_TRUE(keys) << keys.error().toString();
  EXPECT_TRUE((*keys)[0].samePublicKey(rsa));
  expectError(loadPrivateKeys({dir->path() / "pub.pem"}), Code::kInvalidArgument,
              "is a public key");
  expectError(loadPrivateKeys({dir->path() / "junk.pem"}), Code::kInvalidArgument,
              "not a PEM private key");
}

}  // namespace
}  // namespace cocoon::image::crypt
