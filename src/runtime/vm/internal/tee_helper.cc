// SPDX-License-Identifier: Apache-2.0
// Starting a TEE helper and waiting for its sockets.
#include "runtime/vm/internal/tee_helper.h"

#include <fcntl.h>
#include <sys/stat.h>

#include <algorithm>
#include <cerrno>

#include "common/files.h"
#include "common/sys_error.h"
#include "common/unique_fd.h"

namespace cocoon::runtime::vm::internal {
namespace {

// How often the helper's sockets are looked for; the wait is on the helper's pidfd, so
// an exiting helper ends it at once.
constexpr std::chrono::milliseconds kPollInterval{10};

// Splits a QEMU option string at ',' (",," is a literal comma).
std::vector<std::string> splitOptions(const std::string& text) {
  std::vector<std::string> parts(1);
  for (std::size_t i = 0; i < text.size(); ++i) {
    if (text[i] == ',' && i + 1 < text.size() && text[i + 1] == ',') {
      parts.back() += ',';
      ++i;
    } else if (text[i] == ',') {
      parts.emplace_back();
    } else {
      parts.back() += text[i];
    }
  }
  return parts;
}

bool isSocket(const std::filesystem::path& path) {
  struct stat st {};
  return ::stat(path.c_str(), &st) == 0 && S_ISSOCK(st.st_mode);
}

// Copies the regular files of `from` into `to` (0600), skipping swtpm's lock file: a
// provisioned TPM state is its permanent-state file, small and flat.
Status copyStateTemplate(const std::filesystem::path& from, const std::filesystem::path& to) {
  constexpr std::size_t kMaxStateFileBytes = 1 << 20;
  std::error_code ec;
  std::filesystem::directory_iterator it(from, ec);
  if (ec) {
    return fail(Code::kFailedPrecondition, "the helper state template {}: {}", from.string(),
                ec.message());
  }
  bool copied = false;
  for (const std::filesystem::directory_entry& entry : it) {
    if (!entry.is_regular_file(ec) || entry.path().filename() == ".lock") {
      continue;
    }
    COCOON_ASSIGN_OR_RETURN(Bytes data, readFile(entry.path(), kMaxStateFileBytes));
    COCOON_TRY(writeFileAtomic(to / entry.path().filename(), data, 0600));
    copied = true;
  }
  if (!copied) {
    return fail(Code::kFailedPrecondition,
                "the helper state template {} holds no state file (see cocoon vtpm provision)",
                from.string());
  }
  return okStatus();
}

}  // namespace

std::vector<std::filesystem::path> clientSocketPaths(const std::vector<std::string>& arguments) {
  std::vector<std::filesystem::path> paths;
  for (std::size_t i = 0; i + 1 < arguments.size(); ++i) {
    if (arguments[i] != "-chardev") {
      continue;
    }
    const std::vector<std::string> options = splitOptions(arguments[i + 1]);
    if (options.front() != "socket") {
      continue;
    }
    std::string path;
    bool server = false;
    for (const std::string& option : options) {
      if (option.rfind("path=", 0) == 0) {
        path = option.substr(5);
      } else if (option == "server=on" || option == "server") {
        server = true;
      }
    }
    if (!path.empty() && !server) {
      paths.emplace_back(path);
    }
  }
  return paths;
}

Result<ChildProcess> startTeeHelper(const tee::QemuTeeConfig& tee, const std::filesystem::path& log,
                                    std::chrono::steady_clock::time_point deadline) {
  const UniqueFd log_fd(::open(log.c_str(), O_WRONLY | O_CREAT | O_APPEND | O_CLOEXEC, 0600));
  if (!log_fd.valid()) {
    return fail(errnoError(errno, "creating " + log.string()));
  }
  if (!tee.helper_state_template.empty()) {
    COCOON_TRY(copyStateTemplate(tee.helper_state_template, tee.helper_state_dir));
  }
  COCOON_ASSIGN_OR_RETURN(ChildProcess helper, ChildProcess::spawn({.argv = tee.helper_command,
                                                                    .output_fd = log_fd.get()}));
  const std::vector<std::filesystem::path> sockets = clientSocketPaths(tee.arguments);
  while (true) {
    const auto missing = std::find_if_not(sockets.begin(), sockets.end(), isSocket);
    if (missing == sockets.end()) {
      return helper;
    }
    if (std::chrono::steady_clock::now() >= deadline) {
      return fail(Code::kDeadlineExceeded, "{} did not create {} in time",
                  tee.helper_command.front(), missing->string());
    }
    COCOON_ASSIGN_OR_RETURN(const bool exited, helper.waitFor(kPollInterval));
    if (exited) {
      auto text = readTextFile(log, 16 * 1024);
      return fail(Code::kUnavailable, "{} exited ({}) before creating {}: {}",
                  tee.helper_command.front(), describeWaitStatus(*helper.waitStatus()),
                  missing->string(), text ? *text : std::string());
    }
  }
}

}  // namespace cocoon::runtime::vm::internal
