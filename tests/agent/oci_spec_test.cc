// SPDX-License-Identifier: Apache-2.0
// Kata OCI messages to runtime-spec JSON, and what the merge takes from the host's spec.
#include "agent/oci_spec.h"

#include <gtest/gtest.h>

#include "support/expect.h"

namespace cocoon::agent {
namespace {

using cocoon::test::expectError;
using json::Json;

// The shape image::makeRuntimeSpec produces (abridged).
Json imageSpec() {
  return Json::parse(R"({
    "ociVersion": "1.0.2",
    "process": {"args": ["/bin/sh"], "env": ["PATH=/bin", "A=image"], "cwd": "/",
                "user": {"uid": 1000, "gid": 1000}, "terminal": false},
    "root": {"path": "rootfs"},
    "mounts": [{"destination": "/proc", "type": "proc", "source": "proc"}],
    "linux": {"namespaces": [{"type": "pid"}, {"type": "mount"}]}
  })");
}

MergeOptions sandbox() {
  return {.sandbox_dirs = {"/run/cocoon/agent/containers/c1"}};
}

TEST(IsPathInside, IsLexicalAndRejectsEscapes) {
  EXPECT_TRUE(isPathInside("/a/b/c", "/a/b"));
  EXPECT_TRUE(isPathInside("/a/b", "/a/b/"));
  EXPECT_TRUE(isPathInside("/a/b/../b/c", "/a/b"));
  EXPECT_FALSE(isPathInside("/a/bc", "/a/b"));
  EXPECT_FALSE(isPathInside("/a/b/../../etc", "/a/b"));
  EXPECT_FALSE(isPathInside("/a", "/a/b"));
  EXPECT_FALSE(isPathInside("a/b", "/a"));
}

TEST(ProcessToJson, UsesRuntimeSpecNames) {
  grpc::Process p;
  p.add_args("sleep");
  p.add_args("5");
  p.add_env("X=1");
  p.mutable_user()->set_uid(7);
  p.mutable_capabilities()->add_bounding("CAP_KILL");
  p.set_terminal(true);
  Json j = processToJson(p);
  EXPECT_EQ(j["args"], Json::array({"sleep", "5"}));
  EXPECT_EQ(j["env"], Json::array({"X=1"}));
  EXPECT_EQ(j["cwd"], "/");
  EXPECT_EQ(j["user"]["uid"], 7);
  EXPECT_EQ(j["capabilities"]["bounding"], Json::array({"CAP_KILL"}));
  EXPECT_EQ(j["terminal"], true);
}

TEST(ResourcesToJson, LeavesUnsetFieldsOut) {
  grpc::LinuxResources r;
  r.mutable_memory()->set_limit(64 << 20);
  r.mutable_pids()->set_limit(100);
  Json j = resourcesToJson(r);
  EXPECT_EQ(j, Json::parse(R"({"memory": {"limit": 67108864}, "pids": {"limit": 100}})"));
}

TEST(MergeRequestSpec, RequestArgsEnvAndHostnameWin) {
  grpc::Spec req;
  req.mutable_process()->add_args("echo");
  req.mutable_process()->add_args("hi");
  req.mutable_process()->add_env("A=request");
  req.mutable_process()->add_env("B=2");
  req.set_hostname("pod");
  req.mutable_root()->set_path("/run/kata-containers/c1/rootfs");
  auto merged = mergeRequestSpec(imageSpec(), req, sandbox());
  ASSERT_TRUE(merged) << merged.error().toString();
  EXPECT_EQ((*merged)["process"]["args"], Json::array({"echo", "hi"}));
  EXPECT_EQ((*merged)["process"]["env"], Json::array({"PATH=/bin", "A=request", "B=2"}));
  EXPECT_EQ((*merged)["process"]["user"]["uid"], 1000);  // the request left it unset
  EXPECT_EQ((*merged)["hostname"], "pod");
  EXPECT_EQ((*merged)["root"]["path"], "rootfs");  // never the host's path
}

TEST(MergeRequestSpec, TakesTheRequestNamespaceTypes) {
  grpc::Spec req;
  for (const char* type : {"mount", "pid"}) {
    req.mutable_linux()->add_namespaces()->set_type(type);
  }
  auto merged = mergeRequestSpec(imageSpec(), req, sandbox());
  ASSERT_TRUE(merged) << merged.error().toString();
  EXPECT_EQ((*merged)["linux"]["namespaces"],
            Json::parse(R"([{"type": "mount"}, {"type": "pid"}])"));
}

TEST(MergeRequestSpec, KeepsTheImageArgsWhenTheRequestHasNone) {
  auto merged = mergeRequestSpec(imageSpec(), grpc::Spec{}, sandbox());
  ASSERT_TRUE(merged) << merged.error().toString();
  EXPECT_EQ((*merged)["process"]["args"], Json::array({"/bin/sh"}));
}

TEST(MergeRequestSpec, AddsPseudoFilesystemsAndSandboxBinds) {
  grpc::Spec req;
  auto* tmp = req.add_mounts();
  tmp->set_destination("/scratch");
  tmp->set_type("tmpfs");
  tmp->set_source("tmpfs");
  auto* bind = req.add_mounts();
  bind->set_destination("/data");
  bind->set_type("bind");
  bind->set_source("/run/cocoon/agent/containers/c1/data");
  bind->add_options("rbind");
  auto* proc = req.add_mounts();  // same destination as the image default: ignored
  proc->set_destination("/proc");
  proc->set_type("bind");
  proc->set_source("/proc");
  auto merged = mergeRequestSpec(imageSpec(), req, sandbox());
  ASSERT_TRUE(merged) << merged.error().toString();
  ASSERT_EQ((*merged)["mounts"].size(), 3u);
  EXPECT_EQ((*merged)["mounts"][0]["type"], "proc");
  EXPECT_EQ((*merged)["mounts"][1]["destination"], "/scratch");
  EXPECT_EQ((*merged)["mounts"][2]["source"], "/run/cocoon/agent/containers/c1/data");
}

TEST(MergeRequestSpec, RefusesBindMountsFromOutsideTheSandbox) {
  grpc::Spec req;
  auto* bind = req.add_mounts();
  bind->set_destination("/host");
  bind->set_type("none");
  bind->set_source("/run/cocoon/agent/containers/c1/../../../../etc");
  bind->add_options("bind");
  expectError(mergeRequestSpec(imageSpec(), req, sandbox()), Code::kPermissionDenied,
              "bind mount at /host has source");
}

TEST(MergeRequestSpec, RefusesOtherFilesystemsAndAbsoluteSources) {
  grpc::Spec req;
  auto* disk = req.add_mounts();
  disk->set_destination("/disk");
  disk->set_type("ext4");
  disk->set_source("/dev/vda");
  expectError(mergeRequestSpec(imageSpec(), req, sandbox()), Code::kPermissionDenied,
              "of type \"ext4\"");
  disk->set_type("tmpfs");
  expectError(mergeRequestSpec(imageSpec(), req, sandbox()), Code::kPermissionDenied,
              "of type \"tmpfs\" (source \"/dev/vda\")");
  disk->set_destination("relative");
  disk->set_source("tmpfs");
  expectError(mergeRequestSpec(imageSpec(), req, sandbox()), Code::kInvalidArgument,
              "is not absolute");
}

TEST(MergeRequestSpec, RefusesHostNamespacesAndDevices) {
  grpc::Spec req;
  auto* ns = req.mutable_linux()->add_namespaces();
  ns->set_type("network");
  ns->set_path("/proc/1/ns/net");
  expectError(mergeRequestSpec(imageSpec(), req, sandbox()), Code::kPermissionDenied,
              "joining the network namespace");
  req.mutable_linux()->clear_namespaces();
  req.mutable_linux()->add_devices()->set_path("/dev/kvm");
  expectError(mergeRequestSpec(imageSpec(), req, sandbox()), Code::kPermissionDenied,
              "OCI.Linux.Devices");
  req.mutable_linux()->clear_devices();
  req.mutable_linux()->set_cgroupspath("../../escape");
  expectError(mergeRequestSpec(imageSpec(), req, sandbox()), Code::kInvalidArgument, "CgroupsPath");
}

}  // namespace
}  // namespace cocoon::agent
