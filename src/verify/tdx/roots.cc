// SPDX-License-Identifier: Apache-2.0
// Intel's public certificates the TDX verifier pins: the Intel SGX Root CA and the Intel
// SGX TCB Signing certificate that signs TCB info and QE identity collateral.
#include "verify/tdx/roots.h"

#include <cstdio>
#include <cstdlib>

namespace cocoon::verify::tdx {
namespace {

// "Intel SGX Root CA" (serial 22650cd65a9d3489f383b49552bf501b392706ac, valid
// 2018-05-21..2049-12-31), as Intel publishes it at
// https://certificates.trustedservices.intel.com/Intel_SGX_Provisioning_Certification_RootCA.pem;
// byte-identical to the last certificate of the PCK chain in every quote of
// shared/testdata/evidence/tdx and az-tdx-vtpm.
constexpr const char* kIntelSgxRootCaPem =
    "-----BEGIN CERTIFICATE-----\n"
    "MIICjzCCAjSgAwIBAgIUImUM1lqdNInzg7SVUr9QGzknBqwwCgYIKoZIzj0EAwIw\n"
    "aDEaMBgGA1UEAwwRSW50ZWwgU0dYIFJvb3QgQ0ExGjAYBgNVBAoMEUludGVsIENv\n"
    "cnBvcmF0aW9uMRQwEgYDVQQHDAtTYW50YSBDbGFyYTELMAkGA1UECAwCQ0ExCzAJ\n"
    "BgNVBAYTAlVTMB4XDTE4MDUyMTEwNDUxMFoXDTQ5MTIzMTIzNTk1OVowaDEaMBgG\n"
    "A1UEAwwRSW50ZWwgU0dYIFJvb3QgQ0ExGjAYBgNVBAoMEUludGVsIENvcnBvcmF0\n"
    "aW9uMRQwEgYDVQQHDAtTYW50YSBDbGFyYTELMAkGA1UECAwCQ0ExCzAJBgNVBAYT\n"
    "AlVTMFkwEwYHKoZIzj0CAQYIKoZIzj0DAQcDQgAEC6nEwMDIYZOj/iPWsCzaEKi7\n"
    "1OiOSLRFhWGjbnBVJfVnkY4u3IjkDYYL0MxO4mqsyYjlBalTVYxFP2sJBK5zlKOB\n"
    "uzCBuDAfBgNVHSMEGDAWgBQiZQzWWp00ifODtJVSv1AbOScGrDBSBgNVHR8ESzBJ\n"
    "MEegRaBDhkFodHRwczovL2NlcnRpZmljYXRlcy50cnVzdGVkc2VydmljZXMuaW50\n"
    "ZWwuY29tL0ludGVsU0dYUm9vdENBLmRlcjAdBgNVHQ4EFgQUImUM1lqdNInzg7SV\n"
    "Ur9QGzknBqwwDgYDVR0PAQH/BAQDAgEGMBIGA1UdEwEB/wQIMAYBAf8CAQEwCgYI\n"
    "KoZIzj0EAwIDSQAwRgIhAOW/5QkR+S9CiSDcNoowLuPRLsWGf/Yi7GSX94BgwTwg\n"
    "AiEA4J0lrHoMs+Xo5o/sX6O9QWxHRAvZUGOdRQ7cvqRXaqI=\n"
    "-----END CERTIFICATE-----\n";

// "Intel SGX TCB Signing" (serial 7e3882d5fb55294a40498e458403e91491bdf455, renewed
// 2025-05-06, valid to 2032-05-06, same key as its 2018 predecessor): the leaf of the
// Tcb-Info-Issuer-Chain header that Intel PCS v4 returns with TCB info and QE identity
// (https://api.trustedservices.intel.com/tdx/certification/v4/tcb); copied from that
// public header as quoted in public repositories' test data. It verifies the signatures
// of shared/testdata/evidence/tdx/tcbInfo.json and enclaveIdentity.json.
constexpr const char* kIntelTcbSigningPem =
    "-----BEGIN CERTIFICATE-----\n"
    "MIICjTCCAjKgAwIBAgIUfjiC1ftVKUpASY5FhAPpFJG99FUwCgYIKoZIzj0EAwIw\n"
    "aDEaMBgGA1UEAwwRSW50ZWwgU0dYIFJvb3QgQ0ExGjAYBgNVBAoMEUludGVsIENv\n"
    "cnBvcmF0aW9uMRQwEgYDVQQHDAtTYW50YSBDbGFyYTELMAkGA1UECAwCQ0ExCzAJ\n"
    "BgNVBAYTAlVTMB4XDTI1MDUwNjA5MjUwMFoXDTMyMDUwNjA5MjUwMFowbDEeMBwG\n"
    "A1UEAwwVSW50ZWwgU0dYIFRDQiBTaWduaW5nMRowGAYDVQQKDBFJbnRlbCBDb3Jw\n"
    "b3JhdGlvbjEUMBIGA1UEBwwLU2FudGEgQ2xhcmExCzAJBgNVBAgMAkNBMQswCQYD\n"
    "VQQGEwJVUzBZMBMGByqGSM49AgEGCCqGSM49AwEHA0IABENFG8xzydWRfK92bmGv\n"
    "P+mAh91PEyV7Jh6FGJd5ndE9aBH7R3E4A7ubrlh/zN3C4xvpoouGlirMba+W2lju\n"
    "ypajgbUwgbIwHwYDVR0jBBgwFoAUImUM1lqdNInzg7SVUr9QGzknBqwwUgYDVR0f\n"
    "BEswSTBHoEWgQ4ZBaHR0cHM6Ly9jZXJ0aWZpY2F0ZXMudHJ1c3RlZHNlcnZpY2Vz\n"
    "LmludGVsLmNvbS9JbnRlbFNHWFJvb3RDQS5kZXIwHQYDVR0OBBYEFH44gtX7VSlK\n"
    "QEmORYQD6RSRvfRVMA4GA1UdDwEB/wQEAwIGwDAMBgNVHRMBAf8EAjAAMAoGCCqG\n"
    "SM49BAMCA0kAMEYCIQDdmmRuAo3qCO8TC1IoJMITAoOEw4dlgEBHzSz1TuMSTAIh\n"
    "AKVTqOkt59+co0O3m3hC+v5Fb00FjYWcgeu3EijOULo5\n"
    "-----END CERTIFICATE-----\n";

crypto::Certificate parsePinned(const char* pem) {
  auto cert = crypto::Certificate::fromPem(pem);
  if (!cert) {  // a bug in this file, not an input error
    std::fprintf(stderr, "cocoon verify/tdx: pinned certificate: %s\n",
                 cert.error().toString().c_str());
    std::abort();
  }
  return *cert;
}

}  // namespace

const crypto::Certificate& intelSgxRootCa() {
  static const crypto::Certificate kCert = parsePinned(kIntelSgxRootCaPem);
  return kCert;
}

const crypto::Certificate& intelTcbSigningCertificate() {
  static const crypto::Certificate kCert = parsePinned(kIntelTcbSigningPem);
  return kCert;
}

}  // namespace cocoon::verify::tdx
