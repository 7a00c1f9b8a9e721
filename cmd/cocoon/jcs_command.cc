// SPDX-License-Identifier: Apache-2.0
// `cocoon jcs`: RFC 8785 canonical JSON of a document, or its digest (the KBS protocol
// binds TEE evidence to HASH(JCS(...))).
#include <string>

#include "cmd/cocoon/command.h"
#include "common/encoding.h"
#include "crypto/digest.h"
#include "json/json.h"

namespace cocoon::cli {

void registerJcsCommand(CLI::App& app, Action& action) {
  struct Options {
    std::string input = "-";
    std::string hash;
  };
  // Shared by the option bindings and the action, which outlive this function.
  auto opts = std::make_shared<Options>();
  CLI::App* cmd = app.add_subcommand(
      "jcs", "Print the RFC 8785 canonical form of a JSON document, or its hex digest");
  cmd->add_option("file", opts->input, "JSON file, - for standard input")->capture_default_str();
  cmd->add_option("--hash", opts->hash, "Print the digest instead: sha256, sha384 or sha512");
  cmd->callback([opts, &action] {
    action = [opts]() -> int {
      auto input = readInput(opts->input);
      if (!input) {
        return reportError(input.error());
      }
      auto doc = json::parseJson(toString(*input));
      if (!doc) {
        return reportError(doc.error().addContext(opts->input == "-" ? "parsing standard input"
                                                                     : "parsing " + opts->input));
      }
      auto canonical = json::canonicalize(*doc);
      if (!canonical) {
        return reportError(canonical.error());
      }
      if (opts->hash.empty()) {
        fmt::print("{}\n", *canonical);
        return kExitOk;
      }
      auto alg = crypto::parseDigestName(opts->hash);
      if (!alg || *alg == crypto::DigestAlgorithm::kSha1) {
        return reportError(
            makeError(Code::kInvalidArgument, "--hash: expected sha256, sha384 or sha512"));
      }
      fmt::print("{}\n", hexEncode(crypto::digest(*alg, asBytes(*canonical))));
      return kExitOk;
    };
  });
}

}  // namespace cocoon::cli
