// SPDX-License-Identifier: Apache-2.0
// `cocoon measure snp|snp-hashes|tdx`: the launch measurements of the VMs the runtime
// starts, so workload owners can register them as reference values.
#include <algorithm>
#include <memory>
#include <optional>
#include <string>

#include "cmd/cocoon/command.h"
#include "common/encoding.h"
#include "crypto/digest.h"
#include "json/json.h"
#include "measure/ovmf.h"
#include "measure/snp.h"
#include "measure/tdx.h"
#include "measure/tdx_rtmr.h"

namespace cocoon::cli {
namespace {

// The direct-boot inputs shared by `snp` and `snp-hashes`.
struct KernelOptions {
  std::string kernel;
  std::string initrd;
  std::optional<std::string> append;
};

void addKernelOptions(CLI::App* cmd, KernelOptions& k) {
  cmd->add_option("--kernel", k.kernel, "Kernel image for measured direct boot (QEMU -kernel)");
  cmd->add_option("--initrd", k.initrd, "Initrd (QEMU -initrd); needs --kernel");
  cmd->add_option("--append", k.append, "Kernel command line (QEMU -append); needs --kernel");
}

struct KernelInputs {
  measure::SevKernelHashes hashes;
  json::Json json;
};

Result<KernelInputs> loadKernelInputs(const KernelOptions& k) {
  if (k.kernel.empty()) {
    return fail(Code::kInvalidArgument, "--initrd and --append need --kernel");
  }
  COCOON_ASSIGN_OR_RETURN(Bytes kernel, readInput(k.kernel));
  Bytes initrd;
  if (!k.initrd.empty()) {
    COCOON_ASSIGN_OR_RETURN(initrd, readInput(k.initrd));
  }
  KernelInputs in;
  in.hashes = measure::hashKernelInputs(kernel, initrd, k.append.value_or(""));
  in.json = {{"kernel", k.kernel},
             {"kernel_sha256", hexEncode(in.hashes.kernel)},
             {"initrd", k.initrd},
             {"initrd_sha256", hexEncode(in.hashes.initrd)},
             {"cmdline", k.append.value_or("")},
             {"cmdline_sha256", hexEncode(in.hashes.cmdline)}};
  return in;
}

void printJson(const json::Json& j) {
  // Paths and command lines may not be UTF-8: replace rather than throw.
  fmt::print("{}\n", j.dump(2, ' ', false, json::Json::error_handler_t::replace));
}

Result<std::uint64_t> parseHex(const std::string& flag, const std::string& text) {
  std::string digits = text.rfind("0x", 0) == 0 ? text.substr(2) : text;
  if (digits.empty() || digits.size() > 16 ||
      digits.find_first_not_of("0123456789abcdefABCDEF") != std::string::npos) {
    return fail(Code::kInvalidArgument, "{}: expected a hex number of up to 16 digits, got \"{}\"",
                flag, text);
  }
  return std::stoull(digits, nullptr, 16);  // cannot throw: validated above
}

void registerSnp(CLI::App& measure, Action& action) {
  struct Options {
    std::string ovmf;
    KernelOptions kernel;
    std::uint32_t vcpus = 0;
    std::string vcpu_type;
    std::string vcpu_sig;
    std::string guest_features = "0x1";
    bool json = false;
  };
  auto opts = std::make_shared<Options>();
  CLI::App* cmd = measure.add_subcommand(
      "snp",
      "Print the SEV-SNP launch digest (the report's MEASUREMENT, 48 bytes hex) of a QEMU/KVM "
      "guest started with this OVMF, vCPUs and, for measured direct boot, kernel/initrd/cmdline "
      "(needs an AmdSev OVMF build)");
  cmd->add_option("--ovmf", opts->ovmf, "OVMF firmware file (QEMU -bios)")->required();
  addKernelOptions(cmd, opts->kernel);
  cmd->add_option("--vcpus", opts->vcpus, "Number of vCPUs (QEMU -smp)")->required();
  auto* type = cmd->add_option("--vcpu-type", opts->vcpu_type,
                               "QEMU -cpu model: EPYC, EPYC-v4, EPYC-Rome, EPYC-Milan, "
                               "EPYC-Genoa, EPYC-Turin (and their -vN)");
  auto* sig = cmd->add_option("--vcpu-sig", opts->vcpu_sig,
                              "CPUID(1).EAX signature in hex, instead of --vcpu-type");
  type->excludes(sig);
  cmd->add_option("--guest-features", opts->guest_features,
                  "VMSA SEV_FEATURES in hex (default 0x1: SNPActive only)")
      ->capture_default_str();
  cmd->add_flag("--json", opts->json, "Print JSON with the measurement and the inputs' hashes");
  cmd->callback([opts, &action] {
    action = [opts]() -> int {
      const Options& o = *opts;
      measure::SnpLaunchConfig config;
      config.vcpus = o.vcpus;
      if (!o.vcpu_type.empty()) {
        auto s = measure::cpuSignatureOf(o.vcpu_type);
        if (!s) {
          return reportError(s.error().addContext("--vcpu-type"));
        }
        config.vcpu_signature = *s;
      } else if (!o.vcpu_sig.empty()) {
        auto s = parseHex("--vcpu-sig", o.vcpu_sig);
        if (!s || *s > 0xffffffff) {
          return reportError(s ? makeError(Code::kInvalidArgument, "--vcpu-sig: over 32 bits")
                               : s.error());
        }
        config.vcpu_signature = static_cast<std::uint32_t>(*s);
      } else {
        return reportError(makeError(Code::kInvalidArgument, "--vcpu-type or --vcpu-sig needed"));
      }
      auto features = parseHex("--guest-features", o.guest_features);
      if (!features) {
        return reportError(features.error());
      }
      config.guest_features = *features;
      json::Json out = json::Json::object();
      if (!o.kernel.kernel.empty() || !o.kernel.initrd.empty() || o.kernel.append) {
        auto inputs = loadKernelInputs(o.kernel);
        if (!inputs) {
          return reportError(inputs.error());
        }
        config.kernel_hashes = inputs->hashes;
        out = inputs->json;
      }
      auto firmware = readInput(o.ovmf);
      if (!firmware) {
        return reportError(firmware.error());
      }
      auto image = measure::parseOvmf(*firmware);
      auto digest = image ? measure::snpLaunchDigest(*image, config)
                          : Result<measure::Sha384>(fail(image.error()));
      if (!digest) {
        return reportError(digest.error().addContext("measuring " + o.ovmf));
      }
      if (!o.json) {
        fmt::print("{}\n", hexEncode(*digest));
        return kExitOk;
      }
      out["measurement"] = hexEncode(*digest);
      out["ovmf"] = o.ovmf;
      out["vcpus"] = o.vcpus;
      out["vcpu_signature"] = fmt::format("{:#010x}", config.vcpu_signature);
      out["guest_features"] = fmt::format("{:#x}", config.guest_features);
      printJson(out);
      return kExitOk;
    };
  });
}

void registerSnpHashes(CLI::App& measure, Action& action) {
  auto opts = std::make_shared<KernelOptions>();
  CLI::App* cmd = measure.add_subcommand(
      "snp-hashes",
      "Print the SEV hash table (hex) QEMU writes into an AmdSev guest for measured direct boot");
  addKernelOptions(cmd, *opts);
  cmd->get_option("--kernel")->required();
  cmd->callback([opts, &action] {
    action = [opts]() -> int {
      auto inputs = loadKernelInputs(*opts);
      if (!inputs) {
        return reportError(inputs.error());
      }
      fmt::print("{}\n", hexEncode(measure::sevHashTable(inputs->hashes)));
      return kExitOk;
    };
  });
}

// RTMR1/RTMR2 of the direct-boot inputs as JSON (hex), or an error naming the input.
Result<json::Json> tdxRtmrsJson(const KernelOptions& k, bool td_shim) {
  if (k.kernel.empty()) {
    return fail(Code::kInvalidArgument, "--initrd, --append and --td-shim need --kernel");
  }
  COCOON_ASSIGN_OR_RETURN(Bytes kernel, readInput(k.kernel));
  Bytes initrd;
  if (!k.initrd.empty()) {
    COCOON_ASSIGN_OR_RETURN(initrd, readInput(k.initrd));
  }
  const std::string cmdline = k.append.value_or("");
  measure::TdxRtmrEvents events;
  if (td_shim) {
    if (!initrd.empty()) {
      return fail(Code::kInvalidArgument, "--td-shim boots a payload without an initrd");
    }
    const Bytes digest = crypto::sha384(kernel);
    measure::Sha384 payload{};
    std::copy(digest.begin(), digest.end(), payload.begin());
    COCOON_ASSIGN_OR_RETURN(events, measure::tdShimEvents(payload, cmdline));
  } else {
    COCOON_ASSIGN_OR_RETURN(events, measure::ovmfDirectBootEvents(kernel, initrd, cmdline));
  }
  return json::Json{{"rtmr1", hexEncode(measure::replayRtmr(events.rtmr1))},
                    {"rtmr2", hexEncode(measure::replayRtmr(events.rtmr2))},
                    {"boot", td_shim ? "td-shim" : "ovmf"},
                    {"kernel", k.kernel},
                    {"initrd", k.initrd},
                    {"cmdline", cmdline}};
}

void registerTdx(CLI::App& measure, Action& action) {
  struct Options {
    std::string tdvf;
    std::string vars;
    std::string order = "single";
    KernelOptions kernel;
    bool td_shim = false;
    bool json = false;
  };
  auto opts = std::make_shared<Options>();
  CLI::App* cmd = measure.add_subcommand(
      "tdx",
      "Print the MRTD (48 bytes hex) of a TDX guest started by QEMU/KVM with this TDVF/OVMF; "
      "with --kernel, print JSON with MRTD, RTMR1 (kernel Authenticode digest and OVMF's boot "
      "actions, or td-shim's separator, payload and command line) and RTMR2 (the EFI stub's "
      "LoadOptions and initrd; zero under td-shim). RTMR0 is not computed: it covers the TD "
      "HOB and ACPI tables that the VMM builds (QEMU version, -m, -smp, devices); take it "
      "from a quote of a booted guest. RTMR3 is left to the guest (runtime measurements)");
  cmd->add_option("--tdvf", opts->tdvf, "TDVF / unified OVMF.fd, or a split OVMF_CODE.fd")
      ->required();
  cmd->add_option("--vars", opts->vars,
                  "OVMF_VARS.fd to put in front of a split OVMF_CODE.fd (only its size matters)");
  cmd->add_option("--page-add-order", opts->order,
                  "single: PAGE.ADD then MR.EXTEND page by page (upstream KVM); two: all "
                  "PAGE.ADDs of a section first (older TDX KVM trees)")
      ->check(CLI::IsMember({"single", "two"}))
      ->capture_default_str();
  addKernelOptions(cmd, opts->kernel);
  cmd->add_flag("--td-shim", opts->td_shim,
                "The firmware is td-shim and --kernel its payload (RTMR1 = separator, SHA-384 "
                "of the payload, SHA-384 of --append zero-padded to 4096 bytes)");
  cmd->add_flag("--json", opts->json, "Print JSON (implied by --kernel)");
  cmd->callback([opts, &action] {
    action = [opts]() -> int {
      const Options& o = *opts;
      Bytes firmware;
      if (!o.vars.empty()) {
        auto vars = readInput(o.vars);
        if (!vars) {
          return reportError(vars.error());
        }
        firmware = std::move(*vars);
      }
      auto code = readInput(o.tdvf);
      if (!code) {
        return reportError(code.error());
      }
      firmware.insert(firmware.end(), code->begin(), code->end());
      const auto order = o.order == "two" ? measure::TdxPageAddOrder::kTwoPass
                                          : measure::TdxPageAddOrder::kSinglePass;
      auto image = measure::parseOvmf(firmware);
      auto mrtd =
          image ? measure::tdxMrtd(*image, order) : Result<measure::Sha384>(fail(image.error()));
      if (!mrtd) {
        return reportError(mrtd.error().addContext("measuring " + o.tdvf));
      }
      const bool direct_boot =
          !o.kernel.kernel.empty() || !o.kernel.initrd.empty() || o.kernel.append || o.td_shim;
      if (!o.json && !direct_boot) {
        fmt::print("{}\n", hexEncode(*mrtd));
        return kExitOk;
      }
      json::Json out = {{"mrtd", hexEncode(*mrtd)},
                        {"tdvf", o.tdvf},
                        {"page_add_order", o.order},
                        {"rtmr1", nullptr},
                        {"rtmr2", nullptr}};
      if (direct_boot) {
        auto rtmrs = tdxRtmrsJson(o.kernel, o.td_shim);
        if (!rtmrs) {
          return reportError(rtmrs.error());
        }
        out.update(*rtmrs);
      }
      out["rtmr_note"] =
          "RTMR0 (TD HOB, ACPI tables) depends on the VMM and is not computed; RTMR3 is the "
          "guest's";
      printJson(out);
      return kExitOk;
    };
  });
}

}  // namespace

void registerMeasureCommands(CLI::App& app, Action& action) {
  CLI::App* measure = app.add_subcommand(
      "measure",
      "Compute launch measurements (SEV-SNP digest, TDX MRTD) to register as reference values. "
      "Exit status: 0 printed, 1 bad input or firmware, 2 usage error");
  measure->require_subcommand(1);
  registerSnp(*measure, action);
  registerSnpHashes(*measure, action);
  registerTdx(*measure, action);
}

}  // namespace cocoon::cli
