// SPDX-License-Identifier: Apache-2.0
// startSandbox: checks the spec, creates the run directory and hands over to a backend.
#include "runtime/sandbox/sandbox.h"

#include <sys/stat.h>

#include <algorithm>
#include <cerrno>
#include <cstring>

#include "runtime/sandbox/internal/backends.h"

namespace cocoon::runtime::sandbox {
namespace {

namespace fs = std::filesystem;

constexpr std::size_t kMaxIdLength = 64;

Status checkId(const std::string& id) {
  const bool valid_chars = std::all_of(id.begin(), id.end(), [](char c) {
    return (c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z') || (c >= '0' && c <= '9') || c == '_' ||
           c == '.' || c == '-';
  });
  if (id.empty() || id.size() > kMaxIdLength || !valid_chars || id == "." || id == "..") {
    return fail(Code::kInvalidArgument,
                "sandbox id \"{}\": expected 1..64 characters of [A-Za-z0-9_.-]", id);
  }
  return okStatus();
}

}  // namespace

namespace internal {

Status removeRunDir(const fs::path& run_dir) {
  std::error_code ec;
  fs::remove_all(run_dir, ec);
  if (ec) {
    return fail(Code::kInternal, "removing the sandbox run directory {}: {}", run_dir.string(),
                ec.message());
  }
  return okStatus();
}

}  // namespace internal

Result<std::unique_ptr<Sandbox>> startSandbox(const config::RuntimeConfig& config,
                                              const SandboxSpec& spec) {
  internal::StartContext context{.began = std::chrono::steady_clock::now(), .console_log = {}};
  COCOON_TRY(checkId(spec.id));
  if (spec.run_dir.empty()) {
    return fail(Code::kInvalidArgument, "sandbox {}: no run directory", spec.id);
  }
  if (config.sandbox.backend != "vm" && config.sandbox.backend != "process") {
    return fail(Code::kInvalidArgument,
                "sandbox {}: unknown backend \"{}\" (expected vm or process)", spec.id,
                config.sandbox.backend);
  }
  context.console_log = spec.console_log.empty()
                            ? spec.run_dir.parent_path() / (spec.id + ".console.log")
                            : spec.console_log;
  if (::mkdir(spec.run_dir.c_str(), 0700) != 0) {
    const int error = errno;
    return fail(error == EEXIST ? Code::kAlreadyExists : Code::kInternal,
                "sandbox {}: creating run directory {}: {}", spec.id, spec.run_dir.string(),
                std::strerror(error));
  }
  auto sandbox = config.sandbox.backend == "process"
                     ? internal::startProcessSandbox(config, spec, context)
                     : internal::startVmSandbox(config, spec, context);
  if (!sandbox) {
    (void)internal::removeRunDir(spec.run_dir);
  }
  return sandbox;
}

}  // namespace cocoon::runtime::sandbox
