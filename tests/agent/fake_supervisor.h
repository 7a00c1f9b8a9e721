// SPDX-License-Identifier: Apache-2.0
// FakeSupervisor: a Supervisor that records the calls the agent service makes and answers
// them from a small in-memory state, for service tests that need no OCI runtime.
#pragma once

#include <mutex>
#include <set>
#include <string>
#include <vector>

#include "agent/container/supervisor.h"

namespace cocoon::agent::test {

class FakeSupervisor : public container::Supervisor {
 public:
  struct Call {
    std::string name;  // "signalProcess", ...
    std::string container_id;
    std::string exec_id;
    std::string detail;  // signal and all, process args, ...
  };

  std::vector<Call> calls() const;
  // Makes `id` a known container (as if created).
  void addContainer(const std::string& id);

  boost::asio::awaitable<Status> createContainer(container::ContainerConfig config) override;
  boost::asio::awaitable<Status> startContainer(std::string container_id) override;
  boost::asio::awaitable<Status> execProcess(container::ExecConfig config) override;
  boost::asio::awaitable<Status> signalProcess(std::string container_id, std::string exec_id,
                                               int signal, bool all) override;
  boost::asio::awaitable<Result<container::ExitStatus>> waitProcess(std::string container_id,
                                                                    std::string exec_id) override;
  boost::asio::awaitable<Result<std::string>> readOutput(std::string container_id,
                                                         std::string exec_id,
                                                         container::OutputStream stream,
                                                         std::size_t max_bytes) override;
  boost::asio::awaitable<Result<std::size_t>> writeStdin(std::string container_id,
                                                         std::string exec_id,
                                                         std::string data) override;
  boost::asio::awaitable<Status> closeStdin(std::string container_id, std::string exec_id) override;
  boost::asio::awaitable<Status> resizeTerminal(std::string container_id, std::string exec_id,
                                                std::uint16_t rows, std::uint16_t columns) override;
  boost::asio::awaitable<Result<container::ContainerStats>> stats(
      std::string container_id) override;
  boost::asio::awaitable<Status> pause(std::string container_id) override;
  boost::asio::awaitable<Status> resume(std::string container_id) override;
  boost::asio::awaitable<Status> update(std::string container_id, json::Json resources) override;
  Result<container::ContainerStatus> status(std::string_view container_id) const override;
  std::vector<std::string> containerIds() const override;
  boost::asio::awaitable<Status> removeContainer(std::string container_id,
                                                 std::chrono::milliseconds grace) override;
  boost::asio::awaitable<void> removeAll(std::chrono::milliseconds grace) override;

 private:
  Status record(Call call);

  mutable std::mutex mutex_;
  std::vector<Call> calls_;      // guarded by mutex_
  std::set<std::string> known_;  // guarded by mutex_
};

}  // namespace cocoon::agent::test
