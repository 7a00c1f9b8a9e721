// SPDX-License-Identifier: Apache-2.0
// AMD SEV-SNP ATTESTATION_REPORT (versions 2, 3 and 5) and the GHCB certificate table:
// pure parsers, no I/O, no policy.
//
// Trust: every byte comes from the guest or the host and is attacker-controlled until the
// report's signature verifies with a VCEK/VLEK that chains to a pinned AMD root.
#pragma once

#include <array>
#include <cstdint>
#include <optional>
#include <string>
#include <string_view>
#include <vector>

#include "common/bytes.h"
#include "common/result.h"

namespace cocoon::verify::snp {

// SNP ABI spec (AMD 56860) Table 23: the report is 1184 bytes; bytes 0..0x29F are signed.
inline constexpr std::size_t kReportSize = 1184;
inline constexpr std::size_t kSignedSize = 0x2A0;
// ECDSA P-384 with SHA-384 (SNP ABI Table 117), the only algorithm the firmware uses.
inline constexpr std::uint32_t kSigAlgoEcdsaP384Sha384 = 1;

// The EPYC generation that produced a report: it decides the TCB_VERSION byte layout, the
// AMD root (ARK) and the KDS URL.
enum class Product : std::uint8_t { kMilan, kGenoa, kTurin };

// "Milan", "Genoa", "Turin" (the KDS spelling).
std::string_view productName(Product product);
// The product named `name` (as productName prints it), or nullopt.
std::optional<Product> productFromName(std::string_view name);
// CPUID family/model of a v3+ report to product (family 0x19 models 0x00-0x0F Milan,
// 0x10-0x1F and 0xA0-0xAF Genoa; family 0x1A models 0x00-0x11 Turin), or nullopt.
std::optional<Product> productFromCpuid(std::uint8_t family, std::uint8_t model);

// Which key signed the report (KEY_INFO SIGNING_KEY, bits 4:2).
enum class SigningKey : std::uint8_t { kVcek = 0, kVlek = 1, kNone = 7 };

// A decoded TCB_VERSION. Milan and Genoa: BOOT_LOADER, TEE, reserved[4], SNP, MICROCODE;
// Turin: FMC, BOOT_LOADER, TEE, SNP, reserved[3], MICROCODE (SNP ABI Table 3, 4).
struct TcbVersion {
  std::optional<std::uint8_t> fmc;  // Turin only
  std::uint8_t bootloader = 0;
  std::uint8_t tee = 0;
  std::uint8_t snp = 0;
  std::uint8_t microcode = 0;
  bool operator==(const TcbVersion&) const = default;
};

// The 8 raw bytes of a TCB_VERSION decoded with `product`'s layout.
TcbVersion decodeTcb(const std::array<std::uint8_t, 8>& raw, Product product);
// The inverse of decodeTcb (reserved bytes zero); fmc is written for Turin only.
std::array<std::uint8_t, 8> encodeTcb(const TcbVersion& tcb, Product product);
// The offline-cache prefix of a TCB, "bl03_tee00_snp08_ucode115" (decimal, at least two
// digits), with "_fmc05" appended when fmc is present.
std::string tcbPrefix(const TcbVersion& tcb);

// ATTESTATION_REPORT fields in spec order (SNP ABI Table 23). TCB_VERSIONs are kept raw
// because their layout depends on the product, which a v2 report does not name.
struct SnpReport {
  std::uint32_t version = 0;
  std::uint32_t guest_svn = 0;
  std::uint64_t policy = 0;
  std::array<std::uint8_t, 16> family_id{};
  std::array<std::uint8_t, 16> image_id{};
  std::uint32_t vmpl = 0;
  std::uint32_t signature_algo = 0;
  std::array<std::uint8_t, 8> current_tcb{};
  std::uint64_t platform_info = 0;
  std::uint32_t key_info = 0;  // AUTHOR_KEY_EN bit 0, MASK_CHIP_KEY bit 1, SIGNING_KEY 4:2
  std::array<std::uint8_t, 64> report_data{};
  std::array<std::uint8_t, 48> measurement{};
  std::array<std::uint8_t, 32> host_data{};
  std::array<std::uint8_t, 48> id_key_digest{};
  std::array<std::uint8_t, 48> author_key_digest{};
  std::array<std::uint8_t, 32> report_id{};
  std::array<std::uint8_t, 32> report_id_ma{};
  std::array<std::uint8_t, 8> reported_tcb{};
  std::optional<std::uint8_t> cpuid_fam_id;  // v3+
  std::optional<std::uint8_t> cpuid_mod_id;  // v3+
  std::optional<std::uint8_t> cpuid_step;    // v3+
  std::array<std::uint8_t, 64> chip_id{};
  std::array<std::uint8_t, 8> committed_tcb{};
  std::uint8_t current_build = 0;
  std::uint8_t current_minor = 0;
  std::uint8_t current_major = 0;
  std::uint8_t committed_build = 0;
  std::uint8_t committed_minor = 0;
  std::uint8_t committed_major = 0;
  std::array<std::uint8_t, 8> launch_tcb{};
  std::optional<std::uint64_t> launch_mit_vector;   // v5+
  std::optional<std::uint64_t> current_mit_vector;  // v5+
  // Little-endian, zero-extended to 72 bytes (SNP ABI Table 118).
  std::array<std::uint8_t, 72> signature_r{};
  std::array<std::uint8_t, 72> signature_s{};

  bool authorKeyEnabled() const { return (key_info & 1U) != 0; }
  bool maskChipKey() const { return (key_info & 2U) != 0; }
  std::uint32_t signingKeyField() const { return (key_info >> 2) & 7U; }
  // Guest policy bits (SNP ABI Table 9).
  bool policySmt() const { return (policy >> 16 & 1U) != 0; }
  bool policyMigrateMa() const { return (policy >> 18 & 1U) != 0; }
  bool policyDebug() const { return (policy >> 19 & 1U) != 0; }
  bool policySingleSocket() const { return (policy >> 20 & 1U) != 0; }
  // The product named by CPUID (v3+ reports with a known family/model), else nullopt.
  std::optional<Product> product() const;
};

// Parses exactly kReportSize bytes. kInvalidArgument when the size differs (the message
// names both), kUnimplemented for a version other than 2, 3 or 5 (its layout is unknown).
// Reserved bytes are not checked: the signature covers them.
Result<SnpReport> parseSnpReport(ByteSpan bytes);

// The 1184 bytes of `report` in Table 23 layout, reserved bytes zero (the firmware writes
// them as zero). parseSnpReport(serializeSnpReport(r)) == r for every supported version;
// used to rebuild the signed bytes from CoCo's JSON form and by test builders.
// REQUIRES: report.version is 2, 3 or 5.
Bytes serializeSnpReport(const SnpReport& report);

// The signature as the fixed-size big-endian r||s (96 bytes) that crypto verifies.
Bytes signatureRaw(const SnpReport& report);

// The kind of a GHCB certificate table entry (SNP GHCB spec, "SNP Extended Guest
// Request", certificate GUID table).
enum class CertKind : std::uint8_t { kArk, kAsk, kVcek, kVlek, kOther };

struct CertEntry {
  CertKind kind = CertKind::kOther;
  std::string guid;  // lowercase canonical form, e.g. 63da758d-e664-4564-adc5-f4b93be8accd
  Bytes data;        // DER as received
};

// At most this many entries in a certificate table (a few certificates, STYLE §5.6).
inline constexpr std::size_t kMaxCertEntries = 16;

// Parses a GHCB certificate table: entries of GUID (16 bytes in the order of its canonical
// text form), offset (u32 LE), length (u32 LE), ended by an all-zero entry; offsets count
// from the start of `table`. kInvalidArgument when the terminator is missing, an entry
// points outside the table or has length 0, or more than kMaxCertEntries entries precede
// the terminator. Bytes after the certificates (page padding) are allowed.
Result<std::vector<CertEntry>> parseCertTable(ByteSpan table);

// The kind for a GUID string (any case), kOther when unknown.
CertKind certKindFromGuid(std::string_view guid);

}  // namespace cocoon::verify::snp
