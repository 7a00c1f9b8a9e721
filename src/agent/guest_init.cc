// SPDX-License-Identifier: Apache-2.0
// PID 1 duties of cocoon-agent: early mounts, module loading, channel lookup, power-off.
#include "agent/guest_init.h"

#include <fcntl.h>
#include <sys/mount.h>
#include <sys/reboot.h>
#include <sys/stat.h>
#include <sys/syscall.h>
#include <unistd.h>

#include <cerrno>
#include <charconv>
#include <cstring>
#include <sstream>

#include "common/files.h"
#include "common/subprocess.h"
#include "common/sys_error.h"
#include "common/unique_fd.h"

namespace cocoon::agent {
namespace {

InitStep mountOne(const char* source, const char* target, const char* type, unsigned long flags,
                  const char* data) {
  InitStep step{fmt::format("mount {} on {}", type, target), okStatus()};
  std::error_code ec;
  std::filesystem::create_directories(target, ec);
  if (::mount(source, target, type, flags, data) != 0 && errno != EBUSY) {
    step.status =
        fail(codeFromErrno(errno), "mount {} on {}: {}", type, target, std::strerror(errno));
  }
  return step;
}

}  // namespace

std::vector<InitStep> mountGuestFilesystems() {
  constexpr unsigned long kSecure = MS_NOSUID | MS_NODEV | MS_NOEXEC;
  std::vector<InitStep> steps;
  steps.push_back(mountOne("proc", "/proc", "proc", kSecure, nullptr));
  steps.push_back(mountOne("sysfs", "/sys", "sysfs", kSecure, nullptr));
  steps.push_back(mountOne("devtmpfs", "/dev", "devtmpfs", MS_NOSUID, "mode=0755"));
  steps.push_back(mountOne("devpts", "/dev/pts", "devpts", MS_NOSUID | MS_NOEXEC,
                           "newinstance,ptmxmode=0666,mode=0620"));
  steps.push_back(mountOne("shm", "/dev/shm", "tmpfs", kSecure, "mode=1777"));
  steps.push_back(mountOne("tmpfs", "/run", "tmpfs", MS_NOSUID | MS_NODEV, "mode=0755"));
  steps.push_back(mountOne("tmpfs", "/tmp", "tmpfs", MS_NOSUID | MS_NODEV, "mode=1777"));
  steps.push_back(mountOne("cgroup2", "/sys/fs/cgroup", "cgroup2", kSecure, nullptr));
  return steps;
}

std::vector<InitStep> loadKernelModules(const std::filesystem::path& list_file) {
  std::vector<InitStep> steps;
  auto text = readTextFile(list_file, 64 * 1024);
  if (!text) {
    if (text.error().code != Code::kNotFound) {
      steps.push_back({"read " + list_file.string(), fail(std::move(text).error())});
    }
    return steps;
  }
  std::string modprobe;
  for (const char* dir : {"/sbin/", "/usr/sbin/", "/bin/", "/usr/bin/"}) {
    if (::access((std::string(dir) + "modprobe").c_str(), X_OK) == 0) {
      modprobe = std::string(dir) + "modprobe";
      break;
    }
  }
  std::istringstream lines(*text);
  std::string line;
  while (std::getline(lines, line)) {
    line = line.substr(0, line.find('#'));
    const auto begin = line.find_first_not_of(" \t");
    if (begin == std::string::npos) {
      continue;
    }
    line = line.substr(begin, line.find_last_not_of(" \t\r") + 1 - begin);
    const auto space = line.find(' ');
    const std::string module = line.substr(0, space);
    const std::string params = space == std::string::npos ? "" : line.substr(space + 1);
    InitStep step{"load module " + module, okStatus()};
    if (module.front() == '/') {
      UniqueFd fd(::open(module.c_str(), O_RDONLY | O_CLOEXEC));
      if (!fd.valid()) {
        step.status = fail(codeFromErrno(errno), "open {}: {}", module, std::strerror(errno));
      } else if (::syscall(SYS_finit_module, fd.get(), params.c_str(), 0) != 0 && errno != EEXIST) {
        step.status =
            fail(codeFromErrno(errno), "finit_module {}: {}", module, std::strerror(errno));
      }
    } else if (modprobe.empty()) {
      step.status =
          fail(Code::kNotFound, "module {}: no modprobe binary and not a .ko path", module);
    } else {
      std::vector<std::string> argv = {modprobe, module};
      std::istringstream words(params);
      for (std::string word; words >> word;) {
        argv.push_back(word);
      }
      auto run = runSubprocess({.argv = argv, .timeout = std::chrono::seconds(30)});
      if (!run) {
        step.status = fail(std::move(run).error());
      } else if (run->exit_code != 0) {
        step.status = fail(Code::kInternal, "modprobe {} exited {}: {}", module, run->exit_code,
                           run->stderr_data.substr(0, 256));
      }
    }
    steps.push_back(std::move(step));
  }
  return steps;
}

Result<std::filesystem::path> findVirtioPort(std::string_view port_name,
                                             const std::filesystem::path& class_dir,
                                             const std::filesystem::path& dev_dir) {
  std::error_code ec;
  for (const auto& entry : std::filesystem::directory_iterator(class_dir, ec)) {
    auto name = readTextFile(entry.path() / "name", 256);
    if (!name) {
      continue;
    }
    std::string value = *name;
    while (!value.empty() && (value.back() == '\n' || value.back() == ' ')) {
      value.pop_back();
    }
    if (value == port_name) {
      return dev_dir / entry.path().filename();
    }
  }
  return fail(Code::kNotFound, "no virtio-serial port named {} under {}", port_name,
              class_dir.string());
}

bool hasVirtioDevice(unsigned device_id, const std::filesystem::path& devices_dir) {
  std::error_code ec;
  for (const auto& entry : std::filesystem::directory_iterator(devices_dir, ec)) {
    auto text = readTextFile(entry.path() / "device", 64);
    if (!text) {
      continue;
    }
    unsigned id = 0;
    std::string_view value = *text;
    if (value.substr(0, 2) == "0x") {
      value.remove_prefix(2);
    }
    const auto [end, error] = std::from_chars(value.data(), value.data() + value.size(), id, 16);
    if (error == std::errc() && end != value.data() && id == device_id) {
      return true;
    }
  }
  return false;
}

Status powerOff() {
  ::sync();
  if (::reboot(RB_POWER_OFF) != 0) {
    return fail(codeFromErrno(errno), "reboot(RB_POWER_OFF): {}", std::strerror(errno));
  }
  return okStatus();
}

}  // namespace cocoon::agent
