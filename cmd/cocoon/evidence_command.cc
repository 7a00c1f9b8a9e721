// SPDX-License-Identifier: Apache-2.0
// `cocoon evidence verify`: offline verification of one piece of TEE evidence with the
// verifiers the KBS uses, printing the claims.
#include <chrono>
#include <cstdio>
#include <memory>
#include <optional>
#include <string>
#include <vector>

#include "cmd/cocoon/command.h"
#include "common/encoding.h"
#include "crypto/x509.h"
#include "http/curl_client.h"
#include "json/json.h"
#include "verify/builtin.h"

namespace cocoon::cli {
namespace {

// The evidence was read and refused by the verifier (the reason is printed).
constexpr int kExitRefused = 5;

// The TEEs this verb knows. `raw_member` names the evidence JSON member that carries a
// raw binary file (base64): a FILE that is not JSON is wrapped into it. Adding a TEE is
// one line here (plus its trust options below, if it has any).
struct TeeEntry {
  std::string_view name;
  kbs_protocol::Tee tee;
  std::string_view raw_member;  // empty: JSON evidence only
};
constexpr TeeEntry kTees[] = {
    {"snp", kbs_protocol::Tee::kSnp, "attestation_report"},
    {"tdx", kbs_protocol::Tee::kTdx, "quote"},
    {"tpm", kbs_protocol::Tee::kTpm, ""},
};

struct Options {
  std::string tee;
  std::string file;
  std::string certs_dir;
  std::string at;
  std::string report_data_hex;
  std::string init_data_hex;
  std::string vcek_file;
  std::string collateral_dir;
  std::string pcs_url;
  std::vector<std::string> ak_files;
  bool kds = false;
  bool allow_debug = false;
};

// RFC 3339 date-time: YYYY-MM-DDTHH:MM:SS[.fraction](Z|+HH:MM|-HH:MM).
Result<std::chrono::system_clock::time_point> parseRfc3339(const std::string& text) {
  int y = 0;
  unsigned mo = 0;
  unsigned d = 0;
  int h = 0;
  int mi = 0;
  int s = 0;
  int used = 0;
  const auto bad = [&text] {
    return fail(Code::kInvalidArgument, "--at: '{}' is not an RFC 3339 date-time", text);
  };
  // NOLINTNEXTLINE(cert-err34-c): every field is range-checked below.
  if (std::sscanf(text.c_str(), "%4d-%2u-%2u%*1[Tt ]%2d:%2d:%2d%n", &y, &mo, &d, &h, &mi, &s,
                  &used) != 6) {
    return bad();
  }
  std::string_view rest = std::string_view(text).substr(static_cast<std::size_t>(used));
  if (!rest.empty() && rest[0] == '.') {
    rest.remove_prefix(1);
    while (!rest.empty() && rest[0] >= '0' && rest[0] <= '9') {
      rest.remove_prefix(1);
    }
  }
  int offset_minutes = 0;
  if (rest == "Z" || rest == "z") {
    offset_minutes = 0;
  } else if (rest.size() == 6 && (rest[0] == '+' || rest[0] == '-') && rest[3] == ':') {
    const auto digit = [&rest](std::size_t i) { return rest[i] - '0'; };
    offset_minutes = (digit(1) * 10 + digit(2)) * 60 + digit(4) * 10 + digit(5);
    if (rest[0] == '-') {
      offset_minutes = -offset_minutes;
    }
  } else {
    return bad();
  }
  const std::chrono::year_month_day date{std::chrono::year{y}, std::chrono::month{mo},
                                         std::chrono::day{d}};
  if (!date.ok() || h > 23 || mi > 59 || s > 60 || h < 0 || mi < 0 || s < 0) {
    return bad();
  }
  return std::chrono::sys_days{date} + std::chrono::hours{h} + std::chrono::minutes{mi} +
         std::chrono::seconds{s} - std::chrono::minutes{offset_minutes};
}

// The evidence JSON of FILE: parsed as JSON when it is, else wrapped as the TEE's raw form.
Result<json::Json> loadEvidence(const TeeEntry& tee, const Bytes& bytes) {
  const bool looks_json = !bytes.empty() && (bytes[0] == '{' || bytes[0] == '[');
  if (looks_json || tee.raw_member.empty()) {
    return json::parseJson(toString(bytes));
  }
  json::Json j = json::Json::object();
  j[std::string(tee.raw_member)] = base64Encode(bytes);
  return j;
}

// Adds the VCEK/VLEK of --vcek to the evidence's cert_chain (type from its subject CN).
Status addEndorsementKey(json::Json& evidence, const std::string& path) {
  COCOON_ASSIGN_OR_RETURN(Bytes bytes, readInput(path));
  auto cert = crypto::Certificate::fromDer(bytes);
  if (!cert) {
    COCOON_ASSIGN_OR_RETURN(cert, crypto::Certificate::fromPem(toString(bytes)));
  }
  const bool vlek = cert->subject().find("CN=SEV-VLEK") != std::string::npos;
  if (!evidence.is_object()) {
    return fail(Code::kInvalidArgument, "--vcek: the evidence is not a JSON object");
  }
  json::Json& chain = evidence["cert_chain"];
  if (!chain.is_array()) {
    chain = json::Json::array();
  }
  chain.push_back({{"cert_type", vlek ? "VLEK" : "VCEK"}, {"data", cert->der()}});
  return okStatus();
}

int run(const Options& o) {
  const TeeEntry* tee = nullptr;
  for (const TeeEntry& t : kTees) {
    if (t.name == o.tee) {
      tee = &t;
    }
  }
  if (tee == nullptr) {
    return reportError(makeError(Code::kInvalidArgument, "--tee: '{}' is not supported", o.tee));
  }
  auto bytes = readInput(o.file);
  if (!bytes) {
    return reportError(bytes.error());
  }
  auto evidence = loadEvidence(*tee, *bytes);
  if (!evidence) {
    return reportError(evidence.error().addContext("reading evidence " + o.file));
  }
  if (!o.vcek_file.empty()) {
    if (auto added = addEndorsementKey(*evidence, o.vcek_file); !added) {
      return reportError(added.error().addContext("--vcek " + o.vcek_file));
    }
  }
  verify::Expectations expected;
  auto report_data = hexDecode(o.report_data_hex);
  if (!report_data) {
    return reportError(report_data.error().addContext("--report-data"));
  }
  expected.report_data = std::move(*report_data);
  if (!o.init_data_hex.empty()) {
    auto init = hexDecode(o.init_data_hex);
    if (!init) {
      return reportError(init.error().addContext("--init-data"));
    }
    expected.init_data_digest = std::move(*init);
  }
  if (!o.at.empty()) {
    auto at = parseRfc3339(o.at);
    if (!at) {
      return reportError(at.error());
    }
    expected.now = *at;
  }

  verify::BuiltinVerifierConfig config;
  for (const std::string& path : o.ak_files) {
    auto ak = loadKey(path);
    if (!ak) {
      return reportError(ak.error().addContext("--ak " + path));
    }
    config.tpm.trusted_aks.push_back(std::move(*ak));
  }
  config.snp.cache_dir = o.certs_dir;
  config.snp.allow_debug = o.allow_debug;
  config.tdx.allow_debug = o.allow_debug;
  if (!o.collateral_dir.empty()) {
    config.tdx.collateral_dir = o.collateral_dir;
  }
  std::unique_ptr<http::HttpClient> kds;
  if (o.kds) {
    auto client = http::makeCurlHttpClient({});
    if (!client) {
      return reportError(client.error());
    }
    kds = std::move(*client);
    config.snp.kds_client = kds.get();
  }
  std::unique_ptr<http::HttpClient> pcs;
  if (!o.pcs_url.empty()) {
    auto client = http::makeCurlHttpClient({});
    if (!client) {
      return reportError(client.error());
    }
    pcs = std::move(*client);
    config.tdx.pcs_client = pcs.get();
    config.tdx.pcs_url = o.pcs_url;
  }
  verify::VerifierRegistry registry;
  if (auto registered = verify::registerBuiltinVerifiers(registry, config); !registered) {
    return reportError(registered.error());
  }
  const verify::Verifier* verifier = registry.find(tee->tee);
  if (verifier == nullptr) {
    return reportError(makeError(Code::kInternal, "no verifier for '{}'", tee->name));
  }
  auto verified = verifier->verify(*evidence, expected);
  if (!verified) {
    std::fprintf(stderr, "cocoon: evidence refused: %s: %s\n",
                 std::string(verify::verifyReasonName(verified.error().reason)).c_str(),
                 verified.error().message.c_str());
    return kExitRefused;
  }
  fmt::print("{}\n", verified->claims.dump(2));
  return kExitOk;
}

}  // namespace

void registerEvidenceCommands(CLI::App& app, Action& action) {
  auto opts = std::make_shared<Options>();
  CLI::App* evidence = app.add_subcommand("evidence", "TEE evidence tools");
  evidence->require_subcommand(1);
  CLI::App* cmd = evidence->add_subcommand(
      "verify",
      "Verify one piece of TEE evidence offline and print its claims as JSON.\n"
      "Exit status: 0 verified, 1 could not run (unreadable file, bad option value),\n"
      "2 usage error, 5 the evidence was refused (the reason is printed on stderr).");
  cmd->add_option("--tee", opts->tee, "TEE of the evidence: snp, tdx or tpm")->required();
  cmd->add_option("file", opts->file,
                  "Evidence: the evidence JSON the attester sends (CoCo's form), or for snp a "
                  "raw report (optionally followed by its certificate table), for tdx a raw "
                  "quote; - for stdin")
      ->required();
  cmd->add_option("--certs", opts->certs_dir,
                  "snp: offline VCEK cache directory (vcek/<hwid>/<tcb>_vcek.der or "
                  "vcek/<hwid>/vcek.der)");
  cmd->add_option("--vcek", opts->vcek_file,
                  "snp: a VCEK or VLEK certificate (DER or PEM) to use with the evidence");
  cmd->add_flag("--kds", opts->kds,
                "snp: fetch a missing VCEK from AMD KDS (network; cached in --certs)");
  cmd->add_option("--ak", opts->ak_files,
                  "tpm: a trusted attestation key (public key PEM or JWK); repeatable");
  cmd->add_flag("--allow-debug", opts->allow_debug, "snp, tdx: accept guests that allow debugging");
  cmd->add_option("--collateral", opts->collateral_dir,
                  "tdx: Intel PCS collateral directory (<fmspc>.tcbinfo.json or tcbInfo.json, "
                  "qeIdentity.json or enclaveIdentity.json, *.crl: the PCK Platform/Processor "
                  "CA CRL from PCS pckcrl and Intel's Root CA CRL IntelSGXRootCA.der, each "
                  "optional, DER or PEM); without it tcb_status is Unknown");
  cmd->add_option("--pcs", opts->pcs_url,
                  "tdx: fetch collateral from Intel PCS or a PCCS at this URL (network; e.g. "
                  "https://api.trustedservices.intel.com; cached in --collateral)");
  cmd->add_option("--at", opts->at,
                  "Judge certificate validity at this RFC 3339 time instead of now");
  cmd->add_option("--report-data", opts->report_data_hex,
                  "Expected report data (hex; zero-padded to the TEE's field). Default: zeros");
  cmd->add_option("--init-data", opts->init_data_hex, "Expected init-data digest (hex)");
  cmd->callback([opts, &action] { action = [opts]() -> int { return run(*opts); }; });
}

}  // namespace cocoon::cli
