// SPDX-License-Identifier: Apache-2.0
#include "kbs/admin_auth.h"

#include <gtest/gtest.h>

#include "crypto/jose/jwt.h"
#include "support/expect.h"

namespace cocoon::kbs {
namespace {

using std::chrono::seconds;
using test::expectError;

constexpr std::int64_t kNow = 1'800'000'000;
const auto kNowTp = std::chrono::system_clock::time_point(seconds(kNow));

std::string token(const crypto::Key& key, json::Json claims,
                  jose::JwsAlgorithm alg = jose::JwsAlgorithm::kEdDsa) {
  jose::JwsSigner signer{key, alg};
  auto t = jose::signJwt(claims, signer);
  EXPECT_TRUE(t) << t.error().toString();
  return t ? *t : "";
}

class AdminAuth : public ::testing::Test {
 protected:
  void SetUp() override {
    auto k = crypto::Key::generate(crypto::KeyType::kEd25519);
    ASSERT_TRUE(k);
    admin_.emplace(std::move(*k));
    auto pub = crypto::Key::fromPem(admin_->publicPem());
    ASSERT_TRUE(pub);
    auto a = AdminAuthenticator::create(std::move(*pub));
    ASSERT_TRUE(a);
    auth_.emplace(std::move(*a));
  }
  std::optional<crypto::Key> admin_;
  std::optional<AdminAuthenticator> auth_;
};

TEST_F(AdminAuth, AcceptsTokenSignedByTheAdminKey) {
  auto t = token(*admin_, {{"iat", kNow}, {"exp", kNow + 600}});
  EXPECT_TRUE(auth_->authorize("Bearer " + t, kNowTp));
  // Trustee's admin tokens may come without exp.
  EXPECT_TRUE(auth_->authorize("Bearer " + token(*admin_, {{"iat", kNow}}), kNowTp));
}

TEST_F(AdminAuth, RefusesMissingOrMalformedHeader) {
  expectError(auth_->authorize("", kNowTp), Code::kUnauthenticated, "without an Authorization");
  expectError(auth_->authorize("Basic YTpi", kNowTp), Code::kUnauthenticated, "not 'Bearer");
  expectError(auth_->authorize("Bearer not.a.jwt", kNowTp), Code::kUnauthenticated,
              "admin token refused");
}

TEST_F(AdminAuth, RefusesTokenOfAnotherKey) {
  auto other = crypto::Key::generate(crypto::KeyType::kEd25519);
  ASSERT_TRUE(other);
  expectError(auth_->authorize("Bearer " + token(*other, {{"iat", kNow}}), kNowTp),
              Code::kUnauthenticated, "BAD_SIGNATURE");
}

TEST_F(AdminAuth, RefusesExpiredToken) {
  auto t = token(*admin_, {{"exp", kNow - 61}});
  expectError(auth_->authorize("Bearer " + t, kNowTp), Code::kUnauthenticated, "EXPIRED");
}

TEST_F(AdminAuth, RefusesOtherAlgorithmsEvenWithAValidSignature) {
  auto ec = crypto::Key::generate(crypto::KeyType::kEcP256);
  ASSERT_TRUE(ec);
  expectError(
      auth_->authorize("Bearer " + token(*ec, {{"iat", kNow}}, jose::JwsAlgorithm::kEs256), kNowTp),
      Code::kUnauthenticated, "admin token refused");
}

TEST(AdminAuthKey, RefusesNonEd25519Key) {
  auto ec = crypto::Key::generate(crypto::KeyType::kEcP256);
  ASSERT_TRUE(ec);
  expectError(AdminAuthenticator::create(std::move(*ec)), Code::kInvalidArgument, "Ed25519");
  expectError(AdminAuthenticator::fromPemFile("/nonexistent/admin.pem"), Code::kNotFound, "");
}

}  // namespace
}  // namespace cocoon::kbs
