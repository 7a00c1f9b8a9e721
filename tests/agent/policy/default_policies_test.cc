// SPDX-License-Identifier: Apache-2.0
#include <chrono>
#include <cstdio>
#include <string>

#include <gtest/gtest.h>

#include "agent/policy/agent_policy.h"
#include "agent/policy/requests.h"
#include "support/expect.h"

namespace cocoon::agent::policy {
namespace {

using json::Json;

const AgentPolicy& confidential() {
  static const AgentPolicy policy = [] {
    auto p = parseAgentPolicy(confidentialDefaultPolicyText());
    EXPECT_TRUE(p) << p.error().toString();
    return std::move(*p);
  }();
  return policy;
}

// The message of the confidential default's denial of `request_name`, or "allowed".
std::string outcome(std::string_view request_name, const Json& request) {
  Status status = confidential().check(request_name, request);
  if (status) {
    return "allowed";
  }
  EXPECT_EQ(status.error().code, Code::kPermissionDenied);
  return status.error().message;
}

std::string denial(std::string_view request, std::string_view rule, std::string_view reason) {
  return fmt::format("agent policy confidential-default: {} denied by rule {}: {}", request, rule,
                     reason);
}

Json withMount(Json request, Json mount) {
  request["OCI"]["Mounts"].push_back(std::move(mount));
  return request;
}

TEST(ConfidentialDefault, AllowsLifecycleRequests) {
  const Json id = {{"container_id", "8f2c6d0e5e2a4b7f"}, {"exec_id", "8f2c6d0e5e2a4b7f"}};
  for (const char* name :
       {"CreateSandbox", "DestroySandbox", "StartContainer", "RemoveContainer", "SignalProcess",
        "WaitProcess", "WriteStdin", "CloseStdin", "TtyWinResize", "StatsContainer",
        "PauseContainer", "ResumeContainer", "UpdateContainer", "GetGuestDetails"}) {
    EXPECT_EQ(outcome(name, id), "allowed") << name;
  }
  EXPECT_EQ(outcome("CreateSandbox", Json{{"hostname", "web"},
                                          {"sandbox_id", "s1"},
                                          {"sandbox_pidns", true},
                                          {"guest_hook_path", ""}}),
            "allowed");
}

TEST(ConfidentialDefault, AllowsAPlainContaindContainer) {
  EXPECT_EQ(outcome("CreateContainer", test::createContainerRequest()), "allowed");
}

TEST(ConfidentialDefault, DeniesExecLogsAndSetPolicy) {
  const Json id = {{"container_id", "c"}, {"exec_id", "e"}};
  EXPECT_EQ(outcome("ExecProcess", id),
            denial("ExecProcess", "deny-exec",
                   "running a process the host chose inside a confidential container"));
  EXPECT_EQ(outcome("ReadStdout", id),
            denial("ReadStdout", "deny-read-output",
                   "container output can leak the workload's data to the host"));
  EXPECT_EQ(outcome("ReadStderr", id),
            denial("ReadStderr", "deny-read-output",
                   "container output can leak the workload's data to the host"));
  EXPECT_EQ(outcome("SetPolicy", Json{{"policy", "{}"}}),
            denial("SetPolicy", "deny-set-policy", "the host may not replace the owner's policy"));
}

TEST(ConfidentialDefault, DeniesSandboxHooksAndKernelModules) {
  EXPECT_EQ(outcome("CreateSandbox", Json{{"guest_hook_path", "/run/kata-containers/shared"}}),
            denial("CreateSandbox", "deny-guest-hooks",
                   "guest OCI hooks run programs outside any container"));
  EXPECT_EQ(outcome("CreateSandbox",
                    Json{{"kernel_modules",
                          Json::array({Json{{"name", "i915"},
                                            {"parameters", Json::array({"enable_guc=3"})}}})}}),
            denial("CreateSandbox", "deny-kernel-modules",
                   "the host may not load kernel modules or choose their parameters"));
}

TEST(ConfidentialDefault, DeniesOciHooks) {
  Json request = test::createContainerRequest();
  request["OCI"]["Hooks"] = {{"Prestart", Json::array({Json{{"Path", "/bin/sh"}}})}};
  EXPECT_EQ(outcome("CreateContainer", request),
            denial("CreateContainer", "deny-oci-hooks",
                   "OCI hooks run host-chosen programs outside the container"));
}

TEST(ConfidentialDefault, DeniesEachMissingNamespace) {
  const std::string reason =
      "the container would share the guest's mount, ipc, uts or pid namespace";
  for (std::size_t i = 0; i < 4; ++i) {
    Json request = test::createContainerRequest();
    auto& namespaces = request["OCI"]["Linux"]["Namespaces"];
    const std::string type = namespaces[i]["Type"];
    namespaces.erase(i);
    EXPECT_EQ(outcome("CreateContainer", request),
              denial("CreateContainer", "deny-host-namespaces", reason))
        << type;
    if (type == "pid") {
      // kata clears the pid namespace when the container joins the sandbox's.
      request["sandbox_pidns"] = true;
      EXPECT_EQ(outcome("CreateContainer", request), "allowed");
    }
  }
  Json request = test::createContainerRequest();
  request["OCI"].erase("Linux");
  EXPECT_EQ(outcome("CreateContainer", request),
            denial("CreateContainer", "deny-host-namespaces", reason));
}

TEST(ConfidentialDefault, DeniesJoiningANamespaceByPath) {
  Json request = test::createContainerRequest();
  request["OCI"]["Linux"]["Namespaces"][3]["Path"] = "/proc/1/ns/mnt";
  EXPECT_EQ(outcome("CreateContainer", request),
            denial("CreateContainer", "deny-namespace-paths",
                   "the container would join an existing namespace by path"));
  request["OCI"]["Linux"]["Namespaces"][3]["Path"] = "";
  EXPECT_EQ(outcome("CreateContainer", request), "allowed");
}

TEST(ConfidentialDefault, DeniesCapabilitiesBeyondTheDefaultSet) {
  const std::string expected = denial("CreateContainer", "deny-capabilities",
                                      "capabilities beyond the container default set");
  for (const char* set : {"Bounding", "Effective", "Inheritable", "Permitted", "Ambient"}) {
    Json request = test::createContainerRequest();
    request["OCI"]["Process"]["Capabilities"][set].push_back("CAP_SYS_ADMIN");
    EXPECT_EQ(outcome("CreateContainer", request), expected) << set;
  }
  Json request = test::createContainerRequest();
  request["OCI"]["Process"]["Capabilities"]["Ambient"] = Json::array({"CAP_KILL"});
  request["OCI"]["Process"]["Capabilities"]["Permitted"] = Json::array({"CAP_KILL"});
  EXPECT_EQ(outcome("CreateContainer", request), "allowed");
}

TEST(ConfidentialDefault, DeniesDevices) {
  const std::string expected =
      denial("CreateContainer", "deny-devices", "device nodes in a confidential container");
  Json request = test::createContainerRequest();
  request["OCI"]["Linux"]["Devices"] =
      Json::array({Json{{"Path", "/dev/sda"}, {"Type", "b"}, {"Major", 8}, {"FileMode", 432}}});
  EXPECT_EQ(outcome("CreateContainer", request), expected);
  request = test::createContainerRequest();
  request["devices"] = Json::array({Json{{"id", "0000:00:02.0"},
                                         {"type", "vfio-gk"},
                                         {"vm_path", "/dev/vfio/1"},
                                         {"container_path", "/dev/vfio/1"}}});
  EXPECT_EQ(outcome("CreateContainer", request), expected);
}

TEST(ConfidentialDefault, DeniesADeviceCgroupThatAllowsEverything) {
  const std::string reason = "the device cgroup would allow every device";
  for (const Json& rule : {Json{{"Allow", true}, {"Access", "rwm"}},
                           Json{{"Allow", true}, {"Type", "a"}, {"Access", "rwm"}},
                           Json{{"Allow", true}, {"Type", ""}, {"Major", 8}}}) {
    Json request = test::createContainerRequest();
    request["OCI"]["Linux"]["Resources"]["Devices"].push_back(rule);
    EXPECT_EQ(outcome("CreateContainer", request),
              denial("CreateContainer", "deny-all-devices-cgroup", reason))
        << rule;
    EXPECT_EQ(outcome("UpdateContainer",
                      Json{{"container_id", "c"}, {"resources", {{"Devices", {rule}}}}}),
              denial("UpdateContainer", "deny-all-devices-cgroup", reason));
  }
  // /dev/null (c 1:3 rwm) is allowed; so is the deny-all entry the spec starts with.
  Json request = test::createContainerRequest();
  request["OCI"]["Linux"]["Resources"]["Devices"].push_back(
      Json{{"Allow", true}, {"Type", "c"}, {"Major", 1}, {"Minor", 3}, {"Access", "rwm"}});
  EXPECT_EQ(outcome("CreateContainer", request), "allowed");
}

TEST(ConfidentialDefault, DeniesBindMountsFromOutsideTheSandbox) {
  const std::string expected =
      denial("CreateContainer", "deny-bind-outside-sandbox",
             "a bind mount from outside the sandbox's storage (/run/kata-containers/)");
  auto bind = [](const std::string& source, Json options) {
    return Json{{"destination", "/data"},
                {"type", "bind"},
                {"source", source},
                {"options", std::move(options)}};
  };
  for (const std::string& source :
       {std::string("/"), std::string("/proc"), std::string("/sys/kernel/security"),
        std::string("/run/kata-containers"), std::string("/run/kata-containers/"),
        std::string("/run/kata-containers/shared/../../../etc"),
        std::string("/run/kata-containers/./x"), std::string("/run/kata-containersX/y"),
        std::string("/run/kata-containers/shared/" + std::string(5000, 'a'))}) {
    EXPECT_EQ(outcome("CreateContainer",
                      withMount(test::createContainerRequest(), bind(source, {"rbind"}))),
              expected)
        << source.substr(0, 64);
  }
  // "bind" in the options makes any type a bind mount.
  Json sneaky = {{"destination", "/host"},
                 {"type", "none"},
                 {"source", "/"},
                 {"options", Json::array({"rbind", "rw"})}};
  EXPECT_EQ(outcome("CreateContainer", withMount(test::createContainerRequest(), sneaky)),
            expected);
  EXPECT_EQ(outcome("CreateContainer",
                    withMount(test::createContainerRequest(),
                              bind("/run/kata-containers/shared/containers/c1-..data/x..y",
                                   Json::array({"rbind", "ro"})))),
            "allowed");
}

TEST(ConfidentialDefault, DeniesWritableSysfsAndCgroupfs) {
  const std::string expected =
      denial("CreateContainer", "deny-writable-sysfs", "sysfs or cgroupfs mounted writable");
  for (std::size_t index : {5u, 6u}) {
    Json request = test::createContainerRequest();
    request["OCI"]["Mounts"][index]["options"] = Json::array({"nosuid", "noexec", "nodev", "rw"});
    EXPECT_EQ(outcome("CreateContainer", request), expected) << index;
  }
}

TEST(ConfidentialDefault, DeniesProcOutsideProcAndUnknownFilesystems) {
  EXPECT_EQ(
      outcome("CreateContainer",
              withMount(test::createContainerRequest(),
                        Json{{"destination", "/host-proc"}, {"type", "proc"}, {"source", "proc"}})),
      denial("CreateContainer", "deny-proc-elsewhere", "proc mounted somewhere other than /proc"));
  EXPECT_EQ(
      outcome("CreateContainer",
              withMount(test::createContainerRequest(),
                        Json{{"destination", "/disk"}, {"type", "ext4"}, {"source", "/dev/vda"}})),
      denial("CreateContainer", "deny-mount-types",
             "a mount of a filesystem type other than bind, proc, sysfs, cgroup, tmpfs, "
             "devpts or mqueue"));
}

TEST(PermissiveDevelopment, AllowsEverything) {
  auto policy = parseAgentPolicy(permissiveDevelopmentPolicyText());
  ASSERT_TRUE(policy) << policy.error().toString();
  EXPECT_EQ(policy->id(), "permissive-development");
  Json request = test::createContainerRequest();
  request["OCI"]["Process"]["Capabilities"]["Bounding"].push_back("CAP_SYS_ADMIN");
  for (const char* name : {"ExecProcess", "ReadStdout", "SetPolicy", "CreateContainer"}) {
    EXPECT_TRUE(policy->check(name, request)) << name;
  }
}

TEST(ConfidentialDefault, ChecksACreateContainerInMicroseconds) {
  const Json request = test::createContainerRequest();
  constexpr int kRounds = 2000;
  const auto start = std::chrono::steady_clock::now();
  for (int i = 0; i < kRounds; ++i) {
    ASSERT_TRUE(confidential().check("CreateContainer", request));
  }
  const auto elapsed =
      std::chrono::duration<double, std::micro>(std::chrono::steady_clock::now() - start).count() /
      kRounds;
  std::printf("confidential default, CreateContainer: %.2f us per check\n", elapsed);
  // The dev build (ASan, UBSan, -O0) on a shared 2-core machine is far slower than a
  // release build; this bound only catches an accidental quadratic walk.
  EXPECT_LT(elapsed, 50000.0);
}

}  // namespace
}  // namespace cocoon::agent::policy
