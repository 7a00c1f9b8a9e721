// SPDX-License-Identifier: Apache-2.0
// AgentEnv: busybox image -> docker-registry, cocoon-agent process, ttrpc client.
#include "agent/agent_env.h"

#include <google/protobuf/empty.pb.h>
#include <unistd.h>

#include <chrono>

#include "proto/agent/agent.pb.h"

namespace cocoon::agent::test {
namespace {

using cocoon::test::PeerProcess;
using cocoon::test::runTool;
namespace fs = std::filesystem;

constexpr std::chrono::seconds kStartTimeout{30};

Status writeText(const fs::path& path, const std::string& text) {
  return writeFileAtomic(path, asBytes(text));
}

// A one-layer image: /bin/busybox and the applets the tests use, CMD /bin/sh.
Status buildBusybox(const fs::path& dir) {
  const std::string layout = (dir / "layout").string();
  const std::string ref = layout + ":v1";
  const fs::path bundle = dir / "unpacked";
  COCOON_TRY(runTool({"umoci", "init", "--layout", layout}));
  COCOON_TRY(runTool({"umoci", "new", "--image", ref}));
  COCOON_TRY(runTool({"umoci", "unpack", "--image", ref, bundle.string()}));
  const fs::path bin = bundle / "rootfs" / "bin";
  fs::create_directories(bin);
  fs::copy_file("/bin/busybox", bin / "busybox");
  for (const char* applet : {"sh", "echo", "sleep", "cat", "true", "ls"}) {
    fs::create_symlink("busybox", bin / applet);
  }
  COCOON_TRY(runTool({"umoci", "repack", "--image", ref, bundle.string()}));
  COCOON_TRY(runTool(
      {"umoci", "config", "--image", ref, "--config.cmd", "/bin/sh", "--config.env", "PATH=/bin"}));
  return okStatus();
}

}  // namespace

std::string e2eSkipReason() {
  if (::geteuid() != 0) {
    return "needs root (runc creates namespaces and mounts)";
  }
  for (const char* tool : {"/usr/sbin/runc", "/bin/busybox"}) {
    if (::access(tool, X_OK) != 0) {
      return std::string("needs ") + tool;
    }
  }
  return {};
}

Result<std::unique_ptr<AgentEnv>> AgentEnv::create() {
  COCOON_ASSIGN_OR_RETURN(TempDir dir, TempDir::create("agent-e2e"));
  auto env = std::unique_ptr<AgentEnv>(new AgentEnv(std::move(dir)));
  const fs::path root = env->dir();
  COCOON_TRY(buildBusybox(root));
  COCOON_TRY(writeText(root / "registry.yml",
                       fmt::format("version: 0.1\nlog:\n  level: info\n  accesslog:\n"
                                   "    disabled: true\nstorage:\n  filesystem:\n"
                                   "    rootdirectory: {}\nhttp:\n  addr: 127.0.0.1:0\n",
                                   (root / "registry").string())));
  COCOON_ASSIGN_OR_RETURN(env->registry_, PeerProcess::start({"docker-registry", "serve",
                                                              (root / "registry.yml").string()}));
  COCOON_ASSIGN_OR_RETURN(
      std::string host,
      env->registry_->waitForLine("listening on (127\\.0\\.0\\.1:[0-9]+)", kStartTimeout));
  env->image_ = host + "/test/busybox:v1";
  COCOON_TRY(runTool({"skopeo", "copy", "--quiet", "--dest-tls-verify=false",
                      "oci:" + (root / "layout").string() + ":v1", "docker://" + env->image_}));
  COCOON_TRY(writeText(root / "agent.toml",
                       fmt::format("[image]\ninsecure_registries = [\"{}\"]\n", host)));
  return env;
}

AgentEnv::~AgentEnv() {
  stopAgent();
  guard_.reset();
  io_.stop();
  if (io_thread_.joinable()) {
    io_thread_.join();
  }
}

Status AgentEnv::startAgent(const std::vector<std::string>& extra_args) {
  std::vector<std::string> argv = {COCOON_AGENT_BINARY,
                                   "--listen",
                                   socketAddress(),
                                   "--oci-runtime",
                                   "/usr/sbin/runc",
                                   "--state-dir",
                                   (dir() / "state").string(),
                                   "--config",
                                   (dir() / "agent.toml").string()};
  argv.insert(argv.end(), extra_args.begin(), extra_args.end());
  COCOON_ASSIGN_OR_RETURN(agent_, PeerProcess::start(argv));
  COCOON_TRY(agent_->waitForLine("cocoon-agent ready", kStartTimeout));
  if (!io_thread_.joinable()) {
    io_thread_ = std::thread([this] { io_.run(); });
  }
  COCOON_ASSIGN_OR_RETURN(ttrpc::Address address, ttrpc::parseAddress(socketAddress()));
  COCOON_ASSIGN_OR_RETURN(client_, ttrpc::Client::connect(io_.get_executor(), address));
  return okStatus();
}

void AgentEnv::stopAgent() {
  if (client_ && agent_) {
    (void)call<google::protobuf::Empty>("DestroySandbox", grpc::DestroySandboxRequest{});
    (void)agent_->waitForLine("stopping", std::chrono::seconds(20));
    client_->close();
  }
  agent_.reset();
}

}  // namespace cocoon::agent::test
