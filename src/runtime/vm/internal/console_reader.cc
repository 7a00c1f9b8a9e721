// SPDX-License-Identifier: Apache-2.0
// The console drain thread.
#include "runtime/vm/internal/console_reader.h"

#include <fcntl.h>
#include <sys/socket.h>
#include <unistd.h>

#include <cerrno>

#include "common/sys_error.h"

namespace cocoon::runtime::vm::internal {
namespace {

constexpr std::size_t kTailBytes = 4096;

}  // namespace

Result<std::unique_ptr<ConsoleReader>> ConsoleReader::start(UniqueFd socket,
                                                            const std::filesystem::path& log) {
  UniqueFd log_fd;
  if (!log.empty()) {
    log_fd.reset(::open(log.c_str(), O_WRONLY | O_CREAT | O_APPEND | O_CLOEXEC, 0644));
    if (!log_fd.valid()) {
      return fail(errnoError(errno, "opening console log " + log.string()));
    }
  }
  std::unique_ptr<ConsoleReader> reader(new ConsoleReader(std::move(socket), std::move(log_fd)));
  reader->thread_ = std::thread([raw = reader.get()] { raw->run(); });
  return reader;
}

ConsoleReader::~ConsoleReader() {
  stop();
}

std::optional<ConsoleReader::Clock::time_point> ConsoleReader::firstLineAt() const {
  const std::lock_guard lock(mutex_);
  return first_line_at_;
}

std::string ConsoleReader::tail() const {
  const std::lock_guard lock(mutex_);
  return tail_;
}

void ConsoleReader::stop() {
  if (thread_.joinable()) {
    ::shutdown(socket_.get(), SHUT_RDWR);
    thread_.join();
  }
}

void ConsoleReader::run() {
  char chunk[4096];
  while (true) {
    const ssize_t n = ::read(socket_.get(), chunk, sizeof chunk);
    if (n < 0 && errno == EINTR) {
      continue;
    }
    if (n <= 0) {
      return;
    }
    const std::string_view data(chunk, static_cast<std::size_t>(n));
    if (log_.valid()) {
      // A console log that cannot be written must not stall the guest: drop and go on.
      [[maybe_unused]] const ssize_t written = ::write(log_.get(), data.data(), data.size());
    }
    const std::lock_guard lock(mutex_);
    if (!first_line_at_ && data.find('\n') != std::string_view::npos) {
      first_line_at_ = Clock::now();
    }
    tail_.append(data);
    if (tail_.size() > kTailBytes) {
      tail_.erase(0, tail_.size() - kTailBytes);
    }
  }
}

}  // namespace cocoon::runtime::vm::internal
