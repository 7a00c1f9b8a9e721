// SPDX-License-Identifier: Apache-2.0
// Intel PCS collateral for TDX: TCB info v3 and QE identity v2 (PCS API v4 JSON, signed
// by the Intel SGX TCB Signing key), the directory they are read from, and the TCB status
// they give a platform (Intel TDX DCAP QVL, TcbLevelCheck / TdxModuleCheck).
//
// Trust: collateral files are untrusted until their signature verifies with the TCB
// Signing certificate, which itself must chain to the pinned Intel SGX Root CA.
#pragma once

#include <array>
#include <chrono>
#include <cstdint>
#include <filesystem>
#include <map>
#include <mutex>
#include <optional>
#include <string>
#include <string_view>
#include <vector>

#include "common/bytes.h"
#include "common/result.h"
#include "crypto/key.h"
#include "crypto/x509.h"
#include "verify/tdx/quote.h"

namespace cocoon::verify::tdx {

using TimePoint = std::chrono::system_clock::time_point;

// Strict UTC "YYYY-MM-DDTHH:MM:SSZ" (the PCS date format; also accepted by --at).
// kInvalidArgument otherwise.
Result<TimePoint> parseUtcTime(std::string_view text);

struct TcbLevel {
  std::array<std::uint8_t, 16> sgx_components{};
  std::uint16_t pce_svn = 0;
  std::array<std::uint8_t, 16> tdx_components{};
  std::string status;  // UpToDate, SWHardeningNeeded, ConfigurationNeeded, ... Revoked
  std::vector<std::string> advisory_ids;
};

struct IsvLevel {
  std::uint16_t isvsvn = 0;
  std::string status;
};

struct TdxModuleIdentity {
  std::string id;  // "TDX_<version as two hex digits>"
  Hash384 mrsigner{};
  std::array<std::uint8_t, 8> attributes{};
  std::array<std::uint8_t, 8> attributes_mask{};
  std::vector<IsvLevel> levels;
};

struct TcbInfo {
  TimePoint issue_date;
  TimePoint next_update;
  std::array<std::uint8_t, 6> fmspc{};
  std::array<std::uint8_t, 2> pce_id{};
  std::int64_t tcb_evaluation_data_number = 0;
  Hash384 module_mrsigner{};
  std::array<std::uint8_t, 8> module_attributes{};
  std::array<std::uint8_t, 8> module_attributes_mask{};
  std::vector<TdxModuleIdentity> module_identities;
  std::vector<TcbLevel> levels;  // in document order (Intel sorts them newest first)
};

struct QeIdentity {
  TimePoint issue_date;
  TimePoint next_update;
  std::int64_t tcb_evaluation_data_number = 0;
  std::uint32_t miscselect = 0;
  std::uint32_t miscselect_mask = 0;
  std::array<std::uint8_t, 16> attributes{};
  std::array<std::uint8_t, 16> attributes_mask{};
  std::array<std::uint8_t, 32> mrsigner{};
  std::uint16_t isvprodid = 0;
  std::vector<IsvLevel> levels;
};

// Parses `document` ({"tcbInfo":{...},"signature":"<hex r||s>"}, exactly as PCS serves
// it) after checking the ECDSA P-256 signature over the exact bytes of the tcbInfo
// value with `signer`. Errors: kInvalidArgument when the document does not have that
// shape or a field is missing or malformed (named); kUnauthenticated when the signature
// does not verify; kUnimplemented for an id other than "TDX", a version other than 3 or a
// tcbType other than 0.
Result<TcbInfo> parseTcbInfo(std::string_view document, const crypto::Key& signer);

// The same for {"enclaveIdentity":{...},"signature":...}: id "TD_QE", version 2.
Result<QeIdentity> parseQeIdentity(std::string_view document, const crypto::Key& signer);

// Collateral as read from a source, not yet verified.
struct RawCollateral {
  std::string tcb_info;
  std::string qe_identity;
  // DER or PEM CRLs (PCK Platform/Processor CA CRL, Root CA CRL); may be empty.
  std::vector<Bytes> crls;
};

// Where collateral comes from (Intel PCS, a PCCS, a directory). Implementations are
// thread-safe.
class CollateralSource {
 public:
  virtual ~CollateralSource() = default;
  // The collateral for a platform, nullopt when the source has none for this FMSPC.
  // Errors are the source's own (I/O, kInvalidArgument for oversized files).
  virtual Result<std::optional<RawCollateral>> fetch(
      const std::array<std::uint8_t, 6>& fmspc) const = 0;
};

// A directory laid out as trustee's tests and PCCS caches name the files:
//   <fmspc lowercase hex>.tcbinfo.json  or  tcbInfo.json     TCB info (the first found)
//   qeIdentity.json  or  enclaveIdentity.json                 TD QE identity
//   *.crl (DER or PEM)                                        CRLs, all of them
// nullopt when there is no TCB info file. Each file is capped at 1 MiB. What a fetch read
// is kept per FMSPC with the (size, mtime_ns, inode) of the directory and of every file it
// read; a later fetch answers from memory while all of them still stat the same, and reads
// everything again otherwise, so an operator's refresh (in place, by rename, a CRL added
// or removed) is seen on the next fetch.
class DirectoryCollateralSource final : public CollateralSource {
 public:
  explicit DirectoryCollateralSource(std::filesystem::path dir) : dir_(std::move(dir)) {}
  Result<std::optional<RawCollateral>> fetch(
      const std::array<std::uint8_t, 6>& fmspc) const override;

  // What identifies a file's version without reading it.
  struct FileStamp {
    std::string path;
    std::uint64_t size = 0;
    std::int64_t mtime_ns = 0;
    std::uint64_t inode = 0;
    bool operator==(const FileStamp&) const = default;
  };

 private:
  struct Entry {
    std::vector<FileStamp> stamps;
    std::optional<RawCollateral> raw;
  };
  Result<Entry> read(const std::array<std::uint8_t, 6>& fmspc) const;

  std::filesystem::path dir_;
  mutable std::mutex mu_;
  mutable std::map<std::array<std::uint8_t, 6>, Entry> cache_;  // guarded by mu_
};

// The TDX TCB status names (TCB info v3 tcbStatus values).
inline constexpr std::string_view kUpToDate = "UpToDate";
inline constexpr std::string_view kOutOfDate = "OutOfDate";
inline constexpr std::string_view kRevoked = "Revoked";

struct TcbEvaluation {
  std::string status;  // the converged status, or "Unknown"
  std::vector<std::string> advisory_ids;
  std::string tdx_module_status;  // empty when the module identity has no levels
  std::string qe_status;
};

// QVL's TDX TCB evaluation: the first TCB level whose SGX components and PCESVN are at most
// the PCK certificate's and whose TDX components are at most tee_tcb_svn (from byte 2 when
// tee_tcb_svn[1], the TDX module major version, is non-zero); the TDX module identity
// (TDX_<version>) level by tee_tcb_svn[0]; the QE identity level by the QE report's
// isvsvn; converged as QVL does (an OutOfDate module or QE makes UpToDate /
// SWHardeningNeeded OutOfDate and Configuration* OutOfDateConfigurationNeeded; a Revoked
// QE makes the result Revoked). kNotFound when no TCB level matches (QVL: TCB not
// supported); kPermissionDenied when the module's mrsigner/attributes or the QE report's
// mrsigner, isvprodid, miscselect or attributes do not match the identities (named).
Result<TcbEvaluation> evaluateTcb(const TcbInfo& tcb, const QeIdentity& qe,
                                  const std::array<std::uint8_t, 16>& pck_components,
                                  std::uint16_t pck_pce_svn, const TdReportBody& body,
                                  const EnclaveReport& qe_report);

}  // namespace cocoon::verify::tdx
