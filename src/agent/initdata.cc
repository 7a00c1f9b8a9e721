// SPDX-License-Identifier: Apache-2.0
// Finding, checking and applying the owner's init-data in the guest.
#include "agent/initdata.h"

#include <fmt/format.h>

#include <system_error>

#include "common/encoding.h"
#include "common/files.h"
#include "common/log.h"
#include "common/toml.h"
#include "crypto/digest.h"

namespace cocoon::agent {
namespace {

namespace fs = std::filesystem;
namespace tee = runtime::tee;

constexpr std::string_view kKernelParameter = "cocoon.initdata=";
constexpr std::size_t kSysfsFileBytes = 4096;

std::string digestText(const tee::InitDataDigest& digest) {
  return fmt::format("{}:{}", crypto::digestName(digest.algorithm), hexEncode(digest.value));
}

template <class T>
Result<T> prefixed(Result<T> result, std::string_view prefix) {
  if (!result) {
    return fail(result.error().code, "{}{}", prefix, result.error().message);
  }
  return result;
}

// aa.toml's [token_configs.kbs] url and cert, for a document without cdh.toml's [kbc].
Result<AgentKbcConfig> aaKbc(std::string_view text) {
  const std::string file = "init-data aa.toml";
  COCOON_ASSIGN_OR_RETURN(toml::table root, parseToml(text, file, tee::kMaxInitDataTomlBytes));
  COCOON_TRY(rejectUnknownKeys(root, {"token_configs"}, file));
  AgentKbcConfig kbc;
  COCOON_ASSIGN_OR_RETURN(const toml::table* configs, getTable(root, "token_configs"));
  if (configs == nullptr) {
    return kbc;
  }
  COCOON_ASSIGN_OR_RETURN(const toml::table* kbs, getTable(*configs, "kbs"));
  if (kbs == nullptr) {
    return kbc;
  }
  COCOON_TRY(rejectUnknownKeys(*kbs, {"url", "cert"}, file + " [token_configs.kbs]"));
  COCOON_ASSIGN_OR_RETURN(kbc.url, getString(*kbs, "url", ""));
  COCOON_ASSIGN_OR_RETURN(kbc.kbs_cert, getString(*kbs, "cert", ""));
  return kbc;
}

}  // namespace

Result<std::optional<fs::path>> findInitDataDisk(const fs::path& sys_block, const fs::path& dev) {
  std::error_code ec;
  fs::directory_iterator it(sys_block, ec);
  if (ec) {
    return fail(Code::kInternal, "listing {}: {}", sys_block.string(), ec.message());
  }
  for (const fs::directory_entry& entry : it) {
    // sysfs files claim a size of 4096 whatever they hold: the cap must allow that.
    auto serial = readTextFile(entry.path() / "serial", kSysfsFileBytes);
    if (!serial) {
      continue;
    }
    std::string_view text = *serial;
    while (!text.empty() && (text.back() == '\n' || text.back() == ' ' || text.back() == '\0')) {
      text.remove_suffix(1);
    }
    if (text == kInitDataSerial) {
      return std::optional(dev / entry.path().filename());
    }
  }
  return std::optional<fs::path>();
}

Result<GuestInitData> decodeGuestInitData(ByteSpan bytes) {
  GuestInitData out;
  const std::string_view magic = tee::kInitDataMagic;
  if (bytes.size() >= magic.size() &&
      std::string_view(reinterpret_cast<const char*>(bytes.data()), magic.size()) == magic) {
    COCOON_ASSIGN_OR_RETURN(out.toml, prefixed(tee::decodeInitDataBlock(bytes), "block image: "));
  } else {
    out.toml.assign(reinterpret_cast<const char*>(bytes.data()), bytes.size());
  }
  COCOON_ASSIGN_OR_RETURN(out.document, prefixed(tee::parseInitDataToml(out.toml), "TOML: "));
  out.digest = tee::initDataDigest(out.document.algorithm, out.toml);
  return out;
}

Result<std::optional<tee::InitDataDigest>> kernelInitDataDigest(std::string_view cmdline) {
  std::optional<tee::InitDataDigest> found;
  std::size_t at = 0;
  while (at < cmdline.size()) {
    const std::size_t end = std::min(cmdline.find_first_of(" \t\n", at), cmdline.size());
    const std::string_view word = cmdline.substr(at, end - at);
    at = end + 1;
    if (!word.starts_with(kKernelParameter)) {
      continue;
    }
    if (found) {
      return fail(Code::kInvalidArgument, "kernel command line: {} given twice",
                  kKernelParameter.substr(0, kKernelParameter.size() - 1));
    }
    const std::string_view value = word.substr(kKernelParameter.size());
    const std::size_t colon = value.find(':');
    if (colon == std::string_view::npos) {
      return fail(Code::kInvalidArgument,
                  "kernel command line: {}: expected <algorithm>:<hex>, found \"{}\"",
                  kKernelParameter, value.substr(0, 140));
    }
    tee::InitDataDigest digest;
    COCOON_ASSIGN_OR_RETURN(digest.algorithm,
                            prefixed(crypto::parseDigestName(value.substr(0, colon)),
                                     "kernel command line: cocoon.initdata: "));
    COCOON_ASSIGN_OR_RETURN(digest.value, prefixed(hexDecode(value.substr(colon + 1)),
                                                   "kernel command line: cocoon.initdata: "));
    if (digest.value.size() != crypto::digestSize(digest.algorithm)) {
      return fail(Code::kInvalidArgument,
                  "kernel command line: cocoon.initdata: {} bytes of digest, expected {} for {}",
                  digest.value.size(), crypto::digestSize(digest.algorithm),
                  crypto::digestName(digest.algorithm));
    }
    found = std::move(digest);
  }
  return found;
}

Status checkGuestInitData(const GuestInitData& init_data,
                          const std::optional<tee::InitDataDigest>& expected) {
  if (expected && (expected->algorithm != init_data.digest.algorithm ||
                   expected->value != init_data.digest.value)) {
    return fail(Code::kPermissionDenied,
                "init-data digest {} does not match the kernel command line's {}",
                digestText(init_data.digest), digestText(*expected));
  }
  if (init_data.document.data.contains(std::string(tee::kInitDataPolicyRego))) {
    return fail(Code::kPermissionDenied,
                "init-data carries {} (a Rego agent policy, which cocoon does not evaluate); "
                "give the agent policy as {} (docs/agent-policy.md)",
                tee::kInitDataPolicyRego, tee::kInitDataPolicyJson);
  }
  return okStatus();
}

Status applyGuestInitData(const GuestInitData& init_data, AgentConfig& config) {
  const auto& data = init_data.document.data;
  AgentConfig merged = config;
  if (auto aa = data.find(std::string(tee::kInitDataAaToml)); aa != data.end()) {
    COCOON_ASSIGN_OR_RETURN(AgentKbcConfig kbc, aaKbc(aa->second));
    if (!kbc.url.empty()) {
      merged.kbc.url = kbc.url;
      merged.kbc.kbs_cert = kbc.kbs_cert;
      merged.kbc.kbs_cert_file.clear();
    }
  }
  if (auto cdh = data.find(std::string(tee::kInitDataCdhToml)); cdh != data.end()) {
    const std::string file = "init-data cdh.toml";
    COCOON_ASSIGN_OR_RETURN(toml::table root,
                            parseToml(cdh->second, file, tee::kMaxInitDataTomlBytes));
    COCOON_TRY(rejectUnknownKeys(root, {"kbc", "image"}, file));
    COCOON_ASSIGN_OR_RETURN(AgentConfig parsed, parseAgentConfig(cdh->second, file));
    if (root.contains("kbc")) {
      merged.kbc = parsed.kbc;
    }
    if (root.contains("image")) {
      merged.image = parsed.image;
    }
  }
  config = std::move(merged);
  return okStatus();
}

Status bindGuestInitData(const GuestInitData& init_data, const InitDataBinding& binding) {
  bool tpm = binding.tee == "tpm";
  if (binding.tee == "auto") {
    auto found = attest::detectTee(binding.env, /*allow_sample=*/true);
    if (!found) {
      return fail(found.error().code, "detecting the TEE to bind init-data to: {}",
                  found.error().message);
    }
    tpm = found->tee == kbs_protocol::Tee::kTpm;
  }
  if (!tpm) {
    return okStatus();
  }
  if (init_data.document.algorithm != crypto::DigestAlgorithm::kSha256) {
    return fail(Code::kFailedPrecondition,
                "init-data algorithm is {}, but a TPM binds init-data into its SHA-256 PCR 8: "
                "use algorithm = \"sha256\"",
                crypto::digestName(init_data.document.algorithm));
  }
  const std::string where = "binding init-data to the TPM (" + binding.tpm.tcti + "): ";
  COCOON_ASSIGN_OR_RETURN(std::unique_ptr<attest::TpmAttester> tpm_attester,
                          prefixed(attest::createTpmAttester(binding.tpm), where));
  COCOON_TRY(prefixed(tpm_attester->bindInitData(init_data.digest.value), where));
  COCOON_LOG(kInfo, "agent", "init-data {} bound to TPM PCR 8", digestText(init_data.digest));
  return okStatus();
}

InitDataOutcome loadGuestInitData(const InitDataSources& sources, AgentConfig& config) {
  InitDataOutcome out;
  std::optional<tee::InitDataDigest> expected;
  if (!sources.cmdline.empty()) {
    auto cmdline = readTextFile(sources.cmdline, 64 * 1024);
    if (cmdline) {
      auto parsed = kernelInitDataDigest(*cmdline);
      if (!parsed) {
        out.refusal = "init-data: " + parsed.error().message;
        return out;
      }
      expected = std::move(*parsed);
    }
  }
  std::optional<fs::path> where = sources.file;
  if (!where && sources.search_disks) {
    auto disk = findInitDataDisk(sources.sys_block, sources.dev);
    if (!disk) {
      out.refusal = "init-data: " + disk.error().message;
      return out;
    }
    where = std::move(*disk);
  }
  if (!where) {
    if (expected) {
      out.refusal = fmt::format(
          "init-data: the kernel command line binds {} but no init-data disk (serial \"{}\") "
          "is attached",
          digestText(*expected), kInitDataSerial);
    }
    return out;
  }
  const std::string prefix = fmt::format("init-data {}: ", where->string());
  auto bytes = readFile(*where, kMaxInitDataImageBytes);
  if (!bytes) {
    out.refusal = prefix + bytes.error().message;
    return out;
  }
  auto decoded = decodeGuestInitData(*bytes);
  if (!decoded) {
    out.refusal = prefix + decoded.error().message;
    return out;
  }
  if (Status checked = checkGuestInitData(*decoded, expected); !checked) {
    out.refusal = prefix + checked.error().message;
    return out;
  }
  AgentConfig applied = config;
  if (Status status = applyGuestInitData(*decoded, applied); !status) {
    out.refusal = prefix + status.error().message;
    return out;
  }
  applied.kbc.init_data = decoded->toml;
  const auto& data = decoded->document.data;
  if (auto policy = data.find(std::string(tee::kInitDataPolicyJson)); policy != data.end()) {
    auto parsed = policy::parseAgentPolicy(policy->second);
    if (!parsed) {
      out.refusal =
          fmt::format("{}{}: {}", prefix, tee::kInitDataPolicyJson, parsed.error().message);
      return out;
    }
    out.policy.emplace(std::move(*parsed));
  }
  if (sources.binding) {
    InitDataBinding binding = *sources.binding;
    binding.tee = applied.kbc.tee;
    if (Status bound = bindGuestInitData(*decoded, binding); !bound) {
      out.policy.reset();
      out.refusal = prefix + bound.error().message;
      return out;
    }
  }
  config = std::move(applied);
  COCOON_LOG(kInfo, "agent", "init-data {} from {} ({} entries)", digestText(decoded->digest),
             where->string(), data.size());
  out.init_data = std::move(*decoded);
  return out;
}

}  // namespace cocoon::agent
