// SPDX-License-Identifier: Apache-2.0
// Strict PEM armor (RFC 7468) decoding and encoding for keys, certificates and CRLs.
// Trust: decodes attacker-controlled text; accepts only the strict form described below.
#pragma once

#include <cstddef>
#include <string>
#include <string_view>
#include <vector>

#include "common/bytes.h"
#include "common/result.h"

namespace cocoon::crypto::detail {

struct PemBlock {
  std::string label;  // e.g. "PUBLIC KEY", "CERTIFICATE"
  Bytes der;
};

// Decodes consecutive PEM blocks separated only by whitespace. Each block is
// "-----BEGIN <label>-----", base64 lines (no RFC 1421 headers such as Proc-Type, which
// mark encrypted keys), "-----END <label>-----" with the same label. kInvalidArgument on
// any other text, bad base64, an empty input, or more than max_blocks blocks.
Result<std::vector<PemBlock>> decodePemBlocks(std::string_view text, std::size_t max_blocks);

// Exactly one block (whitespace around it allowed).
Result<PemBlock> decodePem(std::string_view text);

// "-----BEGIN <label>-----\n", base64 in 64-character lines, "-----END <label>-----\n".
std::string encodePem(std::string_view label, ByteSpan der);

}  // namespace cocoon::crypto::detail
