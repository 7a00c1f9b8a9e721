// SPDX-License-Identifier: Apache-2.0
// `cocoon node info|labels`: what TEEs this node offers the runtime, for operators and as
// Kubernetes node labels that match pods to nodes by RuntimeClass.
//
// Exit statuses: 0 (report printed, whether or not any TEE is usable), 1 (the runtime
// config could not be read), 2 (usage).
#include <cstdlib>
#include <memory>
#include <optional>
#include <string>

#include "cmd/cocoon/command.h"
#include "json/json.h"
#include "runtime/config/config.h"
#include "runtime/tee/backend.h"
#include "runtime/tee/detect.h"
#include "runtime/tee/tee_kind.h"

namespace cocoon::cli {
namespace {

namespace tee = runtime::tee;

struct NodeOptions {
  std::string root = "/";
  std::string config;
  bool json = false;
};

void addNodeOptions(CLI::App* cmd, NodeOptions& o) {
  cmd->add_option("--root", o.root,
                  "Inspect the host tree under DIR instead of / (a captured sysfs/procfs/dev "
                  "tree)")
      ->capture_default_str();
  cmd->add_option("--config", o.config,
                  "Runtime config file (default: $COCOON_CONFIG, else "
                  "<binary dir>/../etc/cocoon/config.toml, else built-in defaults)");
  cmd->add_flag("--json", o.json, "Print JSON");
}

struct NodeState {
  runtime::config::RuntimeConfig config;
  tee::HostReport report;
};

Result<NodeState> inspect(const NodeOptions& o) {
  NodeState s;
  if (!o.config.empty()) {
    COCOON_ASSIGN_OR_RETURN(s.config, runtime::config::loadRuntimeConfig(o.config));
  } else {
    std::error_code ec;
    const auto exe = std::filesystem::read_symlink("/proc/self/exe", ec);
    COCOON_ASSIGN_OR_RETURN(s.config,
                            runtime::config::findRuntimeConfig(
                                std::getenv(runtime::config::kConfigEnv.data()),
                                ec ? std::filesystem::current_path() : exe.parent_path()));
  }
  tee::DetectOptions detect = runtime::config::detectOptions(s.config, o.root);
  if (std::filesystem::path(o.root) == "/") {
    detect.sev_cpuid = tee::readSevCpuid();  // only this CPU's CPUID describes this host
  }
  s.report = tee::detectHost(detect);
  return s;
}

json::Json reportJson(const NodeState& s) {
  json::Json tees = json::Json::array();
  for (const tee::TeeSupport& support : s.report.tees) {
    json::Json checks = json::Json::array();
    for (const tee::Check& c : support.checks) {
      checks.push_back({{"what", c.what}, {"ok", c.ok}});
    }
    tees.push_back({{"kind", tee::teeKindName(support.kind)},
                    {"usable", support.usable},
                    {"checks", std::move(checks)}});
  }
  json::Json labels = json::Json::object();
  for (const auto& [key, value] : tee::nodeLabels(s.report)) {
    labels[key] = value;
  }
  const auto chosen = tee::chooseTee(s.config.tee.kind, s.report);
  json::Json out = {{"config", s.config.source.empty() ? "" : s.config.source.string()},
                    {"kvm", s.report.kvm},
                    {"cpu_vendor", s.report.cpu_vendor},
                    {"tee_configured", s.config.tee.kind},
                    {"tee_selected", chosen ? json::Json(tee::teeKindName(*chosen)) : json::Json()},
                    {"tees", std::move(tees)},
                    {"labels", std::move(labels)}};
  if (!chosen) {
    out["tee_error"] = chosen.error().message;
  }
  if (s.report.sev_cpuid) {
    out["sev_cpuid"] = {{"cbitpos", s.report.sev_cpuid->cbitpos},
                        {"reduced_phys_bits", s.report.sev_cpuid->reduced_phys_bits}};
  }
  return out;
}

void printText(const NodeState& s) {
  fmt::print("config: {}\n",
             s.config.source.empty() ? "built-in defaults" : s.config.source.string());
  fmt::print("kvm: {}\n", s.report.kvm ? "usable" : "not usable");
  fmt::print("cpu vendor: {}\n", s.report.cpu_vendor.empty() ? "unknown" : s.report.cpu_vendor);
  if (s.report.sev_cpuid) {
    fmt::print("sev cpuid: cbitpos={} reduced-phys-bits={}\n", s.report.sev_cpuid->cbitpos,
               s.report.sev_cpuid->reduced_phys_bits);
  }
  const auto chosen = tee::chooseTee(s.config.tee.kind, s.report);
  fmt::print("tee \"{}\": {}\n", s.config.tee.kind,
             chosen ? std::string(tee::teeKindName(*chosen)) : chosen.error().message);
  for (const tee::TeeSupport& support : s.report.tees) {
    fmt::print("\n{}: {}\n", tee::teeKindName(support.kind),
               support.usable ? "usable" : "not usable");
    for (const tee::Check& c : support.checks) {
      fmt::print("  [{}] {}\n", c.ok ? "ok" : "--", c.what);
    }
  }
}

void registerInfo(CLI::App& node, Action& action) {
  auto opts = std::make_shared<NodeOptions>();
  CLI::App* cmd = node.add_subcommand(
      "info",
      "Show which TEEs (snp, tdx, sev-es, sev, vtpm, none) this node can run sandboxes in, "
      "with every check that decided it, and the TEE the configured tee kind selects");
  addNodeOptions(cmd, *opts);
  cmd->callback([opts, &action] {
    action = [opts]() -> int {
      auto state = inspect(*opts);
      if (!state) {
        return reportError(state.error());
      }
      if (opts->json) {
        fmt::print("{}\n", reportJson(*state).dump(2));
      } else {
        printText(*state);
      }
      return kExitOk;
    };
  });
}

void registerLabels(CLI::App& node, Action& action) {
  auto opts = std::make_shared<NodeOptions>();
  CLI::App* cmd = node.add_subcommand(
      "labels",
      "Print Kubernetes node labels (cocoon.io/tee.<kind>=true|false, cocoon.io/kvm), one "
      "key=value a line, e.g. for: kubectl label node NAME $(cocoon node labels)");
  addNodeOptions(cmd, *opts);
  cmd->callback([opts, &action] {
    action = [opts]() -> int {
      auto state = inspect(*opts);
      if (!state) {
        return reportError(state.error());
      }
      const auto labels = tee::nodeLabels(state->report);
      if (opts->json) {
        json::Json out = json::Json::object();
        for (const auto& [key, value] : labels) {
          out[key] = value;
        }
        fmt::print("{}\n", out.dump(2));
        return kExitOk;
      }
      for (const auto& [key, value] : labels) {
        fmt::print("{}={}\n", key, value);
      }
      return kExitOk;
    };
  });
}

}  // namespace

void registerNodeCommands(CLI::App& app, Action& action) {
  CLI::App* node =
      app.add_subcommand("node", "What this node offers confidential sandboxes (TEE detection)");
  node->require_subcommand(1);
  registerInfo(*node, action);
  registerLabels(*node, action);
}

}  // namespace cocoon::cli
