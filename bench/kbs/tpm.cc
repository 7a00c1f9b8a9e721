// SPDX-License-Identifier: Apache-2.0
// swtpm-backed TPM guests and the KBS-side floor of verifying their quotes.
#include "tpm.h"

#include <fmt/format.h>

#include <algorithm>

#include "common/byte_reader.h"
#include "common/encoding.h"
#include "common/files.h"
#include "crypto/digest.h"
#include "crypto/key.h"
#include "crypto/signature.h"
#include "json/json.h"
#include "verify/builtin.h"

namespace cocoon::kbs::bench {
namespace {

// TPM 2.0 Library Part 2: TPM_GENERATED_VALUE, TPM_ST_ATTEST_QUOTE, TPM_ALG_RSASSA/SHA256.
constexpr std::uint32_t kTpmGenerated = 0xff544347;
constexpr std::uint16_t kStAttestQuote = 0x8018;
constexpr std::uint16_t kAlgRsaSsa = 0x0014;
constexpr std::uint16_t kAlgSha256 = 0x000b;
constexpr std::size_t kPcrs = 24;

struct DecodedEvidence {
  Bytes message, signature;
  std::vector<Bytes> pcrs;
};

Result<const std::string*> stringAt(const json::Json& object, const char* key) {
  const auto it = object.find(key);
  const auto* s = it == object.end() ? nullptr : it->get_ptr<const std::string*>();
  if (s == nullptr) {
    return fail(Code::kInvalidArgument, "evidence member '{}' is not a string", key);
  }
  return s;
}

// What the KBS must decode of the `tpm` evidence: the quote, its signature, the PCRs.
Result<DecodedEvidence> decodeEvidence(const json::Json& evidence) {
  const auto quote = evidence.find("tpm_quote");
  if (quote == evidence.end() || !quote->is_object()) {
    return fail(Code::kInvalidArgument, "evidence has no tpm_quote object");
  }
  DecodedEvidence out;
  COCOON_ASSIGN_OR_RETURN(const std::string* message, stringAt(*quote, "message"));
  COCOON_ASSIGN_OR_RETURN(out.message, base64Decode(*message));
  COCOON_ASSIGN_OR_RETURN(const std::string* signature, stringAt(*quote, "signature"));
  COCOON_ASSIGN_OR_RETURN(out.signature, base64Decode(*signature));
  const auto pcrs = quote->find("pcrs");
  if (pcrs == quote->end() || !pcrs->is_array() || pcrs->size() != kPcrs) {
    return fail(Code::kInvalidArgument, "tpm_quote.pcrs is not an array of {} values", kPcrs);
  }
  for (const auto& pcr : *pcrs) {
    const auto* text = pcr.get_ptr<const std::string*>();
    if (text == nullptr) {
      return fail(Code::kInvalidArgument, "a tpm_quote.pcrs value is not a string");
    }
    COCOON_ASSIGN_OR_RETURN(Bytes value, hexDecode(*text));
    out.pcrs.push_back(std::move(value));
  }
  return out;
}

Result<ByteSpan> readTpm2b(ByteReader& reader) {
  COCOON_ASSIGN_OR_RETURN(std::uint16_t size, reader.readU16Be());
  return reader.readSpan(size);
}

struct QuoteView {
  ByteSpan pcr_digest;     // TPMS_QUOTE_INFO.pcrDigest
  ByteSpan rsa_signature;  // TPMT_SIGNATURE's TPM2B_PUBLIC_KEY_RSA
};

// The least any verifier does with the quote bytes: a bounds-checked walk of TPMS_ATTEST
// (quote) and TPMT_SIGNATURE (RSASSA-SHA256) that keeps what the next steps need.
Result<QuoteView> walkQuote(ByteSpan message, ByteSpan signature) {
  ByteReader m(message);
  COCOON_ASSIGN_OR_RETURN(std::uint32_t magic, m.readU32Be());
  COCOON_ASSIGN_OR_RETURN(std::uint16_t type, m.readU16Be());
  if (magic != kTpmGenerated || type != kStAttestQuote) {
    return fail(Code::kInvalidArgument, "TPMS_ATTEST magic {:#x} type {:#x}, expected {:#x} {:#x}",
                magic, type, kTpmGenerated, kStAttestQuote);
  }
  COCOON_TRY(readTpm2b(m));               // qualifiedSigner
  COCOON_TRY(readTpm2b(m));               // extraData
  COCOON_TRY(m.skip(8 + 4 + 4 + 1 + 8));  // clockInfo, firmwareVersion
  COCOON_ASSIGN_OR_RETURN(std::uint32_t banks, m.readU32Be());
  for (std::uint32_t i = 0; i < banks; ++i) {
    COCOON_TRY(m.skip(2));  // hash
    COCOON_ASSIGN_OR_RETURN(std::uint8_t select_size, m.readU8());
    COCOON_TRY(m.skip(select_size));
  }
  QuoteView out;
  COCOON_ASSIGN_OR_RETURN(out.pcr_digest, readTpm2b(m));
  COCOON_TRY(m.expectEnd());
  ByteReader s(signature);
  COCOON_ASSIGN_OR_RETURN(std::uint16_t sig_alg, s.readU16Be());
  COCOON_ASSIGN_OR_RETURN(std::uint16_t hash, s.readU16Be());
  if (sig_alg != kAlgRsaSsa || hash != kAlgSha256) {
    return fail(Code::kInvalidArgument, "TPMT_SIGNATURE {:#x}/{:#x}, expected RSASSA/SHA256",
                sig_alg, hash);
  }
  COCOON_ASSIGN_OR_RETURN(out.rsa_signature, readTpm2b(s));
  COCOON_TRY(s.expectEnd());
  return out;
}

}  // namespace

std::vector<attest::Attester*> TpmGuests::view() const {
  std::vector<attest::Attester*> out;
  for (const auto& a : attesters) {
    out.push_back(a.get());
  }
  return out;
}

Result<TpmGuests> startTpmGuests(unsigned count, const std::filesystem::path& dir) {
  TpmGuests guests;
  for (unsigned i = 0; i < count; ++i) {
    COCOON_ASSIGN_OR_RETURN(auto swtpm, attest::test::Swtpm::start());
    attest::TpmAttesterConfig config;
    config.tcti = swtpm->tcti();
    guests.swtpms.push_back(std::move(swtpm));
    COCOON_ASSIGN_OR_RETURN(auto attester, attest::createTpmAttester(config));
    COCOON_ASSIGN_OR_RETURN(crypto::Key ak, crypto::Key::fromPublicDer(attester->akPublicDer()));
    auto pem = dir / fmt::format("ak-{}.pem", i);
    COCOON_TRY(writeFileAtomic(pem, asBytes(ak.publicPem())));
    guests.attesters.push_back(std::move(attester));
    guests.ak_pems.push_back(std::move(pem));
  }
  return guests;
}

Result<TpmFloor> measureTpmFloor(attest::TpmAttester& attester, std::chrono::milliseconds per_op) {
  // A runtime-data digest as KbsClient makes it (SHA-384; the attester keeps 32 bytes).
  const Bytes report_data = crypto::digest(crypto::DigestAlgorithm::kSha384, asBytes("kbs_bench"));
  COCOON_ASSIGN_OR_RETURN(json::Json evidence, attester.evidence(report_data));
  COCOON_ASSIGN_OR_RETURN(crypto::Key ak, crypto::Key::fromPublicDer(attester.akPublicDer()));
  COCOON_ASSIGN_OR_RETURN(DecodedEvidence decoded, decodeEvidence(evidence));
  COCOON_ASSIGN_OR_RETURN(QuoteView quote, walkQuote(decoded.message, decoded.signature));

  TpmFloor out;
  auto add = [&](std::string name, auto op) -> Status {
    COCOON_ASSIGN_OR_RETURN(Cost c, measure(std::move(name), per_op, op));
    out.kbs.push_back(std::move(c));
    return {};
  };
  COCOON_TRY(add("tpm: evidence decode (base64 quote + signature, 24 hex PCRs)",
                 [&] { return decodeEvidence(evidence); }));
  COCOON_TRY(add("tpm: TPMS_ATTEST + TPMT_SIGNATURE walk",
                 [&] { return walkQuote(decoded.message, decoded.signature); }));
  COCOON_TRY(add("tpm: RSA-2048 PKCS#1 v1.5 SHA-256 verify of the quote", [&] {
    return crypto::verify(ak, crypto::SignatureScheme::kRsaPkcs1Sha256, decoded.message,
                          quote.rsa_signature);
  }));
  COCOON_TRY(add("tpm: SHA-256 PCR digest over 24 PCRs, compared", [&]() -> Status {
    crypto::Hasher hasher(crypto::DigestAlgorithm::kSha256);
    for (const auto& pcr : decoded.pcrs) {
      hasher.update(pcr);
    }
    if (Bytes digest = hasher.finish(); !std::ranges::equal(digest, quote.pcr_digest)) {
      return fail(Code::kInternal, "pcrDigest {} does not match the PCRs ({})",
                  hexEncode(quote.pcr_digest), hexEncode(digest));
    }
    return {};
  }));

  verify::VerifierRegistry registry;
  verify::BuiltinVerifierConfig config;
  config.tpm.trusted_aks.push_back(ak);
  COCOON_TRY(verify::registerBuiltinVerifiers(registry, config));
  const verify::Verifier* tpm = registry.find(kbs_protocol::Tee::kTpm);
  if (tpm == nullptr) {
    return fail(Code::kInternal, "the built-in verifiers have no tpm verifier");
  }
  verify::Expectations expected;
  expected.report_data = report_data;
  COCOON_ASSIGN_OR_RETURN(out.verifier, measure("tpm verifier (verify/builtin)", per_op, [&] {
                            return tpm->verify(evidence, expected).map_error(verify::toError);
                          }));
  COCOON_ASSIGN_OR_RETURN(
      out.ak_parse, measure("AK SPKI DER parse (Key::fromPublicDer)", per_op,
                            [&] { return crypto::Key::fromPublicDer(attester.akPublicDer()); }));
  COCOON_ASSIGN_OR_RETURN(out.quote, measure("guest: evidence() = PCR reads + TPM2_Quote", per_op,
                                             [&] { return attester.evidence(report_data); }));
  return out;
}

}  // namespace cocoon::kbs::bench
