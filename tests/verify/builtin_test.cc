// SPDX-License-Identifier: Apache-2.0
#include "verify/builtin.h"

#include <gtest/gtest.h>

namespace cocoon::verify {
namespace {

using kbs_protocol::Tee;

TEST(BuiltinVerifiers, RegistersSampleOnlyWhenEnabled) {
  VerifierRegistry off;
  ASSERT_TRUE(registerBuiltinVerifiers(off, {}));
  EXPECT_EQ(off.tees(), (std::vector<Tee>{Tee::kTpm, Tee::kSnp, Tee::kTdx}));
  EXPECT_EQ(off.find(Tee::kSample), nullptr);

  VerifierRegistry on;
  BuiltinVerifierConfig config;
  config.enable_sample = true;
  ASSERT_TRUE(registerBuiltinVerifiers(on, config));
  EXPECT_EQ(on.tees(), (std::vector<Tee>{Tee::kTpm, Tee::kSnp, Tee::kTdx, Tee::kSample}));
}

TEST(BuiltinVerifiers, RefusesToRegisterTwice) {
  VerifierRegistry r;
  ASSERT_TRUE(registerBuiltinVerifiers(r, {}));
  auto again = registerBuiltinVerifiers(r, {});
  ASSERT_FALSE(again);
  EXPECT_EQ(again.error().code, Code::kAlreadyExists);
}

}  // namespace
}  // namespace cocoon::verify
