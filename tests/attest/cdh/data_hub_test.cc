// SPDX-License-Identifier: Apache-2.0
// The confidential data hub against a real cocoon-kbs (in process, loopback, port 0):
// resources with one attestation per session (sample TEE and swtpm), policy denials, the
// KBS down, sealed secrets unsealed into tmpfs files only, registry credentials and the
// image signature policy.
#include "attest/cdh/data_hub.h"

#include <netinet/in.h>
#include <stdlib.h>
#include <sys/socket.h>
#include <sys/stat.h>

#include <chrono>
#include <thread>
#include <vector>

#include <gtest/gtest.h>

#include "attest/swtpm.h"
#include "attest/tpm.h"
#include "common/encoding.h"
#include "common/files.h"
#include "common/unique_fd.h"
#include "crypto/jose/jwt.h"
#include "kbs/daemon.h"
#include "support/expect.h"

namespace cocoon::attest::cdh {
namespace {

using ::cocoon::test::expectError;

// A loopback port with nothing listening (bound, then closed).
int refusedPort() {
  UniqueFd fd(::socket(AF_INET, SOCK_STREAM | SOCK_CLOEXEC, 0));
  sockaddr_in a{};
  a.sin_family = AF_INET;
  a.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
  socklen_t len = sizeof(a);
  EXPECT_EQ(::bind(fd.get(), reinterpret_cast<sockaddr*>(&a), len), 0);
  ::getsockname(fd.get(), reinterpret_cast<sockaddr*>(&a), &len);
  return ntohs(a.sin_port);
}

// A directory on tmpfs (/dev/shm), removed with the test.
class ShmDir {
 public:
  ShmDir() {
    std::string t = "/dev/shm/cdh-test-XXXXXX";
    if (::mkdtemp(t.data()) != nullptr) {
      path_ = t;
    }
  }
  ~ShmDir() {
    if (!path_.empty()) {
      (void)removeAll(path_);
    }
  }
  const std::filesystem::path& path() const { return path_; }

 private:
  std::filesystem::path path_;
};

class DataHubTest : public ::testing::Test {
 protected:
  void SetUp() override {
    auto dir = TempDir::create("cdh");
    ASSERT_TRUE(dir);
    dir_.emplace(std::move(*dir));
    auto admin = crypto::Key::generate(crypto::KeyType::kEd25519);
    ASSERT_TRUE(admin);
    admin_.emplace(std::move(*admin));
    ASSERT_TRUE(writeFileAtomic(dir_->path() / "admin.pem", asBytes(admin_->publicPem())));
    auto http = makeKbsHttpClient("http://127.0.0.1", {});
    ASSERT_TRUE(http);
    admin_http_ = std::move(*http);
  }

  void startKbs(bool allow_sample = true, std::vector<std::filesystem::path> ak_keys = {}) {
    kbs::KbsConfig c;
    c.listen = "127.0.0.1:0";
    c.data_dir = dir_->path() / "kbs";
    c.admin_public_key = dir_->path() / "admin.pem";
    c.allow_sample = allow_sample;
    c.tpm.trusted_ak_keys = std::move(ak_keys);
    c.threads = 2;
    auto d = kbs::KbsDaemon::start(c);
    ASSERT_TRUE(d) << d.error().toString();
    kbs_ = std::move(*d);
  }
  std::string url() const { return "http://127.0.0.1:" + std::to_string(kbs_->port()); }

  // A signed admin POST to the KBS (resources and policies).
  void adminPost(const std::string& path, std::string body) {
    const auto now = std::chrono::duration_cast<std::chrono::seconds>(
                         std::chrono::system_clock::now().time_since_epoch())
                         .count();
    auto token = jose::signJwt({{"iat", now}, {"exp", now + 300}},
                               jose::JwsSigner{*admin_, jose::JwsAlgorithm::kEdDsa});
    ASSERT_TRUE(token);
    http::Request r;
    r.method = "POST";
    r.url = url() + path;
    r.body = std::move(body);
    r.headers = {{"Authorization", "Bearer " + *token}};
    auto answer = admin_http_->send(r, 1 << 20);
    ASSERT_TRUE(answer) << answer.error().toString();
    ASSERT_EQ(answer->status, 200) << toString(answer->body);
  }
  void setResource(const std::string& path, const std::string& value) {
    adminPost("/kbs/v0/resource/" + path, value);
  }
  void denyPrefix(const std::string& prefix, const std::string& why) {
    const std::string policy =
        fmt::format(R"({{"version":1,"id":"deny","rules":[{{"id":"r","when":{{"prefix":[{{"claim":)"
                    R"("/resource_path"}},"{}"]}},"deny":"{}"}}],"default":"allow"}})",
                    prefix, why);
    adminPost("/kbs/v0/resource-policy",
              json::Json({{"policy", base64UrlEncode(asBytes(policy))}}).dump());
  }

  DataHubConfig sampleConfig(std::string base = "") const {
    DataHubConfig c;
    c.kbs_url = base.empty() ? url() : std::move(base);
    c.attester.tee = "sample";
    c.attester.allow_sample = true;
    return c;
  }
  std::unique_ptr<DataHub> hub(DataHubConfig c) {
    auto h = DataHub::create(std::move(c));
    EXPECT_TRUE(h) << h.error().toString();
    return h ? std::move(*h) : nullptr;
  }

  std::optional<TempDir> dir_;
  std::optional<crypto::Key> admin_;
  std::unique_ptr<http::HttpClient> admin_http_;
  std::unique_ptr<kbs::KbsDaemon> kbs_;
};

std::string str(const Result<SecretBytes>& r) {
  return r ? toString(r->span()) : "error: " + r.error().toString();
}

TEST_F(DataHubTest, FetchesResourcesWithOneAttestation) {
  startKbs();
  setResource("default/key/k1", "kek-one");
  setResource("default/key/k2", "kek-two");
  auto h = hub(sampleConfig());
  ASSERT_TRUE(h);
  EXPECT_EQ(h->attestations(), 0) << "create() does not contact the KBS";
  EXPECT_EQ(str(h->getResource("kbs:///default/key/k1")), "kek-one");
  EXPECT_EQ(str(h->getResource("kbs:///default/key/k2")), "kek-two");
  EXPECT_EQ(h->attestations(), 1);
  expectError(h->getResource("kbs:///default/key/none"), Code::kNotFound);
  expectError(h->getResource("kbs:///default/key"), Code::kInvalidArgument, "2 segments");
}

TEST_F(DataHubTest, ConcurrentPullThreadsShareOneSession) {
  startKbs();
  setResource("default/key/k1", "kek-one");
  auto h = hub(sampleConfig());
  ASSERT_TRUE(h);
  std::vector<std::thread> threads;
  std::vector<std::string> got(4);
  for (std::size_t i = 0; i < got.size(); ++i) {
    threads.emplace_back([&, i] { got[i] = str(h->getResource("kbs:///default/key/k1")); });
  }
  for (auto& t : threads) {
    t.join();
  }
  for (const auto& g : got) {
    EXPECT_EQ(g, "kek-one");
  }
  EXPECT_EQ(h->attestations(), 1);
}

TEST_F(DataHubTest, ResourceDeniedByPolicyIsPermissionDenied) {
  startKbs();
  setResource("team/secret/x", "s");
  denyPrefix("team/", "team secrets are closed");
  auto h = hub(sampleConfig());
  ASSERT_TRUE(h);
  expectError(h->getResource("kbs:///team/secret/x"), Code::kPermissionDenied,
              "team secrets are closed");
}

TEST_F(DataHubTest, KbsDownIsUnavailableAfterTheRetries) {
  DataHubConfig c = sampleConfig("http://127.0.0.1:" + std::to_string(refusedPort()));
  c.client.retry = {2, std::chrono::milliseconds(1), std::chrono::milliseconds(2)};
  auto h = hub(std::move(c));
  ASSERT_TRUE(h);
  auto r = h->getResource("kbs:///default/key/k1");
  expectError(r, Code::kUnavailable, "2 attempts");
  EXPECT_NE(r.error().toString().find("attesting to http://127.0.0.1:"), std::string::npos)
      << r.error().toString();
}

TEST_F(DataHubTest, CreateRefusesUnsafeConfigurations) {
  DataHubConfig c = sampleConfig("http://127.0.0.1:1");
  c.attester.allow_sample = false;
  expectError(DataHub::create(c), Code::kFailedPrecondition, "sample");
  expectError(DataHub::create(sampleConfig("https://kbs.example")), Code::kFailedPrecondition);
}

TEST_F(DataHubTest, UnsealsSignedSecretAndRefusesTamperedOrWrongName) {
  startKbs();
  setResource("default/sealed/db-password", "hunter2");
  auto signing = crypto::Key::generate(crypto::KeyType::kEcP256);
  ASSERT_TRUE(signing);
  DataHubConfig c = sampleConfig();
  c.sealed_secret_key = signing->publicKey();
  auto h = hub(std::move(c));
  ASSERT_TRUE(h);
  jose::JwsSigner signer{*signing, jose::JwsAlgorithm::kEs256};
  auto sealed = sealVaultSecret("kbs:///default/sealed/db-password", signer);
  ASSERT_TRUE(sealed);
  EXPECT_EQ(str(h->unsealSecret(*sealed)), "hunter2");

  std::string tampered = *sealed;
  tampered[tampered.size() - 3] = tampered[tampered.size() - 3] == 'A' ? 'B' : 'A';
  expectError(h->unsealSecret(tampered), Code::kUnauthenticated, "sealed secret signature");
  auto unsigned_secret = sealVaultSecret("kbs:///default/sealed/db-password", std::nullopt);
  ASSERT_TRUE(unsigned_secret);
  expectError(h->unsealSecret(*unsigned_secret), Code::kUnauthenticated);

  auto wrong = sealVaultSecret("kbs:///default/sealed/nothing", signer);
  ASSERT_TRUE(wrong);
  auto missing = h->unsealSecret(*wrong);
  expectError(missing, Code::kNotFound);
  EXPECT_NE(missing.error().toString().find("unsealing kbs:///default/sealed/nothing"),
            std::string::npos)
      << missing.error().toString();
}

TEST_F(DataHubTest, UnsealToFileWritesATmpfsFileReadableByItsOwnerOnly) {
  ShmDir shm;
  if (shm.path().empty() || !checkTmpfs(shm.path())) {
    GTEST_SKIP() << "/dev/shm is not a tmpfs here";
  }
  startKbs();
  setResource("default/sealed/token", "api-token");
  auto h = hub(sampleConfig());
  ASSERT_TRUE(h);
  auto sealed = sealVaultSecret("kbs:///default/sealed/token", std::nullopt);
  ASSERT_TRUE(sealed);
  const auto file = shm.path() / "token";
  ASSERT_TRUE(h->unsealToFile(*sealed, file));
  struct stat st {};
  ASSERT_EQ(::stat(file.c_str(), &st), 0);
  EXPECT_EQ(st.st_mode & 07777, 0400u);
  EXPECT_EQ(readTextFile(file, 64).value_or(""), "api-token");
  expectError(h->unsealToFile(*sealed, file), Code::kAlreadyExists, file.string());
}

TEST_F(DataHubTest, UnsealToFileRefusesADiskDirectoryBeforeAskingTheKbs) {
  if (checkTmpfs(dir_->path())) {
    GTEST_SKIP() << "the temp dir is itself on tmpfs";
  }
  startKbs();
  setResource("default/sealed/token", "api-token");
  auto h = hub(sampleConfig());
  ASSERT_TRUE(h);
  auto sealed = sealVaultSecret("kbs:///default/sealed/token", std::nullopt);
  ASSERT_TRUE(sealed);
  const auto file = dir_->path() / "token";
  expectError(h->unsealToFile(*sealed, file), Code::kFailedPrecondition, "is not on tmpfs");
  EXPECT_FALSE(std::filesystem::exists(file));
  EXPECT_EQ(h->attestations(), 0) << "nothing was fetched";
  expectError(writeTmpfsFile(dir_->path() / "x", asBytes("s")), Code::kFailedPrecondition);
  expectError(checkTmpfs(dir_->path() / "missing"), Code::kNotFound);
}

TEST_F(DataHubTest, RegistryCredentialsAndImagePolicyAreChecked) {
  startKbs();
  const std::string auth = R"({"auths":{"registry.example":{"auth":"dXNlcjpwYXNz"}}})";
  setResource("default/credential/registry", auth);
  setResource("default/credential/broken", R"({"registry.example":"dXNlcjpwYXNz"})");
  setResource("default/policy/image", R"({"default":[{"type":"reject"}]})");
  setResource("default/policy/text", "reject everything");
  auto h = hub(sampleConfig());
  ASSERT_TRUE(h);
  EXPECT_EQ(str(h->getRegistryAuth("kbs:///default/credential/registry")), auth);
  auto broken = h->getRegistryAuth("kbs:///default/credential/broken");
  expectError(broken, Code::kInvalidArgument, "\"auths\" object");
  EXPECT_EQ(broken.error().toString().find("dXNlcjpwYXNz"), std::string::npos)
      << "credentials never appear in messages";
  auto policy = h->getImagePolicy("kbs:///default/policy/image");
  ASSERT_TRUE(policy) << policy.error().toString();
  EXPECT_EQ(toString(*policy), R"({"default":[{"type":"reject"}]})");
  expectError(h->getImagePolicy("kbs:///default/policy/text"), Code::kInvalidArgument,
              "not a JSON object");
}

TEST_F(DataHubTest, TpmGuestFetchesThroughSwtpm) {
  auto tpm = test::Swtpm::start();
  if (!tpm && tpm.error().code == Code::kFailedPrecondition) {
    GTEST_SKIP() << tpm.error().toString();
  }
  ASSERT_TRUE(tpm) << tpm.error().toString();
  ASSERT_TRUE((*tpm)->writeAttesterAkPem(dir_->path() / "ak.pem"));
  startKbs(false, {dir_->path() / "ak.pem"});
  setResource("default/key/tpm", "for-tpm-guests");
  DataHubConfig c;
  c.kbs_url = url();
  c.attester.tee = "tpm";
  c.attester.tpm.tcti = (*tpm)->tcti();
  auto h = hub(std::move(c));
  ASSERT_TRUE(h);
  EXPECT_EQ(str(h->getResource("kbs:///default/key/tpm")), "for-tpm-guests");
  auto sample = hub(sampleConfig());
  ASSERT_TRUE(sample);
  expectError(sample->getResource("kbs:///default/key/tpm"), Code::kUnauthenticated);
}

}  // namespace
}  // namespace cocoon::attest::cdh
