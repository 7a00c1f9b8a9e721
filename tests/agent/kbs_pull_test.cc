// SPDX-License-Identifier: Apache-2.0
// The guest pull through the confidential data hub: an AgentService (FakeSupervisor, real
// registry pull) configured with [kbc] against a real cocoon-kbs (in process, loopback,
// port 0, sample TEE) creates a container from an image encrypted to a KBS-held key; a
// KBS that withholds the key, a signature policy from the KBS that rejects the image, or
// missing registry credentials fail CreateContainer with nothing left behind.
#include <utility>  // Asio 1.74's awaitable.hpp uses std::exchange without including it.

#include <chrono>
#include <future>

#include <google/protobuf/empty.pb.h>
#include <gtest/gtest.h>
#include <boost/asio/co_spawn.hpp>
#include <boost/asio/io_context.hpp>
#include <boost/asio/use_future.hpp>

#include "agent/agent_env.h"
#include "agent/agent_service.h"
#include "agent/fake_supervisor.h"
#include "attest/kbs_client/kbs_client.h"
#include "common/encoding.h"
#include "common/files.h"
#include "crypto/jose/jwt.h"
#include "crypto/random.h"
#include "image/crypt/encrypt.h"
#include "image/oci_layout_destination.h"
#include "image/oci_layout_source.h"
#include "kbs/daemon.h"
#include "support/expect.h"

namespace cocoon::agent {
namespace {

namespace asio = boost::asio;
namespace fs = std::filesystem;
using cocoon::test::expectError;

constexpr char kKeyUri[] = "kbs:///default/key/k1";

class AgentKbsPull : public ::testing::Test {
 protected:
  void SetUp() override {
    if (const std::string why = test::e2eSkipReason(); !why.empty()) {
      GTEST_SKIP() << why;
    }
    auto env = test::AgentEnv::create();
    ASSERT_TRUE(env) << env.error().toString();
    env_ = std::move(*env);
    auto admin = crypto::Key::generate(crypto::KeyType::kEd25519);
    ASSERT_TRUE(admin);
    admin_.emplace(std::move(*admin));
    ASSERT_TRUE(writeFileAtomic(dir() / "admin.pem", asBytes(admin_->publicPem())));
    kbs::KbsConfig c;
    c.listen = "127.0.0.1:0";
    c.data_dir = dir() / "kbs";
    c.admin_public_key = dir() / "admin.pem";
    c.allow_sample = true;
    c.threads = 2;
    auto kbs = kbs::KbsDaemon::start(c);
    ASSERT_TRUE(kbs) << kbs.error().toString();
    kbs_ = std::move(*kbs);
    auto http = attest::makeKbsHttpClient("http://127.0.0.1", {});
    ASSERT_TRUE(http);
    admin_http_ = std::move(*http);
    encryptAndPush();
  }

  fs::path dir() const { return env_->dir(); }
  std::string kbsUrl() const { return "http://127.0.0.1:" + std::to_string(kbs_->port()); }
  std::string host() const { return env_->image().substr(0, env_->image().find('/')); }
  std::string encryptedImage() const { return host() + "/test/busybox:enc"; }

  // The busybox image, every layer encrypted to kKeyUri's KEK, pushed as :enc.
  void encryptAndPush() {
    kek_ = crypto::randomBytes(32);
    auto source = image::openOciLayout(dir() / "layout");
    ASSERT_TRUE(source) << source.error().toString();
    auto dest = image::openOciLayoutDestination(dir() / "enc-layout", "enc");
    ASSERT_TRUE(dest) << dest.error().toString();
    image::crypt::EncryptRecipients recipients;
    recipients.providers.push_back({.kid = kKeyUri, .kek = SecretBytes(ByteSpan(kek_))});
    auto encrypted = image::crypt::encryptImage(
        **source, *image::oci::parseReference("localhost/layout:v1"), **dest, "enc", recipients);
    ASSERT_TRUE(encrypted) << encrypted.error().toString();
    auto pushed = cocoon::test::runTool({"skopeo", "copy", "--quiet", "--dest-tls-verify=false",
                                         "oci:" + (dir() / "enc-layout").string() + ":enc",
                                         "docker://" + encryptedImage()});
    ASSERT_TRUE(pushed) << pushed.error().toString();
  }

  // A signed admin POST to the KBS (resources and policies), as `cocoon kbs` sends it.
  void adminPost(const std::string& path, std::string body) {
    const auto now = std::chrono::duration_cast<std::chrono::seconds>(
                         std::chrono::system_clock::now().time_since_epoch())
                         .count();
    auto token = jose::signJwt({{"iat", now}, {"exp", now + 300}},
                               jose::JwsSigner{*admin_, jose::JwsAlgorithm::kEdDsa});
    ASSERT_TRUE(token);
    http::Request r{.method = "POST", .url = kbsUrl() + path, .body = std::move(body)};
    r.headers = {{"Authorization", "Bearer " + *token}};
    auto answer = admin_http_->send(r, 1 << 20);
    ASSERT_TRUE(answer) << answer.error().toString();
    ASSERT_EQ(answer->status, 200) << toString(answer->body);
  }
  void setResource(const std::string& path, std::string_view value) {
    adminPost("/kbs/v0/resource/" + path, std::string(value));
  }
  void setResourcePolicy(const std::string& policy) {
    adminPost("/kbs/v0/resource-policy",
              json::Json({{"policy", base64UrlEncode(asBytes(policy))}}).dump());
  }

  // The agent service as cocoon-agent builds it from `extra_image` lines of its config.
  void startService(const std::string& extra_image = "") {
    const std::string toml = fmt::format(
        "state_dir = \"{}\"\n[image]\ninsecure_registries = [\"{}\"]\nflatten = true\n{}"
        "[kbc]\nurl = \"{}\"\ntee = \"sample\"\nallow_sample = true\n",
        (dir() / "state").string(), host(), extra_image, kbsUrl());
    auto config = parseAgentConfig(toml, "agent.toml");
    ASSERT_TRUE(config) << config.error().toString();
    auto policy = policy::parseAgentPolicy(policy::confidentialDefaultPolicyText());
    ASSERT_TRUE(policy);
    auto service =
        AgentService::create(supervisor_, std::move(*policy), {.config = std::move(*config)});
    ASSERT_TRUE(service) << service.error().toString();
    service_ = std::move(*service);
  }

  template <class Req>
  Result<std::string> call(const char* method, const Req& req) {
    asio::io_context io;
    auto answer = asio::co_spawn(
        io,
        service_->call(
            {.service = kAgentServiceName, .method = method, .payload = req.SerializeAsString()}),
        asio::use_future);
    io.run();
    return answer.get();
  }

  Result<std::string> createContainer(const std::string& id) {
    grpc::CreateContainerRequest req;
    req.set_container_id(id);
    grpc::Storage* storage = req.add_storages();
    storage->set_driver("image_guest_pull");
    storage->set_source(encryptedImage());
    for (const char* type : {"mount", "ipc", "uts", "pid"}) {
      req.mutable_oci()->mutable_linux()->add_namespaces()->set_type(type);
    }
    return call("CreateContainer", req);
  }

  // No bundle and no layer of a failed pull: the store holds no layer directory.
  void expectNothingLeft(const std::string& id) {
    EXPECT_FALSE(fs::exists(service_->bundleDir(id)));
    std::error_code ec;
    for (const auto& e : fs::recursive_directory_iterator(dir() / "state" / "store", ec)) {
      EXPECT_EQ(e.path().string().find("layers/"), std::string::npos) << e.path();
    }
    EXPECT_TRUE(supervisor_.calls().empty());
  }

  std::unique_ptr<test::AgentEnv> env_;
  std::optional<crypto::Key> admin_;
  std::unique_ptr<kbs::KbsDaemon> kbs_;
  std::unique_ptr<http::HttpClient> admin_http_;
  Bytes kek_;
  test::FakeSupervisor supervisor_;
  std::unique_ptr<AgentService> service_;
};

TEST_F(AgentKbsPull, EncryptedImageIsPulledWithTheKeyTheKbsReleases) {
  setResource("default/key/k1", toString(kek_));
  startService();
  auto created = createContainer("c1");
  ASSERT_TRUE(created) << created.error().toString();
  EXPECT_TRUE(fs::exists(service_->bundleDir("c1") / "rootfs" / "bin" / "busybox"));
  ASSERT_EQ(supervisor_.calls().size(), 1u);
  EXPECT_EQ(supervisor_.calls()[0].name, "createContainer");
  grpc::RemoveContainerRequest remove;
  remove.set_container_id("c1");
  ASSERT_TRUE(call("RemoveContainer", remove));
  EXPECT_FALSE(fs::exists(service_->bundleDir("c1")));
}

TEST_F(AgentKbsPull, WithheldKeyFailsCreateContainerAndLeavesNothing) {
  setResource("default/key/k1", toString(kek_));
  setResourcePolicy(
      R"({"version":1,"id":"no-image-keys","rules":[{"id":"keys","when":{"prefix":[)"
      R"({"claim":"/resource_path"},"default/key/"]},"deny":"image keys are withheld"}],)"
      R"("default":"allow"})");
  startService();
  expectError(createContainer("c1"), Code::kPermissionDenied, "image keys are withheld");
  expectNothingLeft("c1");
}

TEST_F(AgentKbsPull, SignaturePolicyFromTheKbsDecides) {
  setResource("default/key/k1", toString(kek_));
  setResource("default/policy/image", R"({"default":[{"type":"reject"}]})");
  startService("image_security_policy_uri = \"kbs:///default/policy/image\"\n");
  expectError(createContainer("c1"), Code::kPermissionDenied, "reject");
  expectNothingLeft("c1");
  setResource("default/policy/image", R"({"default":[{"type":"insecureAcceptAnything"}]})");
  auto created = createContainer("c1");
  ASSERT_TRUE(created) << created.error().toString();
}

TEST_F(AgentKbsPull, MissingRegistryCredentialsFailBeforeThePull) {
  setResource("default/key/k1", toString(kek_));
  startService("authenticated_registry_credentials_uri = \"kbs:///default/credential/none\"\n");
  auto created = createContainer("c1");
  expectError(created, Code::kNotFound, "no resource default/credential/none");
  EXPECT_NE(created.error().toString().find("registry credentials kbs:///default/credential/none"),
            std::string::npos)
      << created.error().toString();
  expectNothingLeft("c1");
}

}  // namespace
}  // namespace cocoon::agent
