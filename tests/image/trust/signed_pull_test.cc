// SPDX-License-Identifier: Apache-2.0
// Signed pulls against real peers: a docker-registry on loopback, images signed by
// `skopeo copy --sign-by` with a throwaway GPG key (lookaside written through registries.d
// lookaside-staging), and cosign-format attachments made with openssl and pushed by skopeo.
// Each TEST covers one signature kind with all its cases, because ctest runs every test in
// its own process and the peers are set up per process.
#include <chrono>
#include <filesystem>
#include <fstream>

#include <gtest/gtest.h>

#include "common/encoding.h"
#include "common/files.h"
#include "crypto/digest.h"
#include "http/curl_client.h"
#include "http/peer_process.h"
#include "image/open_destination.h"
#include "image/open_source.h"
#include "image/trust/enforcer.h"
#include "image/trust/sign.h"
#include "image/trust/signature_sources.h"
#include "support/expect.h"

namespace cocoon::image::trust {
namespace {

using cocoon::test::expectError;
using cocoon::test::PeerProcess;
using cocoon::test::runTool;
namespace fs = std::filesystem;

constexpr std::chrono::seconds kStartTimeout{30};

Status writeText(const fs::path& path, std::string_view text) {
  return writeFileAtomic(path, asBytes(text));
}

// One registry, one small image in an OCI layout, and a GNUPGHOME with two signing keys.
class SignedPull : public ::testing::Test {
 protected:
  void SetUp() override {
    auto dir = TempDir::create("signed-pull");
    ASSERT_TRUE(dir);
    dir_.emplace(std::move(*dir));
    const fs::path d = dir_->path();
    ASSERT_TRUE(writeText(d / "registry.yml",
                          fmt::format("version: 0.1\nlog:\n  level: info\n  accesslog:\n"
                                      "    disabled: true\nstorage:\n  filesystem:\n"
                                      "    rootdirectory: {}\nhttp:\n  addr: 127.0.0.1:0\n",
                                      (d / "storage").string())));
    auto peer = PeerProcess::start({"docker-registry", "serve", (d / "registry.yml").string()});
    ASSERT_TRUE(peer) << peer.error().toString();
    registry_ = std::move(*peer);
    auto host = registry_->waitForLine("listening on (127\\.0\\.0\\.1:[0-9]+)", kStartTimeout);
    ASSERT_TRUE(host) << host.error().toString();
    host_ = *host;
    ASSERT_TRUE(
        writeText(d / "registries.conf",
                  fmt::format("[[registry]]\nlocation = \"{}\"\ninsecure = true\n", host_)));
    // A one-layer image (umoci), the thing every case signs and pulls.
    const std::string layout = (d / "layout").string();
    ASSERT_TRUE(tool({"umoci", "init", "--layout", layout}));
    ASSERT_TRUE(tool({"umoci", "new", "--image", layout + ":v1"}));
    ASSERT_TRUE(tool({"umoci", "config", "--image", layout + ":v1", "--config.cmd", "/hello"}));
    ASSERT_TRUE(tool({"umoci", "unpack", "--image", layout + ":v1", (d / "bundle").string()}));
    ASSERT_TRUE(writeText(d / "bundle/rootfs/hello.txt", "signed hello\n"));
    ASSERT_TRUE(tool({"umoci", "repack", "--image", layout + ":v1", (d / "bundle").string()}));
    auto store = LayerStore::open(d / "store");
    ASSERT_TRUE(store);
    store_.emplace(std::move(*store));
  }

  void TearDown() override {
    if (gpg_started_) {
      (void)runTool({"gpgconf", "--homedir", gnupgHome().string(), "--kill", "all"});
    }
  }

  fs::path gnupgHome() const { return dir_->path() / "gnupg"; }

  static Status tool(const std::vector<std::string>& argv) {
    auto r = runTool(argv);
    if (!r) {
      return fail(r.error());
    }
    return okStatus();
  }

  // Generates an ed25519 signing key in the test GNUPGHOME; returns its fingerprint and
  // writes its armoured public key to `pub`.
  Result<std::string> makeGpgKey(const std::string& uid, const fs::path& pub) {
    COCOON_TRY(createDirectories(gnupgHome()));
    fs::permissions(gnupgHome(), fs::perms::owner_all, fs::perm_options::replace);
    gpg_started_ = true;
    const std::string home = gnupgHome().string();
    COCOON_TRY(tool({"gpg", "--homedir", home, "--batch", "--passphrase", "", "--quick-gen-key",
                     uid, "ed25519", "sign", "never"}));
    COCOON_ASSIGN_OR_RETURN(std::string listing, runTool({"gpg", "--homedir", home, "--with-colons",
                                                          "--list-keys", uid}));
    std::size_t at = listing.find("\nfpr:");
    if (at == std::string::npos) {
      return fail(Code::kInternal, "no fingerprint in gpg --list-keys output");
    }
    std::string fpr = listing.substr(at + 1);
    fpr = fpr.substr(0, fpr.find('\n'));
    fpr.pop_back();  // the trailing ':'
    fpr = fpr.substr(fpr.rfind(':') + 1);
    COCOON_ASSIGN_OR_RETURN(std::string armoured,
                            runTool({"gpg", "--homedir", home, "--armor", "--export", fpr}));
    COCOON_TRY(writeText(pub, armoured));
    return fpr;
  }

  // Pushes the layout image to `repo`:v1, signed by `sign_by` when given (GNUPGHOME and a
  // registries.d that stages signatures in lookaside()). Returns the manifest digest.
  Result<std::string> push(const std::string& repo, const std::string& sign_by = "") {
    const fs::path rd = dir_->path() / "sign-registries.d";
    COCOON_TRY(createDirectories(rd));
    COCOON_TRY(writeText(
        rd / "sign.yaml",
        fmt::format("default-docker:\n  lookaside-staging: file://{}\n", lookaside().string())));
    std::vector<std::string> argv{"env",       "GNUPGHOME=" + gnupgHome().string(),
                                  "skopeo",    "--registries.d",
                                  rd.string(), "copy",
                                  "--quiet",   "--dest-tls-verify=false"};
    if (!sign_by.empty()) {
      argv.insert(argv.end(), {"--sign-by", sign_by});
    }
    argv.insert(argv.end(), {"oci:" + (dir_->path() / "layout").string() + ":v1",
                             fmt::format("docker://{}/{}:v1", host_, repo)});
    COCOON_TRY(tool(argv));
    COCOON_ASSIGN_OR_RETURN(std::string raw,
                            runTool({"skopeo", "inspect", "--raw", "--tls-verify=false",
                                     fmt::format("docker://{}/{}:v1", host_, repo)}));
    return oci::computeDigest(asBytes(raw)).toString();
  }

  // An EC P-256 key pair made by openssl: <name>.pem (private) and <name>.pub.pem.
  Status makeEcKey(const std::string& name) {
    const std::string key = (dir_->path() / (name + ".pem")).string();
    COCOON_TRY(
        tool({"openssl", "ecparam", "-name", "prime256v1", "-genkey", "-noout", "-out", key}));
    return tool({"openssl", "ec", "-in", key, "-pubout", "-out",
                 (dir_->path() / (name + ".pub.pem")).string()});
  }

  // Signs a cosign payload for `digest` claiming `identity` with key `name` (openssl, checked
  // with `openssl dgst -verify`), and pushes it as `repo`'s `sha256-<hex>.sig` attachment
  // with skopeo. `tamper` changes the payload after it was signed.
  Status pushCosignSignature(const std::string& repo, const std::string& digest,
                             const std::string& identity, const std::string& name,
                             bool tamper = false) {
    const fs::path d = dir_->path() / ("cosign-" + repo.substr(repo.rfind('/') + 1));
    COCOON_TRY(createDirectories(d / "layout/blobs/sha256"));
    std::string payload = fmt::format(
        R"({{"critical":{{"identity":{{"docker-reference":"{}"}},"image":{{"docker-manifest-)"
        R"(digest":"{}"}},"type":"cosign container image signature"}},"optional":null}})",
        identity, digest);
    COCOON_TRY(writeText(d / "payload", payload));
    const std::string key = (dir_->path() / (name + ".pem")).string();
    COCOON_TRY(tool({"openssl", "dgst", "-sha256", "-sign", key, "-out", (d / "sig").string(),
                     (d / "payload").string()}));
    COCOON_ASSIGN_OR_RETURN(std::string verified,
                            runTool({"openssl", "dgst", "-sha256", "-verify",
                                     (dir_->path() / (name + ".pub.pem")).string(), "-signature",
                                     (d / "sig").string(), (d / "payload").string()}));
    if (verified.find("Verified OK") == std::string::npos) {
      return fail(Code::kInternal, "openssl does not verify the cosign signature: {}", verified);
    }
    COCOON_ASSIGN_OR_RETURN(Bytes sig, readFile(d / "sig", 1 << 16));
    if (tamper) {
      payload.replace(payload.find(":v1"), 3, ":v2");
    }
    auto blob = [&](std::string_view bytes) -> Result<std::string> {
      std::string hex = hexEncode(crypto::sha256(asBytes(bytes)));
      COCOON_TRY(writeText(d / "layout/blobs/sha256" / hex, bytes));
      return fmt::format(R"("size":{},"digest":"sha256:{}")", bytes.size(), hex);
    };
    COCOON_ASSIGN_OR_RETURN(std::string payload_desc, blob(payload));
    COCOON_ASSIGN_OR_RETURN(std::string config_desc, blob(R"({"architecture":"","os":"",)"
                                                          R"("rootfs":{"type":"layers",)"
                                                          R"("diff_ids":[]},"config":{}})"));
    COCOON_ASSIGN_OR_RETURN(
        std::string manifest_desc,
        blob(fmt::format(R"({{"schemaVersion":2,"mediaType":"{}","config":{{"mediaType":"{}",{}}},)"
                         R"("layers":[{{"mediaType":"{}",{},"annotations":{{"{}":"{}"}}}}]}})",
                         oci::kOciManifest, oci::kOciConfig, config_desc,
                         kCosignSimpleSigningMediaType, payload_desc, kCosignSignatureAnnotation,
                         base64Encode(sig))));
    auto parsed = oci::parseDigest(digest);
    if (!parsed) {
      return fail(parsed.error());
    }
    const std::string tag = sigstoreTag(*parsed);
    COCOON_TRY(writeText(d / "layout/oci-layout", R"({"imageLayoutVersion":"1.0.0"})"));
    COCOON_TRY(
        writeText(d / "layout/index.json",
                  fmt::format(R"({{"schemaVersion":2,"manifests":[{{"mediaType":"{}",{},)"
                              R"("annotations":{{"org.opencontainers.image.ref.name":"{}"}}}}]}})",
                              oci::kOciManifest, manifest_desc, tag)));
    return tool({"skopeo", "copy", "--quiet", "--dest-tls-verify=false",
                 "oci:" + (d / "layout").string() + ":" + tag,
                 fmt::format("docker://{}/{}:{}", host_, repo, tag)});
  }

  fs::path lookaside() const { return dir_->path() / "lookaside"; }

  // Pulls host/<image> under `policy` and `registries_d` (YAML); checks that a refused pull
  // left no bundle behind.
  Result<PullResult> pullWith(const std::string& image, const std::string& policy,
                              const std::string& registries_d, http::HttpClient* http = nullptr) {
    COCOON_ASSIGN_OR_RETURN(Policy parsed, parsePolicy(policy));
    RegistriesD config;
    COCOON_TRY(parseRegistriesDYaml(registries_d, "test.yaml", config));
    PolicyEnforcer enforcer(std::move(parsed), std::move(config), PolicyTarget{}, http);
    SourceOptions source_options;
    source_options.registries_conf = dir_->path() / "registries.conf";
    source_options.auth_file = dir_->path() / "no-auth.json";
    COCOON_ASSIGN_OR_RETURN(OpenedSource opened,
                            openImageSource(host_ + "/" + image, source_options));
    PullOptions options;
    options.dest = dir_->path() / fmt::format("pulled-{}", ++pulls_);
    options.flatten = true;
    options.policy = &enforcer;
    auto result = pullImage(*opened.source, opened.reference, *store_, options);
    if (!result) {
      EXPECT_FALSE(fs::exists(options.dest / "rootfs")) << options.dest;
      EXPECT_FALSE(fs::exists(options.dest / "config.json")) << options.dest;
    }
    return result;
  }

  std::string policyFor(const std::string& scope, const std::string& requirement) const {
    return fmt::format(R"({{"default": [{{"type": "reject"}}], "transports": {{"docker": {{
        "{}/{}": [{}]}}}}}})",
                       host_, scope, requirement);
  }

  std::optional<TempDir> dir_;
  std::unique_ptr<PeerProcess> registry_;
  std::string host_;
  std::optional<LayerStore> store_;
  bool gpg_started_ = false;
  int pulls_ = 0;
};

TEST_F(SignedPull, GpgSimpleSigningFromTheLookaside) {
  const fs::path pub = dir_->path() / "signer.asc";
  const fs::path other_pub = dir_->path() / "other.asc";
  auto fpr = makeGpgKey("Cocoon Signer <signer@example.com>", pub);
  ASSERT_TRUE(fpr) << fpr.error().toString();
  ASSERT_TRUE(makeGpgKey("Someone Else <else@example.com>", other_pub));
  auto digest = push("test/signed", *fpr);
  ASSERT_TRUE(digest) << digest.error().toString();
  ASSERT_TRUE(push("test/unsigned"));
  ASSERT_TRUE(push("test/tampered", *fpr));
  const std::string read_lookaside =
      fmt::format("default-docker:\n  lookaside: file://{}\n", lookaside().string());
  const std::string signed_by =
      fmt::format(R"({{"type": "signedBy", "keyType": "GPGKeys", "keyPath": "{}"}})", pub.string());

  {
    SCOPED_TRACE("matching key and identity");
    auto r = pullWith("test/signed:v1", policyFor("test", signed_by), read_lookaside);
    ASSERT_TRUE(r) << r.error().toString();
    EXPECT_TRUE(fs::exists(dir_->path() / "pulled-1/rootfs/hello.txt"));
  }
  {
    SCOPED_TRACE("by digest: the repository must match");
    auto r =
        pullWith("test/signed@" + *digest, policyFor("test/signed", signed_by), read_lookaside);
    ASSERT_TRUE(r) << r.error().toString();
  }
  {
    SCOPED_TRACE("keyData instead of keyPath");
    auto key = readFile(pub, 1 << 20);
    ASSERT_TRUE(key);
    auto r = pullWith("test/signed:v1",
                      policyFor("test", fmt::format(R"({{"type": "signedBy", "keyType": "GPGKeys",
                                                          "keyData": "{}"}})",
                                                    base64Encode(*key))),
                      read_lookaside);
    ASSERT_TRUE(r) << r.error().toString();
  }
  {
    SCOPED_TRACE("wrong key");
    auto r = pullWith("test/signed:v1",
                      policyFor("test", fmt::format(R"({{"type": "signedBy", "keyType": "GPGKeys",
                                                          "keyPath": "{}"}})",
                                                    other_pub.string())),
                      read_lookaside);
    expectError(r, Code::kPermissionDenied, "which is not among the policy's keys");
    if (!r) {
      EXPECT_EQ(r.error().context, std::vector<std::string>{"signature policy"});
      EXPECT_THAT(r.error().message,
                  ::testing::HasSubstr(fmt::format(
                      "{}/test/signed:v1 refused by transports.docker[\"{}/test\"][0] signedBy",
                      host_, host_)));
    }
  }
  {
    SCOPED_TRACE("wrong identity");
    auto r = pullWith("test/signed:v1",
                      policyFor("test", fmt::format(R"({{"type": "signedBy", "keyType": "GPGKeys",
            "keyPath": "{}", "signedIdentity": {{"type": "exactReference",
            "dockerReference": "{}/test/other:v1"}}}})",
                                                    pub.string(), host_)),
                      read_lookaside);
    expectError(r, Code::kPermissionDenied,
                fmt::format("signature identity \"{}/test/signed:v1\" does not match", host_));
  }
  {
    SCOPED_TRACE("a signature replayed onto another repository");
    const std::string sub = "@" + std::string(*digest).replace(6, 1, "=");
    ASSERT_TRUE(createDirectories(lookaside() / ("test/unsigned" + sub)));
    fs::copy_file(lookaside() / ("test/signed" + sub) / "signature-1",
                  lookaside() / ("test/unsigned" + sub) / "signature-1");
    auto r = pullWith("test/unsigned:v1", policyFor("test", signed_by), read_lookaside);
    expectError(r, Code::kPermissionDenied,
                fmt::format("signature identity \"{}/test/signed:v1\" does not match {}/test/"
                            "unsigned:v1",
                            host_, host_));
    fs::remove_all(lookaside() / ("test/unsigned" + sub));
  }
  {
    SCOPED_TRACE("unsigned");
    auto r = pullWith("test/unsigned:v1", policyFor("test", signed_by), read_lookaside);
    expectError(r, Code::kPermissionDenied, "no GPG signatures for " + *digest);
  }
  {
    SCOPED_TRACE("tampered signature");
    const fs::path sig =
        lookaside() / ("test/tampered@" + std::string(*digest).replace(6, 1, "=")) / "signature-1";
    auto bytes = readFile(sig, 1 << 20);
    ASSERT_TRUE(bytes);
    (*bytes)[bytes->size() - 8] ^= 0x01;
    ASSERT_TRUE(writeFileAtomic(sig, *bytes));
    auto r = pullWith("test/tampered:v1", policyFor("test", signed_by), read_lookaside);
    expectError(r, Code::kPermissionDenied, "signature-1: ");
  }
  {
    SCOPED_TRACE("reject");
    auto r = pullWith("test/signed:v1", policyFor("test/signed:v1", R"({"type": "reject"})"),
                      read_lookaside);
    expectError(r, Code::kPermissionDenied,
                fmt::format("refused by transports.docker[\"{}/test/signed:v1\"][0] reject: the "
                            "policy rejects this image",
                            host_));
  }
  {
    SCOPED_TRACE("all requirements of the scope must hold");
    auto r = pullWith("test/signed:v1", policyFor("test", signed_by + R"(, {"type": "reject"})"),
                      read_lookaside);
    expectError(r, Code::kPermissionDenied, "[1] reject");
  }
  {
    SCOPED_TRACE("lookaside over http");
    auto server = PeerProcess::start({"python3", "-u", "-m", "http.server", "0", "--bind",
                                      "127.0.0.1", "--directory", lookaside().string()});
    ASSERT_TRUE(server) << server.error().toString();
    auto port = (*server)->waitForLine("port ([0-9]+)", kStartTimeout);
    ASSERT_TRUE(port) << port.error().toString();
    auto http = http::makeCurlHttpClient({});
    ASSERT_TRUE(http);
    auto r = pullWith(
        "test/signed:v1", policyFor("test", signed_by),
        fmt::format("docker:\n  {}/test:\n    lookaside: http://127.0.0.1:{}/\n", host_, *port),
        http->get());
    ASSERT_TRUE(r) << r.error().toString();
  }
}

TEST_F(SignedPull, SigstoreAttachments) {
  ASSERT_TRUE(makeEcKey("cosign"));
  ASSERT_TRUE(makeEcKey("other"));
  auto digest = push("test/cosigned");
  ASSERT_TRUE(digest) << digest.error().toString();
  ASSERT_TRUE(push("test/unsigned"));
  ASSERT_TRUE(push("test/tampered"));
  ASSERT_TRUE(push("test/other-key"));
  ASSERT_TRUE(pushCosignSignature("test/cosigned", *digest, host_ + "/test/cosigned:v1", "cosign"));
  ASSERT_TRUE(
      pushCosignSignature("test/tampered", *digest, host_ + "/test/tampered:v1", "cosign", true));
  ASSERT_TRUE(
      pushCosignSignature("test/other-key", *digest, host_ + "/test/other-key:v1", "other"));
  const std::string attachments =
      fmt::format("docker:\n  {}/test:\n    use-sigstore-attachments: true\n", host_);
  const fs::path pub = dir_->path() / "cosign.pub.pem";
  const std::string sigstore =
      fmt::format(R"({{"type": "sigstoreSigned", "keyPath": "{}"}})", pub.string());

  {
    SCOPED_TRACE("matching key and identity");
    auto r = pullWith("test/cosigned:v1", policyFor("test", sigstore), attachments);
    ASSERT_TRUE(r) << r.error().toString();
    EXPECT_EQ(r->manifest_digest.toString(), *digest);
  }
  {
    SCOPED_TRACE("keyData, by digest");
    auto key = readFile(pub, 1 << 16);
    ASSERT_TRUE(key);
    auto r =
        pullWith("test/cosigned@" + *digest,
                 policyFor("test", fmt::format(R"({{"type": "sigstoreSigned", "keyData": "{}"}})",
                                               base64Encode(*key))),
                 attachments);
    ASSERT_TRUE(r) << r.error().toString();
  }
  {
    SCOPED_TRACE("attachments not enabled in registries.d");
    auto r = pullWith("test/cosigned:v1", policyFor("test", sigstore), "");
    expectError(r, Code::kPermissionDenied,
                "(registries.d does not enable use-sigstore-attachments for it)");
  }
  {
    SCOPED_TRACE("wrong key");
    auto r = pullWith("test/other-key:v1", policyFor("test", sigstore), attachments);
    expectError(r, Code::kPermissionDenied, "no signature satisfies it; signature 1: ");
  }
  {
    SCOPED_TRACE("wrong identity");
    auto r = pullWith("test/cosigned:v1",
                      policyFor("test", fmt::format(R"({{"type": "sigstoreSigned", "keyPath": "{}",
            "signedIdentity": {{"type": "matchExact"}}}})",
                                                    pub.string())),
                      attachments);
    ASSERT_TRUE(r) << r.error().toString();
    r = pullWith("test/cosigned:v1",
                 policyFor("test", fmt::format(R"({{"type": "sigstoreSigned", "keyPath": "{}",
            "signedIdentity": {{"type": "exactRepository", "dockerRepository": "{}/test/x"}}}})",
                                               pub.string(), host_)),
                 attachments);
    expectError(r, Code::kPermissionDenied,
                fmt::format("signature identity \"{}/test/cosigned:v1\" does not match", host_));
  }
  {
    SCOPED_TRACE("unsigned");
    auto r = pullWith("test/unsigned:v1", policyFor("test", sigstore), attachments);
    expectError(r, Code::kPermissionDenied, "no sigstore signatures for " + *digest);
  }
  {
    SCOPED_TRACE("tampered payload");
    auto r = pullWith("test/tampered:v1", policyFor("test", sigstore), attachments);
    expectError(r, Code::kPermissionDenied, "signature 1: ");
  }
  {
    SCOPED_TRACE("reject");
    auto r = pullWith("test/cosigned:v1", policyFor("test", R"({"type": "reject"})"), attachments);
    expectError(r, Code::kPermissionDenied, "reject: the policy rejects this image");
  }
  {
    SCOPED_TRACE("a key type cosign signatures cannot have");
    ASSERT_TRUE(tool({"openssl", "ecparam", "-name", "secp384r1", "-genkey", "-noout", "-out",
                      (dir_->path() / "p384.pem").string()}));
    ASSERT_TRUE(tool({"openssl", "ec", "-in", (dir_->path() / "p384.pem").string(), "-pubout",
                      "-out", (dir_->path() / "p384.pub.pem").string()}));
    auto r =
        pullWith("test/cosigned:v1",
                 policyFor("test", fmt::format(R"({{"type": "sigstoreSigned", "keyPath": "{}"}})",
                                               (dir_->path() / "p384.pub.pem").string())),
                 attachments);
    expectError(r, Code::kUnimplemented, "sigstore key of type P-384 is not supported");
  }
}

// `cocoon image sign`'s library half: sign into the OCI layout, check the signature with
// openssl, push the attachment with skopeo, and pull under sigstoreSigned.
TEST_F(SignedPull, SignImageWritesAVerifiableAttachment) {
  ASSERT_TRUE(makeEcKey("signer"));
  ASSERT_TRUE(makeEcKey("other"));
  auto digest = push("test/by-cocoon");
  ASSERT_TRUE(digest) << digest.error().toString();
  const std::string layout = (dir_->path() / "layout").string();
  auto source = openImageSource("oci:" + layout + ":v1", {});
  ASSERT_TRUE(source) << source.error().toString();
  auto dest = openImageDestination("oci:" + layout, {});
  ASSERT_TRUE(dest) << dest.error().toString();
  auto pem = readTextFile(dir_->path() / "signer.pem", 1 << 16);
  ASSERT_TRUE(pem);
  auto key = crypto::Key::fromPem(*pem);
  ASSERT_TRUE(key) << key.error().toString();
  expectError(signImage(*source->source, source->reference, **dest, *key, host_ + "/test/x"),
              Code::kInvalidArgument, "has neither a tag nor a digest");
  auto signed_image =
      signImage(*source->source, source->reference, **dest, *key, host_ + "/test/by-cocoon:v1");
  ASSERT_TRUE(signed_image) << signed_image.error().toString();
  EXPECT_EQ(signed_image->manifest_digest.toString(), *digest);

  // A fresh source: the layout's index.json is read when it is opened.
  auto reread = openImageSource("oci:" + layout + ":v1", {});
  ASSERT_TRUE(reread) << reread.error().toString();
  auto sigs = fetchSigstoreSignatures(*reread->source, signed_image->manifest_digest);
  ASSERT_TRUE(sigs) << sigs.error().toString();
  ASSERT_EQ(sigs->size(), 1u);
  EXPECT_EQ(toString((*sigs)[0].payload), signed_image->payload);
  ASSERT_TRUE(writeFileAtomic(dir_->path() / "cocoon.payload", (*sigs)[0].payload));
  ASSERT_TRUE(writeFileAtomic(dir_->path() / "cocoon.sig", (*sigs)[0].signature));
  auto verified =
      runTool({"openssl", "dgst", "-sha256", "-verify", (dir_->path() / "signer.pub.pem").string(),
               "-signature", (dir_->path() / "cocoon.sig").string(),
               (dir_->path() / "cocoon.payload").string()});
  ASSERT_TRUE(verified) << verified.error().toString();
  EXPECT_THAT(*verified, ::testing::HasSubstr("Verified OK"));

  ASSERT_TRUE(tool({"skopeo", "copy", "--quiet", "--dest-tls-verify=false",
                    "oci:" + layout + ":" + signed_image->tag,
                    fmt::format("docker://{}/test/by-cocoon:{}", host_, signed_image->tag)}));
  const std::string attachments =
      fmt::format("docker:\n  {}/test:\n    use-sigstore-attachments: true\n", host_);
  auto accepted =
      pullWith("test/by-cocoon:v1",
               policyFor("test", fmt::format(R"({{"type": "sigstoreSigned", "keyPath": "{}"}})",
                                             (dir_->path() / "signer.pub.pem").string())),
               attachments);
  ASSERT_TRUE(accepted) << accepted.error().toString();
  auto refused =
      pullWith("test/by-cocoon:v1",
               policyFor("test", fmt::format(R"({{"type": "sigstoreSigned", "keyPath": "{}"}})",
                                             (dir_->path() / "other.pub.pem").string())),
               attachments);
  expectError(refused, Code::kPermissionDenied, "no signature satisfies it; signature 1: ");
}

}  // namespace
}  // namespace cocoon::image::trust
