// SPDX-License-Identifier: Apache-2.0
// RegistryEnv: builds the test image and starts the registry peers (ENVIRONMENT.md).
#include "image/registry/registry_env.h"

#include <chrono>
#include <filesystem>
#include <fstream>

#include "crypto/random.h"
#include "json/json.h"

namespace cocoon::image::registry::test {
namespace {

using cocoon::test::PeerProcess;
using cocoon::test::runTool;
namespace fs = std::filesystem;

constexpr char kScripts[] = COCOON_SOURCE_DIR "/tests/support/registry/";
constexpr std::chrono::milliseconds kStartTimeout{30'000};

Status writeText(const fs::path& path, const std::string& text) {
  return writeFileAtomic(path, asBytes(text));
}

}  // namespace

// Starts docker-registry on the shared storage with `auth_yaml` (may be empty).
Result<std::string> RegistryEnv::startRegistry(const std::string& name,
                                               const std::string& auth_yaml) {
  const fs::path root = dir_.path() / name;
  fs::create_directories(root);
  const std::string config = fmt::format(
      "version: 0.1\nlog:\n  level: info\n  accesslog:\n    disabled: true\n"
      "storage:\n  filesystem:\n    rootdirectory: {}\n  delete:\n    enabled: true\n"
      "http:\n  addr: 127.0.0.1:0\n  secret: test-secret\n{}",
      (dir_.path() / "storage").string(), auth_yaml);
  COCOON_TRY(writeText(root / "config.yml", config));
  COCOON_ASSIGN_OR_RETURN(auto peer,
                          PeerProcess::start({"docker-registry", "serve", root / "config.yml"}));
  COCOON_ASSIGN_OR_RETURN(
      std::string host, peer->waitForLine("listening on (127\\.0\\.0\\.1:[0-9]+)", kStartTimeout));
  peers_.push_back(std::move(peer));
  return host;
}

Result<std::string> RegistryEnv::startScript(const std::vector<std::string>& argv) {
  COCOON_ASSIGN_OR_RETURN(auto peer, PeerProcess::start(argv));
  COCOON_ASSIGN_OR_RETURN(std::string port, peer->waitForLine("^PORT ([0-9]+)", kStartTimeout));
  peers_.push_back(std::move(peer));
  return "127.0.0.1:" + port;
}

namespace {

Status push(const fs::path& dir, const std::string& host) {
  COCOON_TRY(runTool({"skopeo", "copy", "--quiet", "--dest-tls-verify=false",
                      fmt::format("oci:{}:{}", (dir / "layout").string(), kTag),
                      fmt::format("docker://{}/{}:{}", host, kRepository, kTag)}));
  return okStatus();
}

// umoci: an empty image, one layer with a text file and 3 MiB of random bytes.
Result<TestImage> buildImage(const fs::path& dir) {
  const std::string layout = (dir / "layout").string();
  const std::string ref = layout + ":" + kTag;
  const std::string bundle = (dir / "bundle").string();
  COCOON_TRY(runTool({"umoci", "init", "--layout", layout}));
  COCOON_TRY(runTool({"umoci", "new", "--image", ref}));
  COCOON_TRY(runTool({"umoci", "unpack", "--image", ref, bundle}));
  COCOON_TRY(writeText(fs::path(bundle) / "rootfs" / "hello.txt", "hello registry\n"));
  COCOON_TRY(
      writeFileAtomic(fs::path(bundle) / "rootfs" / "noise.bin", crypto::randomBytes(3 << 20)));
  COCOON_TRY(runTool({"umoci", "repack", "--image", ref, bundle}));

  // index.json -> manifest -> config and layer descriptors.
  auto readJson = [&](const fs::path& path) -> Result<json::Json> {
    COCOON_ASSIGN_OR_RETURN(std::string text, readTextFile(path, 1 << 20));
    return json::parseJson(text);
  };
  auto blobPath = [&](const std::string& digest) {
    return fs::path(layout) / "blobs" / "sha256" / digest.substr(7);
  };
  COCOON_ASSIGN_OR_RETURN(json::Json index, readJson(fs::path(layout) / "index.json"));
  TestImage image;
  image.manifest_digest = index["manifests"][0]["digest"].get<std::string>();
  COCOON_ASSIGN_OR_RETURN(json::Json manifest, readJson(blobPath(image.manifest_digest)));
  image.config_digest = manifest["config"]["digest"].get<std::string>();
  image.layer_digest = manifest["layers"][0]["digest"].get<std::string>();
  image.layer_size = manifest["layers"][0]["size"].get<std::uint64_t>();
  return image;
}

}  // namespace

Result<std::unique_ptr<RegistryEnv>> RegistryEnv::create() {
  COCOON_ASSIGN_OR_RETURN(TempDir dir, TempDir::create("registry-test"));
  return std::unique_ptr<RegistryEnv>(new RegistryEnv(std::move(dir)));
}

Result<std::string> RegistryEnv::openHost() {
  if (open_host_.empty()) {
    COCOON_ASSIGN_OR_RETURN(image_, buildImage(dir_.path()));
    COCOON_ASSIGN_OR_RETURN(std::string host, startRegistry("open", ""));
    COCOON_TRY(push(dir_.path(), host));
    open_host_ = host;
  }
  return open_host_;
}

Result<std::string> RegistryEnv::basicHost() {
  if (basic_host_.empty()) {
    COCOON_TRY(openHost());
    const fs::path htpasswd = dir_.path() / "htpasswd";
    COCOON_ASSIGN_OR_RETURN(
        std::string line,
        runTool({"python3", std::string(kScripts) + "htpasswd.py", kUser, kPassword}));
    COCOON_TRY(writeText(htpasswd, line));
    COCOON_ASSIGN_OR_RETURN(
        basic_host_,
        startRegistry("basic", fmt::format("auth:\n  htpasswd:\n    realm: cocoon-test\n"
                                           "    path: {}\n",
                                           htpasswd.string())));
  }
  return basic_host_;
}

Result<std::string> RegistryEnv::tokenHost() {
  if (token_host_.empty()) {
    COCOON_TRY(openHost());
    // The registry trusts the token server's self-signed certificate.
    const std::string key = (dir_.path() / "token.key").string();
    const std::string cert = (dir_.path() / "token.crt").string();
    COCOON_TRY(runTool({"openssl", "req", "-x509", "-newkey", "rsa:2048", "-nodes", "-days", "2",
                        "-subj", "/CN=cocoon-test-token", "-keyout", key, "-out", cert}));
    COCOON_ASSIGN_OR_RETURN(
        std::string server,
        startScript({"python3", std::string(kScripts) + "token_server.py", "--key", key, "--issuer",
                     "cocoon-test-issuer", "--service", "cocoon-test", "--user", kUser,
                     "--password", kPassword}));
    token_url_ = "http://" + server;
    COCOON_ASSIGN_OR_RETURN(
        token_host_,
        startRegistry("token",
                      fmt::format("auth:\n  token:\n    realm: {}/token\n"
                                  "    service: cocoon-test\n    issuer: cocoon-test-issuer\n"
                                  "    rootcertbundle: {}\n",
                                  token_url_, cert)));
  }
  return token_host_;
}

Result<std::string> RegistryEnv::proxyHost() {
  if (proxy_host_.empty()) {
    COCOON_ASSIGN_OR_RETURN(std::string upstream, openHost());
    COCOON_ASSIGN_OR_RETURN(
        proxy_host_,
        startScript({"python3", std::string(kScripts) + "test_server.py", "--upstream", upstream}));
  }
  return proxy_host_;
}

}  // namespace cocoon::image::registry::test
