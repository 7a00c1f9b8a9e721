// SPDX-License-Identifier: Apache-2.0
// swtpm process control for tests.
#include "attest/swtpm.h"

#include <arpa/inet.h>
#include <netinet/in.h>
#include <signal.h>
#include <sys/socket.h>
#include <unistd.h>

#include <cerrno>
#include <chrono>
#include <cstdlib>
#include <thread>

#include <fmt/format.h>

#include "attest/tpm.h"
#include "common/files.h"
#include "common/subprocess.h"
#include "crypto/key.h"

namespace cocoon::attest::test {
namespace {

// Binds 127.0.0.1:port (0 = the kernel's choice) and returns the bound port, or 0 when
// the port is taken. The socket is closed again: swtpm binds it right after.
int probePort(int port) {
  const int fd = socket(AF_INET, SOCK_STREAM | SOCK_CLOEXEC, 0);
  if (fd < 0) {
    return 0;
  }
  sockaddr_in addr{};
  addr.sin_family = AF_INET;
  addr.sin_port = htons(static_cast<std::uint16_t>(port));
  addr.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
  socklen_t len = sizeof(addr);
  int bound = 0;
  if (bind(fd, reinterpret_cast<sockaddr*>(&addr), sizeof(addr)) == 0 &&
      getsockname(fd, reinterpret_cast<sockaddr*>(&addr), &len) == 0) {
    bound = ntohs(addr.sin_port);
  }
  close(fd);
  return bound;
}

}  // namespace

Result<std::unique_ptr<Swtpm>> Swtpm::start() {
  std::string dir = (std::filesystem::temp_directory_path() / "cocoon-swtpm-XXXXXX").string();
  if (mkdtemp(dir.data()) == nullptr) {
    return fail(Code::kUnavailable, "mkdtemp failed: errno {}", errno);
  }
  std::string last_error = "no free port pair";
  for (int attempt = 0; attempt < 10; ++attempt) {
    const int port = probePort(0);
    if (port == 0 || port >= 65535 || probePort(port + 1) == 0) {
      continue;
    }
    SubprocessOptions run;
    run.argv = {"swtpm",
                "socket",
                "--tpm2",
                "--server",
                fmt::format("type=tcp,port={},bindaddr=127.0.0.1", port),
                "--ctrl",
                fmt::format("type=tcp,port={},bindaddr=127.0.0.1", port + 1),
                "--tpmstate",
                "dir=" + dir,
                "--flags",
                "not-need-init,startup-clear",
                "--daemon",
                "--pid",
                "file=" + dir + "/swtpm.pid"};
    run.timeout = std::chrono::seconds(20);
    auto result = runSubprocess(run);
    if (!result) {
      std::filesystem::remove_all(dir);
      return fail(result.error());
    }
    if (result->exit_code != 0) {
      last_error = result->stderr_data;
      continue;  // most likely a port taken since it was probed
    }
    auto pid_text = readTextFile(dir + "/swtpm.pid", 64);
    const pid_t pid = pid_text ? static_cast<pid_t>(std::atoi(pid_text->c_str())) : 0;
    if (pid <= 0) {
      std::filesystem::remove_all(dir);
      return fail(Code::kUnavailable, "swtpm started but wrote no pid file");
    }
    return std::unique_ptr<Swtpm>(new Swtpm(pid, port, dir));
  }
  std::filesystem::remove_all(dir);
  return fail(Code::kUnavailable, "swtpm did not start: {}", last_error);
}

Swtpm::~Swtpm() {
  // swtpm writes its state and removes its pid file as it exits, so the directory is
  // removed only once the daemon is gone (it is not our child: poll, up to 2 s, then KILL).
  kill(pid_, SIGTERM);
  for (int i = 0; i < 200 && kill(pid_, 0) == 0; ++i) {
    std::this_thread::sleep_for(std::chrono::milliseconds(10));
  }
  kill(pid_, SIGKILL);
  std::error_code ec;
  std::filesystem::remove_all(dir_, ec);
}

std::string Swtpm::tcti() const {
  return fmt::format("swtpm:host=127.0.0.1,port={}", port_);
}

Status Swtpm::writeAttesterAkPem(const std::filesystem::path& path) const {
  TpmAttesterConfig config;
  config.tcti = tcti();
  COCOON_ASSIGN_OR_RETURN(std::unique_ptr<TpmAttester> attester, createTpmAttester(config));
  COCOON_ASSIGN_OR_RETURN(crypto::Key ak, crypto::Key::fromPublicDer(attester->akPublicDer()));
  return writeFileAtomic(path, asBytes(ak.publicPem()));
}

}  // namespace cocoon::attest::test
