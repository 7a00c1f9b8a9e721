// SPDX-License-Identifier: Apache-2.0
// The container's stdio between containerd's FIFOs on the host and the agent in the guest:
// output is read from the agent (ReadStdout/ReadStderr) and written into the FIFO that
// containerd (ctr, the CRI plugin) reads; the stdin FIFO is read and sent with WriteStdin.
// Trust: output bytes are the guest's and are passed on unchanged; nothing is parsed.
#pragma once

#include <atomic>
#include <mutex>
#include <string>
#include <thread>

#include "common/unique_fd.h"
#include "runtime/agent_client/agent_client.h"

namespace cocoon::runtime::shim {

// Copies one output stream (`method` = "ReadStdout" or "ReadStderr") of container_id /
// exec_id into the FIFO at `fifo` until the agent reports end of stream or an error (a
// policy denial included). Opens the FIFO without blocking: when nobody reads it, the
// output is read and dropped so the process never blocks on a full pipe. Returns when done.
void relayOutput(AgentClient& agent, const std::string& container_id, const std::string& exec_id,
                 const char* method, const std::string& fifo);

// Copies the stdin FIFO to the process until the writer closes it (then CloseStdin), or
// until stop(). Not copyable; the destructor stops and joins.
class InputRelay {
 public:
  InputRelay() = default;
  ~InputRelay();
  InputRelay(const InputRelay&) = delete;
  InputRelay& operator=(const InputRelay&) = delete;

  // Starts the copying thread. `agent` must outlive the relay.
  // Errors: errno codes when the FIFO or the wake-up pipe cannot be opened.
  Status start(AgentClient& agent, std::string container_id, std::string exec_id,
               const std::string& fifo);
  // Ends the copy (CloseStdin is sent when `close_stdin`) and joins the thread. Idempotent
  // and thread-safe: containerd's CloseIO and the process's exit may stop it at once.
  void stop(bool close_stdin);

 private:
  void run(AgentClient& agent, const std::string& container_id, const std::string& exec_id);

  UniqueFd fifo_;
  UniqueFd wake_read_;
  UniqueFd wake_write_;
  std::atomic<bool> close_stdin_{false};
  std::mutex stop_mutex_;  // one joiner at a time: a second join of a thread never returns
  std::thread thread_;
};

}  // namespace cocoon::runtime::shim
