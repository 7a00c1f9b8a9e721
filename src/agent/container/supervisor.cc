// SPDX-License-Identifier: Apache-2.0
// Supervisor implementation: a Core on one strand owns the container table; every public
// call runs there (co_spawn) and completes on the caller's executor.
#include "agent/container/supervisor.h"

#include <signal.h>
#include <sys/prctl.h>
#include <sys/syscall.h>
#include <unistd.h>

#include <charconv>
#include <map>
#include <mutex>
#include <set>

#include <boost/asio/co_spawn.hpp>
#include <boost/asio/detached.hpp>
#include <boost/asio/post.hpp>
#include <boost/asio/redirect_error.hpp>
#include <boost/asio/steady_timer.hpp>
#include <boost/asio/strand.hpp>
#include <boost/asio/use_awaitable.hpp>

#include "agent/container/internal/cgroup_stats.h"
#include "agent/container/internal/console.h"
#include "agent/container/internal/process.h"
#include "agent/container/internal/reaper.h"
#include "agent/container/internal/runtime.h"
#include "common/files.h"
#include "common/log.h"
#include "common/subprocess.h"
#include "common/sys_error.h"

namespace cocoon::agent::container {
namespace {

// The OCI runtime's argument list. Call sites use this instead of a braced list: g++ 12
// rejects an initializer_list's array inside a co_await expression ("array used as
// initializer").
template <class... Args>
std::vector<std::string> argv(Args&&... args) {
  std::vector<std::string> out;
  out.reserve(sizeof...(Args));
  (out.emplace_back(std::forward<Args>(args)), ...);
  return out;
}

namespace asio = boost::asio;
using internal::Process;
using internal::RuntimeCli;

constexpr std::size_t kMaxIdLength = 128;
constexpr std::size_t kMaxBundleConfig = std::size_t{4} << 20;
constexpr std::chrono::seconds kSweepInterval{1};

Status checkId(std::string_view id, std::string_view what) {
  auto alnum = [](char c) {
    return (c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z') || (c >= '0' && c <= '9');
  };
  bool ok = !id.empty() && id.size() <= kMaxIdLength && alnum(id[0]);
  for (char c : id) {
    ok = ok && (alnum(c) || c == '_' || c == '.' || c == '-');
  }
  if (!ok) {
    return fail(Code::kInvalidArgument, "{} '{}' is not [A-Za-z0-9][A-Za-z0-9_.-]{{0,127}}", what,
                id.substr(0, kMaxIdLength));
  }
  return okStatus();
}

struct Pipe {
  UniqueFd read;
  UniqueFd write;
};

// A close-on-exec pipe; `ours_nonblocking` makes our end (the other one's peer) O_NONBLOCK.
Result<Pipe> makePipe(bool read_is_ours) {
  int fds[2];
  if (::pipe2(fds, O_CLOEXEC) != 0) {
    const int e = errno;
    return fail(errnoError(e, "pipe2"));
  }
  Pipe pipe{UniqueFd(fds[0]), UniqueFd(fds[1])};
  const int ours = read_is_ours ? pipe.read.get() : pipe.write.get();
  if (::fcntl(ours, F_SETFL, O_NONBLOCK) != 0) {
    const int e = errno;
    return fail(errnoError(e, "fcntl(O_NONBLOCK)"));
  }
  return pipe;
}

Result<pid_t> readPidFile(const std::filesystem::path& path) {
  COCOON_ASSIGN_OR_RETURN(std::string text, readTextFile(path, 64));
  long pid = 0;
  const auto [end, ec] = std::from_chars(text.data(), text.data() + text.size(), pid);
  if (ec != std::errc() || pid <= 1 || (end != text.data() + text.size() && *end != '\n')) {
    return fail(Code::kInternal, "pid file {} holds '{}', expected a pid", path.string(),
                text.substr(0, 32));
  }
  return static_cast<pid_t>(pid);
}

// `process.terminal` of a bundle's config.json or of an exec's process object.
Result<bool> terminalOf(const json::Json& process, std::string_view where) {
  if (!process.is_object()) {
    return fail(Code::kInvalidArgument, "{}: process is not a JSON object", where);
  }
  const auto it = process.find("terminal");
  if (it == process.end()) {
    return false;
  }
  if (!it->is_boolean()) {
    return fail(Code::kInvalidArgument, "{}: process.terminal is not a boolean", where);
  }
  return it->get<bool>();
}

Result<bool> bundleTerminal(const std::filesystem::path& bundle) {
  const auto config = bundle / "config.json";
  auto text = readTextFile(config, kMaxBundleConfig);
  if (!text) {
    return fail(Code::kInvalidArgument, "bundle {}: cannot read config.json: {}", bundle.string(),
                text.error().message);
  }
  COCOON_ASSIGN_OR_RETURN(json::Json spec, json::parseJson(*text));
  if (!spec.is_object() || !spec.contains("process")) {
    return fail(Code::kInvalidArgument, "{}: no process object", config.string());
  }
  return terminalOf(spec["process"], config.string());
}

struct Container {
  std::string id;
  std::filesystem::path dir;  // pid files, exec process files
  ContainerStatus status{};   // written under Core::mu_; see effectiveStatus
  std::shared_ptr<Process> init;
  std::map<std::string, std::shared_ptr<Process>> execs;  // nullptr while being exec'd
  bool removing = false;
  // Calls that hold this Container across a runtime call; removal waits for them.
  int in_flight = 0;
};

// Counts a call in Container::in_flight for its lifetime.
class InFlight {
 public:
  InFlight(Container& c, internal::Notifier& idle) : c_(c), idle_(idle) { ++c_.in_flight; }
  InFlight(const InFlight&) = delete;
  InFlight& operator=(const InFlight&) = delete;
  ~InFlight() {
    --c_.in_flight;
    idle_.notifyAll();
  }

 private:
  Container& c_;
  internal::Notifier& idle_;
};

ContainerStatus effectiveStatus(const Container& c) {
  return c.init->exited() ? ContainerStatus::kStopped : c.status;
}

std::string_view statusName(ContainerStatus s) {
  switch (s) {
    case ContainerStatus::kCreated:
      return "created";
    case ContainerStatus::kRunning:
      return "running";
    case ContainerStatus::kPaused:
      return "paused";
    case ContainerStatus::kStopped:
      return "stopped";
  }
  return "unknown";
}

// Everything on the strand. Shared (shared_ptr) with the reaper loop and in-flight calls,
// so that destroying the Supervisor facade never leaves them a dangling Core.
class Core : public std::enable_shared_from_this<Core> {
 public:
  Core(asio::any_io_executor strand, SupervisorOptions options)
      : strand_(std::move(strand)),
        options_(std::move(options)),
        runtime_(options_.runtime_binary, options_.state_dir / "runtime", options_.runtime_timeout,
                 busy_pids_),
        sweep_timer_(strand_) {}

  const asio::any_io_executor& strand() const { return strand_; }

  static asio::awaitable<void> reapLoop(std::shared_ptr<Core> self);
  void shutdown() {
    stopping_ = true;
    sweep_timer_.cancel();
  }

  asio::awaitable<Status> createContainer(ContainerConfig config);
  asio::awaitable<Status> startContainer(std::string id);
  asio::awaitable<Status> execProcess(ExecConfig config);
  asio::awaitable<Status> signalProcess(std::string id, std::string exec_id, int sig, bool all);
  asio::awaitable<Result<ContainerStats>> stats(std::string id);
  asio::awaitable<Status> transition(std::string id, const char* verb, ContainerStatus from,
                                     ContainerStatus to);
  asio::awaitable<Status> update(std::string id, json::Json resources);
  asio::awaitable<Status> removeContainer(std::string id, std::chrono::milliseconds grace);
  asio::awaitable<void> removeAll(std::chrono::milliseconds grace);

  Result<Container*> find(std::string_view id);
  Result<std::shared_ptr<Process>> findProcess(std::string_view id, std::string_view exec_id);

  Result<ContainerStatus> status(std::string_view id) const;
  std::vector<std::string> ids() const;

 private:
  // `runtime create|exec ... ID` with fresh stdio; returns the tracked process.
  asio::awaitable<Result<std::shared_ptr<Process>>> launch(std::vector<std::string> args,
                                                           std::string id, bool terminal,
                                                           std::filesystem::path pid_file,
                                                           std::string name);
  void setStatus(Container& c, ContainerStatus s) {
    std::lock_guard lock(mu_);
    c.status = s;
  }
  std::set<pid_t> trackedPids() const;

  asio::any_io_executor strand_;
  SupervisorOptions options_;
  std::set<pid_t> busy_pids_;
  RuntimeCli runtime_;
  internal::OrphanReaper reaper_;
  asio::steady_timer sweep_timer_;
  bool stopping_ = false;
  std::uint64_t console_counter_ = 0;
  std::set<std::string> creating_;
  internal::Notifier idle_;  // a call left a Container (see InFlight)
  // Guards the table's structure and statuses against status()/containerIds() callers on
  // other threads; strand code reads without it (only the strand writes).
  mutable std::mutex mu_;
  std::map<std::string, std::unique_ptr<Container>> containers_;
};

Result<Container*> Core::find(std::string_view id) {
  COCOON_TRY(checkId(id, "container id"));
  const auto it = containers_.find(std::string(id));
  if (it == containers_.end()) {
    return fail(Code::kNotFound, "no container '{}'", id);
  }
  return it->second.get();
}

Result<std::shared_ptr<Process>> Core::findProcess(std::string_view id, std::string_view exec_id) {
  COCOON_ASSIGN_OR_RETURN(Container * c, find(id));
  if (exec_id.empty()) {
    return c->init;
  }
  COCOON_TRY(checkId(exec_id, "exec id"));
  const auto it = c->execs.find(std::string(exec_id));
  if (it == c->execs.end() || it->second == nullptr) {
    return fail(Code::kNotFound, "no process '{}' in container '{}'", exec_id, id);
  }
  return it->second;
}

Result<ContainerStatus> Core::status(std::string_view id) const {
  COCOON_TRY(checkId(id, "container id"));
  std::lock_guard lock(mu_);
  const auto it = containers_.find(std::string(id));
  if (it == containers_.end()) {
    return fail(Code::kNotFound, "no container '{}'", id);
  }
  return effectiveStatus(*it->second);
}

std::vector<std::string> Core::ids() const {
  std::lock_guard lock(mu_);
  std::vector<std::string> out;
  for (const auto& [id, c] : containers_) {
    out.push_back(id);
  }
  return out;
}

std::set<pid_t> Core::trackedPids() const {
  std::set<pid_t> pids = busy_pids_;
  for (const auto& [id, c] : containers_) {
    pids.insert(c->init->pid());
    for (const auto& [exec_id, p] : c->execs) {
      if (p != nullptr) {
        pids.insert(p->pid());
      }
    }
  }
  return pids;
}

asio::awaitable<void> Core::reapLoop(std::shared_ptr<Core> self) {
  while (!self->stopping_) {
    self->sweep_timer_.expires_after(kSweepInterval);
    boost::system::error_code ec;
    co_await self->sweep_timer_.async_wait(asio::redirect_error(asio::use_awaitable, ec));
    if (self->stopping_) {
      break;
    }
    for (pid_t pid : self->reaper_.sweep(std::chrono::steady_clock::now(), self->trackedPids())) {
      COCOON_LOG(kDebug, "agent", "reaped orphan pid {}", pid);
    }
  }
}

asio::awaitable<Result<std::shared_ptr<Process>>> Core::launch(std::vector<std::string> args,
                                                               std::string id, bool terminal,
                                                               std::filesystem::path pid_file,
                                                               std::string name) {
  ::unlink(pid_file.c_str());
  args.insert(args.end(), {"--pid-file", pid_file.string()});
  internal::ProcessIo io;
  internal::RuntimeStdio stdio;
  std::optional<internal::ConsoleSocket> console;
  Pipe in;
  Pipe out;
  Pipe err;
  if (terminal) {
    auto socket = internal::ConsoleSocket::listen(options_.state_dir / "console" /
                                                  (std::to_string(++console_counter_) + ".sock"));
    if (!socket) {
      co_return fail(std::move(socket).error());
    }
    console.emplace(std::move(*socket));
    args.insert(args.end(), {"--console-socket", console->path().string()});
  } else {
    auto made_in = makePipe(false);
    auto made_out = makePipe(true);
    auto made_err = makePipe(true);
    if (!made_in || !made_out || !made_err) {
      co_return fail(Code::kResourceExhausted, "cannot create stdio pipes for {}", name);
    }
    in = std::move(*made_in);
    out = std::move(*made_out);
    err = std::move(*made_err);
    stdio = {in.read.get(), out.write.get(), err.write.get()};
  }
  args.push_back(id);
  Status ran = co_await runtime_.check(args, stdio, err.read.valid() ? err.read.get() : -1);
  // Our copies of the child's ends go, so EOF arrives when the process's ends close.
  in.read.reset();
  out.write.reset();
  err.write.reset();
  if (!ran) {
    co_return fail(std::move(ran).error());
  }
  auto pid = readPidFile(pid_file);
  if (!pid) {
    co_return fail(std::move(pid).error());
  }
  const long pidfd = ::syscall(SYS_pidfd_open, *pid, 0);
  if (pidfd < 0) {
    const int e = errno;
    co_return fail(errnoError(e, fmt::format("pidfd_open of {} (pid {})", name, *pid)));
  }
  if (console) {
    auto master = console->receiveMaster();
    if (!master) {
      ::syscall(SYS_pidfd_send_signal, static_cast<int>(pidfd), SIGKILL, nullptr, 0);
      co_return fail(std::move(master).error());
    }
    io.pty_master = std::move(*master);
  } else {
    io.stdin_write = std::move(in.write);
    io.stdout_read = std::move(out.read);
    io.stderr_read = std::move(err.read);
  }
  auto process =
      std::make_shared<Process>(strand_, std::move(name), *pid, UniqueFd(static_cast<int>(pidfd)),
                                std::move(io), options_.max_buffered_output);
  process->start();
  co_return process;
}

asio::awaitable<Status> Core::createContainer(ContainerConfig config) {
  if (auto ok = checkId(config.id, "container id"); !ok) {
    co_return ok;
  }
  if (containers_.count(config.id) != 0 || creating_.count(config.id) != 0) {
    co_return fail(Code::kAlreadyExists, "container '{}' exists", config.id);
  }
  auto terminal = bundleTerminal(config.bundle);
  if (!terminal) {
    co_return fail(std::move(terminal).error());
  }
  creating_.insert(config.id);
  struct Unreserve {
    std::set<std::string>& set;
    std::string id;
    ~Unreserve() { set.erase(id); }
  } unreserve{creating_, config.id};

  const std::filesystem::path dir = options_.state_dir / "containers" / config.id;
  if (auto ok = cocoon::removeAll(dir); !ok) {
    co_return ok;
  }
  if (auto ok = createDirectories(dir); !ok) {
    co_return ok;
  }
  std::error_code ec;
  const std::vector<std::string> force_delete = argv("delete", "--force", config.id);
  if (std::filesystem::exists(options_.state_dir / "runtime" / config.id, ec)) {
    // A leftover of an agent that died: the runtime would refuse the id.
    (void)co_await runtime_.check(force_delete);
  }
  auto init = co_await launch(argv("create", "--bundle", config.bundle.string()), config.id,
                              *terminal, dir / "init.pid", config.id);
  if (!init) {
    if (std::filesystem::exists(options_.state_dir / "runtime" / config.id, ec)) {
      // The runtime succeeded but we could not take the process over: undo it.
      (void)co_await runtime_.check(force_delete);
    }
    (void)cocoon::removeAll(dir);
    co_return fail(std::move(init).error());
  }
  auto c = std::make_unique<Container>();
  c->id = config.id;
  c->dir = dir;
  c->status = ContainerStatus::kCreated;
  c->init = std::move(*init);
  std::lock_guard lock(mu_);
  containers_.emplace(config.id, std::move(c));
  co_return okStatus();
}

asio::awaitable<Status> Core::startContainer(std::string id) {
  auto c = find(id);
  if (!c) {
    co_return fail(std::move(c).error());
  }
  const ContainerStatus s = effectiveStatus(**c);
  if (s != ContainerStatus::kCreated || (*c)->removing) {
    co_return fail(Code::kFailedPrecondition, "container '{}' is {}, not created", id,
                   statusName(s));
  }
  const InFlight guard(**c, idle_);
  Status started = co_await runtime_.check(argv("start", id));
  if (!started) {
    co_return started;
  }
  setStatus(**c, ContainerStatus::kRunning);
  co_return okStatus();
}

asio::awaitable<Status> Core::execProcess(ExecConfig config) {
  auto c = find(config.container_id);
  if (!c) {
    co_return fail(std::move(c).error());
  }
  if (auto ok = checkId(config.exec_id, "exec id"); !ok) {
    co_return ok;
  }
  Container& container = **c;
  const ContainerStatus s = effectiveStatus(container);
  if (s != ContainerStatus::kRunning || container.removing) {
    co_return fail(Code::kFailedPrecondition, "container '{}' is {}, not running",
                   config.container_id, statusName(s));
  }
  if (container.execs.count(config.exec_id) != 0) {
    co_return fail(Code::kAlreadyExists, "process '{}' exists in container '{}'", config.exec_id,
                   config.container_id);
  }
  auto terminal = terminalOf(config.process, "exec " + config.exec_id);
  if (!terminal) {
    co_return fail(std::move(terminal).error());
  }
  const auto process_file = container.dir / ("exec-" + config.exec_id + ".json");
  const std::string text = json::dumpCompact(config.process);
  if (auto ok = writeFileAtomic(process_file, asBytes(text), 0600); !ok) {
    co_return ok;
  }
  const InFlight guard(container, idle_);
  container.execs.emplace(config.exec_id, nullptr);
  auto process = co_await launch(argv("exec", "--detach", "--process", process_file.string()),
                                 config.container_id, *terminal,
                                 container.dir / ("exec-" + config.exec_id + ".pid"),
                                 config.container_id + "/" + config.exec_id);
  if (!process) {
    container.execs.erase(config.exec_id);
    co_return fail(std::move(process).error());
  }
  container.execs[config.exec_id] = std::move(*process);
  co_return okStatus();
}

asio::awaitable<Status> Core::signalProcess(std::string id, std::string exec_id, int sig,
                                            bool all) {
  if (sig < 1 || sig > 64) {
    co_return fail(Code::kInvalidArgument, "signal {} is not in 1..64", sig);
  }
  auto process = findProcess(id, exec_id);
  if (!process) {
    co_return fail(std::move(process).error());
  }
  if (!(exec_id.empty() && all)) {
    co_return (*process)->signal(sig);
  }
  Container& c = **find(id);
  if ((*process)->exited() || c.removing) {
    co_return okStatus();
  }
  const InFlight guard(c, idle_);
  Status sent = co_await runtime_.check(argv("kill", "--all", id, std::to_string(sig)));
  if (!sent && !(*process)->exited()) {
    co_return sent;
  }
  co_return okStatus();
}

asio::awaitable<Result<ContainerStats>> Core::stats(std::string id) {
  auto c = find(id);
  if (!c) {
    co_return fail(std::move(c).error());
  }
  const auto not_live = [&] {
    return fail(Code::kFailedPrecondition, "container '{}' is stopped: no stats", id);
  };
  if ((*c)->init->exited()) {
    co_return not_live();
  }
  auto stats = internal::readCgroupStats((*c)->init->pid());
  if (!stats && stats.error().code == Code::kNotFound) {
    co_return not_live();
  }
  co_return stats;
}

asio::awaitable<Status> Core::transition(std::string id, const char* verb, ContainerStatus from,
                                         ContainerStatus to) {
  auto c = find(id);
  if (!c) {
    co_return fail(std::move(c).error());
  }
  const ContainerStatus s = effectiveStatus(**c);
  if (s != from || (*c)->removing) {
    co_return fail(Code::kFailedPrecondition, "cannot {} container '{}': it is {}", verb, id,
                   statusName(s));
  }
  const InFlight guard(**c, idle_);
  Status done = co_await runtime_.check(argv(verb, id));
  if (!done) {
    co_return done;
  }
  setStatus(**c, to);
  co_return okStatus();
}

asio::awaitable<Status> Core::update(std::string id, json::Json resources) {
  auto c = find(id);
  if (!c) {
    co_return fail(std::move(c).error());
  }
  if (!resources.is_object()) {
    co_return fail(Code::kInvalidArgument, "update of '{}': resources is not a JSON object", id);
  }
  if (effectiveStatus(**c) == ContainerStatus::kStopped || (*c)->removing) {
    co_return fail(Code::kFailedPrecondition, "cannot update container '{}': it is {}", id,
                   (*c)->removing ? "being removed" : "stopped");
  }
  const InFlight guard(**c, idle_);
  const auto file = (*c)->dir / "resources.json";
  const std::string text = json::dumpCompact(resources);
  if (auto ok = writeFileAtomic(file, asBytes(text), 0600); !ok) {
    co_return ok;
  }
  co_return co_await runtime_.check(argv("update", "--resources", file.string(), id));
}

asio::awaitable<Status> Core::removeContainer(std::string id, std::chrono::milliseconds grace) {
  auto found = find(id);
  if (!found) {
    co_return fail(std::move(found).error());
  }
  Container& c = **found;
  if (c.removing) {
    co_return fail(Code::kFailedPrecondition, "container '{}' is already being removed", id);
  }
  c.removing = true;
  while (c.in_flight > 0) {
    co_await idle_.wait();
  }
  const std::shared_ptr<Process> init = c.init;
  if (effectiveStatus(c) == ContainerStatus::kPaused) {
    // A frozen init cannot act on SIGTERM.
    if (co_await runtime_.check(argv("resume", id))) {
      setStatus(c, ContainerStatus::kRunning);
    }
  }
  if (effectiveStatus(c) == ContainerStatus::kRunning && grace.count() > 0) {
    (void)init->signal(SIGTERM);
    (void)co_await init->waitFor(grace);
  }
  Status deleted = co_await runtime_.check(argv("delete", "--force", id));
  std::error_code ec;
  if (!deleted && std::filesystem::exists(options_.state_dir / "runtime" / id, ec)) {
    c.removing = false;
    co_return deleted;
  }
  // The runtime killed everything; reap what we track so that nothing stays a zombie.
  std::vector<std::shared_ptr<Process>> processes{init};
  for (const auto& [exec_id, p] : c.execs) {
    if (p != nullptr) {
      processes.push_back(p);
    }
  }
  for (const auto& p : processes) {
    if (!co_await p->waitFor(options_.runtime_timeout)) {
      (void)p->signal(SIGKILL);
      if (!co_await p->waitFor(options_.runtime_timeout)) {
        COCOON_LOG(kError, "agent", "process {} (pid {}) survived SIGKILL", p->name(), p->pid());
      }
    }
    p->closeIo();
  }
  if (auto ok = cocoon::removeAll(c.dir); !ok) {
    COCOON_LOG(kWarn, "agent", "container '{}': {}", id, ok.error().toString());
  }
  std::lock_guard lock(mu_);
  containers_.erase(id);
  co_return okStatus();
}

asio::awaitable<void> Core::removeAll(std::chrono::milliseconds grace) {
  for (const std::string& id : ids()) {
    Status removed = co_await removeContainer(id, grace);
    if (!removed && removed.error().code != Code::kNotFound) {
      COCOON_LOG(kError, "agent", "removing container '{}': {}", id, removed.error().toString());
    }
  }
}

// The public face: forwards every call onto the strand and guards the exception boundary.
class SupervisorImpl final : public Supervisor {
 public:
  explicit SupervisorImpl(std::shared_ptr<Core> core) : core_(std::move(core)) {}
  ~SupervisorImpl() override {
    asio::post(core_->strand(), [core = core_] { core->shutdown(); });
  }

  asio::awaitable<Status> createContainer(ContainerConfig config) override {
    return call<Status>([config](Core& c) { return c.createContainer(config); });
  }
  asio::awaitable<Status> startContainer(std::string id) override {
    return call<Status>([id](Core& c) { return c.startContainer(id); });
  }
  asio::awaitable<Status> execProcess(ExecConfig config) override {
    return call<Status>([config](Core& c) { return c.execProcess(config); });
  }
  asio::awaitable<Status> signalProcess(std::string id, std::string exec_id, int sig,
                                        bool all) override {
    return call<Status>(
        [id, exec_id, sig, all](Core& c) { return c.signalProcess(id, exec_id, sig, all); });
  }
  asio::awaitable<Result<ExitStatus>> waitProcess(std::string id, std::string exec_id) override {
    return call<Result<ExitStatus>>([id, exec_id](Core& c) { return waitOn(c, id, exec_id); });
  }
  asio::awaitable<Result<std::string>> readOutput(std::string id, std::string exec_id,
                                                  OutputStream stream,
                                                  std::size_t max_bytes) override {
    return call<Result<std::string>>([id, exec_id, stream, max_bytes](Core& c) {
      return readOn(c, id, exec_id, stream, max_bytes);
    });
  }
  asio::awaitable<Result<std::size_t>> writeStdin(std::string id, std::string exec_id,
                                                  std::string data) override {
    return call<Result<std::size_t>>(
        [id, exec_id, data](Core& c) { return writeOn(c, id, exec_id, data); });
  }
  asio::awaitable<Status> closeStdin(std::string id, std::string exec_id) override {
    return call<Status>([id, exec_id](Core& c) -> asio::awaitable<Status> {
      auto p = c.findProcess(id, exec_id);
      co_return p ? (*p)->closeStdin() : fail(std::move(p).error());
    });
  }
  asio::awaitable<Status> resizeTerminal(std::string id, std::string exec_id, std::uint16_t rows,
                                         std::uint16_t columns) override {
    return call<Status>([id, exec_id, rows, columns](Core& c) -> asio::awaitable<Status> {
      auto p = c.findProcess(id, exec_id);
      co_return p ? (*p)->resize(rows, columns) : fail(std::move(p).error());
    });
  }
  asio::awaitable<Result<ContainerStats>> stats(std::string id) override {
    return call<Result<ContainerStats>>([id](Core& c) { return c.stats(id); });
  }
  asio::awaitable<Status> pause(std::string id) override {
    return call<Status>([id](Core& c) {
      return c.transition(id, "pause", ContainerStatus::kRunning, ContainerStatus::kPaused);
    });
  }
  asio::awaitable<Status> resume(std::string id) override {
    return call<Status>([id](Core& c) {
      return c.transition(id, "resume", ContainerStatus::kPaused, ContainerStatus::kRunning);
    });
  }
  asio::awaitable<Status> update(std::string id, json::Json resources) override {
    return call<Status>([id, resources](Core& c) { return c.update(id, resources); });
  }
  Result<ContainerStatus> status(std::string_view id) const override { return core_->status(id); }
  std::vector<std::string> containerIds() const override { return core_->ids(); }
  asio::awaitable<Status> removeContainer(std::string id,
                                          std::chrono::milliseconds grace) override {
    return call<Status>([id, grace](Core& c) { return c.removeContainer(id, grace); });
  }
  asio::awaitable<void> removeAll(std::chrono::milliseconds grace) override {
    std::shared_ptr<Core> core = core_;
    try {
      co_await asio::co_spawn(core->strand(), core->removeAll(grace), asio::use_awaitable);
    } catch (const std::exception& e) {
      COCOON_LOG(kError, "agent", "removeAll failed: {}", e.what());
    }
  }

 private:
  static asio::awaitable<Result<ExitStatus>> waitOn(Core& c, std::string id, std::string exec_id) {
    auto p = c.findProcess(id, exec_id);
    if (!p) {
      co_return fail(std::move(p).error());
    }
    co_return co_await (*p)->wait();
  }
  static asio::awaitable<Result<std::string>> readOn(Core& c, std::string id, std::string exec_id,
                                                     OutputStream stream, std::size_t max_bytes) {
    if (max_bytes == 0) {
      co_return fail(Code::kInvalidArgument, "readOutput: max_bytes must be at least 1");
    }
    auto p = c.findProcess(id, exec_id);
    if (!p) {
      co_return fail(std::move(p).error());
    }
    co_return co_await (*p)->read(stream, max_bytes);
  }
  static asio::awaitable<Result<std::size_t>> writeOn(Core& c, std::string id, std::string exec_id,
                                                      std::string data) {
    auto p = c.findProcess(id, exec_id);
    if (!p) {
      co_return fail(std::move(p).error());
    }
    co_return co_await (*p)->write(std::move(data));
  }

  // Runs op(core) on the strand; the awaiting caller resumes on its own executor.
  template <class T, class Op>
  asio::awaitable<T> call(Op op) {
    std::shared_ptr<Core> core = core_;
    try {
      co_return co_await asio::co_spawn(core->strand(), op(*core), asio::use_awaitable);
    } catch (const std::exception& e) {
      COCOON_LOG(kError, "agent", "container supervisor call failed: {}", e.what());
    }
    co_return fail(Code::kInternal, "container supervisor call failed (see the agent log)");
  }

  std::shared_ptr<Core> core_;
};

}  // namespace

Result<std::string> probeRuntime(const std::filesystem::path& binary,
                                 std::chrono::milliseconds timeout) {
  std::error_code ec;
  if (!std::filesystem::exists(binary, ec)) {
    return fail(Code::kNotFound, "OCI runtime binary {} does not exist", binary.string());
  }
  SubprocessOptions version;
  version.argv = {binary.string(), "--version"};
  version.timeout = timeout;
  auto ran = runSubprocess(version);
  if (!ran || ran->exit_code != 0) {
    return fail(
        Code::kUnavailable, "OCI runtime {} does not run: {}", binary.string(),
        ran ? fmt::format("`--version` exited with {}", ran->exit_code) : ran.error().toString());
  }
  return ran->stdout_data.substr(0, ran->stdout_data.find('\n'));
}

Result<std::unique_ptr<Supervisor>> Supervisor::create(asio::any_io_executor executor,
                                                       SupervisorOptions options) {
  std::error_code ec;
  if (!std::filesystem::exists(options.runtime_binary, ec)) {
    return fail(Code::kNotFound, "OCI runtime binary {} does not exist",
                options.runtime_binary.string());
  }
  if (options.probe_runtime) {
    COCOON_TRY(probeRuntime(options.runtime_binary, options.runtime_timeout));
  }
  for (const char* sub : {"runtime", "containers", "console"}) {
    COCOON_TRY(createDirectories(options.state_dir / sub));
  }
  if (::access(options.state_dir.c_str(), W_OK) != 0) {
    return fail(Code::kPermissionDenied, "state dir {} is not writable",
                options.state_dir.string());
  }
  // Orphaned container processes (the runtime exits after create/exec) come to us.
  if (::prctl(PR_SET_CHILD_SUBREAPER, 1) != 0) {
    const int e = errno;
    return fail(errnoError(e, "prctl(PR_SET_CHILD_SUBREAPER)"));
  }
  // A write to the stdin of a process that closed it must fail with EPIPE, not kill us.
  struct sigaction current {};
  if (::sigaction(SIGPIPE, nullptr, &current) == 0 && current.sa_handler == SIG_DFL) {
    ::signal(SIGPIPE, SIG_IGN);
  }
  auto core = std::make_shared<Core>(asio::any_io_executor(asio::make_strand(executor)),
                                     std::move(options));
  asio::co_spawn(core->strand(), Core::reapLoop(core), asio::detached);
  return std::unique_ptr<Supervisor>(std::make_unique<SupervisorImpl>(std::move(core)));
}

}  // namespace cocoon::agent::container
