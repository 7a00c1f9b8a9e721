// SPDX-License-Identifier: Apache-2.0
// TCB info v3 / QE identity v2 parsing with their signatures (Intel PCS API v4), and the
// collateral directory.
#include "verify/tdx/collateral.h"

#include <algorithm>
#include <cstdio>

#include <sys/stat.h>

#include "common/encoding.h"
#include "common/files.h"
#include "crypto/signature.h"
#include "json/json.h"

namespace cocoon::verify::tdx {
namespace {

constexpr std::size_t kMaxCollateralFile = 1024 * 1024;

// The signed body of a PCS document {"<member>":<body>,"signature":"<hex>"}: PCS signs
// the exact bytes of <body>, so they are cut from the text, never re-serialized.
struct SignedDocument {
  std::string_view body;
  Bytes signature;
  json::Json value;  // the parsed <body>
};

Result<SignedDocument> splitSigned(std::string_view text, std::string_view member) {
  while (!text.empty() && (text.back() == '\n' || text.back() == '\r' || text.back() == ' ')) {
    text.remove_suffix(1);
  }
  const std::string prefix = fmt::format("{{\"{}\":", member);
  constexpr std::string_view kSigKey = ",\"signature\":\"";
  const std::size_t sig_at = text.rfind(kSigKey);
  if (!text.starts_with(prefix) || sig_at == std::string_view::npos || !text.ends_with("\"}") ||
      sig_at < prefix.size()) {
    return fail(Code::kInvalidArgument,
                "collateral is not {{\"{}\":{{...}},\"signature\":\"<hex>\"}} as PCS serves it",
                member);
  }
  SignedDocument d;
  d.body = text.substr(prefix.size(), sig_at - prefix.size());
  const std::size_t hex_at = sig_at + kSigKey.size();
  COCOON_ASSIGN_OR_RETURN(d.signature,
                          withContext(hexDecode(text.substr(hex_at, text.size() - 2 - hex_at)),
                                      "collateral signature"));
  COCOON_ASSIGN_OR_RETURN(json::Json whole, json::parseJson(text));
  COCOON_ASSIGN_OR_RETURN(d.value, json::parseJson(d.body));
  if (!whole.is_object() || whole.size() != 2 || !d.value.is_object()) {
    return fail(Code::kInvalidArgument, "collateral has members other than {} and signature",
                member);
  }
  return d;
}

Status verifySigned(const SignedDocument& d, const crypto::Key& signer, std::string_view what) {
  auto ok = crypto::verify(signer, crypto::SignatureScheme::kEcdsaSha256, asBytes(d.body),
                           d.signature, crypto::EcdsaEncoding::kRaw);
  if (!ok) {
    return fail(Code::kUnauthenticated, "{} signature does not verify with the TCB Signing key",
                what);
  }
  return okStatus();
}

template <std::size_t N>
Status hexField(const json::Json& obj, std::string_view key, std::array<std::uint8_t, N>& out) {
  COCOON_ASSIGN_OR_RETURN(std::string text, json::getString(obj, key));
  COCOON_ASSIGN_OR_RETURN(Bytes bytes, withContext(hexDecode(text), std::string(key)));
  if (bytes.size() != N) {
    return fail(Code::kInvalidArgument, "{} has {} bytes, expected {}", key, bytes.size(), N);
  }
  std::copy(bytes.begin(), bytes.end(), out.begin());
  return okStatus();
}

Result<std::uint32_t> uintField(const json::Json& obj, std::string_view key, std::uint32_t max) {
  COCOON_ASSIGN_OR_RETURN(std::int64_t v, json::getInt(obj, key));
  if (v < 0 || v > max) {
    return fail(Code::kInvalidArgument, "{} is {}, expected 0..{}", key, v, max);
  }
  return static_cast<std::uint32_t>(v);
}

Result<TimePoint> timeField(const json::Json& obj, std::string_view key) {
  COCOON_ASSIGN_OR_RETURN(std::string text, json::getString(obj, key));
  return withContext(parseUtcTime(text), std::string(key));
}

Result<std::vector<IsvLevel>> isvLevels(const json::Json& obj) {
  COCOON_ASSIGN_OR_RETURN(const json::Json* levels, json::getArray(obj, "tcbLevels"));
  std::vector<IsvLevel> out;
  for (const json::Json& l : *levels) {
    COCOON_ASSIGN_OR_RETURN(const json::Json* tcb, json::getObject(l, "tcb"));
    IsvLevel level;
    COCOON_ASSIGN_OR_RETURN(std::uint32_t svn, uintField(*tcb, "isvsvn", 0xffff));
    level.isvsvn = static_cast<std::uint16_t>(svn);
    COCOON_ASSIGN_OR_RETURN(level.status, json::getString(l, "tcbStatus"));
    out.push_back(std::move(level));
  }
  return out;
}

Status components(const json::Json& tcb, std::string_view key, std::array<std::uint8_t, 16>& out) {
  COCOON_ASSIGN_OR_RETURN(const json::Json* list, json::getArray(tcb, key));
  if (list->size() != out.size()) {
    return fail(Code::kInvalidArgument, "{} has {} entries, expected 16", key, list->size());
  }
  for (std::size_t i = 0; i < out.size(); ++i) {
    COCOON_ASSIGN_OR_RETURN(std::uint32_t svn, uintField((*list)[i], "svn", 255));
    out[i] = static_cast<std::uint8_t>(svn);
  }
  return okStatus();
}

Result<TcbLevel> tcbLevel(const json::Json& l) {
  TcbLevel level;
  COCOON_ASSIGN_OR_RETURN(const json::Json* tcb, json::getObject(l, "tcb"));
  COCOON_TRY(components(*tcb, "sgxtcbcomponents", level.sgx_components));
  COCOON_TRY(components(*tcb, "tdxtcbcomponents", level.tdx_components));
  COCOON_ASSIGN_OR_RETURN(std::uint32_t pce, uintField(*tcb, "pcesvn", 0xffff));
  level.pce_svn = static_cast<std::uint16_t>(pce);
  COCOON_ASSIGN_OR_RETURN(level.status, json::getString(l, "tcbStatus"));
  if (auto it = l.find("advisoryIDs"); it != l.end() && it->is_array()) {
    for (const json::Json& id : *it) {
      if (id.is_string()) {
        level.advisory_ids.push_back(id.get<std::string>());
      }
    }
  }
  return level;
}

Result<TcbInfo> tcbInfoFrom(const json::Json& v) {
  COCOON_ASSIGN_OR_RETURN(std::string id, json::getString(v, "id"));
  COCOON_ASSIGN_OR_RETURN(std::int64_t version, json::getInt(v, "version"));
  COCOON_ASSIGN_OR_RETURN(std::int64_t tcb_type, json::getInt(v, "tcbType"));
  if (id != "TDX" || version != 3 || tcb_type != 0) {
    return fail(Code::kUnimplemented,
                "TCB info id {} version {} tcbType {}, expected TDX version 3 tcbType 0", id,
                version, tcb_type);
  }
  TcbInfo t;
  COCOON_ASSIGN_OR_RETURN(t.issue_date, timeField(v, "issueDate"));
  COCOON_ASSIGN_OR_RETURN(t.next_update, timeField(v, "nextUpdate"));
  COCOON_TRY(hexField(v, "fmspc", t.fmspc));
  COCOON_TRY(hexField(v, "pceId", t.pce_id));
  COCOON_ASSIGN_OR_RETURN(t.tcb_evaluation_data_number, json::getInt(v, "tcbEvaluationDataNumber"));
  COCOON_ASSIGN_OR_RETURN(const json::Json* module, json::getObject(v, "tdxModule"));
  COCOON_TRY(hexField(*module, "mrsigner", t.module_mrsigner));
  COCOON_TRY(hexField(*module, "attributes", t.module_attributes));
  COCOON_TRY(hexField(*module, "attributesMask", t.module_attributes_mask));
  if (auto it = v.find("tdxModuleIdentities"); it != v.end()) {
    if (!it->is_array()) {
      return fail(Code::kInvalidArgument, "tdxModuleIdentities is not an array");
    }
    for (const json::Json& m : *it) {
      TdxModuleIdentity mi;
      COCOON_ASSIGN_OR_RETURN(mi.id, json::getString(m, "id"));
      COCOON_TRY(hexField(m, "mrsigner", mi.mrsigner));
      COCOON_TRY(hexField(m, "attributes", mi.attributes));
      COCOON_TRY(hexField(m, "attributesMask", mi.attributes_mask));
      COCOON_ASSIGN_OR_RETURN(mi.levels, isvLevels(m));
      t.module_identities.push_back(std::move(mi));
    }
  }
  COCOON_ASSIGN_OR_RETURN(const json::Json* levels, json::getArray(v, "tcbLevels"));
  for (const json::Json& l : *levels) {
    COCOON_ASSIGN_OR_RETURN(TcbLevel level, withContext(tcbLevel(l), "tcbLevels"));
    t.levels.push_back(std::move(level));
  }
  return t;
}

Result<QeIdentity> qeIdentityFrom(const json::Json& v) {
  COCOON_ASSIGN_OR_RETURN(std::string id, json::getString(v, "id"));
  COCOON_ASSIGN_OR_RETURN(std::int64_t version, json::getInt(v, "version"));
  if (id != "TD_QE" || version != 2) {
    return fail(Code::kUnimplemented, "QE identity id {} version {}, expected TD_QE version 2", id,
                version);
  }
  QeIdentity q;
  COCOON_ASSIGN_OR_RETURN(q.issue_date, timeField(v, "issueDate"));
  COCOON_ASSIGN_OR_RETURN(q.next_update, timeField(v, "nextUpdate"));
  COCOON_ASSIGN_OR_RETURN(q.tcb_evaluation_data_number, json::getInt(v, "tcbEvaluationDataNumber"));
  std::array<std::uint8_t, 4> misc{}, misc_mask{};
  COCOON_TRY(hexField(v, "miscselect", misc));
  COCOON_TRY(hexField(v, "miscselectMask", misc_mask));
  // PCS prints miscselect as the big-endian hex of the 32-bit value.
  for (std::size_t i = 0; i < 4; ++i) {
    q.miscselect = (q.miscselect << 8) | misc[i];
    q.miscselect_mask = (q.miscselect_mask << 8) | misc_mask[i];
  }
  COCOON_TRY(hexField(v, "attributes", q.attributes));
  COCOON_TRY(hexField(v, "attributesMask", q.attributes_mask));
  COCOON_TRY(hexField(v, "mrsigner", q.mrsigner));
  COCOON_ASSIGN_OR_RETURN(std::uint32_t prod, uintField(v, "isvprodid", 0xffff));
  q.isvprodid = static_cast<std::uint16_t>(prod);
  COCOON_ASSIGN_OR_RETURN(q.levels, isvLevels(v));
  return q;
}

using FileStamp = DirectoryCollateralSource::FileStamp;

// nullopt when `path` does not exist (or cannot be stat'ed: the read that follows reports it).
std::optional<FileStamp> stampOf(const std::filesystem::path& path) {
  struct stat st {};
  if (::stat(path.c_str(), &st) != 0) {
    return std::nullopt;
  }
  return FileStamp{path.string(), static_cast<std::uint64_t>(st.st_size),
                   std::int64_t{st.st_mtim.tv_sec} * 1'000'000'000 + st.st_mtim.tv_nsec,
                   static_cast<std::uint64_t>(st.st_ino)};
}

// Stamps before reading: a file replaced after its stamp differs from it on the next fetch.
Result<Bytes> readStamped(const std::filesystem::path& path, std::vector<FileStamp>& stamps) {
  if (auto stamp = stampOf(path)) {
    stamps.push_back(std::move(*stamp));
  }
  return readFile(path, kMaxCollateralFile);
}

Result<std::string> readFirst(const std::filesystem::path& dir,
                              std::initializer_list<std::string> names, bool& found,
                              std::vector<FileStamp>& stamps) {
  for (const std::string& name : names) {
    auto stamp = stampOf(dir / name);
    auto text = readTextFile(dir / name, kMaxCollateralFile);
    if (text) {
      if (stamp) {
        stamps.push_back(std::move(*stamp));
      }
      found = true;
      return text;
    }
    if (text.error().code != Code::kNotFound) {
      return fail(text.error());
    }
  }
  found = false;
  return std::string();
}

}  // namespace

Result<TimePoint> parseUtcTime(std::string_view text) {
  int y = 0, mo = 0, d = 0, h = 0, mi = 0, s = 0;
  char z = 0;
  int consumed = 0;
  const std::string copy(text);
  if (text.size() != 20 ||
      std::sscanf(copy.c_str(), "%4d-%2d-%2dT%2d:%2d:%2d%c%n", &y, &mo, &d, &h, &mi, &s, &z,
                  &consumed) != 7 ||
      consumed != 20 || z != 'Z') {
    return fail(Code::kInvalidArgument, "time '{}' is not YYYY-MM-DDTHH:MM:SSZ", text);
  }
  const std::chrono::year_month_day ymd{std::chrono::year{y},
                                        std::chrono::month{static_cast<unsigned>(mo)},
                                        std::chrono::day{static_cast<unsigned>(d)}};
  // PCS dates are recent; the bound also keeps the nanosecond TimePoint from overflowing.
  if (y < 1970 || y > 2200) {
    return fail(Code::kInvalidArgument, "time '{}' is outside the years 1970-2200", text);
  }
  if (!ymd.ok() || h > 23 || mi > 59 || s > 59 || h < 0 || mi < 0 || s < 0) {
    return fail(Code::kInvalidArgument, "time '{}' is not a valid date and time", text);
  }
  return TimePoint(std::chrono::sys_days(ymd)) + std::chrono::hours(h) + std::chrono::minutes(mi) +
         std::chrono::seconds(s);
}

Result<TcbInfo> parseTcbInfo(std::string_view document, const crypto::Key& signer) {
  COCOON_ASSIGN_OR_RETURN(SignedDocument d, splitSigned(document, "tcbInfo"));
  COCOON_TRY(verifySigned(d, signer, "TCB info"));
  return withContext(tcbInfoFrom(d.value), "TCB info");
}

Result<QeIdentity> parseQeIdentity(std::string_view document, const crypto::Key& signer) {
  COCOON_ASSIGN_OR_RETURN(SignedDocument d, splitSigned(document, "enclaveIdentity"));
  COCOON_TRY(verifySigned(d, signer, "QE identity"));
  return withContext(qeIdentityFrom(d.value), "QE identity");
}

Result<std::optional<RawCollateral>> DirectoryCollateralSource::fetch(
    const std::array<std::uint8_t, 6>& fmspc) const {
  const std::lock_guard lock(mu_);
  if (auto it = cache_.find(fmspc); it != cache_.end()) {
    const auto& stamps = it->second.stamps;
    if (std::all_of(stamps.begin(), stamps.end(),
                    [](const FileStamp& s) { return stampOf(s.path) == s; })) {
      return it->second.raw;
    }
    cache_.erase(it);
  }
  COCOON_ASSIGN_OR_RETURN(Entry entry, read(fmspc));
  auto raw = entry.raw;
  cache_.emplace(fmspc, std::move(entry));
  return raw;
}

Result<DirectoryCollateralSource::Entry> DirectoryCollateralSource::read(
    const std::array<std::uint8_t, 6>& fmspc) const {
  Entry entry;
  // The directory's own stamp changes when a file is added, removed or renamed into it.
  auto dir_stamp = stampOf(dir_);
  if (!dir_stamp) {
    return fail(Code::kNotFound, "collateral directory {} does not exist", dir_.string());
  }
  entry.stamps.push_back(std::move(*dir_stamp));
  RawCollateral raw;
  bool found = false;
  COCOON_ASSIGN_OR_RETURN(
      raw.tcb_info,
      readFirst(dir_, {hexEncode(fmspc) + ".tcbinfo.json", "tcbInfo.json"}, found, entry.stamps));
  if (!found) {
    return entry;
  }
  COCOON_ASSIGN_OR_RETURN(
      raw.qe_identity,
      readFirst(dir_, {"qeIdentity.json", "enclaveIdentity.json"}, found, entry.stamps));
  if (!found) {
    return fail(Code::kNotFound, "{} has TCB info but no qeIdentity.json or enclaveIdentity.json",
                dir_.string());
  }
  std::error_code ec;
  std::vector<std::filesystem::path> crl_files;
  for (const auto& file : std::filesystem::directory_iterator(dir_, ec)) {
    if (file.path().extension() == ".crl") {
      crl_files.push_back(file.path());
    }
  }
  std::sort(crl_files.begin(), crl_files.end());
  for (const auto& path : crl_files) {
    COCOON_ASSIGN_OR_RETURN(Bytes crl, readStamped(path, entry.stamps));
    raw.crls.push_back(std::move(crl));
  }
  entry.raw = std::move(raw);
  return entry;
}

}  // namespace cocoon::verify::tdx
