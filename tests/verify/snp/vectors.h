// SPDX-License-Identifier: Apache-2.0
// Loading the real SEV-SNP vectors of shared/testdata/evidence (see its README for their
// provenance) and building evidence JSON from them.
#pragma once

#include <optional>
#include <string_view>

#include "common/bytes.h"
#include "json/json.h"

namespace cocoon::verify::snp::test {

// The bytes of evidence/<relative>, or nullopt when the shared test data is missing (the
// caller then GTEST_SKIPs).
std::optional<Bytes> loadVector(std::string_view relative);
// The first certificate of a PEM file of evidence/, as DER.
std::optional<Bytes> loadPemCertificate(std::string_view relative);

// {"attestation_report": base64(report), "cert_chain": [{"cert_type": type, "data": [...]}]}
// (no cert_chain member when `cert` is empty).
json::Json rawEvidence(ByteSpan report, std::string_view cert_type = {}, ByteSpan cert = {});

// A copy of `bytes` with byte `offset` XORed with `mask`.
Bytes flipped(ByteSpan bytes, std::size_t offset, std::uint8_t mask = 0x01);

}  // namespace cocoon::verify::snp::test
