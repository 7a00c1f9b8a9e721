// SPDX-License-Identifier: Apache-2.0
// `cocoon secret seal|unseal`: CoCo sealed secrets — a (signed) reference to a KBS resource
// that the guest's confidential data hub resolves after attestation
// (docs/confidential-data-hub.md).
#include <cstdio>
#include <memory>
#include <optional>
#include <string>

#include "attest/cdh/data_hub.h"
#include "attest/cdh/sealed_secret.h"
#include "cmd/cocoon/command.h"
#include "cmd/cocoon/data_hub_cli.h"
#include "crypto/jose/algorithms.h"

namespace cocoon::cli {
namespace {

// `cocoon secret` exits as `cocoon attest` does (kbsClientExit), plus this status
// (docs/confidential-data-hub.md).
constexpr int kExitUnsupported = 7;  // envelope secrets, providers other than kbs

int secretExit(const Error& error) {
  if (error.code == Code::kUnimplemented) {
    reportError(error);
    return kExitUnsupported;
  }
  return kbsClientExit(error);
}

// The first algorithm that fits the key: RS256, ES256/384/512 by curve, EdDSA.
Result<jose::JwsSigner> makeSigner(const std::string& key_file, const std::string& kid) {
  COCOON_ASSIGN_OR_RETURN(crypto::Key key, withContext(loadKey(key_file), "--signing-key"));
  for (jose::JwsAlgorithm alg : jose::allJwsAlgorithms()) {
    if (jose::jwsAlgorithmFitsKey(alg, key.type())) {
      jose::JwsSigner signer{std::move(key), alg};
      if (!kid.empty()) {
        signer.protected_params["kid"] = kid;
      }
      return signer;
    }
  }
  return fail(Code::kInvalidArgument, "--signing-key {}: the key type cannot sign a JWS", key_file);
}

void registerSeal(CLI::App* secret, Action& action) {
  struct Options {
    std::string name;
    std::string signing_key;
    std::string kid;
  };
  auto opts = std::make_shared<Options>();
  CLI::App* cmd = secret->add_subcommand(
      "seal", "Print a sealed secret (sealed.<jws>) referring to a KBS resource");
  cmd->add_option("--name", opts->name, "the KBS resource holding the value, kbs:///repo/type/tag")
      ->required();
  cmd->add_option("--signing-key", opts->signing_key,
                  "private key (PEM or JWK; EC P-256 signs ES256 as CoCo expects); without it "
                  "the secret is unsigned and only opens where no verification key is set");
  cmd->add_option("--kid", opts->kid, "key id put into the JWS header (with --signing-key)");
  cmd->callback([opts, &action] {
    action = [opts]() -> int {
      std::optional<jose::JwsSigner> signer;
      if (!opts->signing_key.empty()) {
        auto made = makeSigner(opts->signing_key, opts->kid);
        if (!made) {
          return secretExit(made.error());
        }
        signer = std::move(*made);
      }
      auto sealed = attest::cdh::sealVaultSecret(opts->name, signer);
      if (!sealed) {
        return secretExit(sealed.error());
      }
      std::fprintf(stdout, "%s\n", sealed->c_str());
      return kExitOk;
    };
  });
}

void registerUnseal(CLI::App* secret, Action& action) {
  struct Options : DataHubFlags {
    std::string sealed;
    std::string out = "-";
  };
  auto opts = std::make_shared<Options>();
  CLI::App* cmd = secret->add_subcommand(
      "unseal", "Attest to the KBS and print the value a sealed secret refers to");
  cmd->add_option("sealed", opts->sealed, "the sealed secret (sealed.<...>), or - for stdin")
      ->required();
  addDataHubOptions(cmd, *opts, true);
  cmd->add_option("--verification-key", opts->verification_key,
                  "public key (PEM or JWK) the sealed secret's JWS must verify with; without "
                  "it the signature is not checked");
  cmd->add_option("-o,--output", opts->out,
                  "new file for the value (mode 0400), in a tmpfs or ramfs directory; - for "
                  "stdout")
      ->capture_default_str();
  cmd->callback([opts, &action] {
    action = [opts]() -> int {
      std::string sealed = opts->sealed;
      if (sealed == "-") {
        auto text = readInput("-");
        if (!text) {
          return secretExit(text.error());
        }
        sealed = toString(*text);
        while (!sealed.empty() && (sealed.back() == '\n' || sealed.back() == '\r')) {
          sealed.pop_back();
        }
      }
      auto hub = makeDataHub(*opts);
      if (!hub) {
        return secretExit(hub.error());
      }
      if (opts->out != "-") {
        auto written = (*hub)->unsealToFile(sealed, opts->out);
        return written ? kExitOk : secretExit(written.error());
      }
      auto value = (*hub)->unsealSecret(sealed);
      if (!value) {
        return secretExit(value.error());
      }
      auto written = writeOutput("-", value->span());
      return written ? kExitOk : secretExit(written.error());
    };
  });
}

}  // namespace

void registerSecretCommands(CLI::App& app, Action& action) {
  CLI::App* secret = app.add_subcommand(
      "secret",
      "Sealed secrets: seal a reference to a KBS resource, unseal it through attestation. Exit "
      "status: 0 ok, 1 failure, 2 usage, 3 KBS unreachable, 4 refused/denied/bad signature, 5 "
      "not found, 6 untrusted or output not on tmpfs, 7 unsupported secret type");
  secret->require_subcommand(1);
  registerSeal(secret, action);
  registerUnseal(secret, action);
}

}  // namespace cocoon::cli
