// SPDX-License-Identifier: Apache-2.0
// openPolicy: explicit and missing policy files, --insecure-policy, the transport chosen
// from what the user typed.
#include "image/trust/open_policy.h"

#include <gtest/gtest.h>

#include "common/files.h"
#include "support/expect.h"

namespace cocoon::image::trust {
namespace {

using test::expectError;

TEST(OpenPolicy, InsecurePolicyChecksNothing) {
  auto opened = openPolicy("quay.io/a:1", {.insecure_policy = true});
  ASSERT_TRUE(opened) << opened.error().toString();
  EXPECT_EQ(opened->enforcer, nullptr);
}

TEST(OpenPolicy, AnExplicitPolicyMustExist) {
  expectError(openPolicy("quay.io/a:1", {.policy = "/nonexistent/policy.json"}), Code::kNotFound);
}

TEST(OpenPolicy, OciLayoutsAreCheckedUnderTheOciTransport) {
  auto dir = TempDir::create("open-policy");
  ASSERT_TRUE(dir);
  const auto policy = dir->path() / "policy.json";
  ASSERT_TRUE(writeFileAtomic(policy, asBytes(R"({"default": [{"type": "reject"}],
      "transports": {"oci": {"/srv/layouts": [{"type": "insecureAcceptAnything"}]},
                     "docker": {"quay.io": [{"type": "insecureAcceptAnything"}]}}})")));
  auto ref = oci::parseReference("localhost/app:v1");
  ASSERT_TRUE(ref);
  auto layout = openPolicy("oci:/srv/layouts/app:v1",
                           {.policy = policy, .registries_d = dir->path() / "none"});
  ASSERT_TRUE(layout) << layout.error().toString();
  EXPECT_EQ(layout->enforcer->scopeFor(*ref).label, "transports.oci[\"/srv/layouts\"]");
  auto registry = openPolicy("localhost/app:v1", {.policy = policy});
  ASSERT_TRUE(registry) << registry.error().toString();
  EXPECT_EQ(registry->enforcer->scopeFor(*ref).label, "default");
}

}  // namespace
}  // namespace cocoon::image::trust
