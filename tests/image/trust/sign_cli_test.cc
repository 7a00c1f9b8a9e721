// SPDX-License-Identifier: Apache-2.0
// `cocoon image sign` and `cocoon image pull --policy` (the binary) against a real
// docker-registry on loopback: the attachment the CLI pushes satisfies a sigstoreSigned
// policy with the signer's key and is refused (exit 5, the requirement named, nothing
// unpacked) under a policy with another key; signing again adds other keys' signatures
// and replaces the same key's.
#include <chrono>
#include <filesystem>

#include <gtest/gtest.h>

#include "common/files.h"
#include "common/subprocess.h"
#include "crypto/key.h"
#include "http/peer_process.h"
#include "json/json.h"

namespace cocoon::image::trust {
namespace {

namespace fs = std::filesystem;
using cocoon::test::PeerProcess;

constexpr std::chrono::seconds kStartTimeout{30};

SubprocessResult run(std::vector<std::string> argv) {
  auto r = runSubprocess({.argv = std::move(argv), .timeout = std::chrono::seconds(120)});
  EXPECT_TRUE(r) << r.error().toString();
  return r ? *r : SubprocessResult{};
}

// A registry holding one small image (test/app:v1, pushed by skopeo), a registries.d that
// enables sigstore attachments for it, and two P-256 key pairs.
class SignCli : public ::testing::Test {
 protected:
  void SetUp() override {
    auto dir = TempDir::create("sign-cli");
    ASSERT_TRUE(dir);
    dir_.emplace(std::move(*dir));
    write("registry.yml",
          fmt::format("version: 0.1\nlog:\n  level: info\n  accesslog:\n    disabled: true\n"
                      "storage:\n  filesystem:\n    rootdirectory: {}\nhttp:\n"
                      "  addr: 127.0.0.1:0\n",
                      path("storage")));
    auto peer = PeerProcess::start({"docker-registry", "serve", path("registry.yml")});
    ASSERT_TRUE(peer) << peer.error().toString();
    registry_ = std::move(*peer);
    auto host = registry_->waitForLine("listening on (127\\.0\\.0\\.1:[0-9]+)", kStartTimeout);
    ASSERT_TRUE(host) << host.error().toString();
    host_ = *host;
    write("registries.conf",
          fmt::format("[[registry]]\nlocation = \"{}\"\ninsecure = true\n", host_));
    ASSERT_TRUE(createDirectories(path("registries.d")));
    write("registries.d/test.yaml",
          fmt::format("docker:\n  {}/test:\n    use-sigstore-attachments: true\n", host_));
    const std::string layout = path("layout");
    for (std::vector<std::string> argv :
         {std::vector<std::string>{"umoci", "init", "--layout", layout},
          {"umoci", "new", "--image", layout + ":v1"},
          {"umoci", "config", "--image", layout + ":v1", "--config.cmd", "/hello"},
          {"umoci", "unpack", "--image", layout + ":v1", path("bundle")}}) {
      auto r = run(argv);
      ASSERT_EQ(r.exit_code, 0) << argv[1] << ": " << r.stderr_data;
    }
    write("bundle/rootfs/hello.txt", "signed by cocoon\n");
    auto repack = run({"umoci", "repack", "--image", layout + ":v1", path("bundle")});
    ASSERT_EQ(repack.exit_code, 0) << repack.stderr_data;
    auto push = run({"skopeo", "copy", "--quiet", "--dest-tls-verify=false",
                     "oci:" + layout + ":v1", "docker://" + image()});
    ASSERT_EQ(push.exit_code, 0) << push.stderr_data;
    for (const char* name : {"signer", "other"}) {
      auto key = crypto::Key::generate(crypto::KeyType::kEcP256);
      ASSERT_TRUE(key);
      ASSERT_TRUE(writeFileAtomic(path(name) + ".pem", asBytes(*key->privatePem()), 0600));
      write(std::string(name) + ".pub", key->publicPem());
    }
  }

  void write(const std::string& name, std::string_view text) {
    ASSERT_TRUE(writeFileAtomic(path(name), asBytes(text)));
  }
  std::string path(std::string_view name) const { return (dir_->path() / name).string(); }
  std::string image() const { return host_ + "/test/app:v1"; }

  // `cocoon image <args> --registries-conf ...`.
  SubprocessResult cocoon(std::vector<std::string> args) {
    args.insert(args.begin(), {COCOON_CLI, "image"});
    args.insert(args.end(), {"--registries-conf", path("registries.conf")});
    return run(std::move(args));
  }

  // Pulls `ref` (default image()) under a policy that requires a sigstore signature by
  // `key`.pub.
  SubprocessResult pullRequiring(const std::string& key, const std::string& bundle,
                                 const std::string& ref = "") {
    write(key + "-policy.json",
          fmt::format(R"({{"default": [{{"type": "reject"}}], "transports": {{"docker": {{
              "{}/test": [{{"type": "sigstoreSigned", "keyPath": "{}"}}]}}}}}})",
                      host_, path(key + ".pub")));
    return cocoon({"pull", ref.empty() ? image() : ref, "--dest", path(bundle), "--flatten",
                   "--store", path("store"), "--policy", path(key + "-policy.json"),
                   "--registries-d", path("registries.d")});
  }

  std::optional<TempDir> dir_;
  std::unique_ptr<PeerProcess> registry_;
  std::string host_;
};

TEST_F(SignCli, SignedImagePullsUnderItsKeyAndIsRefusedUnderAnother) {
  // Unsigned: refused before anything is fetched (docs/image-trust.md: exit 5).
  auto unsigned_pull = pullRequiring("signer", "unsigned");
  EXPECT_EQ(unsigned_pull.exit_code, 5) << unsigned_pull.stderr_data;
  EXPECT_NE(unsigned_pull.stderr_data.find("no sigstore signatures for sha256:"), std::string::npos)
      << unsigned_pull.stderr_data;

  auto signed_image = cocoon({"sign", image(), "--key", path("signer.pem")});
  ASSERT_EQ(signed_image.exit_code, 0) << signed_image.stderr_data;
  EXPECT_NE(signed_image.stderr_data.find(".sig"), std::string::npos) << signed_image.stderr_data;

  auto accepted = pullRequiring("signer", "accepted");
  ASSERT_EQ(accepted.exit_code, 0) << accepted.stderr_data;
  auto hello = readTextFile(path("accepted") + "/rootfs/hello.txt", 1024);
  ASSERT_TRUE(hello) << hello.error().toString();
  EXPECT_EQ(*hello, "signed by cocoon\n");

  auto refused = pullRequiring("other", "refused");
  EXPECT_EQ(refused.exit_code, 5) << refused.stderr_data;
  EXPECT_NE(refused.stderr_data.find("sigstoreSigned"), std::string::npos) << refused.stderr_data;
  EXPECT_NE(refused.stderr_data.find("no signature satisfies it; signature 1: "), std::string::npos)
      << refused.stderr_data;
  EXPECT_FALSE(fs::exists(path("refused") + "/rootfs"));
  EXPECT_FALSE(fs::exists(path("refused") + "/config.json"));
}

// The identity the signature claims is checked like any other signature's.
TEST_F(SignCli, SignatureForAnotherIdentityIsRefused) {
  const std::string copy = host_ + "/test/copy:v1";
  auto push = run({"skopeo", "copy", "--quiet", "--src-tls-verify=false", "--dest-tls-verify=false",
                   "docker://" + image(), "docker://" + copy});
  ASSERT_EQ(push.exit_code, 0) << push.stderr_data;
  auto signed_image = cocoon({"sign", copy, "--key", path("signer.pem"), "--identity", image()});
  ASSERT_EQ(signed_image.exit_code, 0) << signed_image.stderr_data;
  auto refused = pullRequiring("signer", "copy", copy);
  EXPECT_EQ(refused.exit_code, 5) << refused.stderr_data;
  EXPECT_NE(
      refused.stderr_data.find(fmt::format("signature identity \"{}\" does not match", image())),
      std::string::npos)
      << refused.stderr_data;
  EXPECT_FALSE(fs::exists(path("copy") + "/rootfs"));
}

// cosign's behaviour: another key's signature is added to the attachment, the same key
// signing the same payload again replaces its signature instead of adding a duplicate.
TEST_F(SignCli, ResigningReplacesItsOwnSignatureAndKeepsOtherSigners) {
  auto digest = run({"skopeo", "inspect", "--tls-verify=false", "--format", "{{.Digest}}",
                     "docker://" + image()});
  ASSERT_EQ(digest.exit_code, 0) << digest.stderr_data;
  std::string attachment = host_ + "/test/app:" + digest.stdout_data.substr(0, 71);
  attachment.replace(attachment.rfind("sha256:"), 7, "sha256-");
  attachment += ".sig";
  auto signatures = [&] {
    auto raw = run({"skopeo", "inspect", "--raw", "--tls-verify=false", "docker://" + attachment});
    EXPECT_EQ(raw.exit_code, 0) << raw.stderr_data;
    auto doc = json::parseJson(raw.stdout_data);
    return doc && doc->contains("layers") ? (*doc)["layers"].size() : 0;
  };
  for (const char* key : {"signer", "signer", "other", "signer"}) {
    auto signed_image = cocoon({"sign", image(), "--key", path(key) + ".pem"});
    ASSERT_EQ(signed_image.exit_code, 0) << key << ": " << signed_image.stderr_data;
  }
  EXPECT_EQ(signatures(), 2u);
  auto by_signer = pullRequiring("signer", "by-signer");
  EXPECT_EQ(by_signer.exit_code, 0) << by_signer.stderr_data;
  auto by_other = pullRequiring("other", "by-other");
  EXPECT_EQ(by_other.exit_code, 0) << by_other.stderr_data;
}

TEST_F(SignCli, SigningErrorsExitWithTheirDocumentedCodes) {
  auto missing = cocoon({"sign", host_ + "/test/absent:v1", "--key", path("signer.pem")});
  EXPECT_EQ(missing.exit_code, 3) << missing.stderr_data;
  auto public_only = cocoon({"sign", image(), "--key", path("signer.pub")});
  EXPECT_EQ(public_only.exit_code, 1) << public_only.stderr_data;
  EXPECT_NE(
      public_only.stderr_data.find("signer.pub: is a public key; signing needs the private key"),
      std::string::npos)
      << public_only.stderr_data;
  auto layout = cocoon({"sign", "oci:" + path("layout") + ":v1", "--key", path("signer.pem")});
  EXPECT_EQ(layout.exit_code, 1) << layout.stderr_data;
  EXPECT_NE(layout.stderr_data.find("--identity is required"), std::string::npos)
      << layout.stderr_data;
}

}  // namespace
}  // namespace cocoon::image::trust
