// SPDX-License-Identifier: Apache-2.0
// vm_boot_bench: launch -> guest holds the agent port (QMP VSERPORT_CHANGE), for the cocoon
// guest and for a bare busybox init booted the same way, interleaved in one run.
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

struct Sample {
  double qemu_ready_ms = 0;
  double first_line_ms = 0;
  double ready_ms = 0;
};

// One boot: launch, wait until the guest opens the port, quit.
bool bootOnce(const fs::path& guest, const fs::path& work, Sample& sample) {
  VmConfig config;
  config.accel = cocoon::runtime::vm::Accel::kTcg;
  config.kernel = guest / "vmlinux";
  config.initrd = guest / "initrd.img";
  config.run_dir = work / "run";
  config.console_log = work / "console.log";
  auto vm = Vm::launch(config);
  if (!vm) {
    std::fprintf(stderr, "launch: %s\n", vm.error().toString().c_str());
    return false;
  }
  if (auto ready = (*vm)->waitChannelReady(std::chrono::seconds(120)); !ready) {
    std::fprintf(stderr, "%s\n", ready.error().toString().c_str());
    return false;
  }
  const auto timeline = (*vm)->timeline();
  sample.qemu_ready_ms = static_cast<double>(timeline.qemu_ready->count());
  sample.first_line_ms = static_cast<double>(
      timeline.first_console_line.value_or(std::chrono::milliseconds(0)).count());
  sample.ready_ms = static_cast<double>(timeline.channel_ready->count());
  return static_cast<bool>((*vm)->shutdown(std::chrono::milliseconds(0)));
}

double median(std::vector<double> values) {
  std::sort(values.begin(), values.end());
  return values[values.size() / 2];
}

void report(const char* name, const std::vector<Sample>& samples) {
  std::vector<double> qemu, first, ready;
  for (const Sample& s : samples) {
    qemu.push_back(s.qemu_ready_ms);
    first.push_back(s.first_line_ms);
    ready.push_back(s.ready_ms);
  }
  std::printf(
      "%-10s median of %zu: qemu ready %6.0f ms, first console line %6.0f ms, "
      "port open %6.0f ms (min %6.0f, max %6.0f)\n",
      name, samples.size(), median(qemu), median(first), median(ready),
      *std::min_element(ready.begin(), ready.end()), *std::max_element(ready.begin(), ready.end()));
}

}  // namespace

int main(int argc, char** argv) {
  try {
    if (argc < 3) {
      std::fprintf(stderr, "usage: vm_boot_bench GUEST_DIR BASELINE_DIR [RUNS]\n");
      return 2;
    }
    const fs::path guest = argv[1];
    const fs::path baseline = argv[2];
    const int runs = argc > 3 ? std::atoi(argv[3]) : 3;
    (void)cocoon::initLogging({.level = cocoon::LogLevel::kWarn});
    auto work = cocoon::TempDir::create("vm-bench");
    if (!work) {
      std::fprintf(stderr, "%s\n", work.error().toString().c_str());
      return 1;
    }
    std::vector<Sample> ours, bare;
    for (int i = 0; i < runs; ++i) {
      // Interleaved, so both see the same host load.
      Sample a, b;
      if (!bootOnce(guest, work->path() / ("g" + std::to_string(i)), a) ||
          !bootOnce(baseline, work->path() / ("b" + std::to_string(i)), b)) {
        return 1;
      }
      ours.push_back(a);
      bare.push_back(b);
      std::printf("run %d: guest %.0f ms, bare %.0f ms\n", i + 1, a.ready_ms, b.ready_ms);
    }
    report("guest", ours);
    report("bare", bare);
    std::vector<double> og, ob;
    for (int i = 0; i < runs; ++i) {
      og.push_back(ours[static_cast<std::size_t>(i)].ready_ms);
      ob.push_back(bare[static_cast<std::size_t>(i)].ready_ms);
    }
    std::printf("ratio guest/bare (medians): %.2f (goal: <= 1.5)\n", median(og) / median(ob));
    return 0;
  } catch (const std::exception& e) {
    std::fprintf(stderr, "vm_boot_bench: %s\n", e.what());
    return 70;
  }
}
