// SPDX-License-Identifier: Apache-2.0
// GatedForward: a loopback TCP forward to a real peer (the test registry) that holds
// every connection until the test opens the gate, so that a guest pull through it is
// provably in flight for as long as the test needs, without sleeps or timing guesses.
#pragma once

#include <chrono>
#include <condition_variable>
#include <cstdint>
#include <memory>
#include <mutex>
#include <set>
#include <string>
#include <thread>
#include <vector>

#include "common/result.h"
#include "common/unique_fd.h"

namespace cocoon::runtime::shim::test {

class GatedForward {
 public:
  // Listens on 127.0.0.1 (a kernel-chosen port) and forwards to 127.0.0.1:`upstream_port`
  // once open() is called. Errors: kUnavailable when the socket cannot be set up.
  static Result<std::unique_ptr<GatedForward>> start(std::uint16_t upstream_port);
  // Closes the listener and every connection, held or forwarding, and joins the threads.
  ~GatedForward();
  GatedForward(const GatedForward&) = delete;
  GatedForward& operator=(const GatedForward&) = delete;

  // "127.0.0.1:PORT" to put in front of an image reference.
  std::string host() const;
  // True once a connection has arrived (it is then held until open()); false when none
  // arrived within `timeout`.
  bool waitForConnection(std::chrono::milliseconds timeout);
  // Forwards the held connections and every later one.
  void open();

 private:
  GatedForward() = default;
  void acceptLoop();
  void serve(UniqueFd client);
  // Registers `fd` so that the destructor can shut it down; false when stopping.
  bool track(int fd);
  void untrack(int fd);

  UniqueFd listener_;
  std::uint16_t port_ = 0;
  std::uint16_t upstream_port_ = 0;
  std::mutex mutex_;
  std::condition_variable changed_;
  bool open_ = false;
  bool stopping_ = false;
  int connections_ = 0;
  std::set<int> live_fds_;
  std::thread acceptor_;
  std::vector<std::thread> workers_;
};

}  // namespace cocoon::runtime::shim::test
