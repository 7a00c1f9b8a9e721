// SPDX-License-Identifier: Apache-2.0
// Runtime config parsing, defaults and lookup.
#include "runtime/config/config.h"

#include <arpa/inet.h>
#include <netinet/in.h>

#include <algorithm>
#include <charconv>
#include <initializer_list>
#include <limits>

#include "runtime/tee/tee_kind.h"

namespace cocoon::runtime::config {
namespace {

constexpr std::int64_t kMaxTimeoutSeconds = 86400;

// "config.toml:12: " for the value of `key`, to prefix errors about its content.
std::string where(const toml::table& table, std::string_view key) {
  const toml::node* node = table.get(key);
  if (node == nullptr || !node->source().path) {
    return "";
  }
  return fmt::format("{}:{}: ", *node->source().path, node->source().begin.line);
}

Result<std::string> getChoice(const toml::table& table, std::string_view key,
                              std::string_view default_value,
                              std::initializer_list<std::string_view> allowed) {
  COCOON_ASSIGN_OR_RETURN(std::string value, getString(table, key, default_value));
  if (std::find(allowed.begin(), allowed.end(), value) == allowed.end()) {
    return fail(Code::kInvalidArgument, "{}key \"{}\": \"{}\" is not one of {}", where(table, key),
                key, value, fmt::join(allowed, ", "));
  }
  return value;
}

// A path key: relative paths resolve against base_dir; absent keeps `current`.
Result<std::filesystem::path> getPath(const toml::table& table, std::string_view key,
                                      const std::filesystem::path& current,
                                      const std::filesystem::path& base_dir) {
  COCOON_ASSIGN_OR_RETURN(std::string text, getString(table, key, current.string()));
  if (text.empty() || !table.contains(key)) {
    return std::filesystem::path(text);
  }
  return (base_dir / text).lexically_normal();  // an absolute `text` replaces base_dir
}

template <class T>
Result<T> getNumber(const toml::table& table, std::string_view key, T default_value,
                    std::int64_t min, std::int64_t max) {
  COCOON_ASSIGN_OR_RETURN(std::int64_t v,
                          getInt(table, key, static_cast<std::int64_t>(default_value), min, max));
  return static_cast<T>(v);
}

Result<std::chrono::seconds> getSeconds(const toml::table& table, std::string_view key,
                                        std::chrono::seconds default_value) {
  COCOON_ASSIGN_OR_RETURN(std::int64_t v,
                          getInt(table, key, default_value.count(), 1, kMaxTimeoutSeconds));
  return std::chrono::seconds(v);
}

// The sub-table `key` of `root`, checked for unknown keys; an empty table when absent.
Result<const toml::table*> section(const toml::table& root, std::string_view key,
                                   std::initializer_list<std::string_view> known) {
  static const toml::table kEmpty;
  COCOON_ASSIGN_OR_RETURN(const toml::table* t, getTable(root, key));
  if (t == nullptr) {
    return &kEmpty;
  }
  COCOON_TRY(rejectUnknownKeys(*t, known, fmt::format("[{}]", key)));
  return t;
}

Status parseHypervisor(const toml::table& root, const std::filesystem::path& base,
                       HypervisorConfig& h) {
  COCOON_ASSIGN_OR_RETURN(
      const toml::table* t,
      section(root, "hypervisor",
              {"path", "machine", "accel", "agent_channel", "kernel", "initrd", "kernel_params",
               "firmware", "memory_mib", "vcpus", "vcpu_type"}));
  COCOON_ASSIGN_OR_RETURN(std::string path, getString(*t, "path", h.path.string()));
  if (path.find('/') != std::string::npos) {
    COCOON_ASSIGN_OR_RETURN(h.path, getPath(*t, "path", h.path, base));
  } else {
    h.path = path;
  }
  COCOON_ASSIGN_OR_RETURN(h.machine, getChoice(*t, "machine", h.machine, {"q35", "microvm"}));
  COCOON_ASSIGN_OR_RETURN(h.accel, getChoice(*t, "accel", h.accel, {"auto", "kvm", "tcg"}));
  COCOON_ASSIGN_OR_RETURN(h.agent_channel, getChoice(*t, "agent_channel", h.agent_channel,
                                                     {"auto", "virtio-serial", "vsock"}));
  COCOON_ASSIGN_OR_RETURN(h.kernel, getPath(*t, "kernel", h.kernel, base));
  COCOON_ASSIGN_OR_RETURN(h.initrd, getPath(*t, "initrd", h.initrd, base));
  COCOON_ASSIGN_OR_RETURN(h.kernel_params, getString(*t, "kernel_params", h.kernel_params));
  COCOON_ASSIGN_OR_RETURN(h.firmware, getPath(*t, "firmware", h.firmware, base));
  COCOON_ASSIGN_OR_RETURN(h.memory_mib, getNumber(*t, "memory_mib", h.memory_mib, 64, 1 << 20));
  COCOON_ASSIGN_OR_RETURN(h.vcpus, getNumber(*t, "vcpus", h.vcpus, 1, 255));
  COCOON_ASSIGN_OR_RETURN(h.vcpu_type, getString(*t, "vcpu_type", h.vcpu_type));
  return okStatus();
}

Status parseTee(const toml::table& root, const std::filesystem::path& base, TeeConfig& c) {
  COCOON_ASSIGN_OR_RETURN(
      const toml::table* t,
      section(root, "tee",
              {"kind", "ovmf_amdsev", "tdvf", "ovmf", "swtpm", "swtpm_state_template", "cbitpos",
               "reduced_phys_bits", "snp_policy", "qgs_port"}));
  COCOON_ASSIGN_OR_RETURN(c.kind, getString(*t, "kind", c.kind));
  if (c.kind != "auto" && !tee::parseTeeKind(c.kind)) {
    return fail(Code::kInvalidArgument,
                "{}key \"kind\": \"{}\" is not one of auto, snp, tdx, sev-es, sev, vtpm, none",
                where(*t, "kind"), c.kind);
  }
  COCOON_ASSIGN_OR_RETURN(c.firmware.ovmf_amdsev,
                          getPath(*t, "ovmf_amdsev", c.firmware.ovmf_amdsev, base));
  COCOON_ASSIGN_OR_RETURN(c.firmware.tdvf, getPath(*t, "tdvf", c.firmware.tdvf, base));
  COCOON_ASSIGN_OR_RETURN(c.firmware.ovmf, getPath(*t, "ovmf", c.firmware.ovmf, base));
  COCOON_ASSIGN_OR_RETURN(c.swtpm, getPath(*t, "swtpm", c.swtpm, base));
  COCOON_ASSIGN_OR_RETURN(c.swtpm_state_template,
                          getPath(*t, "swtpm_state_template", c.swtpm_state_template, base));
  if (t->contains("cbitpos")) {
    COCOON_ASSIGN_OR_RETURN(c.cbitpos, getNumber<std::uint32_t>(*t, "cbitpos", 51, 1, 63));
  }
  if (t->contains("reduced_phys_bits")) {
    COCOON_ASSIGN_OR_RETURN(c.reduced_phys_bits,
                            getNumber<std::uint32_t>(*t, "reduced_phys_bits", 1, 0, 63));
  }
  COCOON_ASSIGN_OR_RETURN(c.snp_policy, getNumber(*t, "snp_policy", c.snp_policy, 0,
                                                  std::numeric_limits<std::int64_t>::max()));
  COCOON_ASSIGN_OR_RETURN(c.qgs_port, getNumber(*t, "qgs_port", c.qgs_port, 1, 0xFFFFFFFF));
  return okStatus();
}

Status parseKbsAndPolicy(const toml::table& root, const std::filesystem::path& base,
                         RuntimeConfig& c) {
  COCOON_ASSIGN_OR_RETURN(const toml::table* kbs, section(root, "kbs", {"url", "cert"}));
  COCOON_ASSIGN_OR_RETURN(c.kbs.url, getString(*kbs, "url", c.kbs.url));
  if (!c.kbs.url.empty() && c.kbs.url.rfind("http://", 0) != 0 &&
      c.kbs.url.rfind("https://", 0) != 0) {
    return fail(Code::kInvalidArgument, "{}key \"url\": \"{}\" is not an http:// or https:// URL",
                where(*kbs, "url"), c.kbs.url);
  }
  COCOON_ASSIGN_OR_RETURN(c.kbs.cert, getPath(*kbs, "cert", c.kbs.cert, base));
  if (!c.kbs.cert.empty() && c.kbs.url.empty()) {
    return fail(Code::kInvalidArgument, "{}key \"cert\": [kbs] has a cert but no url",
                where(*kbs, "cert"));
  }
  COCOON_ASSIGN_OR_RETURN(const toml::table* policy, section(root, "policy", {"agent", "image"}));
  COCOON_ASSIGN_OR_RETURN(c.policy.agent, getPath(*policy, "agent", c.policy.agent, base));
  COCOON_ASSIGN_OR_RETURN(c.policy.image, getPath(*policy, "image", c.policy.image, base));
  return okStatus();
}

// "ADDRESS:PORT" of a forward; `side` names it in errors.
Status parseEndpoint(std::string_view text, std::string_view side, std::string_view whole,
                     std::string& address, std::uint16_t& port) {
  const std::size_t colon = text.rfind(':');
  const std::string_view host = colon == std::string_view::npos ? "" : text.substr(0, colon);
  in_addr parsed{};
  if (host.empty() || ::inet_pton(AF_INET, std::string(host).c_str(), &parsed) != 1) {
    return fail(Code::kInvalidArgument,
                "forward \"{}\": the {} side \"{}\" is not IPV4_ADDRESS:PORT", whole, side, text);
  }
  const std::string_view digits = text.substr(colon + 1);
  unsigned value = 0;
  const auto [end, ec] = std::from_chars(digits.data(), digits.data() + digits.size(), value);
  if (digits.empty() || ec != std::errc() || end != digits.data() + digits.size() || value == 0 ||
      value > 65535) {
    return fail(Code::kInvalidArgument, "forward \"{}\": the {} port \"{}\" is not 1..65535", whole,
                side, digits);
  }
  address = std::string(host);
  port = static_cast<std::uint16_t>(value);
  return okStatus();
}

Status parseSandboxAndTimeouts(const toml::table& root, const std::filesystem::path& base,
                               RuntimeConfig& c) {
  COCOON_ASSIGN_OR_RETURN(const toml::table* sandbox,
                          section(root, "sandbox",
                                  {"backend", "scratch_disk_mib", "oci_runtime", "agent_binary",
                                   "agent_config", "permissive_policy", "guest_forwards"}));
  SandboxConfig& s = c.sandbox;
  COCOON_ASSIGN_OR_RETURN(s.backend, getChoice(*sandbox, "backend", s.backend, {"vm", "process"}));
  COCOON_ASSIGN_OR_RETURN(
      s.scratch_disk_mib,
      getNumber(*sandbox, "scratch_disk_mib", s.scratch_disk_mib, 0, std::int64_t{1} << 24));
  COCOON_ASSIGN_OR_RETURN(s.oci_runtime, getPath(*sandbox, "oci_runtime", s.oci_runtime, base));
  COCOON_ASSIGN_OR_RETURN(s.agent_binary, getPath(*sandbox, "agent_binary", s.agent_binary, base));
  COCOON_ASSIGN_OR_RETURN(s.agent_config, getPath(*sandbox, "agent_config", s.agent_config, base));
  COCOON_ASSIGN_OR_RETURN(s.permissive_policy,
                          getBool(*sandbox, "permissive_policy", s.permissive_policy));
  COCOON_ASSIGN_OR_RETURN(std::vector<std::string> forwards,
                          getStringArray(*sandbox, "guest_forwards", {}));
  for (const std::string& text : forwards) {
    auto forward = parseForward(text);
    if (!forward) {
      return fail(Code::kInvalidArgument, "{}key \"guest_forwards\": {}",
                  where(*sandbox, "guest_forwards"), forward.error().message);
    }
    s.guest_forwards.push_back(std::move(*forward));
  }
  COCOON_ASSIGN_OR_RETURN(
      const toml::table* t,
      section(root, "timeouts", {"boot", "create_container", "image_pull", "shutdown"}));
  COCOON_ASSIGN_OR_RETURN(c.timeouts.boot, getSeconds(*t, "boot", c.timeouts.boot));
  COCOON_ASSIGN_OR_RETURN(c.timeouts.create_container,
                          getSeconds(*t, "create_container", c.timeouts.create_container));
  COCOON_ASSIGN_OR_RETURN(c.timeouts.image_pull,
                          getSeconds(*t, "image_pull", c.timeouts.image_pull));
  COCOON_ASSIGN_OR_RETURN(c.timeouts.shutdown, getSeconds(*t, "shutdown", c.timeouts.shutdown));
  return okStatus();
}

}  // namespace

Result<ForwardConfig> parseForward(std::string_view text) {
  const std::size_t eq = text.find('=');
  if (eq == std::string_view::npos) {
    return fail(Code::kInvalidArgument,
                "forward \"{}\" is not GUEST_ADDRESS:PORT=HOST_ADDRESS:PORT (no '=')", text);
  }
  ForwardConfig f;
  COCOON_TRY(parseEndpoint(text.substr(0, eq), "guest", text, f.guest_address, f.guest_port));
  COCOON_TRY(parseEndpoint(text.substr(eq + 1), "host", text, f.host_address, f.host_port));
  return f;
}

RuntimeConfig defaultRuntimeConfig(const std::filesystem::path& base_dir) {
  RuntimeConfig c;
  const std::filesystem::path share = (base_dir / "../../share/cocoon").lexically_normal();
  c.hypervisor.kernel = share / "vmlinux";
  c.hypervisor.initrd = share / "initrd.img";
  return c;
}

Result<RuntimeConfig> parseRuntimeConfig(const toml::table& table,
                                         const std::filesystem::path& base_dir) {
  COCOON_TRY(rejectUnknownKeys(table, {"hypervisor", "tee", "kbs", "policy", "sandbox", "timeouts"},
                               "the top level"));
  RuntimeConfig c = defaultRuntimeConfig(base_dir);
  COCOON_TRY(parseHypervisor(table, base_dir, c.hypervisor));
  COCOON_TRY(parseTee(table, base_dir, c.tee));
  COCOON_TRY(parseKbsAndPolicy(table, base_dir, c));
  COCOON_TRY(parseSandboxAndTimeouts(table, base_dir, c));
  return c;
}

Result<RuntimeConfig> loadRuntimeConfig(const std::filesystem::path& file) {
  COCOON_ASSIGN_OR_RETURN(toml::table table, readTomlFile(file, kMaxConfigBytes));
  const std::filesystem::path base = std::filesystem::absolute(file).parent_path();
  COCOON_ASSIGN_OR_RETURN(RuntimeConfig c, parseRuntimeConfig(table, base));
  c.source = file;
  return c;
}

std::filesystem::path configPath(const char* env_value, const std::filesystem::path& binary_dir) {
  if (env_value != nullptr && *env_value != '\0') {
    return env_value;
  }
  return (binary_dir / kDefaultConfigRelative).lexically_normal();
}

Result<RuntimeConfig> findRuntimeConfig(const char* env_value,
                                        const std::filesystem::path& binary_dir) {
  const std::filesystem::path path = configPath(env_value, binary_dir);
  std::error_code ec;
  const bool from_env = env_value != nullptr && *env_value != '\0';
  if (!from_env && !std::filesystem::exists(path, ec)) {
    return defaultRuntimeConfig(path.parent_path());
  }
  return withContext(loadRuntimeConfig(path),
                     from_env ? fmt::format("{} names {}", kConfigEnv, path.string())
                              : fmt::format("config {}", path.string()));
}

tee::TeeOptions teeOptions(const RuntimeConfig& config, const tee::HostReport& report) {
  tee::TeeOptions o;
  o.firmware = config.tee.firmware;
  o.swtpm = config.tee.swtpm;
  o.swtpm_state_template = config.tee.swtpm_state_template;
  o.sev_cpuid = report.sev_cpuid.value_or(tee::SevCpuid{});
  o.sev_cpuid.cbitpos = config.tee.cbitpos.value_or(o.sev_cpuid.cbitpos);
  o.sev_cpuid.reduced_phys_bits =
      config.tee.reduced_phys_bits.value_or(o.sev_cpuid.reduced_phys_bits);
  o.snp_policy = config.tee.snp_policy;
  o.qgs_vsock_port = config.tee.qgs_port;
  return o;
}

tee::DetectOptions detectOptions(const RuntimeConfig& config, const std::filesystem::path& root) {
  tee::DetectOptions o;
  o.root = root;
  o.firmware = config.tee.firmware;
  o.swtpm = config.tee.swtpm;
  return o;
}

}  // namespace cocoon::runtime::config
