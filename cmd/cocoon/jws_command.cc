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

struct SignInputs {
  jose::JwsSigner signer;
  Bytes input;
};

Result<SignInputs> loadSignInputs(const SignOptions& opts) {
  COCOON_ASSIGN_OR_RETURN(jose::JwsSigner signer, makeSigner(opts));
  COCOON_ASSIGN_OR_RETURN(Bytes input, readInput(opts.input));
  return SignInputs{std::move(signer), std::move(input)};
}

struct VerifyInputs {
  crypto::Key key;
  std::vector<jose::JwsAlgorithm> allowed;
  std::string token;
};

Result<VerifyInputs> loadVerifyInputs(const VerifyOptions& opts) {
  COCOON_ASSIGN_OR_RETURN(crypto::Key key, loadKey(opts.key));
  COCOON_ASSIGN_OR_RETURN(auto allowed, parseAllowList(opts.algs));
  COCOON_ASSIGN_OR_RETURN(Bytes token, readInput(opts.input));
  return VerifyInputs{std::move(key), std::move(allowed), trimmed(token)};
}

Result<std::string> signJws(const SignOptions& opts) {
  COCOON_ASSIGN_OR_RETURN(SignInputs in, loadSignInputs(opts));
  COCOON_ASSIGN_OR_RETURN(std::string token, jose::signJwsCompact(in.input, in.signer));
  return token + "\n";
}

Result<std::string> verifyJws(const VerifyOptions& opts) {
  COCOON_ASSIGN_OR_RETURN(VerifyInputs in, loadVerifyInputs(opts));
  COCOON_ASSIGN_OR_RETURN(jose::VerifiedJws verified,
                          jose::verifyJwsCompact(in.token, in.key, {in.allowed}));
  return toString(verified.payload);
}

Result<std::string> signJwt(const SignOptions& opts, std::int64_t expires_in) {
  COCOON_ASSIGN_OR_RETURN(SignInputs in, loadSignInputs(opts));
  COCOON_ASSIGN_OR_RETURN(json::Json claims, json::parseJson(toString(in.input)));
  if (!claims.is_object()) {
    return fail(Code::kInvalidArgument, "claims must be a JSON object");
  }
  const auto now = std::chrono::duration_cast<std::chrono::seconds>(
                       std::chrono::system_clock::now().time_since_epoch())
                       .count();
  if (!claims.contains("iat")) {
    claims["iat"] = now;
  }
  if (expires_in > 0 && !claims.contains("exp")) {
    claims["exp"] = now + expires_in;
  }
  COCOON_ASSIGN_OR_RETURN(std::string token, jose::signJwt(claims, in.signer));
  return token + "\n";
}

Result<std::string> verifyJwt(const VerifyOptions& opts) {
  COCOON_ASSIGN_OR_RETURN(VerifyInputs in, loadVerifyInputs(opts));
  jose::JwtVerifyOptions options;
  options.allowed_algorithms = in.allowed;
  if (!opts.issuer.empty()) {
    options.issuer = opts.issuer;
  }
  if (!opts.audience.empty()) {
    options.audience = opts.audience;
  }
  options.leeway_seconds = opts.leeway;
  options.require_exp = !opts.no_exp;
  COCOON_ASSIGN_OR_RETURN(
      jose::VerifiedJwt verified,
      jose::verifyJwt(in.token, in.key, options, std::chrono::system_clock::now()));
  const json::Json out = {{"header", verified.header.params}, {"claims", verified.claims}};
  return json::dumpCompact(out) + "\n";
}

// Writes a command's output to stdout, or reports its error.
int printResult(const Result<std::string>& result) {
  if (!result) {
    return reportError(result.error());
  }
  auto written = writeOutput("-", asBytes(*result));
  return written ? kExitOk : reportError(written.error());
}

}  // namespace

void registerJwsCommands(CLI::App& app, Action& action) {
  CLI::App* jws = app.add_subcommand("jws", "Sign and verify JWS (compact serialization)");
  jws->require_subcommand(1);
  auto sign_opts = std::make_shared<SignOptions>();
  CLI::App* sign = jws->add_subcommand("sign", "Sign a payload; prints the compact JWS");
  addSignOptions(sign, *sign_opts, "Payload file, - for stdin");
  sign->callback(
      [sign_opts, &action] { action = [sign_opts] { return printResult(signJws(*sign_opts)); }; });

  auto verify_opts = std::make_shared<VerifyOptions>();
  CLI::App* verify = jws->add_subcommand("verify", "Verify a compact JWS; prints its payload");
  addVerifyOptions(verify, *verify_opts);
  verify->callback([verify_opts, &action] {
    action = [verify_opts] { return printResult(verifyJws(*verify_opts)); };
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
    action = [sign_opts] { return printResult(signJwt(*sign_opts, sign_opts->expires_in)); };
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
    action = [verify_opts] { return printResult(verifyJwt(*verify_opts)); };
  });
}

}  // namespace cocoon::cli
