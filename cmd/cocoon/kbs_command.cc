// SPDX-License-Identifier: Apache-2.0
// `cocoon kbs ...`: a KBS client for owners and developers — admin changes (signed with
// the admin Ed25519 key), sample attestation, resource fetches, and policy dry runs.
#include <chrono>
#include <cstdio>
#include <string>
#include <vector>

#include "attest/kbs_client/kbs_client.h"
#include "cmd/cocoon/command.h"
#include "common/encoding.h"
#include "crypto/jose/jwt.h"
#include "http/curl_client.h"
#include "kbs/policy/policy.h"
#include "kbs/policy/reference_values.h"

namespace cocoon::cli {
namespace {

struct ConnectOptions {
  std::string url = "http://127.0.0.1:8080";
  std::string ca_bundle;
};

void addConnect(CLI::App* cmd, ConnectOptions& o) {
  cmd->add_option("--url", o.url, "KBS base URL")->capture_default_str();
  cmd->add_option("--ca-bundle", o.ca_bundle, "PEM CA bundle for an https KBS");
}

Result<std::unique_ptr<http::HttpClient>> httpClient(const ConnectOptions& o) {
  http::CurlClientOptions options;
  options.ca_bundle_file = o.ca_bundle;
  options.total_timeout = std::chrono::seconds(60);
  return http::makeCurlHttpClient(options);
}

// An admin JWT valid for five minutes, as trustee's kbs-client makes them.
Result<std::string> adminToken(const std::string& admin_key_path) {
  COCOON_ASSIGN_OR_RETURN(crypto::Key key, loadKey(admin_key_path));
  auto now = std::chrono::duration_cast<std::chrono::seconds>(
                 std::chrono::system_clock::now().time_since_epoch())
                 .count();
  jose::JwsSigner signer{std::move(key), jose::JwsAlgorithm::kEdDsa};
  auto token = jose::signJwt({{"iat", now}, {"exp", now + 300}}, signer);
  if (!token) {
    return fail(Error(token.error()).addContext("signing the admin token"));
  }
  return *token;
}

Status adminPost(const ConnectOptions& o, const std::string& admin_key, const std::string& path,
                 std::string body, std::string content_type) {
  COCOON_ASSIGN_OR_RETURN(auto http, httpClient(o));
  COCOON_ASSIGN_OR_RETURN(std::string token, adminToken(admin_key));
  http::Request request;
  request.method = "POST";
  request.url = o.url + path;
  request.headers = {{"Authorization", "Bearer " + token}, {"Content-Type", content_type}};
  request.body = std::move(body);
  COCOON_ASSIGN_OR_RETURN(http::Response answer, http->send(request, 1 << 20));
  if (answer.status != 200) {
    return fail(attest::kbsAnswerError(answer, path));
  }
  return {};
}

int run(const Status& s) {
  return s ? kExitOk : reportError(s.error());
}

void registerAdmin(CLI::App* kbs, Action& action) {
  struct Options : ConnectOptions {
    std::string admin_key;
    std::string path;
    std::string file;
    std::string kind = "resource";
    std::string id = "default";
    std::string name;
    std::vector<std::string> values;
    bool replace = false;
    std::int64_t expires_in = 0;
  };
  auto opts = std::make_shared<Options>();

  CLI::App* set_resource =
      kbs->add_subcommand("set-resource", "Store a resource (admin): repo/type/tag <- file");
  addConnect(set_resource, *opts);
  set_resource->add_option("--admin-key", opts->admin_key, "Ed25519 admin private key")->required();
  set_resource->add_option("path", opts->path, "repository/type/tag")->required();
  set_resource->add_option("--file", opts->file, "the resource's bytes; - for stdin")->required();
  set_resource->callback([opts, &action] {
    action = [opts]() -> int {
      auto data = readInput(opts->file);
      if (!data) {
        return reportError(data.error());
      }
      return run(adminPost(*opts, opts->admin_key, "/kbs/v0/resource/" + opts->path,
                           toString(*data), "application/octet-stream"));
    };
  });

  CLI::App* set_policy = kbs->add_subcommand(
      "set-policy", "Install an attestation or resource policy (admin; docs/policy.md)");
  addConnect(set_policy, *opts);
  set_policy->add_option("--admin-key", opts->admin_key, "Ed25519 admin private key")->required();
  set_policy->add_option("--kind", opts->kind, "attestation or resource")
      ->check(CLI::IsMember({"attestation", "resource"}))
      ->capture_default_str();
  set_policy->add_option("--id", opts->id, "attestation policy id")->capture_default_str();
  set_policy->add_option("file", opts->file, "policy JSON file")->required();
  set_policy->callback([opts, &action] {
    action = [opts]() -> int {
      auto data = readInput(opts->file);
      if (!data) {
        return reportError(data.error());
      }
      json::Json body = {{"policy", base64UrlEncode(*data)}};
      std::string path = "/kbs/v0/resource-policy";
      if (opts->kind == "attestation") {
        body["type"] = "json";
        body["policy_id"] = opts->id;
        path = "/kbs/v0/attestation-policy";
      }
      return run(adminPost(*opts, opts->admin_key, path, body.dump(), "application/json"));
    };
  });

  CLI::App* set_rv =
      kbs->add_subcommand("set-reference-value", "Register reference values under a name (admin)");
  addConnect(set_rv, *opts);
  set_rv->add_option("--admin-key", opts->admin_key, "Ed25519 admin private key")->required();
  set_rv->add_option("name", opts->name, "reference value name")->required();
  set_rv->add_option("values", opts->values, "values (e.g. hex digests)")->required();
  set_rv->add_flag("--replace", opts->replace, "replace the name's values instead of adding");
  set_rv->add_option("--expires-in", opts->expires_in, "seconds until these values expire");
  set_rv->callback([opts, &action] {
    action = [opts]() -> int {
      json::Json body = {{"values", opts->values}, {"mode", opts->replace ? "replace" : "append"}};
      if (opts->expires_in > 0) {
        body["expires_in"] = opts->expires_in;
      }
      return run(adminPost(*opts, opts->admin_key, "/kbs/v0/reference-value/" + opts->name,
                           body.dump(), "application/json"));
    };
  });
}

void registerGuest(CLI::App* kbs, Action& action) {
  struct Options : ConnectOptions {
    std::string path;
    std::string out = "-";
    std::string init_data;
  };
  auto opts = std::make_shared<Options>();
  auto attestSample = [](const Options& o,
                         std::unique_ptr<http::HttpClient>& http) -> Result<attest::KbsClient> {
    COCOON_ASSIGN_OR_RETURN(http, httpClient(o));
    COCOON_ASSIGN_OR_RETURN(crypto::Key key, crypto::Key::generate(crypto::KeyType::kEcP256));
    attest::KbsClientOptions client_options;
    if (!o.init_data.empty()) {
      COCOON_ASSIGN_OR_RETURN(Bytes text, readInput(o.init_data));
      client_options.init_data = toString(text);
    }
    attest::KbsClient client(o.url, std::move(key), *http, client_options);
    attest::SampleAttester attester;
    COCOON_TRY(client.attest(attester));
    return client;
  };

  CLI::App* attest_cmd = kbs->add_subcommand(
      "attest-sample",
      "Run the RCAR handshake with sample evidence (development KBS only) and print the token");
  addConnect(attest_cmd, *opts);
  attest_cmd->add_option("--init-data", opts->init_data, "init-data TOML file to send");
  attest_cmd->callback([opts, attestSample, &action] {
    action = [opts, attestSample]() -> int {
      std::unique_ptr<http::HttpClient> http;
      auto client = attestSample(*opts, http);
      if (!client) {
        return reportError(client.error());
      }
      std::fprintf(stdout, "%s\n", client->token().c_str());
      return kExitOk;
    };
  });

  CLI::App* get = kbs->add_subcommand(
      "get-resource",
      "Attest with sample evidence, fetch repo/type/tag and decrypt it (development KBS only)");
  addConnect(get, *opts);
  get->add_option("path", opts->path, "repository/type/tag")->required();
  get->add_option("--out", opts->out, "output file; - for stdout")->capture_default_str();
  get->add_option("--init-data", opts->init_data, "init-data TOML file to send");
  get->callback([opts, attestSample, &action] {
    action = [opts, attestSample]() -> int {
      std::unique_ptr<http::HttpClient> http;
      auto client = attestSample(*opts, http);
      if (!client) {
        return reportError(client.error());
      }
      auto secret = client->getResource(opts->path);
      if (!secret) {
        return reportError(secret.error());
      }
      return run(writeOutput(opts->out, secret->span(), 0600));
    };
  });
}

void registerPolicyCheck(CLI::App* kbs, Action& action) {
  struct Options {
    std::string kind = "resource";
    std::string policy;
    std::string input;
    std::string references;
  };
  auto opts = std::make_shared<Options>();
  CLI::App* cmd = kbs->add_subcommand(
      "policy-check", "Dry-run a policy on an input and explain the decision (no KBS needed)");
  cmd->add_option("--kind", opts->kind, "attestation or resource")
      ->check(CLI::IsMember({"attestation", "resource"}))
      ->capture_default_str();
  cmd->add_option("policy", opts->policy, "policy JSON file")->required();
  cmd->add_option("input", opts->input,
                  "input JSON: {tee, claims, ...} (attestation) or {resource_path, token} "
                  "(resource)")
      ->required();
  cmd->add_option("--reference-values", opts->references,
                  "JSON object: name -> array of accepted values");
  cmd->callback([opts, &action] {
    action = [opts]() -> int {
      auto policy_text = readInput(opts->policy);
      auto input_text = readInput(opts->input);
      if (!policy_text || !input_text) {
        return reportError(policy_text ? input_text.error() : policy_text.error());
      }
      auto input = json::parseJson(toString(*input_text));
      if (!input) {
        return reportError(input.error().addContext(opts->input));
      }
      kbs::policy::MapReferenceValues refs;
      if (!opts->references.empty()) {
        auto text = readInput(opts->references);
        auto parsed =
            text ? json::parseJson(toString(*text)) : Result<json::Json>(fail(text.error()));
        if (!parsed || !parsed->is_object()) {
          return reportError(
              parsed ? makeError(Code::kInvalidArgument, "--reference-values: not a JSON object")
                     : parsed.error());
        }
        for (const auto& [name, values] : parsed->items()) {
          refs.set(name, values.is_array() ? values.get<std::vector<json::Json>>()
                                           : std::vector<json::Json>{values});
        }
      }
      kbs::policy::Explanation trace;
      bool allow = false;
      if (opts->kind == "attestation") {
        auto p = kbs::policy::parseAttestationPolicy(toString(*policy_text));
        if (!p) {
          return reportError(p.error().addContext(opts->policy));
        }
        auto d = p->explain(*input, refs, trace);
        allow = d.allow;
        std::fprintf(stdout, "%s\ndecision: %s, status %s, trust vector %s\n",
                     trace.toText().c_str(), d.allow ? "allow" : "deny",
                     std::string(kbs::policy::trustTierName(d.vector.status())).c_str(),
                     d.vector.toJson().dump().c_str());
      } else {
        auto p = kbs::policy::parseResourcePolicy(toString(*policy_text));
        if (!p) {
          return reportError(p.error().addContext(opts->policy));
        }
        auto d = p->explain(*input, refs, trace);
        allow = d.allow;
        std::fprintf(stdout, "%s\ndecision: %s by rule '%s': %s\n", trace.toText().c_str(),
                     d.allow ? "allow" : "deny", d.rule_id.c_str(), d.reason.c_str());
      }
      return allow ? kExitOk : kExitFailure;
    };
  });
}

}  // namespace

void registerKbsCommands(CLI::App& app, Action& action) {
  CLI::App* kbs = app.add_subcommand(
      "kbs", "Talk to a cocoon-kbs / trustee KBS: admin changes, sample attestation, resources");
  kbs->require_subcommand(1);
  registerAdmin(kbs, action);
  registerGuest(kbs, action);
  registerPolicyCheck(kbs, action);
}

}  // namespace cocoon::cli
