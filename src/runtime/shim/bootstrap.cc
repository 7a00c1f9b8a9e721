// SPDX-License-Identifier: Apache-2.0
// start / delete / serve: the shim's process lifecycle as containerd drives it.
#include "runtime/shim/bootstrap.h"

#include <fcntl.h>
#include <signal.h>
#include <sys/socket.h>
#include <sys/un.h>
#include <sys/wait.h>
#include <unistd.h>

#include <atomic>
#include <chrono>
#include <cstdio>
#include <cstdlib>
#include <cstring>
#include <iostream>
#include <thread>

#include <fmt/format.h>
#include <google/protobuf/empty.pb.h>

#include "common/encoding.h"
#include "common/files.h"
#include "common/log.h"
#include "common/unique_fd.h"
#include "crypto/digest.h"
#include "proto/shim/shim.pb.h"
#include "runtime/config/config.h"
#include "runtime/sandbox/sandbox.h"
#include "runtime/shim/bundle.h"
#include "runtime/shim/events.h"
#include "runtime/shim/task_service.h"
#include "ttrpc/server.h"

namespace cocoon::runtime::shim {
namespace {

namespace fs = std::filesystem;
using namespace std::chrono_literals;

bool connectable(const fs::path& socket) {
  UniqueFd fd(::socket(AF_UNIX, SOCK_STREAM | SOCK_CLOEXEC, 0));
  sockaddr_un addr{};
  addr.sun_family = AF_UNIX;
  const std::string path = socket.string();
  if (!fd.valid() || path.size() >= sizeof addr.sun_path) {
    return false;
  }
  std::memcpy(addr.sun_path, path.c_str(), path.size() + 1);
  return ::connect(fd.get(), reinterpret_cast<const sockaddr*>(&addr), sizeof addr) == 0;
}

fs::path bundleDir(const ShimFlags& flags) {
  std::error_code ec;
  return flags.bundle.empty() ? fs::current_path(ec) : fs::path(flags.bundle);
}

int failWith(const std::string& action, const Error& error) {
  std::fprintf(stderr, "containerd-shim-cocoon-v2 %s: %s\n", action.c_str(),
               error.toString().c_str());
  return 1;
}

// The sandbox a container belongs to (its CRI pod, else itself).
std::string sandboxOf(const ShimFlags& flags) {
  auto info = readBundle(bundleDir(flags), flags.id);
  return info ? info->sandbox_id : flags.id;
}

fs::path sandboxesDir() {
  return fs::path(kRunRoot) / "sandboxes";
}

// The daemon's stderr: containerd's log FIFO in the bundle when it is there (containerd
// copies it into its own log), else a file beside the sandbox directories.
void redirectLogs(const fs::path& bundle, const std::string& key) {
  int fd = ::open((bundle / "log").c_str(), O_WRONLY | O_NONBLOCK | O_CLOEXEC);
  if (fd >= 0) {
    (void)::fcntl(fd, F_SETFL, ::fcntl(fd, F_GETFL) & ~O_NONBLOCK);
  } else {
    fd = ::open((sandboxesDir() / (key + ".shim.log")).c_str(),
                O_WRONLY | O_CREAT | O_APPEND | O_CLOEXEC, 0600);
  }
  if (fd >= 0) {
    ::dup2(fd, STDERR_FILENO);
    ::close(fd);
  }
}

}  // namespace

Result<ShimFlags> parseShimFlags(const std::vector<std::string>& args) {
  ShimFlags flags;
  for (std::size_t i = 0; i < args.size(); ++i) {
    std::string arg = args[i];
    if (arg == "-h" || arg == "--help" || arg == "-help") {
      flags.help = true;
      continue;
    }
    if (arg == "-v" || arg == "--version" || arg == "-version") {
      flags.version = true;
      continue;
    }
    if (arg.empty() || arg[0] != '-') {
      if (!flags.action.empty()) {
        return fail(Code::kInvalidArgument, "a second action '{}' after '{}'", arg, flags.action);
      }
      if (arg != "start" && arg != "delete" && arg != "serve") {
        return fail(Code::kInvalidArgument, "unknown action '{}' (start, delete)", arg);
      }
      flags.action = arg;
      continue;
    }
    std::string name = arg.substr(arg.starts_with("--") ? 2 : 1);
    std::optional<std::string> value;
    if (auto eq = name.find('='); eq != std::string::npos) {
      value = name.substr(eq + 1);
      name.resize(eq);
    }
    if (name == "debug") {
      flags.debug = !value || *value == "true" || *value == "1";
      continue;
    }
    std::string* target = name == "namespace"        ? &flags.ns
                          : name == "address"        ? &flags.address
                          : name == "publish-binary" ? &flags.publish_binary
                          : name == "id"             ? &flags.id
                          : name == "bundle"         ? &flags.bundle
                          : name == "socket"         ? &flags.socket
                                                     : nullptr;
    if (target == nullptr) {
      return fail(Code::kInvalidArgument, "unknown flag '{}'", arg);
    }
    if (!value) {
      if (i + 1 >= args.size()) {
        return fail(Code::kInvalidArgument, "flag '{}' needs a value", arg);
      }
      value = args[++i];
    }
    *target = *value;
  }
  if (flags.action.empty() && !flags.help && !flags.version) {
    return fail(Code::kInvalidArgument,
                "no action: containerd runs the shim with 'start' or "
                "'delete' (see --help)");
  }
  if ((flags.action == "start" || flags.action == "delete") && flags.id.empty()) {
    return fail(Code::kInvalidArgument, "'{}' needs -id", flags.action);
  }
  if (flags.action == "serve" && (flags.socket.empty() || flags.id.empty())) {
    return fail(Code::kInvalidArgument, "'serve' needs -id and -socket");
  }
  return flags;
}

fs::path shimSocketPath(std::string_view containerd_address, std::string_view ns,
                        std::string_view sandbox_id) {
  const std::string key = fmt::format("{}\n{}\n{}", containerd_address, ns, sandbox_id);
  return fs::path(kRunRoot) / "s" /
         (hexEncode(crypto::sha256(asBytes(key))).substr(0, 32) + ".sock");
}

int runStart(const ShimFlags& flags, const fs::path& self) {
  const fs::path bundle = bundleDir(flags);
  // A bad bundle (e.g. no image annotation) fails here, where containerd shows our stderr.
  auto info = readBundle(bundle, flags.id);
  if (!info) {
    return failWith("start", info.error());
  }
  const fs::path socket = shimSocketPath(flags.address, flags.ns, info->sandbox_id);
  const std::string address = "unix://" + socket.string();
  if (!connectable(socket)) {
    if (auto s = createDirectories(socket.parent_path()); !s) {
      return failWith("start", s.error());
    }
    if (auto s = createDirectories(sandboxesDir()); !s) {
      return failWith("start", s.error());
    }
    std::vector<std::string> args = {self.string(),
                                     "-namespace",
                                     flags.ns,
                                     "-address",
                                     flags.address,
                                     "-publish-binary",
                                     flags.publish_binary,
                                     "-id",
                                     info->sandbox_id,
                                     "-bundle",
                                     bundle.string(),
                                     "-socket",
                                     socket.string()};
    if (flags.debug) {
      args.emplace_back("-debug");
    }
    args.emplace_back("serve");
    const pid_t child = ::fork();
    if (child < 0) {
      return failWith("start", Error{Code::kInternal, "fork failed"});
    }
    if (child == 0) {
      ::setsid();
      const int null_fd = ::open("/dev/null", O_RDWR);
      ::dup2(null_fd, STDIN_FILENO);
      ::dup2(null_fd, STDOUT_FILENO);
      redirectLogs(bundle, sandboxKey(info->sandbox_id));
      std::vector<char*> argv;
      for (std::string& a : args) {
        argv.push_back(a.data());
      }
      argv.push_back(nullptr);
      ::execv(argv[0], argv.data());
      _exit(127);
    }
    const auto deadline = std::chrono::steady_clock::now() + 10s;
    while (!connectable(socket)) {
      int status = 0;
      if (::waitpid(child, &status, WNOHANG) == child) {
        return failWith("start",
                        Error{Code::kUnavailable,
                              fmt::format("the shim server exited during start (status "
                                          "{}); its log is containerd's or {}",
                                          status, (sandboxesDir() / "*.shim.log").string())});
      }
      if (std::chrono::steady_clock::now() > deadline) {
        ::kill(child, SIGKILL);
        return failWith(
            "start", Error{Code::kDeadlineExceeded, "the shim server did not listen within 10 s"});
      }
      std::this_thread::sleep_for(10ms);
    }
  }
  // containerd reads the address again from here when it restarts.
  (void)writeFileAtomic(bundle / "address", asBytes(address));
  std::fputs(address.c_str(), stdout);
  return 0;
}

int runDelete(const ShimFlags& flags) {
  const fs::path run_dir = sandboxesDir() / sandboxKey(sandboxOf(flags));
  // A dead shim leaves its sandbox's processes (QEMU, swtpm, the agent) behind: their pid
  // files are in the run directory.
  std::error_code ec;
  for (const auto& entry : fs::directory_iterator(run_dir, ec)) {
    if (entry.path().extension() != ".pid") {
      continue;
    }
    auto text = readTextFile(entry.path(), 64);
    const long pid = text ? std::strtol(text->c_str(), nullptr, 10) : 0;
    if (pid > 1) {
      ::kill(static_cast<pid_t>(pid), SIGKILL);
    }
  }
  (void)removeAll(run_dir);
  containerd::task::v2::DeleteResponse response;
  response.set_exit_status(128 + SIGKILL);
  *response.mutable_exited_at() = timestampNow();
  response.SerializeToOstream(&std::cout);
  std::cout.flush();
  return 0;
}

int runServe(const ShimFlags& flags, const fs::path& self) {
  ::signal(SIGPIPE, SIG_IGN);  // a FIFO whose reader left must not kill the shim
  (void)initLogging(LogOptions{.level = flags.debug ? LogLevel::kDebug : LogLevel::kInfo});
  auto config = config::findRuntimeConfig(std::getenv(std::string(config::kConfigEnv).c_str()),
                                          self.parent_path());
  if (!config) {
    return failWith("serve", config.error());
  }
  const char* ttrpc_address = std::getenv("TTRPC_ADDRESS");
  EventPublisher events(ttrpc_address != nullptr ? ttrpc_address : "", flags.ns);

  std::atomic<bool> done{false};
  TaskServiceOptions options;
  options.config = *config;
  options.start_sandbox = [cfg = *config](const sandbox::SandboxSpec& spec) {
    return sandbox::startSandbox(cfg, spec);
  };
  options.sandboxes_dir = sandboxesDir();
  options.events = &events;
  options.version = std::string("cocoon ") + COCOON_VERSION;
  options.on_shutdown = [&done] { done = true; };
  auto service = std::make_unique<TaskService>(std::move(options));

  // SIGTERM/SIGINT end the shim like Shutdown; blocked here so that only sigtimedwait sees
  // them (the server's threads inherit the mask).
  sigset_t signals;
  sigemptyset(&signals);
  sigaddset(&signals, SIGTERM);
  sigaddset(&signals, SIGINT);
  pthread_sigmask(SIG_BLOCK, &signals, nullptr);

  ttrpc::Server server(ttrpc::ServerOptions{.threads = 8});
  ttrpc::Address address;
  address.path = flags.socket;
  (void)::unlink(flags.socket.c_str());  // a stale socket of a shim that died
  if (auto s = service->registerOn(server); !s) {
    return failWith("serve", s.error());
  }
  if (auto s = server.listen(address); !s) {
    return failWith("serve", s.error());
  }
  if (auto s = server.start(); !s) {
    return failWith("serve", s.error());
  }
  COCOON_LOG(kInfo, "shim", "serving sandbox {} on {}", flags.id, flags.socket);
  const timespec tick{0, 200 * 1000 * 1000};
  while (!done) {
    if (sigtimedwait(&signals, nullptr, &tick) > 0) {
      COCOON_LOG(kInfo, "shim", "signal: stopping");
      break;
    }
  }
  // Let the Shutdown answer go out before the connection closes.
  server.stop(2s);
  service.reset();  // stops the sandbox if still running
  (void)::unlink(flags.socket.c_str());
  return 0;
}

std::string shimUsage() {
  return "containerd-shim-cocoon-v2: containerd shim v2 that runs each pod in a confidential VM\n"
         "\n"
         "containerd runs it; you do not. Install it on containerd's PATH and use the runtime\n"
         "io.containerd.cocoon.v2 (docs/shim.md), e.g.\n"
         "  ctr run --runtime io.containerd.cocoon.v2 --rootfs EMPTY_DIR \\\n"
         "      --annotation io.cocoon.image=REGISTRY/REPO:TAG ID CMD...\n"
         "The guest pulls the image; the host's rootfs is not used.\n"
         "\n"
         "Usage: containerd-shim-cocoon-v2 -namespace NS -address ADDR -publish-binary BIN\n"
         "           -id ID [-bundle DIR] [-debug] start|delete\n"
         "  start    start (or find) the shim of the container's sandbox; prints its address\n"
         "  delete   clean up after a shim that died; prints a DeleteResponse\n"
         "Configuration: COCOON_CONFIG, else ../etc/cocoon/config.toml beside the binary\n"
         "(docs/runtime-config.md). Exit status: 0 success, 1 failure, 2 usage error.\n";
}

}  // namespace cocoon::runtime::shim
