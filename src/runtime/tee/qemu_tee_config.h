// SPDX-License-Identifier: Apache-2.0
// QemuTeeConfig: what a TEE backend adds to a QEMU command line (the confidential-guest
// object, machine properties, firmware, memory options), handed from the TEE framework
// (runtime/tee) to the VM launcher (runtime/vm), which owns the rest of the command line.
#pragma once

#include <cstdint>
#include <filesystem>
#include <optional>
#include <string>
#include <vector>

namespace cocoon::runtime::tee {

// The TEEs a sandbox can run in. kNone is development only and must be asked for by name.
enum class TeeKind : std::uint8_t { kNone, kVtpm, kSev, kSevEs, kSnp, kTdx };

struct QemuTeeConfig {
  TeeKind kind = TeeKind::kNone;
  // Appended to `-machine <type>,...` (e.g. "confidential-guest-support=snp",
  // "kernel-irqchip=split", "memory-backend=ram1").
  std::vector<std::string> machine_properties;
  // Further arguments, in order (e.g. "-object", "sev-snp-guest,id=snp,...").
  std::vector<std::string> arguments;
  // Firmware the TEE needs (OVMF AmdSev build, TDVF), passed as -bios; none = QEMU's own.
  std::optional<std::filesystem::path> firmware;
  // Appended to the guest kernel command line.
  std::vector<std::string> kernel_parameters;
  // The launcher must start a helper process first (vtpm: swtpm) whose socket the
  // arguments name; empty when none is needed.
  std::vector<std::string> helper_command;
  // When set, the launcher copies the regular files of this directory (vtpm: a provisioned
  // swtpm state, `cocoon vtpm provision`) into helper_state_dir before starting the helper.
  std::filesystem::path helper_state_template;
  std::filesystem::path helper_state_dir;
};

}  // namespace cocoon::runtime::tee
