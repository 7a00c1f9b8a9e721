// SPDX-License-Identifier: Apache-2.0
// Test peers: long-running helper processes (python servers, docker-registry) started and
// stopped by a test suite, and one-shot tools (skopeo, umoci, openssl) that must succeed.
#pragma once

#include <sys/types.h>

#include <chrono>
#include <condition_variable>
#include <memory>
#include <mutex>
#include <regex>
#include <string>
#include <thread>
#include <vector>

#include "common/result.h"

namespace cocoon::test {

// A child process whose stdout and stderr are read line by line by a background thread.
// The child dies with the test process (PR_SET_PDEATHSIG) and is killed and reaped by the
// destructor. Not copyable; waitForLine may be called from one thread at a time.
class PeerProcess {
 public:
  // Starts argv (argv[0] looked up in PATH).
  // Errors: kInternal when the pipe or fork fails; an exec failure shows up as the child
  // exiting (waitForLine then fails with kUnavailable and the output).
  static Result<std::unique_ptr<PeerProcess>> start(const std::vector<std::string>& argv);

  ~PeerProcess();
  PeerProcess(const PeerProcess&) = delete;
  PeerProcess& operator=(const PeerProcess&) = delete;

  // Waits until a line of output matches `pattern` and returns its first capture group
  // (the whole line without one).
  // Errors: kDeadlineExceeded after `timeout`, kUnavailable when the output ends first;
  // both carry the output seen so far.
  Result<std::string> waitForLine(const std::string& pattern, std::chrono::milliseconds timeout);

  // Everything the peer printed so far (capped at 1 MiB).
  std::string output() const;

  pid_t pid() const { return pid_; }

 private:
  PeerProcess(pid_t pid, int read_fd);
  void readLoop();

  pid_t pid_;
  int read_fd_;
  std::thread reader_;
  mutable std::mutex mutex_;
  std::condition_variable changed_;
  std::string output_;  // guarded by mutex_
  bool eof_ = false;    // guarded by mutex_
};

// Runs a tool to completion (2 min deadline); fails with kInternal naming the command and
// its stderr unless it exits 0. Returns its stdout.
Result<std::string> runTool(const std::vector<std::string>& argv);

// A loopback TCP port nothing listens on: bound, never listened to, then closed, so a
// connection to it is refused (unless another process takes it meanwhile: unlikely).
int closedLoopbackPort();

}  // namespace cocoon::test
