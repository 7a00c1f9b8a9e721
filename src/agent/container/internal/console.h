// SPDX-License-Identifier: Apache-2.0
// The --console-socket of `runtime create/exec`: a unix socket on which the runtime
// sends the pty master of a terminal process (SCM_RIGHTS), as runc's and crun's
// console-socket protocol defines.
#pragma once

#include <filesystem>

#include "common/result.h"
#include "common/unique_fd.h"

namespace cocoon::agent::container::internal {

class ConsoleSocket {
 public:
  // Listens on `path` (replacing a stale socket file). Errors: kInvalidArgument when the
  // path is too long for sun_path; the errno of socket/bind/listen otherwise.
  static Result<ConsoleSocket> listen(std::filesystem::path path);

  ConsoleSocket(ConsoleSocket&&) = default;
  ConsoleSocket& operator=(ConsoleSocket&&) = default;
  ~ConsoleSocket();

  // Takes the pty master that the runtime sent before it exited successfully (the
  // connection waits in the backlog, so no concurrent accept is needed). Returns it
  // non-blocking and close-on-exec. Errors: kInternal when no connection or no fd is
  // there, or the message carries something else.
  Result<UniqueFd> receiveMaster();

  const std::filesystem::path& path() const { return path_; }

 private:
  ConsoleSocket(std::filesystem::path path, UniqueFd fd)
      : path_(std::move(path)), fd_(std::move(fd)) {}

  std::filesystem::path path_;
  UniqueFd fd_;
};

}  // namespace cocoon::agent::container::internal
