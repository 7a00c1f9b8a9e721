// SPDX-License-Identifier: Apache-2.0
// kUmociConfig is the real config blob (292 bytes with its newline) umoci 0.4 wrote
// (init/new/repack) in a temp dir; kDockerConfig has the shape `docker inspect`/registries give for
// nginx-like images.
#include "image/oci/image_config.h"

#include <gtest/gtest.h>

#include "support/expect.h"

namespace cocoon::image::oci {
namespace {

using test::expectError;

constexpr std::string_view kUmociConfig =
    R"({"created":"2026-11-28T11:06:52.092317269Z","architecture":"amd64","os":"linux",)"
    R"("config":{},"rootfs":{"type":"layers","diff_ids":)"
    R"(["sha256:dff30e6f334258c7b8883e9f71e9868cc69cc81d259462d10741cc76aa911545"]},)"
    R"("history":[{"created":"2026-11-28T11:06:52.107631547Z","created_by":"umoci repack"}]})"
    "\n";

const std::string kDiffId = "sha256:" + std::string(64, 'd');

const std::string kDockerConfig = R"({
  "architecture": "arm64", "variant": "v8", "os": "linux",
  "config": {
    "User": "101:101", "Env": ["PATH=/usr/bin", "NGINX_VERSION=1.25.3"],
    "Entrypoint": ["/docker-entrypoint.sh"], "Cmd": ["nginx", "-g", "daemon off;"],
    "WorkingDir": "/srv", "ExposedPorts": {"80/tcp": {}, "443/tcp": {}},
    "Labels": {"maintainer": "NGINX Docker Maintainers"}, "StopSignal": "SIGQUIT",
    "Volumes": {"/var/cache/nginx": {}}, "OnBuild": null, "Image": "sha256:ab"
  },
  "container_config": {"Cmd": ["/bin/sh"]},
  "rootfs": {"type": "layers", "diff_ids": [")" +
                                  kDiffId + R"(", ")" + kDiffId + R"("]}
})";

TEST(ImageConfig, ParsesUmociConfig) {
  EXPECT_TRUE(verifyDigest(*parseDigest("sha256:ece9ebea32fa62d1dafd151691145fd114c0806c1825e57b"
                                        "c0181d84860c630b"),
                           asBytes(kUmociConfig), "config"));
  auto c = parseImageConfig(asBytes(kUmociConfig));
  ASSERT_TRUE(c) << c.error().toString();
  EXPECT_EQ(c->architecture, "amd64");
  EXPECT_EQ(c->os, "linux");
  EXPECT_EQ(c->created, "2026-11-28T11:06:52.092317269Z");
  ASSERT_EQ(c->diff_ids.size(), 1U);
  EXPECT_TRUE(c->config.cmd.empty());
}

TEST(ImageConfig, ParsesEveryRuntimeField) {
  auto c = parseImageConfig(asBytes(kDockerConfig));
  ASSERT_TRUE(c) << c.error().toString();
  EXPECT_EQ(c->variant, "v8");
  EXPECT_EQ(c->config.user, "101:101");
  EXPECT_EQ(c->config.env, (std::vector<std::string>{"PATH=/usr/bin", "NGINX_VERSION=1.25.3"}));
  EXPECT_EQ(c->config.entrypoint, std::vector<std::string>{"/docker-entrypoint.sh"});
  EXPECT_EQ(c->config.cmd, (std::vector<std::string>{"nginx", "-g", "daemon off;"}));
  EXPECT_EQ(c->config.working_dir, "/srv");
  EXPECT_EQ(c->config.exposed_ports, (std::vector<std::string>{"443/tcp", "80/tcp"}));
  EXPECT_EQ(c->config.labels.at("maintainer"), "NGINX Docker Maintainers");
  EXPECT_EQ(c->config.stop_signal, "SIGQUIT");
  EXPECT_EQ(c->config.volumes, std::vector<std::string>{"/var/cache/nginx"});
  EXPECT_EQ(c->diff_ids.size(), 2U);
}

TEST(ImageConfig, AcceptsNullsAsGoDoes) {
  auto c = parseImageConfig(
      asBytes(R"({"architecture":"amd64","os":"linux","config":{"Entrypoint":null,"Cmd":null,)"
              R"("Env":null,"Labels":null,"Volumes":null,"ExposedPorts":null,"User":null},)"
              R"("rootfs":{"type":"layers","diff_ids":[]}})"));
  ASSERT_TRUE(c) << c.error().toString();
  EXPECT_TRUE(c->config.entrypoint.empty());
  EXPECT_TRUE(c->diff_ids.empty());
}

TEST(ImageConfig, RejectsMalformedConfigs) {
  struct Bad {
    std::string from;
    std::string to;
    const char* message;
  };
  const Bad cases[] = {
      {R"("architecture": "arm64", )", "", "missing field \"architecture\""},
      {R"("os": "linux")", R"("os": 1)", "field \"os\": expected string"},
      {R"("type": "layers")", R"("type": "lazy")", "rootfs.type is \"lazy\""},
      {kDiffId + R"("])", R"(sha256:00"])", "has 2 hex digits"},
      {kDiffId + R"("])", kDiffId + R"(", 5])", "rootfs.diff_ids[2]: expected string"},
      {R"("Cmd": ["nginx", "-g", "daemon off;"])", R"("Cmd": "nginx")", "field \"Cmd\""},
      {R"("Env": ["PATH=/usr/bin")", R"("Env": [1)", "field \"Env\"[0]"},
      {R"({"80/tcp": {})", R"({"80/tcp": 1)", "member \"80/tcp\": expected object"},
      {R"("NGINX Docker Maintainers")", "[]", "member \"maintainer\": expected string"},
      {R"("rootfs": {)", R"("rootfs": 1, "x": {)", "field \"rootfs\""},
  };
  for (const Bad& bad : cases) {
    SCOPED_TRACE(bad.message);
    std::string text = kDockerConfig;
    const std::size_t at = text.find(bad.from);
    ASSERT_NE(at, std::string::npos);
    text.replace(at, bad.from.size(), bad.to);
    expectError(parseImageConfig(asBytes(text)), Code::kInvalidArgument, bad.message);
  }
  std::string sha384 = kDockerConfig;
  sha384.replace(sha384.find(kDiffId), kDiffId.size(), "sha384:" + std::string(96, 'a'));
  auto r = parseImageConfig(asBytes(sha384));
  expectError(r, Code::kUnimplemented, "sha384");
  EXPECT_NE(r.error().toString().find("rootfs.diff_ids[0]"), std::string::npos);
}

TEST(ImageConfig, RejectsOversizedConfigs) {
  std::string big = kDockerConfig;
  big.insert(1, R"("pad":")" + std::string(16 << 20, 'x') + R"(",)");
  expectError(parseImageConfig(asBytes(big)), Code::kResourceExhausted,
              "over the limit of 16777216");
  expectError(parseImageConfig(asBytes(kDockerConfig), {.max_bytes = 100}),
              Code::kResourceExhausted, "over the limit of 100");
}

TEST(ImageConfig, DiffIdsMustMatchTheLayers) {
  const auto config = *parseImageConfig(asBytes(kDockerConfig));
  ImageManifest manifest;
  manifest.layers.resize(2);
  EXPECT_TRUE(checkDiffIds(config, manifest));
  manifest.layers.resize(3);
  expectError(checkDiffIds(config, manifest), Code::kInvalidArgument,
              "image config has 2 diff_ids but the manifest has 3 layers");
}

}  // namespace
}  // namespace cocoon::image::oci
