// SPDX-License-Identifier: Apache-2.0
// Test builders for TDX: a PCK PKI made at test time (root, Platform CA, PCK leaf with an
// SGX extension), quotes signed through it, and CCEL event logs.
#pragma once

#include <array>
#include <cstdint>
#include <optional>

#include "common/bytes.h"
#include "support/test_ca.h"
#include "verify/tdx/quote.h"

namespace cocoon::verify::tdx::test {

// The DER of an SGX PCK extension with the given FMSPC, TCB components (all equal to
// `svn`), PCESVN and a platform instance ID.
Bytes sgxExtension(const std::array<std::uint8_t, 6>& fmspc, std::uint8_t svn,
                   std::uint16_t pce_svn);

// Builds signed TDX quotes v4/v5 with a fresh PKI. Byte offsets of the parts are exposed
// so tests can flip bits in each.
class QuoteBuilder {
 public:
  QuoteBuilder();
  QuoteBuilder& version(std::uint16_t v, std::uint16_t body_type = kBodyTypeTdx10);
  QuoteBuilder& reportData(ByteSpan data);
  QuoteBuilder& mrConfigId(ByteSpan data);
  QuoteBuilder& tdAttributes(std::uint64_t attributes);
  QuoteBuilder& rtmr(std::size_t i, ByteSpan value);
  // Replaces the PCK leaf (e.g. one from another PKI) in the chain and signs the QE report
  // with `signing_key` (default: the leaf's own key).
  QuoteBuilder& pckLeaf(const cocoon::test::IssuedCert& leaf);
  Bytes build() const;

  const cocoon::test::IssuedCert& root() const { return root_; }
  const cocoon::test::IssuedCert& ca() const { return ca_; }
  const cocoon::test::IssuedCert& pck() const { return pck_; }

  // Offsets in build()'s output (v4 layout).
  static constexpr std::size_t kBodyOffset = kHeaderSize;
  static constexpr std::size_t kSignatureOffset = kHeaderSize + kTdReport10Size + 4;
  static constexpr std::size_t kQeReportOffset = kSignatureOffset + 128 + 6;
  static constexpr std::size_t kQeSignatureOffset = kQeReportOffset + kEnclaveReportSize;
  static constexpr std::size_t kAuthDataOffset = kQeSignatureOffset + 64 + 2;

 private:
  cocoon::test::IssuedCert root_, ca_, pck_;
  crypto::Key attestation_key_;
  std::uint16_t version_ = kQuoteVersion4;
  std::uint16_t body_type_ = kBodyTypeTdx10;
  TdReportBody body_;
};

// A CCEL: the Spec ID header (SHA-384), then events (index, type, SHA-384 digest, data).
class CcelBuilder {
 public:
  CcelBuilder& event(std::uint32_t index, std::uint32_t type, ByteSpan data);
  // Pads the area with 0xff to `size` bytes, as the ACPI CCEL area is.
  Bytes build(std::size_t size = 0) const;

 private:
  Bytes events_;
};

// SHA-384(rtmr || digest).
Bytes extend384(ByteSpan rtmr, ByteSpan digest);

}  // namespace cocoon::verify::tdx::test
