// SPDX-License-Identifier: Apache-2.0
// kbs_bench: RCAR handshakes and resource GETs per second, with p50/p99 latency, against
// an in-process cocoon-kbs on loopback at several client concurrencies, next to the crypto
// floor of the same work measured in the same run; prints the ratios and the goals of
// issue #5, plus a per-stage cost breakdown of the KBS handlers.
#include <CLI/CLI.hpp>
#include <cstdio>
#include <exception>
#include <optional>
#include <thread>

#include "attest/kbs_client/kbs_client.h"
#include "common/encoding.h"
#include "common/files.h"
#include "common/log.h"
#include "crypto/jose/jwt.h"
#include "floor.h"
#include "http/curl_client.h"
#include "kbs/daemon.h"
#include "load.h"
#include "stages.h"
#include "tpm.h"
#ifdef COCOON_BENCH_POSTGRES
#include "support/postgres.h"
#endif

namespace cocoon::kbs::bench {
namespace {

constexpr std::string_view kResourcePath = "bench/key/1";
constexpr double kGoalFloorRatio = 0.70;
constexpr double kGoalP99Ms = 10.0;

struct Flags {
  double seconds = 5;
  std::vector<unsigned> clients{1, 16, 64};
  double floor_seconds = 1;
  double stage_seconds = 0.5;
  std::int64_t server_threads = 0;
  std::vector<std::string> stores{"sqlite"};
  std::size_t resource_bytes = 32;
  bool null_requests = true;
  bool stages = true;
  unsigned tpms = 4;
  unsigned cores = std::max(1u, std::thread::hardware_concurrency());
};

struct StoreRun {
  std::string store;
  std::vector<std::pair<unsigned, LoadResult>> handshakes, gets, nulls, tpm_handshakes;
  std::optional<Stages> stages;
};

std::chrono::milliseconds millis(double seconds) {
  return std::chrono::milliseconds(static_cast<std::int64_t>(seconds * 1000));
}

Status setResource(http::HttpClient& http, const std::string& base_url, const crypto::Key& admin,
                   ByteSpan value) {
  auto now = std::chrono::duration_cast<std::chrono::seconds>(
                 std::chrono::system_clock::now().time_since_epoch())
                 .count();
  COCOON_ASSIGN_OR_RETURN(std::string jwt,
                          jose::signJwt({{"iat", now}, {"exp", now + 300}},
                                        jose::JwsSigner{admin, jose::JwsAlgorithm::kEdDsa}));
  http::Request request;
  request.method = "POST";
  request.url = base_url + "/kbs/v0/resource/" + std::string(kResourcePath);
  request.headers.emplace_back("Authorization", "Bearer " + jwt);
  request.body = toString(value);
  COCOON_ASSIGN_OR_RETURN(http::Response answer, http.send(request, 64 * 1024));
  if (answer.status != 200) {
    return fail(attest::kbsAnswerError(answer, "setting the bench resource"));
  }
  return {};
}

// A token issued by this KBS and the guest key it was issued to (the floor's inputs).
Result<std::pair<std::string, crypto::Key>> earnToken(http::HttpClient& http,
                                                      const std::string& base_url) {
  COCOON_ASSIGN_OR_RETURN(crypto::Key key, crypto::Key::generate(crypto::KeyType::kEcP256));
  attest::KbsClient client(base_url, key, http);
  attest::SampleAttester attester;
  COCOON_ASSIGN_OR_RETURN(std::string token, client.attest(attester));
  return std::pair{std::move(token), std::move(key)};
}

void printLoad(const char* title, const std::vector<std::pair<unsigned, LoadResult>>& rows) {
  std::printf("%s\n  %7s %10s %8s %8s %8s %7s %14s %12s\n", title, "clients", "per sec", "p50 ms",
              "p99 ms", "max ms", "errors", "KBS cpu us/op", "client cpu%");
  for (const auto& [clients, r] : rows) {
    double kbs_us = r.ok ? r.kbs_cpu_seconds * 1e6 / static_cast<double>(r.ok) : 0;
    double client_share = r.client_cpu_seconds / (r.client_cpu_seconds + r.kbs_cpu_seconds + 1e-9);
    std::printf("  %7u %10.0f %8.2f %8.2f %8.2f %7llu %14.0f %11.0f%%\n", clients, r.perSecond(),
                r.p50_us / 1000, r.p99_us / 1000, r.max_us / 1000,
                static_cast<unsigned long long>(r.errors), kbs_us, 100 * client_share);
    if (r.errors > 0) {
      std::printf("          first error: %s\n", r.first_error.c_str());
    }
  }
}

void printCosts(const char* title, const std::vector<Cost>& costs) {
  std::printf("%s\n", title);
  for (const auto& c : costs) {
    std::printf("  %9.1f us  %s\n", c.ns / 1000, c.name.c_str());
  }
  std::printf("  %9.1f us  total -> %.0f per second on one core\n", totalNs(costs) / 1000,
              1e9 / totalNs(costs));
}

// The goal lines: best throughput per core vs the floor, and p99 at the highest load.
void printRatios(const char* what, const std::vector<std::pair<unsigned, LoadResult>>& rows,
                 double floor_ns, unsigned cores) {
  if (rows.empty()) {
    return;
  }
  const auto* best = &rows.front();
  for (const auto& row : rows) {
    if (row.second.perSecond() > best->second.perSecond()) {
      best = &row;
    }
  }
  double floor_rate = 1e9 / floor_ns;
  double per_core = best->second.perSecond() / cores;
  double per_kbs_cpu = best->second.perKbsCpuSecond();
  std::printf("  %s: best %.0f/s at %u clients\n", what, best->second.perSecond(), best->first);
  std::printf(
      "    per core (/%u cores, clients included): %.0f/s vs floor %.0f/s = %.1f%% "
      "(goal >= %.0f%%: %s)\n",
      cores, per_core, floor_rate, 100 * per_core / floor_rate, 100 * kGoalFloorRatio,
      per_core >= kGoalFloorRatio * floor_rate ? "MET" : "NOT MET");
  std::printf(
      "    per KBS CPU-second (client threads' CPU excluded): %.0f/s = %.1f%% of floor "
      "(%s)\n",
      per_kbs_cpu, 100 * per_kbs_cpu / floor_rate,
      per_kbs_cpu >= kGoalFloorRatio * floor_rate ? "MET" : "NOT MET");
  const auto& top = rows.back();
  std::printf("    p99 at %u clients: %.2f ms (goal < %.0f ms: %s)\n", top.first,
              top.second.p99_us / 1000, kGoalP99Ms,
              top.second.p99_us / 1000 < kGoalP99Ms ? "MET" : "NOT MET");
}

// The tpm rows: the load, what caps it (the swtpm quotes), and the ratios vs the floor of
// the handshake plus the KBS-side tpm work.
void printTpm(const Flags& flags, const std::vector<std::pair<unsigned, LoadResult>>& rows,
              const Floor& floor, const TpmFloor& tpm) {
  printLoad(fmt::format("RCAR handshakes, tpm TEE, {} swtpm (client i quotes on swtpm i mod {}; "
                        "latency = auth + quote + attest)",
                        flags.tpms, flags.tpms)
                .c_str(),
            rows);
  std::printf(
      "  quote cap: %u swtpm x 1 quote / %.1f ms = %.0f handshakes/s at most (each swtpm is "
      "serial; swtpm CPU is outside the KBS CPU figure)\n",
      flags.tpms, tpm.quote.ns / 1e6, flags.tpms * 1e9 / tpm.quote.ns);
  std::printf(
      "  whole tpm verifier on one quote: %.1f us (its floor part: %.1f us; AK SPKI parse "
      "with the OpenSSL public-key check: %.1f us)\n",
      tpm.verifier.ns / 1000, totalNs(tpm.kbs) / 1000, tpm.ak_parse.ns / 1000);
  std::vector<Cost> handshake = floor.handshake;
  handshake.insert(handshake.end(), tpm.kbs.begin(), tpm.kbs.end());
  std::printf("Ratios vs the tpm handshake floor (%.1f us)\n", totalNs(handshake) / 1000);
  printRatios("tpm handshakes", rows, totalNs(handshake), flags.cores);
}

// Starts a KBS on `store_name` ("sqlite", or "postgres" on a private PostgreSQL), runs
// the loads (tpm handshakes too when `tpm` has guests), and measures its stages. `token`
// receives a token it issued and its key.
Result<StoreRun> runStore(const Flags& flags, const TempDir& dir, const std::string& store_name,
                          const crypto::Key& admin, http::HttpClient& http, const TpmGuests& tpm,
                          std::optional<std::pair<std::string, crypto::Key>>& token) {
  KbsConfig config;
  config.listen = "127.0.0.1:0";
  config.data_dir = dir.path() / store_name;
  config.admin_public_key = dir.path() / "admin.pem";
  config.allow_sample = true;
  config.threads = flags.server_threads;
  config.tpm.trusted_ak_keys = tpm.ak_pems;
#ifdef COCOON_BENCH_POSTGRES
  std::unique_ptr<test::PostgresServer> postgres;  // outlives the KBS below
  if (store_name == "postgres") {
    COCOON_ASSIGN_OR_RETURN(postgres, test::PostgresServer::start());
    COCOON_ASSIGN_OR_RETURN(config.store, postgres->createDatabase("kbs_bench"));
  }
#endif
  if (store_name != "sqlite" && config.store.empty()) {
    return fail(Code::kInvalidArgument, "store '{}' is not available in this build", store_name);
  }
  COCOON_ASSIGN_OR_RETURN(auto kbs, KbsDaemon::start(config, "kbs_bench"));
  std::string url = "http://127.0.0.1:" + std::to_string(kbs->port());
  COCOON_TRY(setResource(http, url, admin, Bytes(flags.resource_bytes, 0x5a)));

  StoreRun run;
  run.store = store_name;
  auto load = [&](LoadKind kind, std::vector<std::pair<unsigned, LoadResult>>& rows,
                  const std::vector<attest::Attester*>& attesters = {}) {
    for (unsigned clients : flags.clients) {
      std::fprintf(stderr, "%s: %s%s load, %u clients ...\n", store_name.c_str(),
                   attesters.empty() ? "" : "tpm ",
                   kind == LoadKind::kHandshake  ? "handshake"
                   : kind == LoadKind::kResource ? "resource"
                                                 : "null",
                   clients);
      rows.emplace_back(clients, runLoad({kind, url, std::string(kResourcePath), clients,
                                          millis(flags.seconds), attesters}));
    }
  };
  load(LoadKind::kHandshake, run.handshakes);
  if (!tpm.attesters.empty()) {
    load(LoadKind::kHandshake, run.tpm_handshakes, tpm.view());
  }
  load(LoadKind::kResource, run.gets);
  if (flags.null_requests) {
    load(LoadKind::kNull, run.nulls);
  }
  COCOON_ASSIGN_OR_RETURN(auto earned, earnToken(http, url));
  if (flags.stages) {
    std::fprintf(stderr, "%s: stage costs ...\n", store_name.c_str());
    COCOON_ASSIGN_OR_RETURN(
        run.stages, measureStages({storeUrl(config), config.data_dir / "token-signing-key.pem",
                                   earned.second, std::string(kResourcePath)},
                                  millis(flags.stage_seconds)));
  }
  if (!token) {
    token = std::move(earned);
  }
  return run;
}

void printStoreRun(const Flags& flags, const StoreRun& run, const Floor& floor,
                   const std::optional<TpmFloor>& tpm) {
  std::printf(
      "\n== store %s: %u cores shared by the KBS (server threads: %s) and the clients; "
      "%.1f s per level\n",
      run.store.c_str(), flags.cores,
      flags.server_threads > 0 ? std::to_string(flags.server_threads).c_str() : "auto",
      flags.seconds);
  printLoad("RCAR handshakes, sample TEE (fresh P-256 key each; latency = auth + attest)",
            run.handshakes);
  printLoad("Resource GETs with a Bearer token (latency includes the client's JWE decrypt)",
            run.gets);
  if (!run.nulls.empty()) {
    printLoad("HTTP floor: GET of an unrouted path (404), same server and curl clients", run.nulls);
  }
  std::printf("Ratios vs the floor (issue #5 goals)\n");
  printRatios("handshakes", run.handshakes, totalNs(floor.handshake), flags.cores);
  printRatios("resource GETs", run.gets, totalNs(floor.resource), flags.cores);
  if (tpm && !run.tpm_handshakes.empty()) {
    printTpm(flags, run.tpm_handshakes, floor, *tpm);
  }
  if (run.stages) {
    std::printf(
        "Stage costs: each step of the KBS handlers called directly, one thread, "
        "this store (HTTP excluded)\n");
    printCosts(" per handshake:", run.stages->handshake);
    printCosts(" per GET:", run.stages->resource);
  }
}

int benchMain(int argc, char** argv) {
  Flags flags;
  CLI::App app{"kbs_bench: cocoon-kbs RCAR handshakes and resource GETs vs the crypto floor"};
  app.add_option("--seconds", flags.seconds, "seconds per load level")->check(CLI::PositiveNumber);
  app.add_option("--clients", flags.clients, "client thread counts")->delimiter(',');
  app.add_option("--floor-seconds", flags.floor_seconds, "seconds per floor operation")
      ->check(CLI::PositiveNumber);
  app.add_option("--stage-seconds", flags.stage_seconds, "seconds per stage measurement")
      ->check(CLI::PositiveNumber);
  app.add_option("--server-threads", flags.server_threads, "KBS worker threads (0: auto)");
  app.add_option("--stores", flags.stores, "sqlite and/or postgres (needs root)")->delimiter(',');
  app.add_option("--resource-bytes", flags.resource_bytes, "size of the fetched resource");
  app.add_option("--cores", flags.cores, "cores to normalise by (default: all online)");
  app.add_option("--tpms", flags.tpms, "swtpm instances for the tpm TEE rows (0: skip them)");
  app.add_flag("!--no-null", flags.null_requests, "skip the HTTP floor (404) load");
  app.add_flag("!--no-stages", flags.stages, "skip the per-stage breakdown");
  CLI11_PARSE(app, argc, argv);
  // Error level: no access log or per-token development warnings in the timed loops.
  (void)initLogging({LogLevel::kError, LogFormat::kText});

  auto dir = TempDir::create("kbs-bench");
  auto admin = crypto::Key::generate(crypto::KeyType::kEd25519);
  auto http = http::makeCurlHttpClient({});
  if (!dir || !admin || !http) {
    std::fprintf(stderr, "kbs_bench: setup failed\n");
    return 1;
  }
  if (auto w = writeFileAtomic(dir->path() / "admin.pem", asBytes(admin->publicPem())); !w) {
    std::fprintf(stderr, "kbs_bench: %s\n", w.error().toString().c_str());
    return 1;
  }
  // One swtpm per guest (up to --tpms; clients beyond share them), started by the bench.
  TpmGuests tpm;
  if (flags.tpms > 0) {
    auto guests = startTpmGuests(flags.tpms, dir->path());
    if (!guests) {
      std::fprintf(stderr, "kbs_bench: tpm guests: %s\n", guests.error().toString().c_str());
      return 1;
    }
    tpm = std::move(*guests);
  }
  std::optional<std::pair<std::string, crypto::Key>> token;
  std::vector<StoreRun> runs;
  for (const auto& store : flags.stores) {
    auto run = runStore(flags, *dir, store, *admin, **http, tpm, token);
    if (!run) {
      std::fprintf(stderr, "kbs_bench: store %s: %s\n", store.c_str(),
                   run.error().toString().c_str());
      return 1;
    }
    runs.push_back(std::move(*run));
  }
  if (!token) {
    std::fprintf(stderr, "kbs_bench: no store ran\n");
    return 1;
  }
  // The floor runs after the loads, while the machine is otherwise idle.
  std::fprintf(stderr, "floor ...\n");
  auto floor = measureFloor({token->first, token->second, Bytes(flags.resource_bytes, 0x5a)},
                            millis(flags.floor_seconds));
  if (!floor) {
    std::fprintf(stderr, "kbs_bench: floor: %s\n", floor.error().toString().c_str());
    return 1;
  }
  std::optional<TpmFloor> tpm_floor;
  if (!tpm.attesters.empty()) {
    auto measured = measureTpmFloor(*tpm.attesters.front(), millis(flags.floor_seconds));
    if (!measured) {
      std::fprintf(stderr, "kbs_bench: tpm floor: %s\n", measured.error().toString().c_str());
      return 1;
    }
    tpm_floor = std::move(*measured);
  }
  std::printf(
      "Floor: the crypto the KBS cannot avoid, via cocoon crypto/jose (OpenSSL EVP), "
      "one thread, no HTTP/store/policy\n");
  printCosts(" per handshake:", floor->handshake);
  printCosts(" per resource GET:", floor->resource);
  if (tpm_floor) {
    printCosts(" per tpm handshake, on top of the handshake floor (RSA-2048 AK):", tpm_floor->kbs);
  } else {
    std::printf(" tpm: skipped (--tpms 0)\n");
  }
  for (const auto& run : runs) {
    printStoreRun(flags, run, *floor, tpm_floor);
  }
  return 0;
}

}  // namespace
}  // namespace cocoon::kbs::bench

int main(int argc, char** argv) {
  try {
    return cocoon::kbs::bench::benchMain(argc, argv);
  } catch (const std::exception& e) {
    std::fprintf(stderr, "kbs_bench: %s\n", e.what());
    return 1;
  }
}
