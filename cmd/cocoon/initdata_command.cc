// SPDX-License-Identifier: Apache-2.0
// `cocoon initdata build`: the owner's launch configuration (aa.toml, cdh.toml, agent
// policy) as Kata init-data: the pod annotation, the TOML, its digest or the block image.
#include <optional>
#include <string>

#include "agent/policy/agent_policy.h"
#include "cmd/cocoon/command.h"
#include "common/encoding.h"
#include "crypto/digest.h"
#include "runtime/tee/initdata.h"

namespace cocoon::cli {
namespace {

namespace tee = runtime::tee;

struct BuildOptions {
  std::string aa;
  std::string cdh;
  std::string policy;
  std::string algorithm = "sha256";
  bool annotation = false;
  bool toml = false;
  bool digest = false;
  std::string block;
};

Result<std::string> readText(const std::string& path, std::string_view flag) {
  auto bytes = readInput(path);
  if (!bytes) {
    return fail(bytes.error().code, "{} {}: {}", flag, path, bytes.error().message);
  }
  return toString(*bytes);
}

Result<tee::InitDataBundle> build(const BuildOptions& o) {
  tee::InitData init_data;
  auto alg = crypto::parseDigestName(o.algorithm);
  if (!alg || *alg == crypto::DigestAlgorithm::kSha1) {
    return fail(Code::kInvalidArgument,
                "--algorithm: expected sha256, sha384 or sha512, found "
                "\"{}\"",
                o.algorithm);
  }
  init_data.algorithm = *alg;
  if (!o.aa.empty()) {
    COCOON_ASSIGN_OR_RETURN(init_data.data[std::string(tee::kInitDataAaToml)],
                            readText(o.aa, "--aa"));
  }
  if (!o.cdh.empty()) {
    COCOON_ASSIGN_OR_RETURN(init_data.data[std::string(tee::kInitDataCdhToml)],
                            readText(o.cdh, "--cdh"));
  }
  if (!o.policy.empty()) {
    COCOON_ASSIGN_OR_RETURN(std::string policy, readText(o.policy, "--policy"));
    // The guest refuses a policy it cannot compile; say so here, before a VM boots.
    if (auto parsed = agent::policy::parseAgentPolicy(policy); !parsed) {
      return fail(parsed.error().code, "--policy {}: {}", o.policy, parsed.error().message);
    }
    init_data.data[std::string(tee::kInitDataPolicyJson)] = std::move(policy);
  }
  if (init_data.data.empty()) {
    return fail(Code::kInvalidArgument,
                "nothing to put in init-data: give --aa, --cdh or --policy");
  }
  return tee::buildInitData(init_data);
}

}  // namespace

void registerInitDataCommands(CLI::App& app, Action& action) {
  CLI::App* initdata = app.add_subcommand(
      "initdata", "The owner's launch configuration as Kata init-data (docs/initdata.md)");
  initdata->require_subcommand(1);
  auto o = std::make_shared<BuildOptions>();
  CLI::App* cmd = initdata->add_subcommand(
      "build",
      "Build init-data from aa.toml, cdh.toml and an agent policy (JSON, docs/agent-policy.md); "
      "prints the value of the pod annotation " +
          std::string(tee::kInitDataAnnotation) + " unless told otherwise");
  cmd->add_option("--aa", o->aa, "Attestation agent config (aa.toml), - for standard input");
  cmd->add_option("--cdh", o->cdh,
                  "Confidential data hub config (cdh.toml: [kbc] url/kbs_cert, [image] ...)");
  cmd->add_option("--policy", o->policy, "Agent policy (JSON), stored as policy.json");
  cmd->add_option("--algorithm", o->algorithm, "Digest algorithm: sha256, sha384 or sha512")
      ->capture_default_str();
  auto* annotation =
      cmd->add_flag("--annotation", o->annotation, "Print the annotation value (the default)");
  auto* toml = cmd->add_flag("--toml", o->toml, "Print the TOML document instead");
  auto* digest = cmd->add_flag(
      "--digest", o->digest, "Print the digest as <algorithm>:<hex> instead (what the TEE binds)");
  auto* block =
      cmd->add_option("--block", o->block, "Write the block-device image to this file instead");
  annotation->excludes(toml, digest, block);
  toml->excludes(digest, block);
  digest->excludes(block);
  cmd->callback([o, &action] {
    action = [o]() -> int {
      auto built = build(*o);
      if (!built) {
        return reportError(built.error());
      }
      if (o->toml) {
        fmt::print("{}", built->toml);
      } else if (o->digest) {
        fmt::print("{}:{}\n", crypto::digestName(built->digest.algorithm),
                   hexEncode(built->digest.value));
      } else if (!o->block.empty()) {
        if (Status written = writeOutput(o->block, built->block); !written) {
          return reportError(written.error());
        }
      } else {
        fmt::print("{}\n", built->annotation);
      }
      return kExitOk;
    };
  });
}

}  // namespace cocoon::cli
