// SPDX-License-Identifier: Apache-2.0
// `cocoon jws` and `cocoon jwt`: sign and verify JWS payloads and JWTs (e.g. the
// Ed25519-signed admin tokens of cocoon-kbs), with an explicit algorithm allow-list.
#include <chrono>
#include <string>
#include <vector>

#include "cmd/cocoon/command.h"
#include "crypto/jose/jws.h"
#include "crypto/jose/jwt.h"
#include "json/json.h"

namespace cocoon::cli {
namespace {

// Option storage shared with the actions, which run after registration returns.
struct SignOptions {
  std::string key;
  std::string alg;
  std::string input = "-";
  std::string kid;
  std::string typ;
};

struct VerifyOptions {
  std::string key;
  std::vector<std::string> algs;
  std::string input = "-";
  std::string issuer;
  std::string audience;
  std::int64_t leeway = 0;
  bool no_exp = false;
};

Result<std::vector<jose::JwsAlgorithm>> parseAllowList(const std::vector<std::string>& names) {
  std::vector<jose::JwsAlgorithm> out;
  for (const auto& name : names) {
    auto alg = jose::parseJwsAlgorithm(name);
    if (!alg) {
      return fail(Error(alg.error()).addContext("--alg"));
    }
    out.push_back(*alg);
  }
  return out;
}

Result<jose::JwsSigner> makeSigner(const SignOptions& opts) {
  COCOON_ASSIGN_OR_RETURN(crypto::Key key, loadKey(opts.key));
  auto alg = jose::parseJwsAlgorithm(opts.alg);
  if (!alg) {
    return fail(Error(alg.error()).addContext("--alg"));
  }
  jose::JwsSigner signer{std::move(key), *alg};
  if (!opts.kid.empty()) {
    signer.protected_params["kid"] = opts.kid;
  }
  if (!opts.typ.empty()) {
    signer.protected_params["typ"] = opts.typ;
  }
  return signer;
}

// Token text without the trailing newline that files and shells add.
std::string trimmed(const Bytes& bytes) {
  std::string text = toString(bytes);
  while (!text.empty() && (text.back() == '\n' || text.back() == '\r' || text.back() == ' ')) {
    text.pop_back();
  }
  return text;
}

void addSignOptions(CLI::App* cmd, SignOptions& opts, const char* input_help) {
  cmd->add_option("--key", opts.key, "Private key (PEM or JWK)")->required();
  cmd->add_option("--alg", opts.alg, "RS256, PS256, ES256, ES384, ES512, EdDSA, ...")->required();
  cmd->add_option("--kid", opts.kid, "Key id for the protected header");
  cmd->add_option("--typ", opts.typ, "typ for the protected header");
  cmd->add_option("input", opts.input, input_help)->capture_default_str();
}

void addVerifyOptions(CLI::App* cmd, VerifyOptions& opts) {
  cmd->add_option("--key", opts.key, "Public key (PEM or JWK)")->required();
  cmd->add_option("--alg", opts.algs, "Accepted algorithm (repeatable); none is never accepted")
      ->required()
      ->allow_extra_args(false);
  cmd->add_option("input", opts.input, "Compact token file, - for stdin")->capture_default_str();
}

}  // namespace

void registerJwsCommands(CLI::App& app, Action& action) {
  CLI::App* jws = app.add_subcommand("jws", "Sign and verify JWS (compact serialization)");
  jws->require_subcommand(1);
  auto sign_opts = std::make_shared<SignOptions>();
  CLI::App* sign = jws->add_subcommand("sign", "Sign a payload; prints the compact JWS");
  addSignOptions(sign, *sign_opts, "Payload file, - for stdin");
  sign->callback([sign_opts, &action] {
    action = [sign_opts]() -> int {
      auto signer = makeSigner(*sign_opts);
      if (!signer) {
        return reportError(signer.error());
      }
      auto payload = readInput(sign_opts->input);
      if (!payload) {
        return reportError(payload.error());
      }
      auto token = jose::signJwsCompact(*payload, *signer);
      if (!token) {
        return reportError(token.error());
      }
      fmt::print("{}\n", *token);
      return kExitOk;
    };
  });

  auto verify_opts = std::make_shared<VerifyOptions>();
  CLI::App* verify = jws->add_subcommand("verify", "Verify a compact JWS; prints its payload");
  addVerifyOptions(verify, *verify_opts);
  verify->callback([verify_opts, &action] {
    action = [verify_opts]() -> int {
      auto key = loadKey(verify_opts->key);
      auto allowed = parseAllowList(verify_opts->algs);
      auto token = readInput(verify_opts->input);
      for (const Error* e : {key ? nullptr : &key.error(), allowed ? nullptr : &allowed.error(),
                             token ? nullptr : &token.error()}) {
        if (e != nullptr) {
          return reportError(*e);
        }
      }
      auto verified = jose::verifyJwsCompact(trimmed(*token), *key, {*allowed});
      if (!verified) {
        return reportError(verified.error());
      }
      auto written = writeOutput("-", verified->payload);
      return written ? kExitOk : reportError(written.error());
    };
  });
}

void registerJwtCommands(CLI::App& app, Action& action) {
  CLI::App* jwt = app.add_subcommand("jwt", "Sign and verify JSON Web Tokens");
  jwt->require_subcommand(1);

  struct JwtSignOptions : SignOptions {
    std::int64_t expires_in = 300;
  };
  auto sign_opts = std::make_shared<JwtSignOptions>();
  CLI::App* sign = jwt->add_subcommand(
      "sign", "Sign a JSON object of claims; iat and exp are added unless present");
  addSignOptions(sign, *sign_opts, "Claims JSON file, - for stdin");
  sign->add_option("--expires-in", sign_opts->expires_in, "Seconds until exp (0: no exp)")
      ->capture_default_str();
  sign->callback([sign_opts, &action] {
    action = [sign_opts]() -> int {
      auto signer = makeSigner(*sign_opts);
      if (!signer) {
        return reportError(signer.error());
      }
      auto input = readInput(sign_opts->input);
      if (!input) {
        return reportError(input.error());
      }
      auto claims = json::parseJson(toString(*input));
      if (!claims || !claims->is_object()) {
        return reportError(claims ? makeError(Code::kInvalidArgument, "claims must be an object")
                                  : claims.error());
      }
      const auto now = std::chrono::duration_cast<std::chrono::seconds>(
                           std::chrono::system_clock::now().time_since_epoch())
                           .count();
      if (!claims->contains("iat")) {
        (*claims)["iat"] = now;
      }
      if (sign_opts->expires_in > 0 && !claims->contains("exp")) {
        (*claims)["exp"] = now + sign_opts->expires_in;
      }
      auto token = jose::signJwt(*claims, *signer);
      if (!token) {
        return reportError(token.error());
      }
      fmt::print("{}\n", *token);
      return kExitOk;
    };
  });

  auto verify_opts = std::make_shared<VerifyOptions>();
  CLI::App* verify = jwt->add_subcommand(
      "verify", "Verify a JWT's signature and claims now; prints {header, claims}");
  addVerifyOptions(verify, *verify_opts);
  verify->add_option("--iss", verify_opts->issuer, "Required issuer");
  verify->add_option("--aud", verify_opts->audience, "Required audience");
  verify->add_option("--leeway", verify_opts->leeway, "Clock skew allowed, seconds");
  verify->add_flag("--no-exp", verify_opts->no_exp, "Accept tokens without exp");
  verify->callback([verify_opts, &action] {
    action = [verify_opts]() -> int {
      auto key = loadKey(verify_opts->key);
      auto allowed = parseAllowList(verify_opts->algs);
      auto token = readInput(verify_opts->input);
      for (const Error* e : {key ? nullptr : &key.error(), allowed ? nullptr : &allowed.error(),
                             token ? nullptr : &token.error()}) {
        if (e != nullptr) {
          return reportError(*e);
        }
      }
      jose::JwtVerifyOptions options;
      options.allowed_algorithms = *allowed;
      if (!verify_opts->issuer.empty()) {
        options.issuer = verify_opts->issuer;
      }
      if (!verify_opts->audience.empty()) {
        options.audience = verify_opts->audience;
      }
      options.leeway_seconds = verify_opts->leeway;
      options.require_exp = !verify_opts->no_exp;
      auto verified =
          jose::verifyJwt(trimmed(*token), *key, options, std::chrono::system_clock::now());
      if (!verified) {
        return reportError(verified.error());
      }
      json::Json out = {{"header", verified->header.params}, {"claims", verified->claims}};
      fmt::print("{}\n", json::dumpCompact(out));
      return kExitOk;
    };
  });
}

}  // namespace cocoon::cli
