// SPDX-License-Identifier: Apache-2.0
// Process: output pumps that stop reading at the cap (backpressure into the pipe), an
// exit watcher on the pidfd that reaps exactly this pid, stdin writes and pty resizes.
#include "agent/container/internal/process.h"

#include <fcntl.h>
#include <signal.h>
#include <sys/ioctl.h>
#include <sys/syscall.h>
#include <termios.h>

#include <algorithm>
#include <cerrno>

#include <boost/asio/co_spawn.hpp>
#include <boost/asio/detached.hpp>
#include <boost/asio/redirect_error.hpp>
#include <boost/asio/steady_timer.hpp>
#include <boost/asio/use_awaitable.hpp>
#include <boost/asio/write.hpp>

#include "agent/container/internal/runtime.h"
#include "common/log.h"
#include "common/sys_error.h"

namespace cocoon::agent::container::internal {
namespace {

namespace asio = boost::asio;
using boost::system::error_code;
using Descriptor = asio::posix::stream_descriptor;

constexpr std::size_t kReadChunk = 16 * 1024;

std::unique_ptr<Descriptor> wrap(const asio::any_io_executor& executor, UniqueFd fd) {
  if (!fd.valid()) {
    return nullptr;
  }
  return std::make_unique<Descriptor>(executor, fd.release());
}

}  // namespace

Process::Process(asio::any_io_executor executor, std::string name, pid_t pid, UniqueFd pidfd,
                 ProcessIo io, std::size_t max_buffered)
    : executor_(std::move(executor)),
      name_(std::move(name)),
      pid_(pid),
      pidfd_(std::move(pidfd)),
      terminal_(io.pty_master.valid()),
      max_buffered_(max_buffered) {
  if (terminal_) {
    UniqueFd writer(::fcntl(io.pty_master.get(), F_DUPFD_CLOEXEC, 3));
    stdin_ = wrap(executor_, std::move(writer));
    streams_[0].fd = wrap(executor_, std::move(io.pty_master));
    streams_[1].eof = true;
  } else {
    stdin_ = wrap(executor_, std::move(io.stdin_write));
    streams_[0].fd = wrap(executor_, std::move(io.stdout_read));
    streams_[1].fd = wrap(executor_, std::move(io.stderr_read));
  }
  for (Stream& s : streams_) {
    s.eof = s.eof || s.fd == nullptr;
  }
}

void Process::start() {
  for (int i = 0; i < 2; ++i) {
    if (streams_[i].fd != nullptr) {
      asio::co_spawn(executor_, pump(shared_from_this(), i), asio::detached);
    }
  }
  asio::co_spawn(executor_, watchExit(shared_from_this()), asio::detached);
}

asio::awaitable<void> Process::pump(std::shared_ptr<Process> self, int index) {
  Stream& s = self->streams_[index];
  std::string chunk(kReadChunk, '\0');
  while (s.fd != nullptr && s.fd->is_open()) {
    if (s.buffer.size() >= self->max_buffered_) {
      // Stop draining: the writer blocks on the full pipe until someone reads.
      co_await self->changed_.wait();
      continue;
    }
    const std::size_t room = std::min(kReadChunk, self->max_buffered_ - s.buffer.size());
    error_code ec;
    const std::size_t n = co_await s.fd->async_read_some(
        asio::buffer(chunk.data(), room), asio::redirect_error(asio::use_awaitable, ec));
    s.buffer.append(chunk.data(), n);
    if (ec) {
      // EOF, or EIO from a pty master whose last slave fd closed: both end the stream.
      break;
    }
    self->changed_.notifyAll();
  }
  s.eof = true;
  if (s.fd != nullptr) {
    s.fd->close();
  }
  self->changed_.notifyAll();
}

asio::awaitable<void> Process::watchExit(std::shared_ptr<Process> self) {
  const int watch_fd = ::fcntl(self->pidfd_.get(), F_DUPFD_CLOEXEC, 3);
  if (watch_fd < 0) {
    COCOON_LOG(kError, "agent", "process {}: cannot watch its pidfd (errno {})", self->name_,
               errno);
    co_return;
  }
  Descriptor watch(self->executor_, watch_fd);
  error_code ec;
  co_await watch.async_wait(Descriptor::wait_read, asio::redirect_error(asio::use_awaitable, ec));
  if (ec) {
    // The executor is shutting down: the process stays unreaped (see removeAll()).
    co_return;
  }
  int status = reapExited(self->pid_);
  if (status < 0) {
    COCOON_LOG(kWarn, "agent", "process {} (pid {}) was reaped by someone else", self->name_,
               self->pid_);
    status = 255;
  }
  self->exit_status_.store(status);
  self->exited_.store(true);
  self->changed_.notifyAll();
}

asio::awaitable<ExitStatus> Process::wait() {
  auto self = shared_from_this();
  while (!exited_.load()) {
    co_await changed_.wait();
  }
  co_return exit_status_.load();
}

asio::awaitable<bool> Process::waitFor(std::chrono::milliseconds limit) {
  auto self = shared_from_this();
  asio::steady_timer timer(executor_, limit);
  // The handler may run after this frame is gone: it shares only heap state.
  auto expired = std::make_shared<bool>(false);
  timer.async_wait([self, expired](const error_code& ec) {
    if (!ec) {
      *expired = true;
      self->changed_.notifyAll();
    }
  });
  while (!exited_.load() && !*expired) {
    co_await changed_.wait();
  }
  timer.cancel();
  co_return exited_.load();
}

asio::awaitable<Result<std::string>> Process::read(OutputStream which, std::size_t max_bytes) {
  auto self = shared_from_this();
  if (terminal_ && which == OutputStream::kStderr) {
    co_return fail(Code::kFailedPrecondition,
                   "process {} has a terminal: its output is all on stdout", name_);
  }
  Stream& s = stream(which);
  while (s.buffer.empty() && !s.eof) {
    co_await changed_.wait();
  }
  const std::size_t n = std::min(max_bytes, s.buffer.size());
  std::string out = s.buffer.substr(0, n);
  const bool was_full = s.buffer.size() >= max_buffered_;
  s.buffer.erase(0, n);
  if (was_full) {
    changed_.notifyAll();
  }
  co_return out;
}

asio::awaitable<Result<std::size_t>> Process::write(std::string data) {
  auto self = shared_from_this();
  if (stdin_ == nullptr || !stdin_->is_open()) {
    co_return fail(Code::kFailedPrecondition, "process {} has no open stdin", name_);
  }
  if (stdin_busy_) {
    co_return fail(Code::kFailedPrecondition,
                   "process {}: another stdin write is still in progress", name_);
  }
  stdin_busy_ = true;
  error_code ec;
  const std::size_t n = co_await asio::async_write(*stdin_, asio::buffer(data),
                                                   asio::redirect_error(asio::use_awaitable, ec));
  stdin_busy_ = false;
  if (ec == asio::error::broken_pipe) {
    co_return fail(Code::kFailedPrecondition, "process {} closed its stdin", name_);
  }
  if (ec) {
    co_return fail(Code::kInternal, "writing stdin of process {}: {}", name_, ec.message());
  }
  co_return n;
}

Status Process::closeStdin() {
  if (stdin_ == nullptr || !stdin_->is_open()) {
    return fail(Code::kFailedPrecondition, "process {} has no open stdin", name_);
  }
  if (terminal_) {
    // The pty stays open for output; EOF on a terminal is the line discipline's VEOF.
    const char eof = '\x04';
    if (::write(stdin_->native_handle(), &eof, 1) != 1) {
      const int e = errno;
      return fail(errnoError(e, "writing VEOF to the terminal of " + name_));
    }
    return okStatus();
  }
  error_code ec;
  stdin_->close(ec);
  return okStatus();
}

Status Process::resize(std::uint16_t rows, std::uint16_t columns) {
  if (!terminal_) {
    return fail(Code::kFailedPrecondition, "process {} has no terminal to resize", name_);
  }
  if (stdin_ == nullptr || !stdin_->is_open()) {
    return fail(Code::kFailedPrecondition, "the terminal of process {} is closed", name_);
  }
  winsize size{};
  size.ws_row = rows;
  size.ws_col = columns;
  if (::ioctl(stdin_->native_handle(), TIOCSWINSZ, &size) != 0) {
    const int e = errno;
    return fail(errnoError(e, "TIOCSWINSZ on the terminal of " + name_));
  }
  return okStatus();
}

Status Process::signal(int sig) {
  if (exited_.load()) {
    return okStatus();
  }
  if (::syscall(SYS_pidfd_send_signal, pidfd_.get(), sig, nullptr, 0) != 0) {
    const int e = errno;
    if (e == ESRCH) {
      return okStatus();
    }
    return fail(errnoError(e, fmt::format("sending signal {} to process {}", sig, name_)));
  }
  return okStatus();
}

void Process::closeIo() {
  error_code ec;
  for (Stream& s : streams_) {
    if (s.fd != nullptr) {
      s.fd->close(ec);
    }
  }
  if (stdin_ != nullptr) {
    stdin_->close(ec);
  }
  changed_.notifyAll();
}

}  // namespace cocoon::agent::container::internal
