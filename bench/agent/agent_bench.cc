// SPDX-License-Identifier: Apache-2.0
// agent_bench: cocoon-agent's start-to-ready time (exec to a SERVING grpc.Health/Check
// answer) and idle memory (Rss/Pss from /proc/PID/smaps_rollup) when ready and after a
// container has run and been removed, against a minimal ttrpc server of our own (this
// binary with --peer-server: one health method, nothing else) and `sleep` as the floor.
// `--agent LABEL=PATH` adds other agent builds to the same interleaved run (e.g. the dynamic
// release agent next to the lean guest link); `--maps` prints where each one's Rss is.
#include <utility>  // Asio 1.74's awaitable.hpp uses std::exchange without including it.

#include <signal.h>
#include <spawn.h>
#include <sys/socket.h>
#include <sys/un.h>
#include <sys/wait.h>
#include <unistd.h>

#include <algorithm>
#include <chrono>
#include <cstdio>
#include <cstdlib>
#include <cstring>
#include <filesystem>
#include <fstream>
#include <map>
#include <sstream>
#include <string>
#include <thread>
#include <vector>

#include <fmt/format.h>
#include <google/protobuf/empty.pb.h>
#include <boost/asio/executor_work_guard.hpp>
#include <boost/asio/io_context.hpp>

#include "agent/agent_env.h"
#include "common/files.h"
#include "proto/agent/agent.pb.h"
#include "proto/agent/health.pb.h"
#include "ttrpc/client.h"
#include "ttrpc/server.h"

extern char** environ;

namespace {

namespace asio = boost::asio;
namespace fs = std::filesystem;
using Clock = std::chrono::steady_clock;
using cocoon::Result;

struct Memory {
  long rss_kib = -1;
  long pss_kib = -1;
  long anon_kib = -1;  // private dirty: what the process costs beyond its files
};

Memory readMemory(pid_t pid) {
  std::ifstream in(fmt::format("/proc/{}/smaps_rollup", pid));
  Memory m;
  std::string key;
  long value = 0;
  std::string unit;
  while (in >> key) {
    if (key == "Rss:" && in >> value >> unit) {
      m.rss_kib = value;
    } else if (key == "Pss:" && in >> value >> unit) {
      m.pss_kib = value;
    } else if (key == "Anonymous:" && in >> value >> unit) {
      m.anon_kib = value;
    } else {
      in.ignore(1 << 20, '\n');
    }
  }
  return m;
}

// Rss per mapped file (anonymous mappings and [heap]/[stack] under their own names), largest
// first: where the agent's memory is, to compare link variants.
std::vector<std::pair<std::string, long>> readMaps(pid_t pid) {
  std::ifstream in(fmt::format("/proc/{}/smaps", pid));
  std::map<std::string, long> by_file;
  std::string line;
  std::string current = "[anon]";
  while (std::getline(in, line)) {
    std::istringstream fields(line);
    std::string first;
    fields >> first;
    if (first.find('-') != std::string::npos && first.back() != ':') {  // a mapping header
      std::string perms, offset, dev, inode, path;
      fields >> perms >> offset >> dev >> inode;
      std::getline(fields >> std::ws, path);
      current = path.empty() ? "[anon]" : path;
    } else if (first == "Rss:") {
      long kib = 0;
      fields >> kib;
      by_file[current] += kib;
    }
  }
  std::vector<std::pair<std::string, long>> out(by_file.begin(), by_file.end());
  std::sort(out.begin(), out.end(),
            [](const auto& a, const auto& b) { return a.second > b.second; });
  return out;
}

int threadCount(pid_t pid) {
  std::error_code ec;
  int n = 0;
  for (auto it = fs::directory_iterator(fmt::format("/proc/{}/task", pid), ec);
       !ec && it != fs::directory_iterator(); it.increment(ec)) {
    ++n;
  }
  return n;
}

// posix_spawn with stdout and stderr to /dev/null. Returns the pid, or -1.
pid_t spawn(const std::vector<std::string>& argv) {
  std::vector<char*> args;
  for (const auto& a : argv) {
    args.push_back(const_cast<char*>(a.c_str()));
  }
  args.push_back(nullptr);
  posix_spawn_file_actions_t actions;
  posix_spawn_file_actions_init(&actions);
  posix_spawn_file_actions_addopen(&actions, 1, "/dev/null", O_WRONLY, 0);
  posix_spawn_file_actions_addopen(&actions, 2, "/dev/null", O_WRONLY, 0);
  pid_t pid = -1;
  if (posix_spawnp(&pid, args[0], &actions, nullptr, args.data(), environ) != 0) {
    pid = -1;
  }
  posix_spawn_file_actions_destroy(&actions);
  return pid;
}

void stop(pid_t pid) {
  ::kill(pid, SIGTERM);
  for (int i = 0; i < 2000; ++i) {
    if (::waitpid(pid, nullptr, WNOHANG) == pid) {
      return;
    }
    std::this_thread::sleep_for(std::chrono::milliseconds(1));
  }
  ::kill(pid, SIGKILL);
  ::waitpid(pid, nullptr, 0);
}

// Polls `socket` until grpc.Health/Check answers SERVING; returns the time since `start`.
Result<double> waitServing(asio::io_context& io, const std::string& socket,
                           Clock::time_point start) {
  const cocoon::ttrpc::Address address{.kind = cocoon::ttrpc::Address::Kind::kUnix, .path = socket};
  const std::string check = grpc::CheckRequest().SerializeAsString();
  while (Clock::now() - start < std::chrono::seconds(20)) {
    auto client = cocoon::ttrpc::Client::connect(io.get_executor(), address);
    if (client) {
      auto answer = (*client)->callBlocking("grpc.Health", "Check", check);
      grpc::HealthCheckResponse resp;
      if (answer && resp.ParseFromString(*answer) &&
          resp.status() == grpc::HealthCheckResponse::SERVING) {
        const double ms = std::chrono::duration<double, std::milli>(Clock::now() - start).count();
        (*client)->close();
        return ms;
      }
      (*client)->close();
    }
    std::this_thread::sleep_for(std::chrono::microseconds(100));
  }
  return cocoon::fail(cocoon::Code::kDeadlineExceeded, "{}: no SERVING answer in 20 s", socket);
}

struct Sample {
  double ready_ms = 0;
  Memory memory;
  int threads = 0;
  std::vector<std::pair<std::string, long>> maps;
};

// Starts argv (which listens on `socket`), waits for SERVING, lets it settle, measures.
Result<Sample> measureStart(asio::io_context& io, std::vector<std::string> argv,
                            const std::string& socket) {
  std::error_code ec;
  fs::remove(socket, ec);
  const auto start = Clock::now();
  const pid_t pid = spawn(argv);
  if (pid < 0) {
    return cocoon::fail(cocoon::Code::kInternal, "cannot start {}", argv[0]);
  }
  Result<double> ready = waitServing(io, socket, start);
  Sample s;
  if (ready) {
    s.ready_ms = *ready;
    // Idle: whatever the first call started (threads, lazy init) has run.
    std::this_thread::sleep_for(std::chrono::milliseconds(300));
    s.memory = readMemory(pid);
    s.threads = threadCount(pid);
    s.maps = readMaps(pid);
  }
  stop(pid);
  if (!ready) {
    return cocoon::fail(ready.error());
  }
  return s;
}

// The peer: a ttrpc server with grpc.Health/Check only, as small as our stack gets.
int peerServer(const std::string& socket) {
  sigset_t set;
  sigemptyset(&set);
  sigaddset(&set, SIGTERM);
  sigaddset(&set, SIGINT);
  pthread_sigmask(SIG_BLOCK, &set, nullptr);
  cocoon::ttrpc::Server server({.threads = 1});
  auto check =
      [](const grpc::CheckRequest&,
         const cocoon::ttrpc::Request&) -> asio::awaitable<Result<grpc::HealthCheckResponse>> {
    grpc::HealthCheckResponse resp;
    resp.set_status(grpc::HealthCheckResponse::SERVING);
    co_return resp;
  };
  if (!server.registerTyped<grpc::CheckRequest, grpc::HealthCheckResponse>("grpc.Health", "Check",
                                                                           check) ||
      !server.listen({.kind = cocoon::ttrpc::Address::Kind::kUnix, .path = socket}) ||
      !server.start()) {
    return 1;
  }
  int signal = 0;
  sigwait(&set, &signal);
  server.stop();
  return 0;
}

double median(std::vector<double> v) {
  std::sort(v.begin(), v.end());
  return v.empty() ? 0 : v[v.size() / 2];
}

void printMemory(const char* who, const Memory& m, int threads) {
  fmt::print("{:<34} {:>9.2f} {:>9.2f} {:>9.2f} {:>8}\n", who,
             static_cast<double>(m.rss_kib) / 1024.0, static_cast<double>(m.pss_kib) / 1024.0,
             static_cast<double>(m.anon_kib) / 1024.0, threads);
}

// RSS of the agent after a busybox container has been created, run and removed (needs
// root, runc, umoci, skopeo, docker-registry: the agent end-to-end tests' environment).
Result<Memory> afterContainer(int* threads) {
  if (std::string why = cocoon::agent::test::e2eSkipReason(); !why.empty()) {
    return cocoon::fail(cocoon::Code::kFailedPrecondition, "{}", why);
  }
  COCOON_ASSIGN_OR_RETURN(auto env, cocoon::agent::test::AgentEnv::create());
  COCOON_TRY(env->startAgent({"--permissive-policy"}));
  grpc::CreateContainerRequest create;
  create.set_container_id("c1");
  grpc::Storage* storage = create.add_storages();
  storage->set_driver("image_guest_pull");
  storage->set_source(env->image());
  create.mutable_oci()->mutable_process()->add_args("/bin/true");
  using google::protobuf::Empty;
  COCOON_TRY(env->call<Empty>("CreateContainer", create));
  grpc::StartContainerRequest start;
  start.set_container_id("c1");
  COCOON_TRY(env->call<Empty>("StartContainer", start));
  grpc::WaitProcessRequest wait;
  wait.set_container_id("c1");
  COCOON_TRY(env->call<grpc::WaitProcessResponse>("WaitProcess", wait));
  grpc::RemoveContainerRequest remove;
  remove.set_container_id("c1");
  COCOON_TRY(env->call<Empty>("RemoveContainer", remove));
  // The agent's pid, from the socket's peer credentials.
  const int fd = ::socket(AF_UNIX, SOCK_STREAM | SOCK_CLOEXEC, 0);
  sockaddr_un addr{};
  addr.sun_family = AF_UNIX;
  const std::string path = env->socketAddress().substr(5);
  std::strncpy(addr.sun_path, path.c_str(), sizeof addr.sun_path - 1);
  ucred cred{};
  socklen_t len = sizeof cred;
  const bool ok = ::connect(fd, reinterpret_cast<const sockaddr*>(&addr), sizeof addr) == 0 &&
                  ::getsockopt(fd, SOL_SOCKET, SO_PEERCRED, &cred, &len) == 0;
  ::close(fd);
  if (!ok) {
    return cocoon::fail(cocoon::Code::kInternal, "SO_PEERCRED on {}", path);
  }
  std::this_thread::sleep_for(std::chrono::milliseconds(300));
  *threads = threadCount(cred.pid);
  Memory m = readMemory(cred.pid);
  env->stopAgent();
  return m;
}

// One agent build under test: its label in the tables, its binary, its samples.
struct AgentUnderTest {
  std::string label;
  std::string binary;
  std::vector<double> ms;
  Sample last;
};

void printMaps(const AgentUnderTest& a) {
  fmt::print("\n{}: Rss by mapping when ready, KiB ({} files)\n", a.label, a.last.maps.size());
  long rest = 0;
  for (size_t i = 0; i < a.last.maps.size(); ++i) {
    if (i < 12) {
      fmt::print("  {:>7}  {}\n", a.last.maps[i].second, a.last.maps[i].first);
    } else {
      rest += a.last.maps[i].second;
    }
  }
  fmt::print("  {:>7}  (the other {})\n", rest,
             a.last.maps.size() > 12 ? a.last.maps.size() - 12 : 0);
}

}  // namespace

int main(int argc, char** argv) {
  if (argc == 3 && std::string(argv[1]) == "--peer-server") {
    return peerServer(argv[2]);
  }
  std::vector<AgentUnderTest> agents = {{.label = "cocoon-agent", .binary = COCOON_AGENT_BINARY}};
  int runs = 10;
  bool maps = false;
  for (int i = 1; i < argc; ++i) {
    const std::string arg = argv[i];
    const size_t eq = arg.find('=');
    if (arg == "--maps") {
      maps = true;
    } else if (arg == "--agent" && i + 1 < argc &&
               std::string(argv[i + 1]).find('=') != std::string::npos) {
      const std::string spec = argv[++i];
      agents.push_back(
          {.label = spec.substr(0, spec.find('=')), .binary = spec.substr(spec.find('=') + 1)});
    } else if (eq == std::string::npos && std::atoi(arg.c_str()) > 0) {
      runs = std::atoi(arg.c_str());
    } else {
      std::fprintf(stderr,
                   "usage: agent_bench [RUNS] [--agent LABEL=PATH]... [--maps]\n"
                   "  RUNS starts of each agent and of the peer, interleaved (default 10)\n");
      return 2;
    }
  }
  auto dir = cocoon::TempDir::create("agent-bench");
  if (!dir) {
    std::fprintf(stderr, "%s\n", dir.error().toString().c_str());
    return 1;
  }
  asio::io_context io;
  auto work = asio::make_work_guard(io);
  std::thread io_thread([&io] { io.run(); });
  const std::string agent_socket = (dir->path() / "agent.sock").string();
  const std::string peer_socket = (dir->path() / "peer.sock").string();
  // This binary by its real path (/proc/self/exe would be resolved in the child).
  const std::vector<std::string> peer_argv = {fs::read_symlink("/proc/self/exe").string(),
                                              "--peer-server", peer_socket};

  AgentUnderTest peer{.label = "minimal ttrpc server (peer)"};
  for (int i = 0; i < runs; ++i) {  // interleaved, so all see the same machine load
    for (AgentUnderTest& a : agents) {
      auto sample = measureStart(io,
                                 {a.binary, "--listen", "unix:" + agent_socket, "--state-dir",
                                  (dir->path() / "state").string(), "--oci-runtime",
                                  "/usr/sbin/runc", "--log-level", "warn"},
                                 agent_socket);
      if (!sample) {
        std::fprintf(stderr, "%s: start failed: %s\n", a.binary.c_str(),
                     sample.error().toString().c_str());
        return 1;
      }
      a.ms.push_back(sample->ready_ms);
      a.last = std::move(*sample);
    }
    auto p = measureStart(io, peer_argv, peer_socket);
    if (!p) {
      std::fprintf(stderr, "peer start failed: %s\n", p.error().toString().c_str());
      return 1;
    }
    peer.ms.push_back(p->ready_ms);
    peer.last = std::move(*p);
  }
  const pid_t sleeper = spawn({"sleep", "60"});
  std::this_thread::sleep_for(std::chrono::milliseconds(100));
  const Memory sleep_memory = readMemory(sleeper);
  stop(sleeper);

  fmt::print("start to ready (exec -> grpc.Health/Check SERVING), median of {} starts\n", runs);
  std::vector<const AgentUnderTest*> rows;
  for (const AgentUnderTest& a : agents) {
    rows.push_back(&a);
  }
  rows.push_back(&peer);
  for (const AgentUnderTest* a : rows) {
    fmt::print("{:<34} {:>9.2f} ms (min {:.2f})\n", a->label, median(a->ms),
               *std::min_element(a->ms.begin(), a->ms.end()));
  }
  fmt::print("{:<34} {:>9.2f}    (goal: agent <= 20 ms)\n", "ratio cocoon-agent/peer",
             median(agents[0].ms) / median(peer.ms));
  fmt::print("\nidle memory, MiB (smaps_rollup)    {:>9} {:>9} {:>9} {:>8}\n", "Rss", "Pss", "Anon",
             "threads");
  for (const AgentUnderTest& a : agents) {
    printMemory((a.label + ", ready").c_str(), a.last.memory, a.last.threads);
  }
  int threads = 0;
  auto after = afterContainer(&threads);
  if (after) {
    printMemory("cocoon-agent, after a container", *after, threads);
  } else {
    fmt::print("{:<34} skipped: {}\n", "cocoon-agent, after a container", after.error().toString());
  }
  printMemory(peer.label.c_str(), peer.last.memory, peer.last.threads);
  printMemory("sleep (floor)", sleep_memory, 1);
  fmt::print("{:<34} {:>9.2f} {:>9.2f}    (agent/peer; goal: agent Rss <= 8 MiB)\n",
             "ratio cocoon-agent/peer",
             static_cast<double>(agents[0].last.memory.rss_kib) /
                 static_cast<double>(peer.last.memory.rss_kib),
             static_cast<double>(agents[0].last.memory.pss_kib) /
                 static_cast<double>(peer.last.memory.pss_kib));
  if (maps) {
    for (const AgentUnderTest* a : rows) {
      printMaps(*a);
    }
  }
  work.reset();
  io.stop();
  io_thread.join();
  return 0;
}
