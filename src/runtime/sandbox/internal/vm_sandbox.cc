// SPDX-License-Identifier: Apache-2.0
// The VM backend: QEMU with the chosen TEE, cocoon-agent inside, reached over virtio-serial.
#include <fmt/format.h>

#include "common/files.h"
#include "common/log.h"
#include "runtime/sandbox/internal/agent_health.h"
#include "runtime/sandbox/internal/backends.h"
#include "runtime/tee/backend.h"
#include "runtime/tee/tee_kind.h"
#include "runtime/vm/vm.h"

namespace cocoon::runtime::sandbox::internal {
namespace {

namespace fs = std::filesystem;
using std::chrono::milliseconds;

constexpr std::size_t kMaxPolicyBytes = std::size_t{1} << 20;
constexpr std::size_t kMaxCertBytes = std::size_t{1} << 20;

// A TOML multi-line literal string; PEM and Rego never contain ''' .
std::string literal(const std::string& text) {
  return "'''\n" + text + "'''";
}

// The init-data of the runtime config: aa.toml and cdh.toml for [kbs], policy.json (the
// agent policy, docs/agent-policy.md) from [policy] agent. nullopt when the config names neither.
Result<std::optional<tee::InitData>> configInitData(const config::RuntimeConfig& config,
                                                    tee::TeeKind kind) {
  tee::InitData init_data;
  init_data.algorithm = tee::initDataAlgorithm(kind);
  if (!config.kbs.url.empty()) {
    std::string aa = fmt::format("[token_configs.kbs]\nurl = \"{}\"\n", config.kbs.url);
    std::string cdh = fmt::format("[kbc]\nname = \"cc_kbc\"\nurl = \"{}\"\n", config.kbs.url);
    if (!config.kbs.cert.empty()) {
      COCOON_ASSIGN_OR_RETURN(std::string pem, readTextFile(config.kbs.cert, kMaxCertBytes));
      aa += "cert = " + literal(pem) + "\n";
      cdh += "kbs_cert = " + literal(pem) + "\n";
    }
    init_data.data.emplace(tee::kInitDataAaToml, std::move(aa));
    init_data.data.emplace(tee::kInitDataCdhToml, std::move(cdh));
  }
  if (!config.policy.agent.empty()) {
    COCOON_ASSIGN_OR_RETURN(std::string policy, readTextFile(config.policy.agent, kMaxPolicyBytes));
    init_data.data.emplace(tee::kInitDataPolicyJson, std::move(policy));
  }
  if (init_data.data.empty()) {
    return std::optional<tee::InitData>();
  }
  return std::optional<tee::InitData>(std::move(init_data));
}

// The sandbox's init-data: spec.initdata_toml when given (its exact bytes are what the
// guest hashes), else the config's. nullopt when there is none.
struct SandboxInitData {
  tee::InitDataDigest digest;  // what the TEE binds
  Bytes block;                 // the disk the guest reads the document from
};

Result<std::optional<SandboxInitData>> sandboxInitData(const config::RuntimeConfig& config,
                                                       const SandboxSpec& spec, tee::TeeKind kind) {
  if (!spec.initdata_toml.empty()) {
    COCOON_ASSIGN_OR_RETURN(tee::InitData parsed, tee::parseInitDataToml(spec.initdata_toml));
    COCOON_ASSIGN_OR_RETURN(Bytes block, tee::encodeInitDataBlock(spec.initdata_toml));
    return std::optional(
        SandboxInitData{.digest = tee::initDataDigest(parsed.algorithm, spec.initdata_toml),
                        .block = std::move(block)});
  }
  COCOON_ASSIGN_OR_RETURN(std::optional<tee::InitData> init_data, configInitData(config, kind));
  if (!init_data) {
    return std::optional<SandboxInitData>();
  }
  COCOON_ASSIGN_OR_RETURN(tee::InitDataBundle bundle, tee::buildInitData(*init_data));
  return std::optional(
      SandboxInitData{.digest = std::move(bundle.digest), .block = std::move(bundle.block)});
}

Status requireFile(const fs::path& path, std::string_view what) {
  std::error_code ec;
  if (!fs::is_regular_file(path, ec)) {
    return fail(Code::kNotFound, "the guest {} {} ([hypervisor]) is not a file", what,
                path.string());
  }
  return okStatus();
}

Result<vm::VmConfig> vmConfig(const config::RuntimeConfig& config, const SandboxSpec& spec,
                              const StartContext& context, tee::QemuTeeConfig tee_config) {
  vm::VmConfig v;
  v.qemu_binary = config.hypervisor.path.string();
  COCOON_ASSIGN_OR_RETURN(v.machine, vm::parseMachine(config.hypervisor.machine));
  COCOON_ASSIGN_OR_RETURN(v.accel, vm::parseAccel(config.hypervisor.accel));
  COCOON_ASSIGN_OR_RETURN(const vm::AgentChannel channel,
                          vm::parseAgentChannel(config.hypervisor.agent_channel));
  v.agent_channel = vm::resolveAgentChannel(channel, vm::vhostVsockUsable);
  v.memory_mib = config.hypervisor.memory_mib;
  v.vcpus = config.hypervisor.vcpus;
  v.kernel = config.hypervisor.kernel;
  v.initrd = config.hypervisor.initrd;
  v.firmware = config.hypervisor.firmware;
  if (!config.hypervisor.kernel_params.empty()) {
    v.kernel_cmdline += " " + config.hypervisor.kernel_params;
  }
  // Vm::launch creates its run directory itself; the TEE's state sits next to it.
  v.run_dir = spec.run_dir / "vm";
  v.agent_socket = spec.run_dir / "agent.sock";
  v.console_log = context.console_log;
  v.scratch_disk_bytes = config.sandbox.scratch_disk_mib << 20;
  v.user_network = true;
  for (const config::ForwardConfig& f : config.sandbox.guest_forwards) {
    v.guest_forwards.push_back({.guest_address = f.guest_address,
                                .guest_port = f.guest_port,
                                .host_address = f.host_address,
                                .host_port = f.host_port});
  }
  v.guest_forwards.insert(v.guest_forwards.end(), spec.guest_forwards.begin(),
                          spec.guest_forwards.end());
  v.tee = std::move(tee_config);
  return v;
}

std::optional<milliseconds> shifted(const std::optional<milliseconds>& since_launch,
                                    milliseconds launch_offset) {
  if (!since_launch) {
    return std::nullopt;
  }
  return *since_launch + launch_offset;
}

class VmSandbox final : public Sandbox {
 public:
  VmSandbox(std::unique_ptr<vm::Vm> vm, fs::path run_dir, ttrpc::Address address,
            milliseconds launch_offset)
      : vm_(std::move(vm)),
        run_dir_(std::move(run_dir)),
        address_(std::move(address)),
        launch_offset_(launch_offset) {}
  ~VmSandbox() override { (void)stop(milliseconds(0)); }

  const ttrpc::Address& agentAddress() const override { return address_; }
  SandboxTimeline timeline() const override {
    const vm::BootTimeline boot = vm_->timeline();
    return {.vm_started = shifted(boot.qemu_ready, launch_offset_),
            .first_console_line = shifted(boot.first_console_line, launch_offset_),
            .channel_open = shifted(boot.channel_ready, launch_offset_),
            .agent_ready = agent_ready_};
  }
  std::string diagnostics() const override { return vm_->consoleTail(); }
  bool running() override { return vm_->running(); }
  void setReady(milliseconds at) { agent_ready_ = at; }
  Status waitChannel(milliseconds timeout) { return vm_->waitChannelReady(timeout); }

  Status stop(milliseconds grace) override {
    if (!stopped_) {
      stopped_ = true;
      auto down = vm_->shutdown(grace);
      stop_status_ = down ? removeRunDir(run_dir_) : Status(fail(down.error()));
      if (down) {
        COCOON_LOG(kDebug, "sandbox", "VM stopped: {}", down->qemu_status);
      }
    }
    return stop_status_;
  }

 private:
  std::unique_ptr<vm::Vm> vm_;
  fs::path run_dir_;
  ttrpc::Address address_;
  milliseconds launch_offset_;
  std::optional<milliseconds> agent_ready_;
  bool stopped_ = false;
  Status stop_status_ = okStatus();
};

}  // namespace

Result<std::unique_ptr<Sandbox>> startVmSandbox(const config::RuntimeConfig& config,
                                                const SandboxSpec& spec,
                                                const StartContext& context) {
  COCOON_TRY(requireFile(config.hypervisor.kernel, "kernel"));
  COCOON_TRY(requireFile(config.hypervisor.initrd, "initrd"));
  tee::DetectOptions detect = config::detectOptions(config);
  detect.sev_cpuid = tee::readSevCpuid();
  const tee::HostReport report = tee::detectHost(detect);
  COCOON_ASSIGN_OR_RETURN(tee::TeeKind kind, tee::chooseTee(config.tee.kind, report));
  const auto backend = tee::makeTeeBackend(kind, config::teeOptions(config, report));
  tee::LaunchRequest request;
  COCOON_ASSIGN_OR_RETURN(std::optional<SandboxInitData> init_data,
                          sandboxInitData(config, spec, kind));
  if (init_data) {
    request.init_data = init_data->digest;
  }
  request.state_dir = spec.run_dir / "tee";
  COCOON_TRY(createDirectories(request.state_dir));
  COCOON_ASSIGN_OR_RETURN(tee::QemuTeeConfig tee_config, backend->configure(request));
  COCOON_ASSIGN_OR_RETURN(vm::VmConfig vm_config,
                          vmConfig(config, spec, context, std::move(tee_config)));
  if (init_data) {
    vm_config.init_data_block = std::move(init_data->block);
  }
  COCOON_LOG(kInfo, "sandbox", "sandbox {}: starting a {} VM ({}, agent over {})", spec.id,
             teeKindName(kind), config.hypervisor.accel,
             vm::agentChannelName(vm_config.agent_channel));
  const auto launching = std::chrono::steady_clock::now();
  COCOON_ASSIGN_OR_RETURN(std::unique_ptr<vm::Vm> vm, vm::Vm::launch(vm_config));
  COCOON_ASSIGN_OR_RETURN(
      ttrpc::Address address,
      ttrpc::parseAddress(vm->guestCid() != 0
                              ? fmt::format("vsock:{}:{}", vm->guestCid(), vm::kAgentVsockPort)
                              : "unix:" + vm_config.agent_socket.string()));
  auto sandbox = std::make_unique<VmSandbox>(
      std::move(vm), spec.run_dir, address,
      std::chrono::duration_cast<milliseconds>(launching - context.began));
  const auto deadline = context.began + config.timeouts.boot;
  auto left = [&] {
    return std::max(milliseconds(0), std::chrono::duration_cast<milliseconds>(
                                         deadline - std::chrono::steady_clock::now()));
  };
  Status ready = sandbox->waitChannel(left());
  if (ready) {
    ready = waitAgentServing(address, deadline, [&]() -> std::optional<std::string> {
      if (sandbox->running()) {
        return std::nullopt;
      }
      return std::string("QEMU exited");
    });
  }
  if (!ready) {
    const std::string console = sandbox->diagnostics();
    (void)sandbox->stop(milliseconds(0));
    return fail(ready.error().code, "sandbox {}: {}; console:\n{}", spec.id, ready.error().message,
                console);
  }
  sandbox->setReady(
      std::chrono::duration_cast<milliseconds>(std::chrono::steady_clock::now() - context.began));
  return std::unique_ptr<Sandbox>(std::move(sandbox));
}

}  // namespace cocoon::runtime::sandbox::internal
