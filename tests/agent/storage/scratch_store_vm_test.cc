// SPDX-License-Identifier: Apache-2.0
// The encrypted image store in a real guest (QEMU TCG): the agent formats the scratch disk
// with dm-crypt + dm-integrity, pulls busybox onto it and runs a container that writes a
// marker; the host's scratch file holds neither the marker nor the image's bytes in clear.
#include <sys/stat.h>

#include <gtest/gtest.h>

#include <fstream>
#include <mutex>

#include "agent/agent_env.h"
#include "common/encoding.h"
#include "common/files.h"
#include "common/subprocess.h"
#include "runtime/sandbox/container_run.h"
#include "runtime/sandbox/sandbox.h"
#include "runtime/sandbox/vm_guest.h"

namespace cocoon::agent::storage {
namespace {

namespace fs = std::filesystem;
using std::chrono::seconds;

bool fileContains(const fs::path& file, std::string_view needle) {
  auto run =
      runSubprocess({.argv = {"grep", "-c", "-F", "-a", std::string(needle), file.string()}});
  return run && run->exit_code == 0;
}

TEST(ScratchStoreVm, ImageAndContainerDataReachTheHostOnlyEncrypted) {
  if (auto problem = runtime::sandbox::test::buildTestGuest()) {
    if (problem->rfind("SKIP: ", 0) == 0) {
      GTEST_SKIP() << problem->substr(6);
    }
    FAIL() << *problem;
  }
  auto dir = TempDir::create("storage-vm");
  ASSERT_TRUE(dir) << dir.error().toString();
  auto env = agent::test::AgentEnv::create();
  ASSERT_TRUE(env) << env.error().toString();
  const auto guest_image = runtime::sandbox::test::guestImage((*env)->image());
  runtime::config::RuntimeConfig config = runtime::sandbox::test::vmTestConfig(96);
  const runtime::sandbox::SandboxSpec spec{.id = "vm-1",
                                           .run_dir = dir->path() / "vm-1",
                                           .console_log = {},
                                           .initdata_toml = {},
                                           .guest_forwards = {guest_image.forward}};
  auto sandbox = runtime::sandbox::startSandbox(config, spec);
  ASSERT_TRUE(sandbox) << sandbox.error().toString();

  std::mutex mutex;
  std::string out;
  // The marker is assembled by the shell, so its bytes are only in the file and the output.
  runtime::sandbox::ContainerRun run{
      .image = guest_image.image,
      .command = {"sh", "-c",
                  "m=COCOON; echo ${m}-SCRATCH-MARKER-$((6*7)) >/marker; "
                  "head -c 16777216 /dev/urandom >/filler; sync; cat /marker; "
                  "busybox --help | head -n 1"},
      .container_id = "marker",
      .on_stdout = [&](std::string_view d) {
        std::lock_guard l(mutex);
        out += d;
      }};
  auto result = runtime::sandbox::runContainer((*sandbox)->agentAddress(), run);
  ASSERT_TRUE(result) << result.error().toString() << "\nconsole:\n" << (*sandbox)->diagnostics();
  EXPECT_EQ(result->exit_status, 0);
  // (b) the container ran from the image on the store.
  auto banner = runSubprocess({.argv = {"/bin/busybox", "--help"}});
  ASSERT_TRUE(banner);
  const std::string version =
      banner->stdout_data.substr(0, banner->stdout_data.find(" multi-call binary"));
  ASSERT_NE(version.find("BusyBox v"), std::string::npos) << banner->stdout_data;
  EXPECT_EQ(out, "COCOON-SCRATCH-MARKER-42\n" + version + " multi-call binary.\n");

  // (a) the agent said what it set up.
  auto console = readTextFile(dir->path() / "vm-1.console.log", 1 << 22);
  ASSERT_TRUE(console) << console.error().toString();
  EXPECT_NE(console->find("encrypted store on /dev/vd"), std::string::npos) << *console;
  if (const auto at = console->find("encrypted store on "); at != std::string::npos) {
    std::printf("%s\n", console->substr(at, console->find('\n', at) - at).c_str());
  }
  EXPECT_NE(console->find("dm-crypt aes-xts-plain64 + dm-integrity hmac(sha256)"),
            std::string::npos)
      << *console;

  // (c) the host's scratch file: a LUKS2 header, and neither the marker nor the busybox
  // binary (its version banner) in clear, although `sync` in the guest flushed both.
  const fs::path scratch = spec.run_dir / "vm" / "scratch.img";  // the launcher's
  std::ifstream file(scratch, std::ios::binary);
  std::string head(6, '\0');
  ASSERT_TRUE(file.read(head.data(), 6)) << scratch;
  EXPECT_EQ(hexEncode(asBytes(head)), "4c554b53babe");  // "LUKS\xba\xbe"
  EXPECT_FALSE(fileContains(scratch, "COCOON-SCRATCH-MARKER-42"));
  EXPECT_FALSE(fileContains(scratch, version));
  EXPECT_FALSE(fileContains(scratch, "test/busybox"));
  // (d) the container's writes went to that disk, not to the guest's memory: the sparse
  // file holds the 16 MiB filler (setting up the store writes about 3 MiB).
  struct stat st {};
  ASSERT_EQ(::stat(scratch.c_str(), &st), 0);
  const auto allocated = static_cast<std::uint64_t>(st.st_blocks) * 512;
  std::printf("scratch.img: %llu MiB allocated\n",
              static_cast<unsigned long long>(allocated >> 20));
  EXPECT_GE(allocated, std::uint64_t{16} << 20);

  ASSERT_TRUE(runtime::sandbox::destroySandbox((*sandbox)->agentAddress(), seconds(10)));
  ASSERT_TRUE((*sandbox)->stop(seconds(20)));
  EXPECT_FALSE((*sandbox)->running());
  EXPECT_FALSE(fs::exists(spec.run_dir));
}

}  // namespace
}  // namespace cocoon::agent::storage
