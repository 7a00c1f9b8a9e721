// SPDX-License-Identifier: Apache-2.0
#include <gtest/gtest.h>

#include "common/files.h"
#include "http/server/server_fixture.h"
#include "http/server/test_client.h"
#include "support/test_ca.h"

namespace cocoon::http::server::test {
namespace {

using namespace std::chrono_literals;

// A CA and a server certificate for 127.0.0.1, valid around the real clock (the TLS
// stack checks validity against it), written as PEM files into a per-test directory.
class TlsServerTest : public ServerTest {
 protected:
  void SetUp() override {
    auto made = TempDir::create("http-server-tls");
    ASSERT_TRUE(made) << made.error().toString();
    dir_.emplace(std::move(*made));
    const auto now = std::chrono::system_clock::now();
    ca_ = cocoon::test::CertBuilder()
              .subject("CN=test root")
              .ca(true)
              .validity(now - 1h, now + 1h)
              .build();
    // subjectAltName = iPAddress 127.0.0.1 (RFC 5280 §4.2.1.6: [7] OCTET STRING).
    const auto leaf = cocoon::test::CertBuilder()
                          .subject("CN=127.0.0.1")
                          .issuer(*ca_)
                          .validity(now - 1h, now + 1h)
                          .extension("2.5.29.17", {0x30, 0x06, 0x87, 0x04, 127, 0, 0, 1})
                          .build();
    const std::string cert_pem = leaf.cert.pem();
    auto key_pem = leaf.key.privatePem();
    ASSERT_TRUE(key_pem);
    cert_path_ = dir_->path() / "cert.pem";
    key_path_ = dir_->path() / "key.pem";
    ASSERT_TRUE(writeFileAtomic(cert_path_, asBytes(cert_pem)));
    ASSERT_TRUE(writeFileAtomic(key_path_, asBytes(*key_pem), 0600));
  }

  ServerOptions tlsOptions() const {
    ServerOptions options = testOptions();
    options.tls_cert_path = cert_path_;
    options.tls_key_path = key_path_;
    return options;
  }

  // A client context trusting only the test CA, with TLS 1.2+ and host verification.
  asio::ssl::context clientContext() const {
    asio::ssl::context ctx(asio::ssl::context::tls_client);
    const std::string ca_pem = ca_->cert.pem();
    ctx.add_certificate_authority(asio::buffer(ca_pem.data(), ca_pem.size()));
    ctx.set_verify_mode(asio::ssl::verify_peer);
    return ctx;
  }

  std::optional<TempDir> dir_;
  std::optional<cocoon::test::IssuedCert> ca_;
  std::string cert_path_;
  std::string key_path_;
};

TEST_F(TlsServerTest, ServesHttpsWithAVerifiedCertificate) {
  start(tlsOptions());
  auto ctx = clientContext();
  TlsClient c(ctx);
  c.stream().set_verify_callback(asio::ssl::host_name_verification("127.0.0.1"));
  ASSERT_FALSE(c.connect(port_));
  boost::system::error_code ec;
  c.stream().handshake(asio::ssl::stream_base::client, ec);
  ASSERT_FALSE(ec) << ec.message();
  for (int i = 0; i < 2; ++i) {
    auto res = c.roundTrip(get("/health"));
    ASSERT_TRUE(res) << c.error.message();
    EXPECT_EQ(res->result_int(), 200u);
    EXPECT_EQ(res->body(), R"({"status":"ok"})");
  }
  EXPECT_GE(SSL_version(c.stream().native_handle()), TLS1_2_VERSION);
}

TEST_F(TlsServerTest, PlainHttpOnTheTlsPortIsClosed) {
  start(tlsOptions());
  Client c;
  ASSERT_FALSE(c.connect(port_));
  ASSERT_FALSE(c.send(get("/health")));
  EXPECT_TRUE(c.waitForClose());
}

TEST_F(TlsServerTest, ClientLimitedToTls11IsRefused) {
  start(tlsOptions());
  auto ctx = clientContext();
  SSL_CTX_set_security_level(ctx.native_handle(), 0);
  SSL_CTX_set_max_proto_version(ctx.native_handle(), TLS1_1_VERSION);
  TlsClient c(ctx);
  ASSERT_FALSE(c.connect(port_));
  boost::system::error_code ec;
  c.stream().handshake(asio::ssl::stream_base::client, ec);
  EXPECT_TRUE(ec);
}

TEST_F(TlsServerTest, KeyThatDoesNotMatchTheCertificateIsRejected) {
  const auto other = cocoon::test::CertBuilder().build();
  auto other_pem = other.key.privatePem();
  ASSERT_TRUE(other_pem);
  ASSERT_TRUE(writeFileAtomic(key_path_, asBytes(*other_pem), 0600));
  Server server(tlsOptions(), Router(), metrics_);
  auto started = server.start();
  ASSERT_FALSE(started);
  EXPECT_EQ(started.error().code, Code::kInvalidArgument);
  // OpenSSL refuses the key either while loading it or in the explicit match check.
  EXPECT_NE(started.error().message.find(key_path_), std::string::npos) << started.error().message;
}

}  // namespace
}  // namespace cocoon::http::server::test
