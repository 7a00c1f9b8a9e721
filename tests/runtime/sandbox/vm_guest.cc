// SPDX-License-Identifier: Apache-2.0
// Building the shared test guest and the VM config of the QEMU tests.
#include "runtime/sandbox/vm_guest.h"

#include <fcntl.h>
#include <sys/file.h>

#include <fmt/format.h>

#include "common/files.h"
#include "common/unique_fd.h"
#include "support/guest_build.h"

namespace cocoon::runtime::sandbox::test {
namespace {

namespace fs = std::filesystem;
using std::chrono::seconds;

fs::path sourceDir() {
  return COCOON_SOURCE_DIR;
}

}  // namespace

fs::path testGuestDir() {
  return fs::path(COCOON_BINARY_DIR) / "runtime-sandbox-guest";
}

std::optional<std::string> buildTestGuest() {
  // Two test binaries may boot at once (ctest -j): one builds, the other waits for it.
  const fs::path lock_path = fs::path(COCOON_BINARY_DIR) / "runtime-sandbox-guest.lock";
  const UniqueFd lock(::open(lock_path.c_str(), O_RDWR | O_CREAT | O_CLOEXEC, 0600));
  if (!lock.valid() || ::flock(lock.get(), LOCK_EX) != 0) {
    return "locking " + lock_path.string() + " failed";
  }
  const fs::path agent_toml = fs::path(COCOON_BINARY_DIR) / "runtime-sandbox-agent.toml";
  if (auto s = writeFileAtomic(
          agent_toml,
          asBytes(fmt::format("[image]\ninsecure_registries = [\"{}\"]\n", kGuestRegistry)));
      !s) {
    return s.error().toString();
  }
  // The baked policy is permissive so that tests can read container output; init-data can
  // replace it (policy.json).
  return cocoon::test::buildGuestUnlessFresh(
      sourceDir(), testGuestDir(), {fs::path(COCOON_AGENT_BINARY)},
      {"--agent", COCOON_AGENT_BINARY, "--with-crun", "--agent-config", agent_toml.string(),
       "--payload-args", "--permissive-policy"});
}

config::RuntimeConfig vmTestConfig(std::uint32_t scratch_mib) {
  config::RuntimeConfig config;
  config.sandbox.backend = "vm";
  config.hypervisor.accel = "tcg";
  config.hypervisor.kernel = testGuestDir() / "vmlinux";
  config.hypervisor.initrd = testGuestDir() / "initrd.img";
  config.hypervisor.memory_mib = 1024;
  config.tee.kind = "none";
  config.sandbox.scratch_disk_mib = scratch_mib;
  config.timeouts.boot = seconds(120);
  return config;
}

GuestImage guestImage(const std::string& host_image) {
  const std::size_t slash = host_image.find('/');
  const std::size_t colon = host_image.find(':');
  const auto port =
      static_cast<std::uint16_t>(std::stoul(host_image.substr(colon + 1, slash - colon - 1)));
  return {.image = std::string(kGuestRegistry) + host_image.substr(slash),
          .forward = {.guest_address = "10.0.2.100",
                      .guest_port = 5000,
                      .host_address = "127.0.0.1",
                      .host_port = port}};
}

}  // namespace cocoon::runtime::sandbox::test
