// SPDX-License-Identifier: Apache-2.0
// vm_boot_bench: launch -> guest holds the agent port (QMP VSERPORT_CHANGE), for several
// guests booted the same way, interleaved in one run, each compared with the first
// (the bare busybox init).
#include <algorithm>
#include <cstdio>
#include <cstdlib>
#include <exception>
#include <string>
#include <vector>

#include "common/files.h"
#include "common/log.h"
#include "runtime/vm/vm.h"

namespace {

using cocoon::runtime::vm::Vm;
using cocoon::runtime::vm::VmConfig;
namespace fs = std::filesystem;

// A guest as given on the command line: LABEL=DIR[,scratch=MIB].
struct Guest {
  std::string label;
  fs::path dir;
  std::uint64_t scratch_mib = 0;  // the runtime attaches a scratch disk for the store
  std::vector<double> qemu_ready_ms, first_line_ms, ready_ms;
};

bool parseGuest(const std::string& arg, Guest& guest) {
  const std::size_t eq = arg.find('=');
  if (eq == std::string::npos || eq == 0) {
    return false;
  }
  guest.label = arg.substr(0, eq);
  std::string rest = arg.substr(eq + 1);
  if (const std::size_t comma = rest.find(",scratch="); comma != std::string::npos) {
    guest.scratch_mib = std::strtoull(rest.c_str() + comma + 9, nullptr, 10);
    rest.resize(comma);
  }
  guest.dir = rest;
  return !rest.empty();
}

// One boot: launch, wait until the guest opens the port, quit.
bool bootOnce(Guest& guest, const fs::path& work) {
  VmConfig config;
  config.accel = cocoon::runtime::vm::Accel::kTcg;
  config.kernel = guest.dir / "vmlinux";
  config.initrd = guest.dir / "initrd.img";
  config.run_dir = work / "run";
  config.console_log = work / "console.log";
  config.scratch_disk_bytes = guest.scratch_mib << 20;
  auto vm = Vm::launch(config);
  if (!vm) {
    std::fprintf(stderr, "%s: launch: %s\n", guest.label.c_str(), vm.error().toString().c_str());
    return false;
  }
  if (auto ready = (*vm)->waitChannelReady(std::chrono::seconds(180)); !ready) {
    std::fprintf(stderr, "%s: %s (console: %s)\n", guest.label.c_str(),
                 ready.error().toString().c_str(), config.console_log.c_str());
    return false;
  }
  const auto timeline = (*vm)->timeline();
  guest.qemu_ready_ms.push_back(static_cast<double>(timeline.qemu_ready->count()));
  guest.first_line_ms.push_back(static_cast<double>(
      timeline.first_console_line.value_or(std::chrono::milliseconds(0)).count()));
  guest.ready_ms.push_back(static_cast<double>(timeline.channel_ready->count()));
  return static_cast<bool>((*vm)->shutdown(std::chrono::milliseconds(0)));
}

double median(std::vector<double> values) {
  std::sort(values.begin(), values.end());
  return values[values.size() / 2];
}

void report(const Guest& g) {
  std::printf(
      "%-10s median of %zu: qemu ready %6.0f ms, first console line %6.0f ms, "
      "port open %6.0f ms (min %6.0f, max %6.0f)\n",
      g.label.c_str(), g.ready_ms.size(), median(g.qemu_ready_ms), median(g.first_line_ms),
      median(g.ready_ms), *std::min_element(g.ready_ms.begin(), g.ready_ms.end()),
      *std::max_element(g.ready_ms.begin(), g.ready_ms.end()));
}

constexpr const char* kUsage =
    "usage: vm_boot_bench [--runs N] [--work DIR] BASELINE=DIR GUEST=DIR[,scratch=MIB] ...\n"
    "Boots each guest (a guest/build-guest.sh output: vmlinux + initrd.img) N times\n"
    "(default 3), interleaved, under TCG, and prints the medians of launch -> the guest\n"
    "opens the agent port, and each guest's ratio to the first (the baseline).\n"
    "--work DIR keeps each boot's console.log under DIR/LABEL<run>/.\n"
    "scratch=MIB attaches a sparse scratch disk, as the runtime does for the agent's store.\n";

}  // namespace

int main(int argc, char** argv) {
  try {
    int runs = 3;
    fs::path keep;  // --work DIR: boot there and keep the consoles
    std::vector<Guest> guests;
    for (int i = 1; i < argc; ++i) {
      const std::string arg = argv[i];
      if (arg == "--help" || arg == "-h") {
        std::fputs(kUsage, stdout);
        return 0;
      }
      if (arg == "--runs" && i + 1 < argc) {
        runs = std::atoi(argv[++i]);
        continue;
      }
      if (arg == "--work" && i + 1 < argc) {
        keep = argv[++i];
        continue;
      }
      Guest g;
      if (!parseGuest(arg, g)) {
        std::fprintf(stderr, "vm_boot_bench: expected LABEL=DIR, found \"%s\"\n%s", arg.c_str(),
                     kUsage);
        return 2;
      }
      guests.push_back(std::move(g));
    }
    if (guests.size() < 2 || runs < 1) {
      std::fputs(kUsage, stderr);
      return 2;
    }
    (void)cocoon::initLogging({.level = cocoon::LogLevel::kWarn});
    auto work = cocoon::TempDir::create("vm-bench");
    if (!work) {
      std::fprintf(stderr, "%s\n", work.error().toString().c_str());
      return 1;
    }
    const fs::path base_dir = keep.empty() ? work->path() : keep;
    for (int i = 0; i < runs; ++i) {
      // Interleaved, so every guest sees the same host load.
      std::printf("run %d:", i + 1);
      for (Guest& g : guests) {
        if (!bootOnce(g, base_dir / (g.label + std::to_string(i)))) {
          return 1;
        }
        std::printf(" %s %.0f ms", g.label.c_str(), g.ready_ms.back());
      }
      std::printf("\n");
      std::fflush(stdout);
    }
    for (const Guest& g : guests) {
      report(g);
    }
    const double base = median(guests.front().ready_ms);
    for (std::size_t i = 1; i < guests.size(); ++i) {
      std::printf("ratio %s/%s (medians): %.2f (goal: <= 1.5)\n", guests[i].label.c_str(),
                  guests.front().label.c_str(), median(guests[i].ready_ms) / base);
    }
    return 0;
  } catch (const std::exception& e) {
    std::fprintf(stderr, "vm_boot_bench: %s\n", e.what());
    return 70;
  }
}
