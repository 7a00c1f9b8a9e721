// SPDX-License-Identifier: Apache-2.0
// Test vector loading for the snp tests.
#include "verify/snp/vectors.h"

#include <filesystem>

#include "common/encoding.h"
#include "common/files.h"
#include "crypto/x509.h"

namespace cocoon::verify::snp::test {

std::optional<Bytes> loadVector(std::string_view relative) {
  auto bytes =
      readFile(std::filesystem::path(COCOON_TESTDATA_DIR) / "evidence" / relative, 1 << 20);
  if (!bytes) {
    return std::nullopt;
  }
  return std::move(*bytes);
}

std::optional<Bytes> loadPemCertificate(std::string_view relative) {
  auto pem = loadVector(relative);
  if (!pem) {
    return std::nullopt;
  }
  auto certs = crypto::Certificate::parsePemBundle(toString(*pem));
  if (!certs || certs->empty()) {
    return std::nullopt;
  }
  return certs->front().der();
}

json::Json rawEvidence(ByteSpan report, std::string_view cert_type, ByteSpan cert) {
  json::Json j = {{"attestation_report", base64Encode(report)}};
  if (!cert.empty()) {
    j["cert_chain"] =
        json::Json::array({{{"cert_type", std::string(cert_type)},
                            {"data", std::vector<std::uint8_t>(cert.begin(), cert.end())}}});
  }
  return j;
}

Bytes flipped(ByteSpan bytes, std::size_t offset, std::uint8_t mask) {
  Bytes out(bytes.begin(), bytes.end());
  out.at(offset) ^= mask;
  return out;
}

}  // namespace cocoon::verify::snp::test
