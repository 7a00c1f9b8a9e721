// SPDX-License-Identifier: Apache-2.0
// TPMS_ATTEST (quote) and TPMT_SIGNATURE parsing with ByteReader, field by field.
#include "verify/tpm/structures.h"

#include <fmt/format.h>

#include "common/byte_reader.h"

namespace cocoon::verify::tpm {
namespace {

// A TPM2B: a 16-bit size and that many bytes (Part 2 "TPM2B_ types"), capped at `max`.
Result<Bytes> readTpm2b(ByteReader& in, std::size_t max, std::string_view field) {
  const std::size_t at = in.offset();
  COCOON_ASSIGN_OR_RETURN(std::uint16_t size, in.readU16Be());
  if (size > max) {
    return fail(Code::kInvalidArgument, "{} at offset {}: size {} exceeds the maximum {}", field,
                at, size, max);
  }
  COCOON_ASSIGN_OR_RETURN(ByteSpan bytes, in.readSpan(size));
  return Bytes(bytes.begin(), bytes.end());
}

// Part 2 Table "TPML_PCR_SELECTION".
Result<std::vector<PcrSelection>> readPcrSelectionList(ByteReader& in) {
  const std::size_t at = in.offset();
  COCOON_ASSIGN_OR_RETURN(std::uint32_t count, in.readU32Be());
  if (count > kMaxPcrBanks) {
    return fail(Code::kInvalidArgument, "pcrSelect at offset {}: count {} exceeds the maximum {}",
                at, count, kMaxPcrBanks);
  }
  std::vector<PcrSelection> out;
  for (std::uint32_t i = 0; i < count; ++i) {
    PcrSelection sel;
    COCOON_ASSIGN_OR_RETURN(sel.hash, in.readU16Be());
    const std::size_t size_at = in.offset();
    COCOON_ASSIGN_OR_RETURN(std::uint8_t size, in.readU8());
    if (size > kMaxPcrSelectSize) {
      return fail(Code::kInvalidArgument,
                  "pcrSelect[{}].sizeofSelect at offset {}: {} exceeds the maximum {}", i, size_at,
                  size, kMaxPcrSelectSize);
    }
    COCOON_ASSIGN_OR_RETURN(ByteSpan bits, in.readSpan(size));
    sel.pcr_select.assign(bits.begin(), bits.end());
    out.push_back(std::move(sel));
  }
  return out;
}

}  // namespace

Result<QuoteAttest> parseQuoteAttest(ByteSpan bytes) {
  ByteReader in(bytes);
  QuoteAttest q;
  COCOON_ASSIGN_OR_RETURN(q.magic, in.readU32Be());
  if (q.magic != kTpmGeneratedValue) {
    return fail(Code::kInvalidArgument, "TPMS_ATTEST.magic is {:#010x}, expected {:#010x}", q.magic,
                kTpmGeneratedValue);
  }
  COCOON_ASSIGN_OR_RETURN(q.type, in.readU16Be());
  // TPMU_ATTEST is selected by `type`; only TPMS_QUOTE_INFO is a PCR quote.
  if (q.type != kTpmStAttestQuote) {
    return fail(Code::kUnimplemented, "TPMS_ATTEST.type is {:#06x}, expected {:#06x} (quote)",
                q.type, kTpmStAttestQuote);
  }
  COCOON_ASSIGN_OR_RETURN(q.qualified_signer, readTpm2b(in, kMaxNameSize, "qualifiedSigner"));
  COCOON_ASSIGN_OR_RETURN(q.extra_data, readTpm2b(in, kMaxDataSize, "extraData"));
  COCOON_ASSIGN_OR_RETURN(q.clock_info.clock, in.readU64Be());
  COCOON_ASSIGN_OR_RETURN(q.clock_info.reset_count, in.readU32Be());
  COCOON_ASSIGN_OR_RETURN(q.clock_info.restart_count, in.readU32Be());
  const std::size_t safe_at = in.offset();
  COCOON_ASSIGN_OR_RETURN(q.clock_info.safe, in.readU8());
  if (q.clock_info.safe > 1) {
    return fail(Code::kInvalidArgument, "clockInfo.safe at offset {} is {}, expected 0 or 1",
                safe_at, q.clock_info.safe);
  }
  COCOON_ASSIGN_OR_RETURN(q.firmware_version, in.readU64Be());
  COCOON_ASSIGN_OR_RETURN(q.pcr_select, readPcrSelectionList(in));
  COCOON_ASSIGN_OR_RETURN(q.pcr_digest, readTpm2b(in, kMaxDigestSize, "pcrDigest"));
  COCOON_TRY(in.expectEnd());
  return q;
}

Result<Signature> parseSignature(ByteSpan bytes) {
  ByteReader in(bytes);
  Signature sig;
  COCOON_ASSIGN_OR_RETURN(sig.sig_alg, in.readU16Be());
  switch (sig.sig_alg) {
    case kAlgRsaSsa:
    case kAlgRsaPss: {
      // Part 2 Table "TPMS_SIGNATURE_RSA".
      COCOON_ASSIGN_OR_RETURN(sig.hash, in.readU16Be());
      COCOON_ASSIGN_OR_RETURN(sig.rsa_signature, readTpm2b(in, kMaxRsaSignatureSize, "sig"));
      break;
    }
    case kAlgEcdsa: {
      // Part 2 Table "TPMS_SIGNATURE_ECC".
      COCOON_ASSIGN_OR_RETURN(sig.hash, in.readU16Be());
      COCOON_ASSIGN_OR_RETURN(sig.ecdsa_r, readTpm2b(in, kMaxEccParameterSize, "signatureR"));
      COCOON_ASSIGN_OR_RETURN(sig.ecdsa_s, readTpm2b(in, kMaxEccParameterSize, "signatureS"));
      break;
    }
    default:
      return fail(Code::kUnimplemented,
                  "TPMT_SIGNATURE.sigAlg is {}, expected TPM_ALG_RSASSA, TPM_ALG_RSAPSS or "
                  "TPM_ALG_ECDSA",
                  algName(sig.sig_alg));
  }
  COCOON_TRY(in.expectEnd());
  return sig;
}

std::vector<unsigned> selectedPcrs(const PcrSelection& selection) {
  std::vector<unsigned> out;
  for (std::size_t byte = 0; byte < selection.pcr_select.size(); ++byte) {
    for (unsigned bit = 0; bit < 8; ++bit) {
      if ((selection.pcr_select[byte] >> bit) & 1U) {
        out.push_back(static_cast<unsigned>(byte * 8) + bit);
      }
    }
  }
  return out;
}

std::string algName(std::uint16_t alg) {
  switch (alg) {
    case kAlgRsa:
      return "TPM_ALG_RSA";
    case kAlgSha1:
      return "TPM_ALG_SHA1";
    case kAlgSha256:
      return "TPM_ALG_SHA256";
    case kAlgSha384:
      return "TPM_ALG_SHA384";
    case kAlgSha512:
      return "TPM_ALG_SHA512";
    case kAlgNull:
      return "TPM_ALG_NULL";
    case kAlgRsaSsa:
      return "TPM_ALG_RSASSA";
    case kAlgRsaPss:
      return "TPM_ALG_RSAPSS";
    case kAlgEcdsa:
      return "TPM_ALG_ECDSA";
    default:
      return fmt::format("{:#06x}", alg);
  }
}

}  // namespace cocoon::verify::tpm
