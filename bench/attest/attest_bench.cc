// SPDX-License-Identifier: Apache-2.0
// attest_bench: a guest's time to its first resource (RCAR handshake + resource fetch) on
// loopback against an in-process cocoon-kbs, for the sample and tpm (swtpm) TEEs, split
// into client time and KBS time (the HTTP round trips as the client sees them); next to the
// floor measured in the same run — two loopback HTTP round trips to a server that answers at
// once, plus the JWE decryption of the resource — and, with --cli, the whole
// `cocoon attest get-resource` process from exec to exit.
#include <netinet/in.h>
#include <sys/socket.h>

#include <CLI/CLI.hpp>
#include <algorithm>
#include <atomic>
#include <chrono>
#include <cstdio>
#include <thread>

#include "attest/attester.h"
#include "attest/kbs_client/kbs_client.h"
#include "attest/swtpm.h"
#include "common/files.h"
#include "common/log.h"
#include "common/subprocess.h"
#include "common/unique_fd.h"
#include "crypto/jose/jwt.h"
#include "crypto/jose/kbs_jwe.h"
#include "kbs/daemon.h"

namespace cocoon::attest::bench {
namespace {

using Clock = std::chrono::steady_clock;
using Ms = std::chrono::duration<double, std::milli>;

// Adds up the time spent inside send(): the KBS's share as the client sees it.
class TimedHttpClient : public http::HttpClient {
 public:
  explicit TimedHttpClient(http::HttpClient& inner) : inner_(inner) {}
  Result<http::Response> send(const http::Request& r, std::size_t max) override {
    const auto t0 = Clock::now();
    auto out = inner_.send(r, max);
    wire_ += Clock::now() - t0;
    return out;
  }
  Result<http::Response> stream(const http::Request& r, const http::HeadCallback& h,
                                const http::ChunkCallback& c) override {
    return inner_.stream(r, h, c);
  }
  Clock::duration wire_{};

 private:
  http::HttpClient& inner_;
};

// The floor's peer: HTTP/1.1 keep-alive on loopback answering every request at once.
class InstantServer {
 public:
  InstantServer() {
    fd_.reset(::socket(AF_INET, SOCK_STREAM | SOCK_CLOEXEC, 0));
    sockaddr_in a{};
    a.sin_family = AF_INET;
    a.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
    socklen_t len = sizeof(a);
    (void)::bind(fd_.get(), reinterpret_cast<sockaddr*>(&a), len);
    (void)::listen(fd_.get(), 8);
    ::getsockname(fd_.get(), reinterpret_cast<sockaddr*>(&a), &len);
    port_ = ntohs(a.sin_port);
    thread_ = std::thread([this] { serve(); });
  }
  ~InstantServer() {
    ::shutdown(fd_.get(), SHUT_RDWR);
    thread_.join();
  }
  std::string url() const { return "http://127.0.0.1:" + std::to_string(port_); }

 private:
  void serve() {
    for (;;) {
      UniqueFd c(::accept4(fd_.get(), nullptr, nullptr, SOCK_CLOEXEC));
      if (!c.valid()) {
        return;
      }
      std::string in;
      char buf[8192];
      for (;;) {
        const auto end = in.find("\r\n\r\n");
        if (end != std::string::npos) {
          std::size_t body = 0;
          if (auto cl = in.find("Content-Length: "); cl != std::string::npos && cl < end) {
            body = std::stoul(in.substr(cl + 16));
          }
          if (in.size() >= end + 4 + body) {
            in.erase(0, end + 4 + body);
            static const std::string kAnswer = "HTTP/1.1 200 OK\r\nContent-Length: 2\r\n\r\n{}";
            (void)::send(c.get(), kAnswer.data(), kAnswer.size(), MSG_NOSIGNAL);
            continue;
          }
        }
        const ssize_t n = ::recv(c.get(), buf, sizeof(buf), 0);
        if (n <= 0) {
          break;
        }
        in.append(buf, static_cast<std::size_t>(n));
      }
    }
  }
  UniqueFd fd_;
  int port_ = 0;
  std::thread thread_;
};

struct Sample {
  double total_ms, client_ms, kbs_ms, setup_ms;  // setup: attester creation (TPM: the AK)
};

double median(std::vector<double> v) {
  std::sort(v.begin(), v.end());
  return v.empty() ? 0 : v[v.size() / 2];
}

Status adminPost(http::HttpClient& http, const std::string& url, const crypto::Key& admin,
                 std::string body) {
  const auto now = std::chrono::duration_cast<std::chrono::seconds>(
                       std::chrono::system_clock::now().time_since_epoch())
                       .count();
  COCOON_ASSIGN_OR_RETURN(std::string jwt,
                          jose::signJwt({{"iat", now}, {"exp", now + 300}},
                                        jose::JwsSigner{admin, jose::JwsAlgorithm::kEdDsa}));
  http::Request r;
  r.method = "POST";
  r.url = url;
  r.headers = {{"Authorization", "Bearer " + jwt}};
  r.body = std::move(body);
  COCOON_ASSIGN_OR_RETURN(http::Response answer, http.send(r, 1 << 20));
  if (answer.status != 200) {
    return fail(kbsAnswerError(answer, url));
  }
  return okStatus();
}

// One cold guest: a fresh attester (the TPM AK is derived again), key, HTTP client and
// session, up to the resource's plaintext.
Result<Sample> firstResource(const std::string& base, const AttesterConfig& tee) {
  const auto t0 = Clock::now();
  COCOON_ASSIGN_OR_RETURN(auto attester, createAttester(tee));
  const double setup = Ms(Clock::now() - t0).count();
  COCOON_ASSIGN_OR_RETURN(auto http, makeKbsHttpClient(base, {}));
  TimedHttpClient timed(*http);
  COCOON_ASSIGN_OR_RETURN(crypto::Key key, generateTeeKey(TeeKeyType::kEcP256));
  KbsClient client(base, std::move(key), timed);
  COCOON_TRY(client.attest(*attester));
  COCOON_ASSIGN_OR_RETURN(SecretBytes secret, client.getResource("bench/key/1"));
  const double total = Ms(Clock::now() - t0).count();
  const double kbs = Ms(timed.wire_).count();
  return Sample{total, total - kbs, kbs, setup};
}

// Two loopback round trips (a POST the size of an Attestation, a GET) + one JWE decrypt.
Result<double> floorMs(const Bytes& resource) {
  InstantServer peer;
  COCOON_ASSIGN_OR_RETURN(auto http, makeKbsHttpClient(peer.url(), {}));
  COCOON_ASSIGN_OR_RETURN(crypto::Key key, generateTeeKey(TeeKeyType::kEcP256));
  COCOON_ASSIGN_OR_RETURN(crypto::Key pub, crypto::Key::fromPublicDer(key.publicDer()));
  COCOON_ASSIGN_OR_RETURN(std::string jwe, jose::encryptForKbsResponse(pub, resource));
  std::vector<double> runs;
  for (int i = 0; i < 200; ++i) {
    const auto t0 = Clock::now();
    http::Request post;
    post.method = "POST";
    post.url = peer.url() + "/kbs/v0/attest";
    post.body = std::string(1500, 'x');
    COCOON_TRY(http->send(post, 1 << 20));
    http::Request get;
    get.url = peer.url() + "/kbs/v0/resource/bench/key/1";
    COCOON_TRY(http->send(get, 1 << 20));
    COCOON_TRY(jose::decryptKbsResponse(key, jwe));
    runs.push_back(Ms(Clock::now() - t0).count());
  }
  return median(runs);
}

Result<double> cliMs(const std::string& cli, const std::vector<std::string>& args) {
  std::vector<double> runs;
  for (int i = 0; i < 10; ++i) {
    SubprocessOptions o;
    o.argv = {cli};
    o.argv.insert(o.argv.end(), args.begin(), args.end());
    const auto t0 = Clock::now();
    COCOON_ASSIGN_OR_RETURN(SubprocessResult r, runSubprocess(o));
    runs.push_back(Ms(Clock::now() - t0).count());
    if (r.exit_code != 0) {
      return fail(Code::kInternal, "{} exited {}: {}", cli, r.exit_code, r.stderr_data);
    }
  }
  return median(runs);
}

int run(int runs, const std::string& cli) {
  auto dir = TempDir::create("attest-bench");
  auto admin = crypto::Key::generate(crypto::KeyType::kEd25519);
  auto tpm = test::Swtpm::start();
  if (!dir || !admin) {
    std::fprintf(stderr, "attest_bench: setup failed\n");
    return 1;
  }
  (void)writeFileAtomic(dir->path() / "admin.pem", asBytes(admin->publicPem()));
  AttesterConfig tpm_tee;
  tpm_tee.tee = "tpm";
  kbs::KbsConfig config;
  config.listen = "127.0.0.1:0";
  config.data_dir = dir->path() / "kbs";
  config.admin_public_key = dir->path() / "admin.pem";
  config.allow_sample = true;
  if (tpm) {
    tpm_tee.tpm.tcti = (*tpm)->tcti();
    auto a = createTpmAttester(tpm_tee.tpm);
    auto ak =
        a ? crypto::Key::fromPublicDer((*a)->akPublicDer()) : Result<crypto::Key>(fail(a.error()));
    if (ak) {
      (void)writeFileAtomic(dir->path() / "ak.pem", asBytes(ak->publicPem()));
      config.tpm.trusted_ak_keys = {dir->path() / "ak.pem"};
    }
  } else {
    std::fprintf(stderr, "attest_bench: no swtpm (%s); tpm rows skipped\n",
                 tpm.error().toString().c_str());
  }
  auto kbs = kbs::KbsDaemon::start(config);
  if (!kbs) {
    std::fprintf(stderr, "attest_bench: %s\n", kbs.error().toString().c_str());
    return 1;
  }
  const std::string base = "http://127.0.0.1:" + std::to_string((*kbs)->port());
  auto http = makeKbsHttpClient(base, {});
  const Bytes resource(32, 0x42);
  if (auto s = adminPost(**http, base + "/kbs/v0/resource/bench/key/1", *admin, toString(resource));
      !s) {
    std::fprintf(stderr, "attest_bench: %s\n", s.error().toString().c_str());
    return 1;
  }
  auto floor = floorMs(resource);
  if (!floor) {
    std::fprintf(stderr, "attest_bench: floor: %s\n", floor.error().toString().c_str());
    return 1;
  }
  std::printf("floor (2 loopback HTTP round trips + JWE decrypt): %.3f ms\n", *floor);
  std::printf("%-7s %10s %10s %12s %10s %8s %12s\n", "tee", "total ms", "client ms", "(setup ms)",
              "kbs ms", "x floor", "cli proc ms");
  AttesterConfig sample_tee;
  sample_tee.tee = "sample";
  sample_tee.allow_sample = true;
  for (const auto* tee : {&sample_tee, &tpm_tee}) {
    if (tee == &tpm_tee && (!tpm || config.tpm.trusted_ak_keys.empty())) {
      continue;
    }
    std::vector<double> total, client, server, setup;
    for (int i = 0; i < runs; ++i) {
      auto s = firstResource(base, *tee);
      if (!s) {
        std::fprintf(stderr, "attest_bench: %s: %s\n", tee->tee.c_str(),
                     s.error().toString().c_str());
        return 1;
      }
      total.push_back(s->total_ms);
      client.push_back(s->client_ms);
      server.push_back(s->kbs_ms);
      setup.push_back(s->setup_ms);
    }
    double process = 0;
    if (!cli.empty()) {
      std::vector<std::string> args = {"attest", "get-resource", "kbs:///bench/key/1",
                                       "--kbs",  base,           "--tee",
                                       tee->tee, "-o",           (dir->path() / "out").string()};
      if (tee == &sample_tee) {
        args.push_back("--allow-sample");
      } else {
        args.insert(args.end(), {"--tpm-tcti", tee->tpm.tcti});
      }
      auto p = cliMs(cli, args);
      if (!p) {
        std::fprintf(stderr, "attest_bench: cli: %s\n", p.error().toString().c_str());
        return 1;
      }
      process = *p;
    }
    std::printf("%-7s %10.3f %10.3f %12.3f %10.3f %8.1f %12.1f\n", tee->tee.c_str(), median(total),
                median(client), median(setup), median(server), median(total) / *floor, process);
  }
  return 0;
}

}  // namespace
}  // namespace cocoon::attest::bench

int main(int argc, char** argv) {
  CLI::App app{"attest_bench: a guest's time to its first KBS resource, vs the loopback floor"};
  int runs = 50;
  std::string cli;
  app.add_option("--runs", runs, "cold guests per TEE (medians are printed)")
      ->capture_default_str();
  app.add_option("--cli", cli, "path of the cocoon binary: also time whole CLI processes");
  CLI11_PARSE(app, argc, argv);
  try {
    (void)cocoon::initLogging(*cocoon::resolveLogOptions(std::string("warn"), std::nullopt));
    return cocoon::attest::bench::run(runs, cli);
  } catch (const std::exception& e) {
    std::fprintf(stderr, "attest_bench: %s\n", e.what());
    return 1;
  }
}
