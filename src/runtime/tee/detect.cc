// SPDX-License-Identifier: Apache-2.0
// Host TEE detection from sysfs, procfs, device nodes and firmware files.
#include "runtime/tee/detect.h"

#include <cpuid.h>
#include <unistd.h>

#include <algorithm>
#include <string_view>

#include <fmt/format.h>

#include "common/files.h"
#include "runtime/tee/tee_kind.h"

namespace cocoon::runtime::tee {
namespace {

// /proc/cpuinfo grows with the CPU count (about 3 KiB each); 16 MiB covers thousands.
constexpr std::size_t kMaxCpuinfoBytes = std::size_t{16} << 20;
constexpr std::size_t kMaxParameterBytes = 64;

std::string_view trim(std::string_view s) {
  while (!s.empty() && (s.back() == '\n' || s.back() == ' ' || s.back() == '\t')) {
    s.remove_suffix(1);
  }
  while (!s.empty() && (s.front() == ' ' || s.front() == '\t')) {
    s.remove_prefix(1);
  }
  return s;
}

class HostTree {
 public:
  explicit HostTree(const DetectOptions& options) : options_(options) {
    auto cpuinfo = readTextFile(at("/proc/cpuinfo"), kMaxCpuinfoBytes);
    if (cpuinfo) {
      parseCpuinfo(*cpuinfo);
    }
    cpuinfo_ok_ = cpuinfo.has_value();
  }

  std::filesystem::path at(const std::filesystem::path& host_path) const {
    return options_.root / host_path.relative_path();
  }

  std::string_view vendor() const { return vendor_; }

  Check kvm() const { return device("/dev/kvm"); }

  Check device(const std::filesystem::path& path) const {
    std::error_code ec;
    if (!std::filesystem::exists(at(path), ec)) {
      return {fmt::format("{} is missing", path.string()), false};
    }
    if (::access(at(path).c_str(), R_OK | W_OK) != 0) {
      return {fmt::format("{} is not readable and writable by this user", path.string()), false};
    }
    return {fmt::format("{} is usable", path.string()), true};
  }

  // A kvm module parameter: Y/1 on, N/0 off (bool and int parameters of older kernels).
  Check parameter(std::string_view module, std::string_view name) const {
    const auto path = fmt::format("/sys/module/{}/parameters/{}", module, name);
    auto text = readTextFile(at(path), kMaxParameterBytes);
    if (!text) {
      return {fmt::format("{} parameter {} is unavailable ({} not readable: is the module "
                          "loaded?)",
                          module, name, path),
              false};
    }
    const std::string_view value = trim(*text);
    if (value == "Y" || value == "1") {
      return {fmt::format("{} parameter {} is {}", module, name, value), true};
    }
    if (value == "N" || value == "0") {
      return {fmt::format("{} parameter {} is {} (disabled)", module, name, value), false};
    }
    return {fmt::format("{} parameter {} has unexpected value \"{}\" (expected Y, N, 1 or 0)",
                        module, name, value),
            false};
  }

  Check cpuFlag(std::string_view flag) const {
    if (!cpuinfo_ok_) {
      return {fmt::format("CPU flag {} unknown: /proc/cpuinfo is not readable", flag), false};
    }
    if (std::find(flags_.begin(), flags_.end(), flag) != flags_.end()) {
      return {fmt::format("CPU flag {} is present", flag), true};
    }
    return {fmt::format("CPU flag {} is missing from /proc/cpuinfo", flag), false};
  }

  Check file(std::string_view what, const std::filesystem::path& path, bool executable) const {
    std::error_code ec;
    if (!std::filesystem::is_regular_file(at(path), ec)) {
      return {fmt::format("{} {} is missing", what, path.string()), false};
    }
    if (executable && ::access(at(path).c_str(), X_OK) != 0) {
      return {fmt::format("{} {} is not executable", what, path.string()), false};
    }
    return {fmt::format("{} {} is present", what, path.string()), true};
  }

 private:
  // The first processor's "vendor_id" and "flags" lines (all CPUs of a host share them).
  void parseCpuinfo(std::string_view text) {
    bool have_flags = false;
    while (!text.empty() && (!have_flags || vendor_.empty())) {
      const std::size_t eol = text.find('\n');
      const std::string_view line = text.substr(0, eol);
      text = eol == std::string_view::npos ? std::string_view{} : text.substr(eol + 1);
      const std::size_t colon = line.find(':');
      if (colon == std::string_view::npos) {
        continue;
      }
      const std::string_view key = trim(line.substr(0, colon));
      const std::string_view value = trim(line.substr(colon + 1));
      if (key == "vendor_id" && vendor_.empty()) {
        vendor_ = std::string(value);
      } else if (key == "flags" && !have_flags) {
        have_flags = true;
        std::size_t pos = 0;
        while (pos < value.size()) {
          const std::size_t end = std::min(value.find(' ', pos), value.size());
          if (end > pos) {
            flags_.emplace_back(value.substr(pos, end - pos));
          }
          pos = end + 1;
        }
      }
    }
  }

  const DetectOptions& options_;
  bool cpuinfo_ok_ = false;
  std::string vendor_;
  std::vector<std::string> flags_;
};

TeeSupport support(TeeKind kind, std::vector<Check> checks) {
  TeeSupport s{kind, true, std::move(checks)};
  s.usable = std::all_of(s.checks.begin(), s.checks.end(), [](const Check& c) { return c.ok; });
  return s;
}

// SEV, SEV-ES and SNP share the AMD requirements but for the parameter and the CPU flag.
TeeSupport amdSupport(TeeKind kind, std::string_view feature, const HostTree& host,
                      const DetectOptions& options) {
  return support(kind, {host.kvm(), host.parameter("kvm_amd", feature), host.device("/dev/sev"),
                        host.cpuFlag(feature),
                        host.file("AMD SEV firmware", options.firmware.ovmf_amdsev, false)});
}

}  // namespace

std::optional<SevCpuid> readSevCpuid() {
  unsigned eax = 0;
  unsigned ebx = 0;
  unsigned ecx = 0;
  unsigned edx = 0;
  if (__get_cpuid(0x80000000U, &eax, &ebx, &ecx, &edx) == 0 || eax < 0x8000001FU) {
    return std::nullopt;
  }
  __get_cpuid(0x8000001FU, &eax, &ebx, &ecx, &edx);
  if ((eax & 0x2U) == 0) {  // bit 1: SEV supported
    return std::nullopt;
  }
  return SevCpuid{ebx & 0x3FU, (ebx >> 6) & 0x3FU};
}

const TeeSupport& HostReport::support(TeeKind kind) const {
  const auto it = std::find_if(tees.begin(), tees.end(),
                               [kind](const TeeSupport& s) { return s.kind == kind; });
  return *it;
}

HostReport detectHost(const DetectOptions& options) {
  const HostTree host(options);
  HostReport report;
  report.kvm = host.kvm().ok;
  report.cpu_vendor = std::string(host.vendor());
  report.sev_cpuid = options.sev_cpuid;
  report.tees.push_back(amdSupport(TeeKind::kSnp, "sev_snp", host, options));
  report.tees.push_back(
      support(TeeKind::kTdx,
              {host.kvm(), host.parameter("kvm_intel", "tdx"), host.cpuFlag("tdx_host_platform"),
               host.file("TDX firmware (TDVF)", options.firmware.tdvf, false)}));
  report.tees.push_back(amdSupport(TeeKind::kSevEs, "sev_es", host, options));
  report.tees.push_back(amdSupport(TeeKind::kSev, "sev", host, options));
  // A vTPM needs no hardware: QEMU's TCG runs it too.
  report.tees.push_back(support(TeeKind::kVtpm, {host.file("swtpm", options.swtpm, true)}));
  report.tees.push_back(
      support(TeeKind::kNone, {{"no TEE: development only, must be requested by name", true}}));
  return report;
}

std::vector<std::pair<std::string, std::string>> nodeLabels(const HostReport& report) {
  std::vector<std::pair<std::string, std::string>> labels;
  labels.emplace_back("cocoon.io/kvm", report.kvm ? "true" : "false");
  for (const TeeSupport& s : report.tees) {
    if (s.kind != TeeKind::kNone) {
      labels.emplace_back(fmt::format("cocoon.io/tee.{}", teeKindName(s.kind)),
                          s.usable ? "true" : "false");
    }
  }
  std::sort(labels.begin(), labels.end());
  return labels;
}

}  // namespace cocoon::runtime::tee
