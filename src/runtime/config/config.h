// SPDX-License-Identifier: Apache-2.0
// The host runtime's configuration file (config.toml): hypervisor, guest kernel, TEE,
// KBS, policies, scratch disk and timeouts, with defaults that work after an install,
// strict unknown-key errors, and the rule that finds the file.
// Trust: the file is the node operator's; a typo must fail loudly, naming key and line.
#pragma once

#include <chrono>
#include <cstdint>
#include <filesystem>
#include <optional>
#include <string>
#include <string_view>
#include <vector>

#include "common/result.h"
#include "common/toml.h"
#include "runtime/tee/backend.h"
#include "runtime/tee/detect.h"

namespace cocoon::runtime::config {

// The environment variable that names the config file, overriding the default location.
inline constexpr std::string_view kConfigEnv = "COCOON_CONFIG";
// The default location relative to the directory of the running binary (P/bin ->
// P/etc/cocoon/config.toml, as `cmake --install BUILD --prefix P` lays it out).
inline constexpr std::string_view kDefaultConfigRelative = "../etc/cocoon/config.toml";
// Config files larger than this are refused.
inline constexpr std::size_t kMaxConfigBytes = std::size_t{1} << 20;

// [hypervisor]
struct HypervisorConfig {
  std::filesystem::path path = "qemu-system-x86_64";  // looked up in PATH when it has no '/'
  std::string machine = "q35";                        // q35 | microvm
  std::string accel = "auto";                         // auto | kvm | tcg
  // auto (vsock where /dev/vhost-vsock opens, else virtio-serial) | virtio-serial | vsock
  std::string agent_channel = "auto";
  // Default: P/share/cocoon/, i.e. ../../share/cocoon/ from P/etc/cocoon/config.toml.
  std::filesystem::path kernel;
  std::filesystem::path initrd;
  std::string kernel_params;  // appended to the launcher's own command line
  // q35's firmware unless the TEE brings its own (vm::kDefaultQ35Firmware says why qboot);
  // empty: QEMU's default, SeaBIOS (not with vtpm).
  std::filesystem::path firmware = "/usr/share/qemu/qboot.rom";
  std::uint32_t memory_mib = 2048;  // Kata's confidential default
  std::uint32_t vcpus = 1;
  std::string vcpu_type = "EPYC-v4";  // QEMU -cpu model for SEV/SNP guests (measured)
};

// [tee]
struct TeeConfig {
  std::string kind = "auto";  // auto | snp | tdx | sev-es | sev | vtpm | none
  tee::FirmwarePaths firmware;
  std::filesystem::path swtpm = "/usr/bin/swtpm";
  // vtpm: a swtpm state directory made by `cocoon vtpm provision`, copied into each
  // sandbox's swtpm state, so that every sandbox has that TPM's AK (for the KBS's
  // tpm.trusted_ak_keys). Empty: a fresh TPM with a random identity per sandbox.
  std::filesystem::path swtpm_state_template;
  // Unset: detected from CPUID on the node (tee::readSevCpuid), else 51 / 1.
  std::optional<std::uint32_t> cbitpos;
  std::optional<std::uint32_t> reduced_phys_bits;
  std::uint64_t snp_policy = 0x30000;
  std::uint32_t qgs_port = 4050;  // TDX Quote Generation Service vsock port on the host
};

// [kbs]
struct KbsConfig {
  std::string url;             // empty: no KBS (the guest gets no aa.toml/cdh.toml KBS)
  std::filesystem::path cert;  // PEM CA or certificate the guest trusts for url
};

// [policy]
struct PolicyConfig {
  std::filesystem::path agent;  // agent policy file (policy.rego in init-data); empty: none
  std::filesystem::path image;  // containers-policy.json for the guest's image pulls
};

// One guest network forward, written "GUEST_ADDRESS:PORT=HOST_ADDRESS:PORT" in the file
// (e.g. "10.0.2.100:5000=127.0.0.1:5000"): guest connections to the first are relayed to
// the second on the host.
struct ForwardConfig {
  std::string guest_address;
  std::uint16_t guest_port = 0;
  std::string host_address;
  std::uint16_t host_port = 0;
};

// [sandbox]
struct SandboxConfig {
  // "vm": a (confidential) VM per sandbox; "process": cocoon-agent as a host process,
  // no isolation (development only).
  std::string backend = "vm";
  std::uint64_t scratch_disk_mib = 10240;  // the guest's encrypted image store
  // process backend: the OCI runtime cocoon-agent runs containers with.
  std::filesystem::path oci_runtime = "/usr/bin/crun";
  // process backend: the cocoon-agent binary; empty: next to the running binary, then PATH.
  std::filesystem::path agent_binary;
  // process backend: the agent's own config file (--config); empty: none.
  std::filesystem::path agent_config;
  // process backend: start the agent with --permissive-policy instead of [policy] agent or
  // its confidential default (development only).
  bool permissive_policy = false;
  // Guest network forwards of every sandbox (vm backend: QEMU user networking guestfwd).
  std::vector<ForwardConfig> guest_forwards;
};

// Parses "GUEST_ADDRESS:PORT=HOST_ADDRESS:PORT" (IPv4 addresses, ports 1..65535).
// Errors: kInvalidArgument naming the text and the part that is wrong.
Result<ForwardConfig> parseForward(std::string_view text);

// [timeouts], all in seconds in the file.
struct TimeoutConfig {
  std::chrono::seconds boot{60};
  std::chrono::seconds create_container{60};  // Kata's confidential default
  std::chrono::seconds image_pull{1200};      // Kata's confidential default
  std::chrono::seconds shutdown{10};
};

struct RuntimeConfig {
  std::filesystem::path source;  // the file it came from; empty for built-in defaults
  HypervisorConfig hypervisor;
  TeeConfig tee;
  KbsConfig kbs;
  PolicyConfig policy;
  SandboxConfig sandbox;
  TimeoutConfig timeouts;
};

// The built-in configuration of a config file that would sit in `base_dir`: every
// default, with kernel and initrd at base_dir/../../share/cocoon/{vmlinux,initrd.img}.
RuntimeConfig defaultRuntimeConfig(const std::filesystem::path& base_dir);

// Reads `table` over the defaults. Relative paths resolve against `base_dir` (the config
// file's directory); hypervisor.path stays as written when it has no '/'.
// Errors (kInvalidArgument, naming file, line, key, expected and found): an unknown
// table or key, a value of the wrong type or out of range (memory_mib 64..1048576, vcpus
// 1..255, cbitpos 1..63, reduced_phys_bits 0..63, scratch_disk_mib 0..16777216, timeouts
// 1..86400, qgs_port 1..4294967295), an unknown machine/accel/tee kind or sandbox
// backend, a guest_forwards entry parseForward rejects, a kbs.url that is not http(s)://,
// a kbs.cert without kbs.url.
Result<RuntimeConfig> parseRuntimeConfig(const toml::table& table,
                                         const std::filesystem::path& base_dir);

// readTomlFile + parseRuntimeConfig with the file's directory as base; `source` is set.
// Errors: those of readTomlFile (kNotFound, kResourceExhausted, ...) and the above.
Result<RuntimeConfig> loadRuntimeConfig(const std::filesystem::path& file);

// Where the config file is: `env_value` (COCOON_CONFIG) when set and non-empty, else
// <binary_dir>/../etc/cocoon/config.toml (lexically normalised).
std::filesystem::path configPath(const char* env_value, const std::filesystem::path& binary_dir);

// The config the runtime runs with: the file named by COCOON_CONFIG (which must exist),
// else the default location when a file is there, else defaultRuntimeConfig for it.
// `binary_dir` is the directory of the running binary (e.g. of /proc/self/exe).
// Errors: kNotFound when COCOON_CONFIG names a missing file; those of loadRuntimeConfig.
Result<RuntimeConfig> findRuntimeConfig(const char* env_value,
                                        const std::filesystem::path& binary_dir);

// The options of the TEE backends for this config on a host with `report`: firmware,
// swtpm, policies, and cbitpos/reduced_phys_bits from the config, else the report's
// CPUID values, else 51 / 1.
tee::TeeOptions teeOptions(const RuntimeConfig& config, const tee::HostReport& report);

// The detection options for this config (firmware and swtpm paths) under `root`.
tee::DetectOptions detectOptions(const RuntimeConfig& config,
                                 const std::filesystem::path& root = "/");

}  // namespace cocoon::runtime::config
