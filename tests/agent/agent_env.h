// SPDX-License-Identifier: Apache-2.0
// AgentEnv: the real peers of the agent end-to-end tests — a docker-registry holding a
// busybox image built from the host's /bin/busybox with umoci, and a cocoon-agent process
// (runc as its OCI runtime) listening on a unix socket — plus a ttrpc client to it.
#pragma once

#include <memory>
#include <string>
#include <thread>
#include <vector>

#include <boost/asio/executor_work_guard.hpp>
#include <boost/asio/io_context.hpp>

#include "common/files.h"
#include "common/result.h"
#include "http/peer_process.h"
#include "ttrpc/client.h"

namespace cocoon::agent::test {

// Why the end-to-end tests cannot run here (not root, a peer missing), or empty.
std::string e2eSkipReason();

class AgentEnv {
 public:
  // Builds and pushes the image, starts the registry. Errors: the failing tool's output.
  static Result<std::unique_ptr<AgentEnv>> create();
  ~AgentEnv();

  // Starts cocoon-agent with `extra_args` (e.g. --permissive-policy) and connects.
  Status startAgent(const std::vector<std::string>& extra_args);
  // DestroySandbox (the agent removes its containers and exits), then waits for the exit.
  void stopAgent();

  // "HOST:PORT/test/busybox:v1".
  const std::string& image() const { return image_; }
  const std::filesystem::path& dir() const { return dir_.path(); }
  std::string socketAddress() const { return "unix:" + (dir_.path() / "agent.sock").string(); }
  ttrpc::Client& client() { return *client_; }
  // The running agent's process id; 0 when none was started.
  pid_t agentPid() const { return agent_ ? agent_->pid() : 0; }
  // Everything the agent printed so far.
  std::string agentOutput() const { return agent_ ? agent_->output() : std::string(); }

  template <class Resp, class Req>
  Result<Resp> call(const std::string& method, const Req& request,
                    const std::string& service = "grpc.AgentService") {
    COCOON_ASSIGN_OR_RETURN(std::string answer,
                            client_->callBlocking(service, method, request.SerializeAsString()));
    Resp resp;
    if (!resp.ParseFromString(answer)) {
      return fail(Code::kInternal, "{}: undecodable answer", method);
    }
    return resp;
  }

 private:
  explicit AgentEnv(TempDir dir) : dir_(std::move(dir)) {}

  TempDir dir_;
  std::string image_;
  std::unique_ptr<cocoon::test::PeerProcess> registry_;
  std::unique_ptr<cocoon::test::PeerProcess> agent_;
  boost::asio::io_context io_;
  boost::asio::executor_work_guard<boost::asio::io_context::executor_type> guard_ =
      boost::asio::make_work_guard(io_);
  std::thread io_thread_;
  std::unique_ptr<ttrpc::Client> client_;
};

}  // namespace cocoon::agent::test
