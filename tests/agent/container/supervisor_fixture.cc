// SPDX-License-Identifier: Apache-2.0
// SupervisorTest: the rootfs is busybox (a static binary) plus applet symlinks; the
// config.json template comes from `runc spec`.
#include "agent/container/supervisor_fixture.h"

#include <unistd.h>

#include <fmt/format.h>

#include "common/subprocess.h"

namespace cocoon::agent::container::test {

std::optional<TempDir> SupervisorTest::suite_dir_;
json::Json SupervisorTest::spec_template_;
std::string SupervisorTest::skip_reason_;

namespace {

constexpr const char* kBusybox = "/bin/busybox";
constexpr const char* kApplets[] = {"sh", "cat", "echo", "sleep", "true", "stty", "ls", "head"};

}  // namespace

void SupervisorTest::SetUpTestSuite() {
  if (::geteuid() != 0) {
    skip_reason_ = "needs root (runc creates namespaces and cgroups)";
    return;
  }
  if (::access(kRunc, X_OK) != 0 || ::access(kBusybox, X_OK) != 0) {
    skip_reason_ = "needs /usr/sbin/runc and /bin/busybox (scripts/setup installs them)";
    return;
  }
  auto dir = TempDir::create("agent-container-suite");
  ASSERT_TRUE(dir) << dir.error().toString();
  const auto rootfs = dir->path() / "rootfs";
  std::filesystem::create_directories(rootfs / "bin");
  for (const char* d : {"proc", "dev", "sys", "tmp"}) {
    std::filesystem::create_directories(rootfs / d);
  }
  std::filesystem::copy_file(kBusybox, rootfs / "bin/busybox");
  for (const char* applet : kApplets) {
    std::filesystem::create_symlink("busybox", rootfs / "bin" / applet);
  }
  SubprocessOptions spec;
  spec.argv = {kRunc, "spec", "--rootless=false", "--bundle", dir->path().string()};
  auto ran = runSubprocess(spec);
  ASSERT_TRUE(ran && ran->exit_code == 0) << "runc spec failed";
  auto text = readTextFile(dir->path() / "config.json", 1 << 20);
  ASSERT_TRUE(text) << text.error().toString();
  auto parsed = json::parseJson(*text);
  ASSERT_TRUE(parsed) << parsed.error().toString();
  spec_template_ = std::move(*parsed);
  spec_template_["root"] = {{"path", rootfs.string()}, {"readonly", true}};
  suite_dir_ = std::move(*dir);
}

void SupervisorTest::TearDownTestSuite() {
  suite_dir_.reset();
}

SupervisorOptions SupervisorTest::defaultOptions() const {
  SupervisorOptions options;
  options.runtime_binary = kRunc;
  options.state_dir = dir_->path() / "state";
  options.runtime_timeout = std::chrono::seconds(10);
  return options;
}

void SupervisorTest::SetUp() {
  if (!skip_reason_.empty()) {
    GTEST_SKIP() << skip_reason_;
  }
  auto dir = TempDir::create("agent-container");
  ASSERT_TRUE(dir) << dir.error().toString();
  dir_ = std::move(*dir);
  restart(defaultOptions());
}

void SupervisorTest::restart(SupervisorOptions options) {
  sup_.reset();
  auto sup = Supervisor::create(io_.get_executor(), std::move(options));
  ASSERT_TRUE(sup) << sup.error().toString();
  sup_ = std::move(*sup);
}

void SupervisorTest::TearDown() {
  if (sup_ != nullptr) {
    sync(sup_->removeAll(std::chrono::milliseconds(0)));
    EXPECT_TRUE(sup_->containerIds().empty());
    sup_.reset();
  }
  // Lets the reaper loop and the pumps see the shutdown, so nothing refers to io_.
  io_.restart();
  io_.run_for(std::chrono::seconds(5));
}

json::Json SupervisorTest::processSpec(const std::vector<std::string>& args, bool terminal) {
  json::Json process = spec_template_["process"];
  process["args"] = args;
  process["terminal"] = terminal;
  return process;
}

std::filesystem::path SupervisorTest::makeBundle(const std::string& name,
                                                 const std::vector<std::string>& args,
                                                 bool terminal) {
  const auto bundle = dir_->path() / "bundles" / name;
  std::filesystem::create_directories(bundle);
  json::Json spec = spec_template_;
  spec["process"] = processSpec(args, terminal);
  // Without cgroupsPath runc names the cgroup after the container id, so two test processes
  // running "c1" at once (ctest -j) would share, pause and remove each other's cgroup.
  spec["linux"]["cgroupsPath"] = fmt::format("/cocoon-test-{}-{}", getpid(), name);
  const std::string text = spec.dump();
  EXPECT_TRUE(writeFileAtomic(bundle / "config.json", asBytes(text)));
  return bundle;
}

Status SupervisorTest::run(const std::string& id, const std::vector<std::string>& args,
                           bool terminal) {
  COCOON_TRY(sync(sup_->createContainer({id, makeBundle(id, args, terminal)})));
  return sync(sup_->startContainer(id));
}

std::string SupervisorTest::readAll(const std::string& id, const std::string& exec_id,
                                    OutputStream stream) {
  std::string all;
  for (;;) {
    auto chunk = sync(sup_->readOutput(id, exec_id, stream, 4096));
    if (!chunk) {
      ADD_FAILURE() << chunk.error().toString();
      return all;
    }
    if (chunk->empty()) {
      return all;
    }
    all += *chunk;
  }
}

std::string SupervisorTest::readUntil(const std::string& id, const std::string& exec_id,
                                      std::string_view needle) {
  std::string all;
  while (all.find(needle) == std::string::npos) {
    auto chunk = sync(sup_->readOutput(id, exec_id, OutputStream::kStdout, 4096));
    if (!chunk || chunk->empty()) {
      ADD_FAILURE() << "end of output before '" << needle << "'; got: " << all;
      return all;
    }
    all += *chunk;
  }
  return all;
}

}  // namespace cocoon::agent::container::test
