// SPDX-License-Identifier: Apache-2.0
// The attestation agent against a real cocoon-kbs (in-process, loopback, port 0) and a real
// swtpm: the full flow through `cocoon attest`, and each failure the guest must survive or
// report clearly — KBS down, answering garbage or 5xx, stalled, a token expiring mid-run
// or refused after a key rotation, a wrong KBS certificate, a policy denial.
#include <netinet/in.h>
#include <poll.h>
#include <sys/socket.h>

#include <atomic>
#include <chrono>
#include <thread>

#include <gtest/gtest.h>

#include "attest/kbs_client/kbs_client.h"
#include "attest/swtpm.h"
#include "attest/tpm.h"
#include "common/encoding.h"
#include "common/files.h"
#include "common/subprocess.h"
#include "common/unique_fd.h"
#include "crypto/jose/jwt.h"
#include "kbs/daemon.h"
#include "support/expect.h"
#include "support/test_ca.h"

namespace cocoon::attest {
namespace {

using namespace std::chrono_literals;
using ::cocoon::test::expectError;

// A loopback socket that listens but never accepts: the kernel completes the handshake,
// the request is sent, and no answer ever comes (a stalled KBS).
struct SilentListener {
  UniqueFd fd;
  int port = 0;
};

SilentListener listenSilently() {
  SilentListener l;
  l.fd.reset(::socket(AF_INET, SOCK_STREAM | SOCK_CLOEXEC, 0));
  sockaddr_in a{};
  a.sin_family = AF_INET;
  a.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
  socklen_t len = sizeof(a);
  EXPECT_EQ(::bind(l.fd.get(), reinterpret_cast<sockaddr*>(&a), len), 0);
  EXPECT_EQ(::listen(l.fd.get(), 16), 0);
  ::getsockname(l.fd.get(), reinterpret_cast<sockaddr*>(&a), &len);
  l.port = ntohs(a.sin_port);
  return l;
}

// A port nothing listens on (bound, then closed): connections are refused.
int closedPort() {
  return listenSilently().port;
}

// An HTTP/1.1 server on loopback that answers every request with `answer` and closes.
class CannedHttpServer {
 public:
  explicit CannedHttpServer(std::string answer) : answer_(std::move(answer)) {
    listener_ = listenSilently();
    thread_ = std::thread([this] { serve(); });
  }
  ~CannedHttpServer() {
    stop_ = true;
    thread_.join();
  }
  std::string url() const { return "http://127.0.0.1:" + std::to_string(listener_.port); }
  int requests() const { return requests_; }

 private:
  void serve() {
    while (!stop_) {
      pollfd p{listener_.fd.get(), POLLIN, 0};
      if (::poll(&p, 1, 20) <= 0) {
        continue;
      }
      UniqueFd c(::accept4(listener_.fd.get(), nullptr, nullptr, SOCK_CLOEXEC));
      std::string request;
      char buf[4096];
      while (request.find("\r\n\r\n") == std::string::npos) {
        const ssize_t n = ::recv(c.get(), buf, sizeof(buf), 0);
        if (n <= 0) {
          break;
        }
        request.append(buf, static_cast<std::size_t>(n));
      }
      ++requests_;
      (void)::send(c.get(), answer_.data(), answer_.size(), MSG_NOSIGNAL);
      ::shutdown(c.get(), SHUT_WR);
    }
  }
  std::string answer_;
  SilentListener listener_;
  std::atomic<bool> stop_{false};
  std::atomic<int> requests_{0};
  std::thread thread_;
};

std::string httpAnswer(int status, std::string body, std::string extra_headers = "") {
  return fmt::format("HTTP/1.1 {} X\r\nContent-Length: {}\r\nConnection: close\r\n{}\r\n{}", status,
                     body.size(), extra_headers, body);
}

class AgentFlow : public ::testing::Test {
 protected:
  void SetUp() override {
    auto dir = TempDir::create("agent-flow");
    ASSERT_TRUE(dir);
    dir_.emplace(std::move(*dir));
    auto admin = crypto::Key::generate(crypto::KeyType::kEd25519);
    ASSERT_TRUE(admin);
    admin_.emplace(std::move(*admin));
    ASSERT_TRUE(writeFileAtomic(dir_->path() / "admin.pem", asBytes(admin_->publicPem())));
    auto http = makeKbsHttpClient("http://127.0.0.1", {});
    ASSERT_TRUE(http);
    http_ = std::move(*http);
  }

  kbs::KbsConfig config(const std::string& data = "data", int port = 0) {
    kbs::KbsConfig c;
    c.listen = "127.0.0.1:" + std::to_string(port);
    c.data_dir = dir_->path() / data;
    c.admin_public_key = dir_->path() / "admin.pem";
    c.allow_sample = true;
    c.threads = 2;
    return c;
  }
  std::unique_ptr<kbs::KbsDaemon> start(const kbs::KbsConfig& c) {
    auto d = kbs::KbsDaemon::start(c);
    EXPECT_TRUE(d) << d.error().toString();
    return d ? std::move(*d) : nullptr;
  }
  static std::string url(const kbs::KbsDaemon& d) {
    return "http://127.0.0.1:" + std::to_string(d.port());
  }

  // An admin POST (resource or policy), signed with the admin key.
  void admin(const std::string& base, const std::string& path, std::string body) {
    const auto now = std::chrono::duration_cast<std::chrono::seconds>(
                         std::chrono::system_clock::now().time_since_epoch())
                         .count();
    auto token = jose::signJwt({{"iat", now}, {"exp", now + 300}},
                               jose::JwsSigner{*admin_, jose::JwsAlgorithm::kEdDsa});
    ASSERT_TRUE(token);
    http::Request r;
    r.method = "POST";
    r.url = base + path;
    r.body = std::move(body);
    r.headers = {{"Authorization", "Bearer " + *token}};
    auto answer = http_->send(r, 1 << 20);
    ASSERT_TRUE(answer) << answer.error().toString();
    ASSERT_EQ(answer->status, 200) << toString(answer->body);
  }
  void setResource(const kbs::KbsDaemon& d, const std::string& path, const std::string& value) {
    admin(url(d), "/kbs/v0/resource/" + path, value);
  }

  KbsClient client(const std::string& base, KbsClientOptions options = {},
                   TeeKeyType key_type = TeeKeyType::kEcP256) {
    auto key = generateTeeKey(key_type);
    EXPECT_TRUE(key);
    options.sleep = [this](std::chrono::milliseconds d) { waits_.push_back(d); };
    return KbsClient(base, std::move(*key), *http_, std::move(options));
  }

  // Runs the cocoon CLI; stdout and stderr captured.
  SubprocessResult cli(std::vector<std::string> args) {
    args.insert(args.begin(), COCOON_CLI);
    SubprocessOptions o;
    o.argv = std::move(args);
    o.timeout = 60s;
    auto r = runSubprocess(o);
    EXPECT_TRUE(r) << r.error().toString();
    return r ? *r : SubprocessResult{};
  }

  std::optional<TempDir> dir_;
  std::optional<crypto::Key> admin_;
  std::unique_ptr<http::HttpClient> http_;
  std::vector<std::chrono::milliseconds> waits_;
  SampleAttester sample_;
};

TEST_F(AgentFlow, SampleFullFlowThroughTheCli) {
  auto kbs = start(config());
  ASSERT_TRUE(kbs);
  setResource(*kbs, "default/key/1", "the-image-key");
  for (const char* key : {"ec", "rsa"}) {
    auto got = cli({"attest", "get-resource", "kbs:///default/key/1", "--kbs", url(*kbs), "--tee",
                    "sample", "--allow-sample", "--key", key});
    EXPECT_EQ(got.exit_code, 0) << got.stderr_data;
    EXPECT_EQ(got.stdout_data, "the-image-key") << key;
  }
  auto token = cli({"attest", "token", "--kbs", url(*kbs), "--tee", "sample", "--allow-sample"});
  EXPECT_EQ(token.exit_code, 0) << token.stderr_data;
  EXPECT_TRUE(jwtExpiry(token.stdout_data.substr(0, token.stdout_data.size() - 1)));

  auto evidence =
      cli({"attest", "evidence", "--tee", "sample", "--allow-sample", "--report-data", "0102"});
  EXPECT_EQ(evidence.exit_code, 0) << evidence.stderr_data;
  EXPECT_EQ(json::Json::parse(evidence.stdout_data)["report_data"], base64Encode(Bytes{1, 2}));
  auto refused = cli({"attest", "evidence", "--tee", "sample"});
  EXPECT_EQ(refused.exit_code, 6);
  EXPECT_NE(refused.stderr_data.find("sample TEE proves nothing"), std::string::npos);
}

TEST_F(AgentFlow, TpmFullFlowThroughTheCli) {
  auto tpm = test::Swtpm::start();
  if (!tpm && tpm.error().code == Code::kFailedPrecondition) {
    GTEST_SKIP() << tpm.error().toString();
  }
  ASSERT_TRUE(tpm) << tpm.error().toString();
  ASSERT_TRUE((*tpm)->writeAttesterAkPem(dir_->path() / "ak.pem"));
  auto c = config();
  c.allow_sample = false;
  c.tpm.trusted_ak_keys = {dir_->path() / "ak.pem"};
  auto kbs = start(c);
  ASSERT_TRUE(kbs);
  setResource(*kbs, "default/key/tpm", "sealed-for-tpm-guests");
  auto got = cli({"attest", "get-resource", "kbs:///default/key/tpm", "--kbs", url(*kbs), "--tee",
                  "tpm", "--tpm-tcti", (*tpm)->tcti(), "-o", (dir_->path() / "out").string()});
  EXPECT_EQ(got.exit_code, 0) << got.stderr_data;
  auto out = readTextFile(dir_->path() / "out", 1024);
  ASSERT_TRUE(out);
  EXPECT_EQ(*out, "sealed-for-tpm-guests");
}

TEST_F(AgentFlow, KbsDownIsRetriedWithBackoffThenOneClearError) {
  const std::string base = "http://127.0.0.1:" + std::to_string(closedPort());
  KbsClientOptions o;
  o.retry = {3, 1ms, 3ms};
  auto guest = client(base, o);
  expectError(guest.attest(sample_), Code::kUnavailable,
              "KBS " + base + "/kbs/v0/auth: /kbs/v0/auth failed after 3 attempts; last error: ");
  EXPECT_EQ(waits_, (std::vector<std::chrono::milliseconds>{1ms, 2ms}));

  auto got = cli(
      {"attest", "token", "--kbs", base, "--tee", "sample", "--allow-sample", "--attempts", "2"});
  EXPECT_EQ(got.exit_code, 3);
  EXPECT_NE(got.stderr_data.find("failed after 2 attempts"), std::string::npos) << got.stderr_data;
}

TEST_F(AgentFlow, GarbageAnd5xxAnswersAreClearErrors) {
  CannedHttpServer garbage(
      httpAnswer(200, "<html>hello</html>", "Set-Cookie: kbs-session-id=ab\r\n"));
  auto guest = client(garbage.url());
  expectError(guest.attest(sample_), Code::kInvalidArgument, "");
  EXPECT_EQ(garbage.requests(), 1);  // not retried: a malformed answer will not improve

  CannedHttpServer broken(httpAnswer(503, R"({"type":"x/errors/Busy","detail":"overloaded"})"));
  KbsClientOptions o;
  o.retry = {3, 1ms, 1ms};
  auto again = client(broken.url(), o);
  expectError(again.attest(sample_), Code::kUnavailable,
              "failed after 3 attempts; last error: UNAVAILABLE: /kbs/v0/auth: KBS answered 503: "
              "overloaded");
  EXPECT_EQ(broken.requests(), 3);
}

TEST_F(AgentFlow, StalledKbsTimesOutPerAttempt) {
  auto silent = listenSilently();
  KbsHttpOptions h;
  h.total_timeout = 300ms;
  auto http = makeKbsHttpClient("http://127.0.0.1", h);
  ASSERT_TRUE(http);
  auto key = generateTeeKey(TeeKeyType::kEcP256);
  KbsClientOptions o;
  o.retry = {2, 1ms, 1ms};
  KbsClient guest("http://127.0.0.1:" + std::to_string(silent.port), std::move(*key), **http, o);
  const auto t0 = std::chrono::steady_clock::now();
  expectError(guest.attest(sample_), Code::kDeadlineExceeded, "failed after 2 attempts");
  EXPECT_LT(std::chrono::steady_clock::now() - t0, 5s);
}

TEST_F(AgentFlow, TokenNearItsExpiryIsRenewedByReattesting) {
  auto c = config();
  c.attestation.token_ttl_seconds = 30;
  auto kbs = start(c);
  ASSERT_TRUE(kbs);
  setResource(*kbs, "default/key/1", "v1");
  auto now = std::chrono::system_clock::now();
  KbsClientOptions o;
  o.now = [&now] { return now; };
  auto guest = client(url(*kbs), o);
  ASSERT_TRUE(guest.attest(sample_));
  ASSERT_TRUE(guest.tokenExpiry());
  const std::string first = guest.token();
  ASSERT_TRUE(guest.getResource("default/key/1"));
  EXPECT_EQ(guest.attestations(), 1);
  now += 25s;  // within the 10 s margin of the 30 s token
  auto secret = guest.getResource("default/key/1");
  ASSERT_TRUE(secret) << secret.error().toString();
  EXPECT_EQ(guest.attestations(), 2);
  EXPECT_NE(guest.token(), first);
}

TEST_F(AgentFlow, TokenRefusedAfterKbsKeyRotationIsRenewed) {
  auto kbs = start(config("a"));
  ASSERT_TRUE(kbs);
  const auto port = kbs->port();
  auto guest = client(url(*kbs));
  ASSERT_TRUE(guest.attest(sample_));
  kbs.reset();
  // Same address, new data dir: a new token signing key refuses the old token (401).
  kbs = start(config("b", port));
  ASSERT_TRUE(kbs);
  setResource(*kbs, "default/key/1", "after-rotation");
  auto secret = guest.getResource("default/key/1");
  ASSERT_TRUE(secret) << secret.error().toString();
  EXPECT_EQ(toString(secret->span()), "after-rotation");
  EXPECT_EQ(guest.attestations(), 2);
}

TEST_F(AgentFlow, WrongKbsCertificateIsATlsErrorAndHttpsNeedsAPin) {
  const auto now = std::chrono::system_clock::now();
  auto ca = ::cocoon::test::CertBuilder()
                .subject("CN=kbs root")
                .ca(true)
                .validity(now - 1h, now + 1h)
                .build();
  auto other_ca = ::cocoon::test::CertBuilder()
                      .subject("CN=other root")
                      .ca(true)
                      .validity(now - 1h, now + 1h)
                      .build();
  auto leaf = ::cocoon::test::CertBuilder()
                  .subject("CN=127.0.0.1")
                  .issuer(ca)
                  .validity(now - 1h, now + 1h)
                  .extension("2.5.29.17", {0x30, 0x06, 0x87, 0x04, 127, 0, 0, 1})
                  .build();
  const auto d = dir_->path();
  ASSERT_TRUE(writeFileAtomic(d / "ca.pem", asBytes(ca.cert.pem())));
  ASSERT_TRUE(writeFileAtomic(d / "other.pem", asBytes(other_ca.cert.pem())));
  ASSERT_TRUE(writeFileAtomic(d / "cert.pem", asBytes(leaf.cert.pem())));
  ASSERT_TRUE(writeFileAtomic(d / "key.pem", asBytes(*leaf.key.privatePem()), 0600));
  auto c = config();
  c.tls.cert = d / "cert.pem";
  c.tls.key = d / "key.pem";
  auto kbs = start(c);
  ASSERT_TRUE(kbs);
  const std::string base = "https://127.0.0.1:" + std::to_string(kbs->port());

  expectError(makeKbsHttpClient(base, {}), Code::kFailedPrecondition,
              "no KBS certificate is pinned");
  auto pinned = cli({"attest", "token", "--kbs", base, "--tee", "sample", "--allow-sample",
                     "--kbs-cert", (d / "ca.pem").string()});
  EXPECT_EQ(pinned.exit_code, 0) << pinned.stderr_data;
  auto wrong = cli({"attest", "token", "--kbs", base, "--tee", "sample", "--allow-sample",
                    "--kbs-cert", (d / "other.pem").string()});
  EXPECT_EQ(wrong.exit_code, 6);
  EXPECT_NE(wrong.stderr_data.find("FAILED_PRECONDITION"), std::string::npos) << wrong.stderr_data;
  EXPECT_EQ(wrong.stderr_data.find("attempts"), std::string::npos)
      << "a TLS failure is not retried";
  auto unpinned = cli({"attest", "token", "--kbs", base, "--tee", "sample", "--allow-sample"});
  EXPECT_EQ(unpinned.exit_code, 6);
}

TEST_F(AgentFlow, ResourceDeniedByPolicyIsExitFour) {
  auto kbs = start(config());
  ASSERT_TRUE(kbs);
  setResource(*kbs, "team/secret/x", "s");
  const std::string policy = R"({"version":1,"id":"deny-team","rules":[
      {"id":"no-team","when":{"prefix":[{"claim":"/resource_path"},"team/"]},"deny":"team secrets are closed"}],
      "default":"allow"})";
  admin(url(*kbs), "/kbs/v0/resource-policy",
        json::Json({{"policy", base64UrlEncode(asBytes(policy))}}).dump());
  auto denied = cli({"attest", "get-resource", "kbs:///team/secret/x", "--kbs", url(*kbs), "--tee",
                     "sample", "--allow-sample"});
  EXPECT_EQ(denied.exit_code, 4);
  EXPECT_NE(denied.stderr_data.find("team secrets are closed"), std::string::npos)
      << denied.stderr_data;
  auto missing = cli({"attest", "get-resource", "kbs:///team/secret/none", "--kbs", url(*kbs),
                      "--tee", "sample", "--allow-sample"});
  EXPECT_EQ(missing.exit_code, 4) << "policy denies team/ before the lookup";
  auto nothing = cli({"attest", "get-resource", "kbs:///default/none/here", "--kbs", url(*kbs),
                      "--tee", "sample", "--allow-sample"});
  EXPECT_EQ(nothing.exit_code, 5) << nothing.stderr_data;
}

}  // namespace
}  // namespace cocoon::attest
