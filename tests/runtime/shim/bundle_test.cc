// SPDX-License-Identifier: Apache-2.0
// What the shim reads from a bundle's config.json: image, process, pod structure.
#include "runtime/shim/bundle.h"

#include <gtest/gtest.h>

#include "runtime/tee/initdata.h"
#include "support/expect.h"

namespace cocoon::runtime::shim {
namespace {

using test::expectError;

TEST(ShimBundle, ReadsTheCocoonImageAnnotationAndTheProcess) {
  auto info = parseBundleConfig(R"({
    "process": {"args": ["sh", "-c", "echo hi"], "env": ["PATH=/bin"], "cwd": "/tmp",
                "terminal": true, "user": {"uid": 1000, "gid": 100}},
    "hostname": "box",
    "annotations": {"io.cocoon.image": "registry:5000/app:v1"}})",
                                "c1");
  ASSERT_TRUE(info) << info.error().toString();
  EXPECT_EQ(info->image, "registry:5000/app:v1");
  EXPECT_EQ(info->sandbox_id, "c1");
  EXPECT_FALSE(info->is_pod_sandbox);
  EXPECT_EQ(info->hostname, "box");
  EXPECT_EQ(info->process.args, (std::vector<std::string>{"sh", "-c", "echo hi"}));
  EXPECT_EQ(info->process.env, (std::vector<std::string>{"PATH=/bin"}));
  EXPECT_EQ(info->process.cwd, "/tmp");
  EXPECT_TRUE(info->process.terminal);
  EXPECT_EQ(info->process.uid, 1000u);
  EXPECT_EQ(info->process.gid, 100u);
}

TEST(ShimBundle, FollowsCriPodStructure) {
  auto pause = parseBundleConfig(R"({"annotations": {
      "io.kubernetes.cri.container-type": "sandbox",
      "io.kubernetes.cri.sandbox-id": "pod1"}})",
                                 "pod1");
  ASSERT_TRUE(pause) << pause.error().toString();
  EXPECT_TRUE(pause->is_pod_sandbox);
  EXPECT_EQ(pause->sandbox_id, "pod1");
  EXPECT_EQ(pause->image, "");
  auto app = parseBundleConfig(R"({"annotations": {
      "io.kubernetes.cri.container-type": "container",
      "io.kubernetes.cri.sandbox-id": "pod1",
      "io.kubernetes.cri.image-name": "docker.io/library/nginx:1"}})",
                               "app");
  ASSERT_TRUE(app) << app.error().toString();
  EXPECT_FALSE(app->is_pod_sandbox);
  EXPECT_EQ(app->sandbox_id, "pod1");
  EXPECT_EQ(app->image, "docker.io/library/nginx:1");
}

TEST(ShimBundle, RefusesMissingImagesAndBadFields) {
  expectError(parseBundleConfig(R"({"process": {"args": ["true"]}})", "c"), Code::kInvalidArgument,
              "io.cocoon.image");
  expectError(parseBundleConfig("[]", "c"), Code::kInvalidArgument, "not a JSON object");
  expectError(parseBundleConfig("{", "c"), Code::kInvalidArgument, "");
  expectError(parseBundleConfig(R"({"process": {"args": "sh"}})", "c"), Code::kInvalidArgument,
              "process.args");
  expectError(parseBundleConfig(R"({"process": {"user": {"uid": -1}}})", "c"),
              Code::kInvalidArgument, "process.user.uid");
  expectError(parseBundleConfig(R"({"annotations": {"io.cocoon.image": 5}})", "c"),
              Code::kInvalidArgument, "annotations.io.cocoon.image");
  expectError(readBundle("/nonexistent-bundle", "c"), Code::kNotFound, "");
}

std::string withAnnotation(const std::string& value) {
  return R"({"annotations": {"io.cocoon.image": "r/a:v1",
      "io.katacontainers.config.hypervisor.cc_init_data": ")" +
         value + "\"}}";
}

TEST(ShimBundle, DecodesTheInitDataAnnotation) {
  const std::string toml = "version = \"0.1.0\"\nalgorithm = \"sha256\"\n[data]\n";
  auto annotation = tee::encodeInitDataAnnotation(toml);
  ASSERT_TRUE(annotation) << annotation.error().toString();
  auto info = parseBundleConfig(withAnnotation(*annotation), "c");
  ASSERT_TRUE(info) << info.error().toString();
  EXPECT_EQ(info->initdata_toml, toml);
  auto none = parseBundleConfig(R"({"annotations": {"io.cocoon.image": "r/a:v1"}})", "c");
  ASSERT_TRUE(none) << none.error().toString();
  EXPECT_EQ(none->initdata_toml, "");
}

TEST(ShimBundle, RefusesABadInitDataAnnotationNamingIt) {
  expectError(parseBundleConfig(withAnnotation("not base64!"), "c"), Code::kInvalidArgument,
              "annotation io.katacontainers.config.hypervisor.cc_init_data: ");
  // Decodes, but the TOML lacks the version.
  auto annotation = tee::encodeInitDataAnnotation("algorithm = \"sha256\"\n");
  ASSERT_TRUE(annotation) << annotation.error().toString();
  expectError(parseBundleConfig(withAnnotation(*annotation), "c"), Code::kInvalidArgument,
              "annotation io.katacontainers.config.hypervisor.cc_init_data: ");
}

TEST(ShimBundle, ParsesAnExecProcess) {
  auto p = parseProcessJson(R"({"args": ["ls"], "terminal": false, "cwd": "/"})");
  ASSERT_TRUE(p) << p.error().toString();
  EXPECT_EQ(p->args, std::vector<std::string>{"ls"});
  expectError(parseProcessJson(R"({"env": [1]})"), Code::kInvalidArgument, "process.env");
}

TEST(ShimBundle, ParsesUpdateResources) {
  // What `ctr task update --memory-limit ... --cpu-quota ...` sends (runtime-spec JSON).
  auto r = parseResourcesJson(
      R"({"memory": {"limit": 67108864, "swap": -1}, "cpu": {"shares": 512, "quota": 50000,
          "period": 100000, "cpus": "0"}, "pids": {"limit": 64}, "blockIO": {}})");
  ASSERT_TRUE(r) << r.error().toString();
  EXPECT_EQ(r->memory_limit, 67108864);
  EXPECT_EQ(r->memory_swap, -1);
  EXPECT_EQ(r->cpu_shares, 512u);
  EXPECT_EQ(r->cpu_quota, 50000);
  EXPECT_EQ(r->cpu_period, 100000u);
  EXPECT_EQ(r->cpu_cpus, "0");
  EXPECT_EQ(r->pids_limit, 64);
  auto empty = parseResourcesJson("{}");
  ASSERT_TRUE(empty);
  EXPECT_EQ(empty->memory_limit, 0);
  expectError(parseResourcesJson(R"({"cpu": {"shares": -1}})"), Code::kInvalidArgument,
              "resources.cpu.shares must not be negative");
  expectError(parseResourcesJson(R"({"memory": {"limit": 18446744073709551615}})"),
              Code::kInvalidArgument, "resources.memory.limit is out of range");
  expectError(parseResourcesJson(R"({"memory": []})"), Code::kInvalidArgument,
              "resources.memory must be an object");
  expectError(parseResourcesJson(R"({"pids": {"limit": "x"}})"), Code::kInvalidArgument,
              "resources.pids.limit must be an integer");
}

TEST(ShimBundle, SandboxKeysArePlainIdsOrDigests) {
  EXPECT_EQ(sandboxKey("run-1.a_b"), "run-1.a_b");
  EXPECT_EQ(sandboxKey(std::string(76, 'a')).size(), 64u);
  EXPECT_NE(sandboxKey("../etc"), "../etc");
  EXPECT_NE(sandboxKey(".."), "..");
  EXPECT_EQ(sandboxKey("a/b").find('/'), std::string::npos);
}

}  // namespace
}  // namespace cocoon::runtime::shim
