// SPDX-License-Identifier: Apache-2.0
// The real peers of the registry client tests: docker-registry instances (open, htpasswd,
// token auth), the python token server and fault proxy, and a test image pushed to each.
#pragma once

#include <cstdint>
#include <memory>
#include <string>
#include <vector>

#include "common/bytes.h"
#include "common/files.h"
#include "common/result.h"
#include "http/peer_process.h"

namespace cocoon::image::registry::test {

inline constexpr char kRepository[] = "test/app";
inline constexpr char kTag[] = "v1";
inline constexpr char kUser[] = "puller";
inline constexpr char kPassword[] = "pull-secret-1";

// What was pushed: the OCI manifest, its config and its one layer (about 3 MiB of
// incompressible data, so a cut mid-blob leaves most of it to resume).
struct TestImage {
  std::string manifest_digest;
  std::string config_digest;
  std::string layer_digest;
  std::uint64_t layer_size = 0;
};

// The peers of a suite, each started on first use and stopped by the destructor (ctest
// runs every test in its own process, so a test pays only for the peers it uses). All
// registries share one storage directory: the image is pushed once, to the open one.
// Not thread-safe.
class RegistryEnv {
 public:
  // Errors: kInternal etc. from TempDir.
  static Result<std::unique_ptr<RegistryEnv>> create();

  // Each returns "127.0.0.1:PORT" of its peer, starting it (and what it needs) first.
  // Errors: the failing command and its output.
  Result<std::string> openHost();   // anonymous pulls; the image is pushed here
  Result<std::string> basicHost();  // htpasswd auth: kUser / kPassword
  Result<std::string> tokenHost();  // auth: token, realm on tokenUrl()
  Result<std::string> proxyHost();  // test_server.py in front of openHost(), with faults
  // "http://127.0.0.1:PORT" of token_server.py; REQUIRES: tokenHost() succeeded.
  const std::string& tokenUrl() const { return token_url_; }
  // REQUIRES: openHost() succeeded.
  const TestImage& image() const { return image_; }

 private:
  explicit RegistryEnv(TempDir dir) : dir_(std::move(dir)) {}
  Result<std::string> startRegistry(const std::string& name, const std::string& auth_yaml);
  Result<std::string> startScript(const std::vector<std::string>& argv);

  TempDir dir_;
  TestImage image_;
  std::string open_host_;
  std::string basic_host_;
  std::string token_host_;
  std::string proxy_host_;
  std::string token_url_;
  std::vector<std::unique_ptr<cocoon::test::PeerProcess>> peers_;
};

}  // namespace cocoon::image::registry::test
