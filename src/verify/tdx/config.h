// SPDX-License-Identifier: Apache-2.0
// What the `tdx` verifier trusts and where its collateral comes from (a member of
// BuiltinVerifierConfig).
#pragma once

#include <filesystem>
#include <optional>
#include <string>
#include <vector>

#include "crypto/x509.h"

namespace cocoon::http {
class HttpClient;
}  // namespace cocoon::http

namespace cocoon::verify {

struct TdxTrustConfig {
  // Intel PCS collateral (TCB info, QE identity, CRLs) in a directory; see
  // tdx::DirectoryCollateralSource for the file names. Without it (or without files for
  // the quote's FMSPC) quotes still verify up to the Intel root and the claim
  // tdx.tcb_status is "Unknown", for policy to judge.
  std::optional<std::filesystem::path> collateral_dir;
  // Non-null allows fetching collateral from Intel PCS or a PCCS at `pcs_url` (see
  // tdx::PcsCollateralSource); fetched documents are written to collateral_dir when set.
  // Not owned; must outlive the verifier. Null: nothing leaves the machine.
  http::HttpClient* pcs_client = nullptr;
  std::string pcs_url = "https://api.trustedservices.intel.com";
  // Refuse quotes without collateral instead of claiming tcb_status "Unknown".
  bool require_collateral = false;
  // Accept TDs whose TD attributes have the DEBUG bit set (their memory is readable by
  // the host). Off by default.
  bool allow_debug = false;
  // Trust anchors for PCK chains and the TCB Signing certificate. Empty (the default)
  // means the Intel SGX Root CA pinned in the binary; tests put a test CA here.
  std::vector<crypto::Certificate> root_cas;
  // The key that signs TCB info and QE identity, as a certificate issued by a root CA.
  // Empty means Intel's TCB Signing certificate pinned in the binary.
  std::optional<crypto::Certificate> tcb_signing_certificate;
};

}  // namespace cocoon::verify
