// SPDX-License-Identifier: Apache-2.0
// `cocoon image encrypt` (the binary) into a real docker-registry on loopback: skopeo
// decrypts the result with the RSA or the EC private key and it matches the plain image
// (same layer digests, same unpacked tree); `cocoon image pull --decryption-key` reads it
// back; a provider recipient's layer keys open with the --kek bytes; a wrong key and bad
// arguments fail with their documented exit codes.
#include <unistd.h>

#include <chrono>
#include <filesystem>

#include <gtest/gtest.h>

#include "common/files.h"
#include "common/subprocess.h"
#include "crypto/key.h"
#include "http/peer_process.h"
#include "image/crypt/decrypt.h"
#include "image/crypt/fixture.h"
#include "image/oci/manifest.h"
#include "json/json.h"

namespace cocoon::image::crypt {
namespace {

namespace fs = std::filesystem;
using cocoon::test::PeerProcess;

constexpr std::chrono::seconds kStartTimeout{30};

// The KBS of a provider recipient: one resource.
class FixedFetcher : public KeyResourceFetcher {
 public:
  FixedFetcher(std::string kid, Bytes kek) : kid_(std::move(kid)), kek_(std::move(kek)) {}
  Result<SecretBytes> getResource(std::string_view kid) override {
    if (kid != kid_) {
      return fail(Code::kNotFound, "no resource {}", kid);
    }
    return SecretBytes(kek_);
  }

 private:
  std::string kid_;
  Bytes kek_;
};

SubprocessResult run(std::vector<std::string> argv) {
  auto r = runSubprocess({.argv = std::move(argv), .timeout = std::chrono::seconds(120)});
  EXPECT_TRUE(r) << r.error().toString();
  return r ? *r : SubprocessResult{};
}

// The layer digests of the manifest `skopeo inspect --raw` prints for `image`.
std::vector<std::string> layerDigests(const std::string& image, bool* encrypted = nullptr) {
  auto raw = run({"skopeo", "inspect", "--raw", "--tls-verify=false", image});
  EXPECT_EQ(raw.exit_code, 0) << raw.stderr_data;
  auto manifest = json::parseJson(raw.stdout_data);
  EXPECT_TRUE(manifest) << raw.stdout_data;
  std::vector<std::string> out;
  if (!manifest) {
    return out;
  }
  bool all_encrypted = true;
  for (const auto& layer : (*manifest)["layers"]) {
    out.push_back(layer["digest"].get<std::string>());
    all_encrypted = all_encrypted && layer["mediaType"].get<std::string>().ends_with("+encrypted");
  }
  if (encrypted != nullptr) {
    *encrypted = all_encrypted;
  }
  return out;
}

// One registry and, per process (ctest runs each test alone), the multi-layer test image
// in an OCI layout, its umoci unpack, and RSA, EC and unrelated key pairs.
class EncryptCli : public ::testing::Test {
 protected:
  void SetUp() override {
    if (::geteuid() != 0) {
      GTEST_SKIP() << "needs root (the test image has owners and device nodes)";
    }
    auto dir = TempDir::create("encrypt-cli");
    ASSERT_TRUE(dir);
    dir_.emplace(std::move(*dir));
    ASSERT_TRUE(writeFileAtomic(
        path("registry.yml"),
        asBytes(fmt::format("version: 0.1\nlog:\n  level: info\n  accesslog:\n    disabled: true\n"
                            "storage:\n  filesystem:\n    rootdirectory: {}\n"
                            "http:\n  addr: 127.0.0.1:0\n",
                            path("storage")))));
    auto peer = PeerProcess::start({"docker-registry", "serve", path("registry.yml")});
    ASSERT_TRUE(peer) << peer.error().toString();
    registry_ = std::move(*peer);
    auto host = registry_->waitForLine("listening on (127\\.0\\.0\\.1:[0-9]+)", kStartTimeout);
    ASSERT_TRUE(host) << host.error().toString();
    host_ = *host;
    ASSERT_TRUE(writeFileAtomic(
        path("registries.conf"),
        asBytes(fmt::format("[[registry]]\nlocation = \"{}\"\ninsecure = true\n", host_))));
    auto made = test::makePlainImage(dir_->path());
    ASSERT_TRUE(made) << made.error().toString();
    auto keys = test::writeKeyPairs(dir_->path(), {{"rsa", crypto::KeyType::kRsa},
                                                   {"ec", crypto::KeyType::kEcP256},
                                                   {"other", crypto::KeyType::kEcP256}});
    ASSERT_TRUE(keys) << keys.error().toString();
  }

  std::string path(std::string_view name) const { return (dir_->path() / name).string(); }
  std::string remote(std::string_view repo) const { return fmt::format("{}/{}", host_, repo); }

  // `cocoon image <args> --registries-conf ...`.
  SubprocessResult cocoon(std::vector<std::string> args) {
    args.insert(args.begin(), {COCOON_CLI, "image"});
    args.insert(args.end(), {"--registries-conf", path("registries.conf")});
    return run(std::move(args));
  }

  // Pulls `image` with the given decryption key into a fresh flattened bundle.
  SubprocessResult pull(const std::string& image, const std::string& key,
                        const std::string& bundle) {
    return cocoon({"pull", image, "--dest", path(bundle), "--flatten", "--store", path("store"),
                   "--insecure-policy", "--decryption-key", path(key)});
  }

  void expectSameTree(const std::string& rootfs) {
    auto diff = run({"python3", COCOON_SOURCE_DIR "/tests/support/tree_diff.py",
                     path("umoci") + "/rootfs", rootfs});
    EXPECT_EQ(diff.exit_code, 0) << diff.stdout_data << diff.stderr_data;
  }

  std::optional<TempDir> dir_;
  std::unique_ptr<PeerProcess> registry_;
  std::string host_;
};

TEST_F(EncryptCli, EncryptsIntoARegistryAndSkopeoDecryptsWithTheRsaOrEcKey) {
  auto encrypted =
      cocoon({"encrypt", "oci:" + path("plain") + ":tree", remote("enc/tree:v1"), "--recipient",
              "jwe:" + path("rsa.pub"), "--recipient", "jwe:" + path("ec.pub")});
  ASSERT_EQ(encrypted.exit_code, 0) << encrypted.stderr_data;
  EXPECT_NE(encrypted.stderr_data.find("encrypted 3 layers of"), std::string::npos)
      << encrypted.stderr_data;

  const std::vector<std::string> plain = layerDigests("oci:" + path("plain") + ":tree");
  ASSERT_EQ(plain.size(), 3u);
  bool all_encrypted = false;
  const std::vector<std::string> ciphertext =
      layerDigests("docker://" + remote("enc/tree:v1"), &all_encrypted);
  ASSERT_EQ(ciphertext.size(), 3u);
  EXPECT_TRUE(all_encrypted);
  for (std::size_t i = 0; i < plain.size(); ++i) {
    EXPECT_NE(ciphertext[i], plain[i]) << "layer " << i << " was not encrypted";
  }

  for (const char* key : {"rsa", "ec"}) {
    SCOPED_TRACE(key);
    const std::string layout = path(std::string("skopeo-") + key);
    auto copy =
        run({"skopeo", "copy", "--quiet", "--src-tls-verify=false", "--decryption-key",
             path(key) + ".pem", "docker://" + remote("enc/tree:v1"), "oci:" + layout + ":tree"});
    ASSERT_EQ(copy.exit_code, 0) << copy.stderr_data;
    // ocicrypt restores each layer's plaintext blob, so the digests are the plain image's.
    EXPECT_EQ(layerDigests("oci:" + layout + ":tree"), plain);
    auto unpacked = run({"umoci", "unpack", "--image", layout + ":tree", layout + "-bundle"});
    ASSERT_EQ(unpacked.exit_code, 0) << unpacked.stderr_data;
    expectSameTree(layout + "-bundle/rootfs");
  }
}

TEST_F(EncryptCli, PullDecryptsWhatEncryptWroteAndRefusesAnotherKey) {
  auto encrypted = cocoon({"encrypt", "oci:" + path("plain") + ":tree", remote("enc/ec:v1"),
                           "--recipient", "jwe:" + path("ec.pub")});
  ASSERT_EQ(encrypted.exit_code, 0) << encrypted.stderr_data;

  auto pulled = pull(remote("enc/ec:v1"), "ec.pem", "bundle");
  ASSERT_EQ(pulled.exit_code, 0) << pulled.stderr_data;
  expectSameTree(path("bundle") + "/rootfs");

  // docs/image-encryption.md: no usable key exits 4 and names the layer and the scheme.
  auto refused = pull(remote("enc/ec:v1"), "other.pem", "refused");
  EXPECT_EQ(refused.exit_code, 4) << refused.stderr_data;
  EXPECT_NE(refused.stderr_data.find("no key to decrypt layer sha256:"), std::string::npos)
      << refused.stderr_data;
  EXPECT_NE(refused.stderr_data.find("jwe (1 entry): none of the 1 private key(s) is a recipient"),
            std::string::npos)
      << refused.stderr_data;
  EXPECT_FALSE(fs::exists(path("refused") + "/rootfs"));
}

TEST_F(EncryptCli, BadRecipientsExitTwoAndWriteNothing) {
  const std::string src = "oci:" + path("plain") + ":tree";
  const std::string dst = "oci:" + path("never") + ":tree";
  auto unknown = cocoon({"encrypt", src, dst, "--recipient", "pgp:someone@example.com"});
  EXPECT_EQ(unknown.exit_code, 2);
  EXPECT_NE(unknown.stderr_data.find("--recipient pgp:someone@example.com: expected jwe:PUB.pem"),
            std::string::npos)
      << unknown.stderr_data;
  auto no_kek = cocoon(
      {"encrypt", src, dst, "--recipient", "provider:attestation-agent:kbs:///default/key/1"});
  EXPECT_EQ(no_kek.exit_code, 2);
  EXPECT_NE(no_kek.stderr_data.find("needs a --kek FILE"), std::string::npos) << no_kek.stderr_data;
  auto missing = cocoon({"encrypt", src, dst, "--recipient", "jwe:" + path("absent.pub")});
  EXPECT_EQ(missing.exit_code, 2);
  EXPECT_NE(missing.stderr_data.find("absent.pub"), std::string::npos) << missing.stderr_data;
  EXPECT_FALSE(fs::exists(path("never")));
}

// Step 2 of a provider recipient (docs/image-encryption.md): the --kek bytes wrap every
// layer key, so the guest that obtains them from the KBS under the kid opens each layer.
TEST_F(EncryptCli, ProviderRecipientWrapsLayerKeysWithTheKekFile) {
  const std::string kid = "kbs:///default/image-key/tree";
  const Bytes kek(32, 0x5a);
  ASSERT_TRUE(writeFileAtomic(path("kek.bin"), kek, 0600));
  auto encrypted =
      cocoon({"encrypt", "oci:" + path("plain") + ":tree", "oci:" + path("provider") + ":tree",
              "--recipient", "provider:attestation-agent:" + kid, "--kek", path("kek.bin")});
  ASSERT_EQ(encrypted.exit_code, 0) << encrypted.stderr_data;

  auto raw = run({"skopeo", "inspect", "--raw", "oci:" + path("provider") + ":tree"});
  ASSERT_EQ(raw.exit_code, 0) << raw.stderr_data;
  auto manifest = oci::parseImageManifest(asBytes(raw.stdout_data), "");
  ASSERT_TRUE(manifest) << manifest.error().toString();
  ASSERT_EQ(manifest->layers.size(), 3u);
  FixedFetcher right(kid, kek);
  FixedFetcher wrong(kid, Bytes(32, 0x01));
  for (const oci::Layer& layer : manifest->layers) {
    auto encryption = parseLayerEncryption(layer.descriptor.annotations);
    ASSERT_TRUE(encryption) << encryption.error().toString();
    ASSERT_EQ(encryption->keys.size(), 1u);
    EXPECT_EQ(encryption->keys[0].scheme, kSchemeAttestationAgent);
    auto opened =
        unwrapLayerOptions(layer.descriptor, *encryption, {.private_keys = {}, .fetcher = &right});
    ASSERT_TRUE(opened) << opened.error().toString();
    EXPECT_EQ(opened->nonce.size(), kNonceSize);
    auto refused =
        unwrapLayerOptions(layer.descriptor, *encryption, {.private_keys = {}, .fetcher = &wrong});
    ASSERT_FALSE(refused);
    EXPECT_EQ(refused.error().code, Code::kPermissionDenied) << refused.error().toString();
  }
}

}  // namespace
}  // namespace cocoon::image::crypt
