// SPDX-License-Identifier: Apache-2.0
// tpm2-tss loaded at run time by the TPM attester: the table and its load errors.
#include "attest/tpm/tss2_library.h"

#include <string>

#include <gtest/gtest.h>

#include "support/expect.h"

namespace cocoon::attest::tpm {
namespace {

using cocoon::test::expectError;

TEST(Tss2Library, LoadsOnceAndCallsThroughTheTable) {
  auto first = loadTss2Library();
  ASSERT_TRUE(first) << first.error().toString();
  auto second = loadTss2Library();
  ASSERT_TRUE(second) << second.error().toString();
  EXPECT_EQ(*first, *second);
  const Tss2Library& lib = **first;
  EXPECT_EQ(std::string(lib.decode_rc(TPM2_RC_FAILURE)),
            "tpm:error(2.0): commands not being accepted because of a TPM failure");
  // A TCTI that does not exist: the loader answers through the table, nothing is made.
  TSS2_TCTI_CONTEXT* tcti = nullptr;
  EXPECT_NE(lib.tctildr_initialize("cocoon-no-such-tcti", &tcti), TSS2_RC_SUCCESS);
  EXPECT_EQ(tcti, nullptr);
}

TEST(Tss2Library, MissingLibraryIsUnavailableNamingIt) {
  Tss2Sonames sonames;
  sonames.mu = "libcocoon-no-such-tss2-mu.so.0";
  auto lib = openTss2Library(sonames);
  expectError(lib, Code::kUnavailable,
              "TPM attester: cannot load libcocoon-no-such-tss2-mu.so.0: ");
}

TEST(Tss2Library, OtherLibraryIsUnavailableNamingTheMissingFunction) {
  Tss2Sonames sonames;
  sonames.esys = "libz.so.1";
  auto lib = openTss2Library(sonames);
  expectError(lib, Code::kUnavailable, "TPM attester: libz.so.1 has no function Esys_Initialize: ");
}

}  // namespace
}  // namespace cocoon::attest::tpm
