// SPDX-License-Identifier: Apache-2.0
// Fuzzes the agent's request path: the first byte picks a grpc.AgentService (or grpc.Health)
// method, the rest is its request protobuf. Each input runs through AgentService::call
// (decode, policy, validation, spec merge, handler) twice: under the confidential default
// and under the permissive policy, with a FakeSupervisor (no processes) and a guest pull
// stub that writes an image config without touching the network. Nothing may crash or
// hang, and the health check must still answer afterwards.
#include <utility>  // Asio 1.74's awaitable.hpp uses std::exchange without including it.

#include <cstdint>
#include <cstdlib>
#include <future>
#include <string>
#include <string_view>

#include <boost/asio/co_spawn.hpp>
#include <boost/asio/io_context.hpp>
#include <boost/asio/use_future.hpp>

#include "agent/agent_service.h"
#include "agent/fake_supervisor.h"
#include "common/files.h"
#include "common/log.h"

namespace {

namespace agent = cocoon::agent;
namespace asio = boost::asio;
using cocoon::Result;
using cocoon::Status;

struct MethodName {
  const char* service;
  const char* method;
};

constexpr MethodName kMethods[] = {
    {agent::kAgentServiceName, "CreateSandbox"},   {agent::kAgentServiceName, "DestroySandbox"},
    {agent::kAgentServiceName, "CreateContainer"}, {agent::kAgentServiceName, "StartContainer"},
    {agent::kAgentServiceName, "RemoveContainer"}, {agent::kAgentServiceName, "ExecProcess"},
    {agent::kAgentServiceName, "SignalProcess"},   {agent::kAgentServiceName, "WaitProcess"},
    {agent::kAgentServiceName, "UpdateContainer"}, {agent::kAgentServiceName, "StatsContainer"},
    {agent::kAgentServiceName, "PauseContainer"},  {agent::kAgentServiceName, "ResumeContainer"},
    {agent::kAgentServiceName, "WriteStdin"},      {agent::kAgentServiceName, "ReadStdout"},
    {agent::kAgentServiceName, "ReadStderr"},      {agent::kAgentServiceName, "CloseStdin"},
    {agent::kAgentServiceName, "TtyWinResize"},    {agent::kAgentServiceName, "GetGuestDetails"},
    {agent::kAgentServiceName, "SetPolicy"},       {agent::kHealthServiceName, "Check"},
    {agent::kHealthServiceName, "Version"},
};

void require(bool condition) {
  if (!condition) {
    std::abort();
  }
}

// What a pulled image leaves in its bundle, so the spec merge runs on a real-looking spec.
Status stubPull(const agent::GuestPullRequest&, const std::filesystem::path& bundle) {
  COCOON_TRY(cocoon::createDirectories(bundle / "rootfs"));
  constexpr std::string_view kSpec =
      R"({"ociVersion":"1.0.2","process":{"args":["/bin/sh"],"env":["PATH=/bin"],"cwd":"/"},)"
      R"("root":{"path":"rootfs"},"mounts":[{"destination":"/proc","type":"proc",)"
      R"("source":"proc"}],"linux":{"namespaces":[{"type":"pid"},{"type":"mount"}]}})";
  return cocoon::writeFileAtomic(bundle / "config.json", cocoon::asBytes(kSpec));
}

Result<std::string> runCall(agent::AgentService& service, cocoon::ttrpc::Request request) {
  asio::io_context io;
  std::future<Result<std::string>> answer =
      asio::co_spawn(io, service.call(request), asio::use_future);
  io.run();
  return answer.get();
}

void exercise(std::string_view policy_text, const MethodName& method, std::string_view payload) {
  auto dir = cocoon::TempDir::create("agent-request-fuzz");
  require(dir.has_value());
  auto policy = agent::policy::parseAgentPolicy(policy_text);
  require(policy.has_value());
  cocoon::agent::test::FakeSupervisor supervisor;
  supervisor.addContainer("c1");  // so the supervisor's success paths run too
  agent::AgentServiceOptions options;
  options.config.state_dir = dir->path() / "state";
  options.default_grace = std::chrono::milliseconds(1);
  options.pull = stubPull;
  auto service = agent::AgentService::create(supervisor, std::move(*policy), std::move(options));
  require(service.has_value());
  (void)runCall(
      **service,
      {.service = method.service, .method = method.method, .payload = std::string(payload)});
  Result<std::string> health =
      runCall(**service, {.service = agent::kHealthServiceName, .method = "Check"});
  require(health.has_value());
}

}  // namespace

extern "C" int LLVMFuzzerTestOneInput(const std::uint8_t* data, std::size_t size) {
  static const bool quiet = cocoon::initLogging({.level = cocoon::LogLevel::kOff}).has_value();
  (void)quiet;
  if (size == 0) {
    return 0;
  }
  const MethodName& method = kMethods[data[0] % std::size(kMethods)];
  const std::string_view payload(reinterpret_cast<const char*>(data) + 1, size - 1);
  exercise(agent::policy::confidentialDefaultPolicyText(), method, payload);
  exercise(agent::policy::permissiveDevelopmentPolicyText(), method, payload);
  return 0;
}
