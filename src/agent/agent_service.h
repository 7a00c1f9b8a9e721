// SPDX-License-Identifier: Apache-2.0
// AgentService: the Kata agent API (grpc.AgentService) and health service (grpc.Health)
// served by cocoon-agent over ttrpc. Every request is decoded, checked against the agent
// policy, validated, and only then handed to the container Supervisor or the image puller.
// Trust: every request comes from the host and is hostile (ARCHITECTURE.md): ids are
// checked against a strict pattern, paths must stay inside the sandbox's directories,
// images are pulled in the guest from the reference only (registry options are the
// owner's, from AgentConfig), and the policy is the owner's.
#pragma once

#include <utility>  // Asio 1.74's awaitable.hpp uses std::exchange without including it.

#include <chrono>
#include <filesystem>
#include <functional>
#include <future>
#include <memory>
#include <string>

#include "agent/config.h"
#include "agent/container/supervisor.h"
#include "agent/guest_pull.h"
#include "agent/policy/agent_policy.h"
#include "common/result.h"
#include "ttrpc/server.h"

namespace cocoon::agent {

inline constexpr char kAgentServiceName[] = "grpc.AgentService";
inline constexpr char kHealthServiceName[] = "grpc.Health";

struct AgentServiceOptions {
  // state_dir (containers/<id>/ bundles, store/ layers) and image pull settings.
  AgentConfig config;
  // Reported in GetGuestDetails and Health.Version.
  std::string version = "0.0.0";
  // True when the agent is the guest's PID 1 (reported in GetGuestDetails).
  bool init_daemon = false;
  // How long RemoveContainer/DestroySandbox give processes after SIGTERM when the request
  // says 0 (kata: wait for ever; we bound it).
  std::chrono::milliseconds default_grace = std::chrono::seconds(10);
  // Called once DestroySandbox has removed every container, on a server thread: the
  // binary stops the server and, as PID 1, powers off. Optional.
  std::function<void()> on_destroy_sandbox;
  // How CreateContainer fills a bundle (rootfs/ and the image's config.json) from a guest
  // pull, on the blocking pool. Empty: pullIntoBundle with the options made from `config`
  // (the real registry pull). Tests and the request fuzzer set a hook that writes a bundle
  // without a registry.
  std::function<Status(const GuestPullRequest&, const std::filesystem::path& bundle)> pull;
  // Non-empty: the owner's init-data is present but cannot take effect (agent/initdata.h),
  // so every grpc.AgentService request is denied with kPermissionDenied "<Request> refused:
  // <refusal>" (and logged) whatever the policy says. grpc.Health still answers, so the
  // host reaches the agent and shows this reason instead of a boot timeout.
  std::string refusal;
  // Valid while PID 1 sets up the encrypted store in the background (its outcome is then
  // in state_dir: storage::checkStoreUsable): CreateContainer waits for it, on the blocking
  // pool, before it touches the bundle or pulls. Every other request is served meanwhile.
  std::shared_future<void> store_ready;
};

// Handlers run concurrently on the ttrpc server's threads; the service is thread-safe.
// The Supervisor must outlive the service; the service must outlive the server's stop().
//
// Error codes every AgentService method can answer (the ttrpc status):
//   kPermissionDenied  the agent policy denied the request ("agent policy <id>: <Request>
//                      denied by rule <rule>: <reason>", also logged), options.refusal is
//                      set ("<Request> refused: <refusal>"), or a host-chosen
//                      mount/device/namespace the merge refuses
//   kInvalidArgument   undecodable payload, malformed container/exec id, path escaping the
//                      sandbox, missing image reference, zero read length
//   kUnimplemented     storage drivers other than image_guest_pull, CreateSandbox storages
//   kNotFound, kAlreadyExists, kFailedPrecondition, kDeadlineExceeded, kInternal
//                      as the Supervisor reports them; image pull errors as pullImage's
class AgentService {
 public:
  // Creates the state directories and writes the insecure-registries conf if configured.
  // Errors: kPermissionDenied / kInternal naming the directory that cannot be created.
  static Result<std::unique_ptr<AgentService>> create(container::Supervisor& supervisor,
                                                      policy::AgentPolicy policy,
                                                      AgentServiceOptions options);
  ~AgentService();
  AgentService(const AgentService&) = delete;
  AgentService& operator=(const AgentService&) = delete;

  // Registers every method of grpc.AgentService and grpc.Health on `server`.
  // Errors: those of ttrpc::Server::registerMethod (kFailedPrecondition after start()).
  Status registerOn(ttrpc::Server& server);

  // Runs one request through the path the server runs it on (decode, policy, validation,
  // handler) without a transport: for the request fuzzer and in-process callers (the
  // request is taken by value: the coroutine keeps it for the handler). The
  // answer is the serialized response message. Errors: kUnimplemented "<service>/<method>"
  // for a method not served; otherwise those of the method (see above).
  boost::asio::awaitable<Result<std::string>> call(ttrpc::Request request);

  // The id of the policy in force (it changes with SetPolicy).
  std::string policyId() const;

  // Where a container's bundle lives: <state_dir>/containers/<id>.
  std::filesystem::path bundleDir(const std::string& container_id) const;

 private:
  struct Impl;
  explicit AgentService(std::unique_ptr<Impl> impl);
  std::unique_ptr<Impl> impl_;
};

// [A-Za-z0-9][A-Za-z0-9_.-]{0,127}: the ids runc accepts, and safe as one path segment.
// Errors: kInvalidArgument "<field>: ..." naming the field and the offending id (cut to 64
// characters).
Status validateId(std::string_view field, std::string_view id);

}  // namespace cocoon::agent
