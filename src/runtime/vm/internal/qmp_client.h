// SPDX-License-Identifier: Apache-2.0
// QmpClient: the QEMU Machine Protocol over a connected socket: greeting and capability
// negotiation, synchronous commands, and events kept until someone waits for them.
// Trust: QEMU runs on the host as our child; its replies are still parsed with caps.
#pragma once

#include <chrono>
#include <deque>
#include <functional>
#include <string>
#include <string_view>

#include "common/result.h"
#include "common/unique_fd.h"
#include "json/json.h"

namespace cocoon::runtime::vm::internal {

// Not thread-safe: one caller at a time.
class QmpClient {
 public:
  using Clock = std::chrono::steady_clock;

  explicit QmpClient(UniqueFd fd) : fd_(std::move(fd)) {}

  // Reads the greeting and sends qmp_capabilities.
  // Errors: kDeadlineExceeded, kUnavailable when QEMU closed the socket, kInternal for a
  // malformed message.
  Status handshake(Clock::time_point deadline);

  // Runs a command; returns its "return" member. Events read meanwhile are queued.
  // Errors: those of handshake, kFailedPrecondition naming QEMU's error class and text.
  Result<json::Json> execute(std::string_view command, Clock::time_point deadline);

  // Waits for an event named `name` whose "data" satisfies `match` (queued ones first);
  // returns its data. Errors: those of handshake.
  Result<json::Json> waitEvent(std::string_view name,
                               const std::function<bool(const json::Json&)>& match,
                               Clock::time_point deadline);

 private:
  Result<json::Json> readMessage(Clock::time_point deadline);
  Status writeLine(const std::string& line);

  UniqueFd fd_;
  std::string buffer_;
  std::deque<json::Json> events_;
};

}  // namespace cocoon::runtime::vm::internal
