// SPDX-License-Identifier: Apache-2.0
// TPM 2.0 quote structures (TPMS_ATTEST of a TPM2_Quote, TPMT_SIGNATURE): a pure parser.
//
// Trust: both byte strings come from the guest inside the evidence and are attacker-
// controlled; parsing proves nothing until the signature over the exact TPMS_ATTEST bytes
// has been verified with a trusted AK (ARCHITECTURE.md trust model).
//
// References are to "TPM 2.0 Library, Part 2: Structures" (rev 1.59), by table name.
// All integers are big-endian (Part 1, "Canonical byte order").
#pragma once

#include <cstdint>
#include <string>
#include <vector>

#include "common/bytes.h"
#include "common/result.h"

namespace cocoon::verify::tpm {

// Part 2 Table "TPM_GENERATED": the magic every TPM-generated structure starts with.
inline constexpr std::uint32_t kTpmGeneratedValue = 0xff544347;
// Part 2 Table "TPM_ST": the tag of a TPMS_ATTEST made by TPM2_Quote.
inline constexpr std::uint16_t kTpmStAttestQuote = 0x8018;

// Part 2 Table "TPM_ALG_ID" (the values this parser names).
inline constexpr std::uint16_t kAlgRsa = 0x0001;
inline constexpr std::uint16_t kAlgSha1 = 0x0004;
inline constexpr std::uint16_t kAlgSha256 = 0x000b;
inline constexpr std::uint16_t kAlgSha384 = 0x000c;
inline constexpr std::uint16_t kAlgSha512 = 0x000d;
inline constexpr std::uint16_t kAlgNull = 0x0010;
inline constexpr std::uint16_t kAlgRsaSsa = 0x0014;
inline constexpr std::uint16_t kAlgRsaPss = 0x0016;
inline constexpr std::uint16_t kAlgEcdsa = 0x0018;

// Size caps from the TPM2B buffer definitions (Part 2 Tables "TPM2B_DIGEST", "TPM2B_DATA",
// "TPM2B_NAME", "TPM2B_PUBLIC_KEY_RSA", "TPM2B_ECC_PARAMETER") for the largest algorithms a
// TPM implements (SHA-512, RSA-4096, 638-bit ECC as in tpm2-tss's limits).
inline constexpr std::size_t kMaxDigestSize = 64;                // sizeof(TPMU_HA)
inline constexpr std::size_t kMaxDataSize = 2 + kMaxDigestSize;  // sizeof(TPMT_HA)
inline constexpr std::size_t kMaxNameSize = 2 + kMaxDigestSize;  // sizeof(TPMU_NAME)
inline constexpr std::size_t kMaxRsaSignatureSize = 512;         // MAX_RSA_KEY_BYTES
inline constexpr std::size_t kMaxEccParameterSize = 128;         // MAX_ECC_KEY_BYTES
inline constexpr std::size_t kMaxPcrBanks = 16;                  // HASH_COUNT
inline constexpr std::size_t kMaxPcrSelectSize = 4;              // PCR_SELECT_MAX (32 PCRs)

// Part 2 Table "TPMS_PCR_SELECTION".
struct PcrSelection {
  std::uint16_t hash = 0;
  Bytes pcr_select;  // sizeofSelect bytes; bit i of byte j selects PCR 8*j + i
};

// Part 2 Table "TPMS_CLOCK_INFO".
struct ClockInfo {
  std::uint64_t clock = 0;
  std::uint32_t reset_count = 0;
  std::uint32_t restart_count = 0;
  std::uint8_t safe = 0;  // TPMI_YES_NO
};

// Part 2 Table "TPMS_ATTEST" whose `attested` member is a TPMS_QUOTE_INFO.
struct QuoteAttest {
  std::uint32_t magic = 0;
  std::uint16_t type = 0;
  Bytes qualified_signer;  // TPM2B_NAME
  Bytes extra_data;        // TPM2B_DATA: the qualifying data given to TPM2_Quote
  ClockInfo clock_info;
  std::uint64_t firmware_version = 0;
  std::vector<PcrSelection> pcr_select;  // TPMS_QUOTE_INFO.pcrSelect (TPML_PCR_SELECTION)
  Bytes pcr_digest;                      // TPMS_QUOTE_INFO.pcrDigest (TPM2B_DIGEST)
};

// Part 2 Table "TPMT_SIGNATURE" for the schemes a quote verifier accepts.
struct Signature {
  std::uint16_t sig_alg = 0;  // kAlgRsaSsa, kAlgRsaPss or kAlgEcdsa
  std::uint16_t hash = 0;     // TPMS_SIGNATURE_RSA/ECC.hash
  Bytes rsa_signature;        // RSASSA / RSAPSS: TPM2B_PUBLIC_KEY_RSA
  Bytes ecdsa_r, ecdsa_s;     // ECDSA: TPM2B_ECC_PARAMETER each
};

// Parses one TPMS_ATTEST of type TPM_ST_ATTEST_QUOTE that fills `bytes` exactly.
// Errors: kOutOfRange when the bytes end inside a field (the message names the offset);
// kInvalidArgument for a wrong magic, a TPM2B or list length above its cap, a TPMI_YES_NO
// other than 0/1, or trailing bytes; kUnimplemented for another attestation type.
Result<QuoteAttest> parseQuoteAttest(ByteSpan bytes);

// Parses one TPMT_SIGNATURE that fills `bytes` exactly.
// Errors: kOutOfRange when truncated; kInvalidArgument for a length above its cap or
// trailing bytes; kUnimplemented for a sigAlg other than RSASSA, RSAPSS or ECDSA.
Result<Signature> parseSignature(ByteSpan bytes);

// The PCR indices selected by `selection`, ascending.
std::vector<unsigned> selectedPcrs(const PcrSelection& selection);

// "TPM_ALG_SHA256"-style name of an algorithm id, or its hex value, for messages.
std::string algName(std::uint16_t alg);

}  // namespace cocoon::verify::tpm
