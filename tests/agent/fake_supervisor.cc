// SPDX-License-Identifier: Apache-2.0
// FakeSupervisor: records calls; known containers answer, unknown ones are kNotFound.
#include "agent/fake_supervisor.h"

#include <fmt/format.h>

namespace cocoon::agent::test {

using boost::asio::awaitable;

std::vector<FakeSupervisor::Call> FakeSupervisor::calls() const {
  std::lock_guard lock(mutex_);
  return calls_;
}

void FakeSupervisor::addContainer(const std::string& id) {
  std::lock_guard lock(mutex_);
  known_.insert(id);
}

Status FakeSupervisor::record(Call call) {
  std::lock_guard lock(mutex_);
  calls_.push_back(call);
  if (call.name != "createContainer" && known_.count(call.container_id) == 0) {
    return fail(Code::kNotFound, "container {} not found", call.container_id);
  }
  known_.insert(call.container_id);
  return okStatus();
}

awaitable<Status> FakeSupervisor::createContainer(container::ContainerConfig config) {
  co_return record({"createContainer", config.id, "", config.bundle.string()});
}
awaitable<Status> FakeSupervisor::startContainer(std::string id) {
  co_return record({"startContainer", id, "", ""});
}
awaitable<Status> FakeSupervisor::execProcess(container::ExecConfig config) {
  co_return record(
      {"execProcess", config.container_id, config.exec_id, config.process["args"].dump()});
}
awaitable<Status> FakeSupervisor::signalProcess(std::string id, std::string exec_id, int signal,
                                                bool all) {
  co_return record({"signalProcess", id, exec_id, fmt::format("{} all={}", signal, all)});
}
awaitable<Result<container::ExitStatus>> FakeSupervisor::waitProcess(std::string id,
                                                                     std::string exec_id) {
  Status s = record({"waitProcess", id, exec_id, ""});
  if (!s) {
    co_return fail(std::move(s).error());
  }
  co_return 3;
}
awaitable<Result<std::string>> FakeSupervisor::readOutput(std::string id, std::string exec_id,
                                                          container::OutputStream stream,
                                                          std::size_t max_bytes) {
  Status s = record({"readOutput", id, exec_id,
                     fmt::format("{} {}", stream == container::OutputStream::kStdout, max_bytes)});
  if (!s) {
    co_return fail(std::move(s).error());
  }
  co_return std::string("out");
}
awaitable<Result<std::size_t>> FakeSupervisor::writeStdin(std::string id, std::string exec_id,
                                                          std::string data) {
  Status s = record({"writeStdin", id, exec_id, data});
  if (!s) {
    co_return fail(std::move(s).error());
  }
  co_return data.size();
}
awaitable<Status> FakeSupervisor::closeStdin(std::string id, std::string exec_id) {
  co_return record({"closeStdin", id, exec_id, ""});
}
awaitable<Status> FakeSupervisor::resizeTerminal(std::string id, std::string exec_id,
                                                 std::uint16_t rows, std::uint16_t columns) {
  co_return record({"resizeTerminal", id, exec_id, fmt::format("{}x{}", rows, columns)});
}
awaitable<Result<container::ContainerStats>> FakeSupervisor::stats(std::string id) {
  Status s = record({"stats", id, "", ""});
  if (!s) {
    co_return fail(std::move(s).error());
  }
  co_return container::ContainerStats{.cpu_usage_ns = 5, .memory_usage_bytes = 7};
}
awaitable<Status> FakeSupervisor::pause(std::string id) {
  co_return record({"pause", id, "", ""});
}
awaitable<Status> FakeSupervisor::resume(std::string id) {
  co_return record({"resume", id, "", ""});
}
awaitable<Status> FakeSupervisor::update(std::string id, json::Json resources) {
  co_return record({"update", id, "", resources.dump()});
}
Result<container::ContainerStatus> FakeSupervisor::status(std::string_view id) const {
  std::lock_guard lock(mutex_);
  if (known_.count(std::string(id)) == 0) {
    return fail(Code::kNotFound, "container {} not found", id);
  }
  return container::ContainerStatus::kCreated;
}
std::vector<std::string> FakeSupervisor::containerIds() const {
  std::lock_guard lock(mutex_);
  return {known_.begin(), known_.end()};
}
awaitable<Status> FakeSupervisor::removeContainer(std::string id, std::chrono::milliseconds grace) {
  Status s = record({"removeContainer", id, "", std::to_string(grace.count())});
  std::lock_guard lock(mutex_);
  known_.erase(id);
  co_return s;
}
awaitable<void> FakeSupervisor::removeAll(std::chrono::milliseconds) {
  std::lock_guard lock(mutex_);
  calls_.push_back({"removeAll", "", "", ""});
  known_.clear();
  co_return;
}

}  // namespace cocoon::agent::test
