// SPDX-License-Identifier: Apache-2.0
// ConsoleReader: a thread that drains the guest's serial console from a socket, appends
// it to the console log, remembers when the first line arrived and keeps the last bytes
// for error messages.
#pragma once

#include <atomic>
#include <chrono>
#include <filesystem>
#include <mutex>
#include <optional>
#include <string>
#include <thread>

#include "common/result.h"
#include "common/unique_fd.h"

namespace cocoon::runtime::vm::internal {

// Thread-safe accessors; the thread ends at EOF (QEMU exited) or on stop().
class ConsoleReader {
 public:
  using Clock = std::chrono::steady_clock;

  // Starts reading `socket`. `log` empty: nothing is written.
  // Errors: the open errno of the log file, mapped by codeFromErrno.
  static Result<std::unique_ptr<ConsoleReader>> start(UniqueFd socket,
                                                      const std::filesystem::path& log);
  ~ConsoleReader();
  ConsoleReader(const ConsoleReader&) = delete;
  ConsoleReader& operator=(const ConsoleReader&) = delete;

  // When the first complete line arrived, if one did.
  std::optional<Clock::time_point> firstLineAt() const;
  // The last bytes read (at most 4 KiB), for error messages.
  std::string tail() const;
  // Wakes the thread (shutdown of the socket) and joins it. Idempotent.
  void stop();

 private:
  ConsoleReader(UniqueFd socket, UniqueFd log) : socket_(std::move(socket)), log_(std::move(log)) {}
  void run();

  UniqueFd socket_;
  UniqueFd log_;
  std::thread thread_;
  mutable std::mutex mutex_;
  std::optional<Clock::time_point> first_line_at_;
  std::string tail_;
};

}  // namespace cocoon::runtime::vm::internal
