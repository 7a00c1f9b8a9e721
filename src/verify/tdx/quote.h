// SPDX-License-Identifier: Apache-2.0
// Intel TDX DCAP quote v4/v5 (Intel TDX DCAP Quoting Library API, Appendix A): a pure
// parser from bytes to TdxQuote, and the allow-list check of what this verifier supports.
//
// Trust: the quote is attacker-controlled. Parsing proves nothing; only the checks in
// tdx/verifier.h (PCK chain, QE report signature, attestation-key binding, quote
// signature) make its fields meaningful.
#pragma once

#include <array>
#include <cstddef>
#include <cstdint>
#include <optional>
#include <string>

#include "common/bytes.h"
#include "common/result.h"

namespace cocoon::verify::tdx {

inline constexpr std::uint16_t kQuoteVersion4 = 4;
inline constexpr std::uint16_t kQuoteVersion5 = 5;
inline constexpr std::uint16_t kAttestationKeyEcdsaP256 = 2;
inline constexpr std::uint32_t kTeeTypeTdx = 0x81;
// Quote v5 body types (A.3.2): TDX 1.0 (584-byte body) and TDX 1.5 (648 bytes).
inline constexpr std::uint16_t kBodyTypeTdx10 = 2;
inline constexpr std::uint16_t kBodyTypeTdx15 = 3;
// Certification data types (A.3.9): 5 = PCK certificate chain (PEM), 6 = QE report
// certification data (QE report, its signature, QE auth data, inner certification data).
inline constexpr std::uint16_t kCertDataPckChain = 5;
inline constexpr std::uint16_t kCertDataQeReport = 6;
// Intel's QE vendor ID (A.3.1).
inline constexpr std::array<std::uint8_t, 16> kIntelQeVendorId = {
    0x93, 0x9a, 0x72, 0x33, 0xf7, 0x9c, 0x4c, 0xa9, 0x94, 0x0a, 0x0d, 0xb3, 0x95, 0x7f, 0x06, 0x07};

inline constexpr std::size_t kHeaderSize = 48;
inline constexpr std::size_t kTdReport10Size = 584;
inline constexpr std::size_t kTdReport15Size = 648;
inline constexpr std::size_t kEnclaveReportSize = 384;
// Caps (STYLE §5.6): the signature data of real quotes is ~4.3 KiB, a PCK chain ~3.7 KiB.
inline constexpr std::size_t kMaxQuoteSize = 64 * 1024;
inline constexpr std::size_t kMaxPckChainSize = 16 * 1024;

using Hash384 = std::array<std::uint8_t, 48>;

// A.3.1 Quote header. In v4/v5 the two 16-bit fields after tee_type are the QE and PCE
// SVNs of the quoting enclave (Intel's structures call them reserved).
struct QuoteHeader {
  std::uint16_t version = 0;
  std::uint16_t att_key_type = 0;
  std::uint32_t tee_type = 0;
  std::uint16_t qe_svn = 0;
  std::uint16_t pce_svn = 0;
  std::array<std::uint8_t, 16> qe_vendor_id{};
  std::array<std::uint8_t, 20> user_data{};
};

// A.3.2 TD quote body (TDX 1.0), plus the two TDX 1.5 fields of body type 3.
struct TdReportBody {
  std::array<std::uint8_t, 16> tee_tcb_svn{};
  Hash384 mr_seam{};
  Hash384 mr_signer_seam{};
  std::array<std::uint8_t, 8> seam_attributes{};
  std::array<std::uint8_t, 8> td_attributes{};
  std::array<std::uint8_t, 8> xfam{};
  Hash384 mr_td{};
  Hash384 mr_config_id{};
  Hash384 mr_owner{};
  Hash384 mr_owner_config{};
  std::array<Hash384, 4> rtmr{};
  std::array<std::uint8_t, 64> report_data{};
  std::optional<std::array<std::uint8_t, 16>> tee_tcb_svn2;  // body type 3 only
  std::optional<Hash384> mr_servicetd;                       // body type 3 only
};

// A.4.2 SGX enclave report body (the QE report).
struct EnclaveReport {
  std::array<std::uint8_t, 16> cpu_svn{};
  std::uint32_t misc_select = 0;
  std::array<std::uint8_t, 16> attributes{};
  std::array<std::uint8_t, 32> mr_enclave{};
  std::array<std::uint8_t, 32> mr_signer{};
  std::uint16_t isv_prod_id = 0;
  std::uint16_t isv_svn = 0;
  std::array<std::uint8_t, 64> report_data{};
};

struct TdxQuote {
  QuoteHeader header;
  // Quote v5 only: the body type (kBodyTypeTdx10 / kBodyTypeTdx15).
  std::optional<std::uint16_t> body_type;
  TdReportBody body;
  // The exact bytes the attestation key signs: header || body (v5: with type and size).
  Bytes signed_data;
  // ECDSA P-256 quote signature (r || s) and attestation public key (x || y).
  std::array<std::uint8_t, 64> signature{};
  std::array<std::uint8_t, 64> attestation_key{};
  std::uint16_t cert_data_type = 0;
  // From QE report certification data (cert_data_type 6):
  EnclaveReport qe_report;
  Bytes qe_report_raw;  // the 384 bytes the PCK key signs
  std::array<std::uint8_t, 64> qe_report_signature{};
  Bytes qe_auth_data;
  std::uint16_t inner_cert_data_type = 0;
  // The PCK chain PEM (inner type 5), trailing NUL bytes removed (the DCAP QE writes a
  // C string).
  std::string pck_chain_pem;
  // Zero bytes after the quote (Azure's td-quote and some attesters pad the buffer).
  std::size_t trailing_zeros = 0;
};

// Parses a quote v4 or v5 with QE report certification data. Bytes after the quote's
// declared signature data are accepted only when they are all zero (padding of a
// fixed-size buffer; they are outside every signature). Errors: kOutOfRange when a field
// or declared length runs past the end (message names the field and offset);
// kInvalidArgument for a size larger than kMaxQuoteSize or kMaxPckChainSize, a v5 body
// size that does not match its type, certification data whose declared size differs from
// its contents, or non-zero trailing bytes; kUnimplemented for a quote version other than
// 4/5, a v5 body type other than 2/3, or certification data other than type 6 wrapping
// type 5 (the layout after them is unknown).
Result<TdxQuote> parseTdxQuote(ByteSpan bytes);

// Checks the allow-list (STYLE §5.4 validate): ECDSA P-256 attestation key, TEE type TDX,
// Intel's QE vendor ID. kUnimplemented naming the field, expected and found value.
Status validateTdxQuote(const TdxQuote& quote);

}  // namespace cocoon::verify::tdx
