// SPDX-License-Identifier: Apache-2.0
// `cocoon attest ...`: the guest's attestation agent for debugging inside a guest — the
// evidence of the detected or named TEE, a KBS token, and resources fetched through the
// RCAR handshake (docs/attestation-agent.md).
#include <cstdio>
#include <memory>
#include <string>

#include "attest/attester.h"
#include "attest/kbs_client/kbs_client.h"
#include "cmd/cocoon/command.h"
#include "cmd/cocoon/data_hub_cli.h"
#include "common/encoding.h"
#include "kbs_protocol/resource_uri.h"

namespace cocoon::cli {
namespace {

struct Options {
  std::string tee = "auto";
  bool allow_sample = false;
  std::string tpm_tcti;
  std::string report_data_hex;
  std::string kbs_url;
  std::string kbs_cert;
  bool system_trust = false;
  std::string key_type = "ec";
  std::string init_data;
  std::string uri;
  std::string out = "-";
  int attempts = 4;
  int timeout_seconds = 30;
};

void addTeeOptions(CLI::App* cmd, Options& o) {
  cmd->add_option("--tee", o.tee, "auto, snp, tdx, tpm or sample")
      ->check(CLI::IsMember({"auto", "snp", "tdx", "tpm", "sample"}))
      ->capture_default_str();
  cmd->add_flag("--allow-sample", o.allow_sample,
                "allow the sample TEE, which proves nothing (development only)");
  cmd->add_option("--tpm-tcti", o.tpm_tcti,
                  "tpm2-tss TCTI for the tpm TEE (default device:/dev/tpmrm0), e.g. "
                  "swtpm:host=127.0.0.1,port=2321");
}

void addKbsOptions(CLI::App* cmd, Options& o) {
  cmd->add_option("--kbs", o.kbs_url, "KBS base URL, e.g. https://kbs.example:8080")->required();
  cmd->add_option("--kbs-cert", o.kbs_cert,
                  "PEM file with the KBS's certificate or CA: the only trust anchor for https");
  cmd->add_flag("--insecure-system-trust", o.system_trust,
                "trust the system CA store for an https KBS without --kbs-cert (not in a guest)");
  cmd->add_option("--key", o.key_type,
                  "ephemeral key: ec (P-256, ECDH-ES+A256KW) or rsa "
                  "(RSA-OAEP-256)")
      ->check(CLI::IsMember({"ec", "rsa"}))
      ->capture_default_str();
  cmd->add_option("--init-data", o.init_data, "init-data TOML file to send");
  cmd->add_option("--attempts", o.attempts, "tries per KBS request (transport errors and 5xx)")
      ->check(CLI::Range(1, 20))
      ->capture_default_str();
  cmd->add_option("--timeout", o.timeout_seconds, "seconds per KBS request")
      ->check(CLI::Range(1, 3600))
      ->capture_default_str();
}

Result<std::unique_ptr<attest::Attester>> makeAttester(const Options& o) {
  attest::AttesterConfig config;
  config.tee = o.tee;
  config.allow_sample = o.allow_sample;
  if (!o.tpm_tcti.empty()) {
    config.tpm.tcti = o.tpm_tcti;
  }
  return attest::createAttester(config);
}

// Everything one KBS conversation needs, kept alive together.
struct Session {
  std::unique_ptr<http::HttpClient> http;
  std::unique_ptr<attest::Attester> attester;
  std::unique_ptr<attest::KbsClient> client;
};

Result<Session> attestToKbs(const Options& o) {
  Session s;
  attest::KbsHttpOptions http_options;
  http_options.kbs_cert_file = o.kbs_cert;
  http_options.allow_system_trust = o.system_trust;
  http_options.total_timeout = std::chrono::seconds(o.timeout_seconds);
  COCOON_ASSIGN_OR_RETURN(s.http, attest::makeKbsHttpClient(o.kbs_url, http_options));
  COCOON_ASSIGN_OR_RETURN(s.attester, makeAttester(o));
  COCOON_ASSIGN_OR_RETURN(
      crypto::Key key, attest::generateTeeKey(o.key_type == "rsa" ? attest::TeeKeyType::kRsa2048
                                                                  : attest::TeeKeyType::kEcP256));
  attest::KbsClientOptions client_options;
  client_options.retry.max_attempts = o.attempts;
  if (!o.init_data.empty()) {
    COCOON_ASSIGN_OR_RETURN(Bytes text, readInput(o.init_data));
    client_options.init_data = toString(text);
  }
  s.client =
      std::make_unique<attest::KbsClient>(o.kbs_url, std::move(key), *s.http, client_options);
  COCOON_TRY(s.client->attest(*s.attester));
  return s;
}

Result<std::string> resourcePath(const std::string& uri) {
  COCOON_ASSIGN_OR_RETURN(kbs_protocol::ResourceUri parsed, kbs_protocol::parseResourceUri(uri));
  if (parsed.plugin != kbs_protocol::kDefaultPlugin) {
    return fail(Code::kUnimplemented, "{}: only the resource plugin (kbs:///...) is supported",
                uri);
  }
  std::string path;
  for (const auto& segment : parsed.segments) {
    path += (path.empty() ? "" : "/") + segment;
  }
  return path;
}

}  // namespace

void registerAttestCommands(CLI::App& app, Action& action) {
  CLI::App* attest = app.add_subcommand(
      "attest",
      "Guest attestation agent: TEE evidence, KBS tokens and resources. Exit status: 0 ok, 1 "
      "failure, 2 usage, 3 KBS unreachable, 4 refused/denied, 5 not found, 6 untrusted");
  attest->require_subcommand(1);
  auto opts = std::make_shared<Options>();

  CLI::App* evidence = attest->add_subcommand(
      "evidence", "Print the TEE's evidence JSON over --report-data (up to 64 bytes, hex)");
  addTeeOptions(evidence, *opts);
  evidence->add_option("--report-data", opts->report_data_hex,
                       "hex report data (zero-padded by the TEE; default 64 zero bytes)");
  evidence->callback([opts, &action] {
    action = [opts]() -> int {
      auto report_data = hexDecode(opts->report_data_hex);
      if (!report_data) {
        return kbsClientExit(report_data.error().addContext("--report-data"));
      }
      if (report_data->empty()) {
        report_data->assign(64, 0);
      }
      auto attester = makeAttester(*opts);
      if (!attester) {
        return kbsClientExit(attester.error());
      }
      auto ev = (*attester)->evidence(*report_data);
      if (!ev) {
        return kbsClientExit(ev.error());
      }
      std::fprintf(stdout, "%s\n", ev->dump().c_str());
      return kExitOk;
    };
  });

  CLI::App* token =
      attest->add_subcommand("token", "Attest to the KBS (RCAR) and print the token it issues");
  addTeeOptions(token, *opts);
  addKbsOptions(token, *opts);
  token->callback([opts, &action] {
    action = [opts]() -> int {
      auto session = attestToKbs(*opts);
      if (!session) {
        return kbsClientExit(session.error());
      }
      std::fprintf(stdout, "%s\n", session->client->token().c_str());
      return kExitOk;
    };
  });

  CLI::App* get = attest->add_subcommand(
      "get-resource", "Attest, fetch kbs:///repo/type/tag and write its decrypted bytes");
  addTeeOptions(get, *opts);
  addKbsOptions(get, *opts);
  get->add_option("uri", opts->uri, "resource URI, kbs:///repo/type/tag")->required();
  get->add_option("-o,--output", opts->out, "output file (mode 0600); - for stdout")
      ->capture_default_str();
  get->callback([opts, &action] {
    action = [opts]() -> int {
      auto path = resourcePath(opts->uri);
      if (!path) {
        return kbsClientExit(path.error());
      }
      auto session = attestToKbs(*opts);
      if (!session) {
        return kbsClientExit(session.error());
      }
      auto secret = session->client->getResource(*path);
      if (!secret) {
        return kbsClientExit(secret.error());
      }
      auto written = writeOutput(opts->out, secret->span(), 0600);
      return written ? kExitOk : kbsClientExit(written.error());
    };
  });
}

}  // namespace cocoon::cli
