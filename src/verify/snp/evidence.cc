// SPDX-License-Identifier: Apache-2.0
// Decoding of the `snp` evidence JSON (CoCo's `sev`-crate serde form and the raw form).
#include "verify/snp/evidence.h"

#include <limits>
#include <string>

#include "common/encoding.h"

namespace cocoon::verify::snp {
namespace {

using json::Json;

Result<const Json*> member(const Json& obj, std::string_view key) {
  auto it = obj.find(key);
  if (it == obj.end()) {
    return fail(Code::kInvalidArgument, "{}: missing", key);
  }
  return &*it;
}

Result<std::uint64_t> readUint(const Json& obj, std::string_view key, std::uint64_t max) {
  COCOON_ASSIGN_OR_RETURN(const Json* v, member(obj, key));
  if (!v->is_number_integer() ||
      (v->is_number_integer() && !v->is_number_unsigned() && v->get<std::int64_t>() < 0)) {
    return fail(Code::kInvalidArgument, "{}: expected an unsigned integer", key);
  }
  const auto value = v->get<std::uint64_t>();
  if (value > max) {
    return fail(Code::kInvalidArgument, "{}: {} exceeds {}", key, value, max);
  }
  return value;
}

// An optional (absent or null) unsigned integer of the crate's Option<u8>/Option<u64>.
Result<std::optional<std::uint64_t>> readOptionalUint(const Json& obj, std::string_view key,
                                                      std::uint64_t max) {
  auto it = obj.find(key);
  if (it == obj.end() || it->is_null()) {
    return std::optional<std::uint64_t>{};
  }
  COCOON_ASSIGN_OR_RETURN(std::uint64_t v, readUint(obj, key, max));
  return std::optional<std::uint64_t>{v};
}

// A JSON array of byte values (serde's form of [u8; N] and Vec<u8>).
Result<Bytes> readByteArray(const Json& v, std::string_view key, std::size_t max_size) {
  if (!v.is_array()) {
    return fail(Code::kInvalidArgument, "{}: expected an array of bytes", key);
  }
  if (v.size() > max_size) {
    return fail(Code::kInvalidArgument, "{}: {} elements, at most {} allowed", key, v.size(),
                max_size);
  }
  Bytes out;
  out.reserve(v.size());
  for (std::size_t i = 0; i < v.size(); ++i) {
    const Json& e = v[i];
    if (!e.is_number_unsigned() || e.get<std::uint64_t>() > 0xFF) {
      return fail(Code::kInvalidArgument, "{}[{}]: expected a byte (0..255)", key, i);
    }
    out.push_back(static_cast<std::uint8_t>(e.get<std::uint64_t>()));
  }
  return out;
}

template <std::size_t N>
Status readFixed(const Json& obj, std::string_view key, std::array<std::uint8_t, N>& out) {
  COCOON_ASSIGN_OR_RETURN(const Json* v, member(obj, key));
  COCOON_ASSIGN_OR_RETURN(Bytes b, readByteArray(*v, key, N));
  if (b.size() != N) {
    return fail(Code::kInvalidArgument, "{}: {} bytes, expected {}", key, b.size(), N);
  }
  std::copy(b.begin(), b.end(), out.begin());
  return okStatus();
}

Result<TcbVersion> readTcb(const Json& obj, std::string_view key) {
  COCOON_ASSIGN_OR_RETURN(const Json* t, member(obj, key));
  if (!t->is_object()) {
    return fail(Code::kInvalidArgument, "{}: expected an object", key);
  }
  auto field = [&](std::string_view name) -> Result<std::uint8_t> {
    return withContext(readUint(*t, name, 0xFF), std::string(key)).map([](std::uint64_t v) {
      return static_cast<std::uint8_t>(v);
    });
  };
  TcbVersion tcb;
  COCOON_ASSIGN_OR_RETURN(tcb.bootloader, field("bootloader"));
  COCOON_ASSIGN_OR_RETURN(tcb.tee, field("tee"));
  COCOON_ASSIGN_OR_RETURN(tcb.snp, field("snp"));
  COCOON_ASSIGN_OR_RETURN(tcb.microcode, field("microcode"));
  COCOON_ASSIGN_OR_RETURN(auto fmc,
                          withContext(readOptionalUint(*t, "fmc", 0xFF), std::string(key)));
  if (fmc) {
    tcb.fmc = static_cast<std::uint8_t>(*fmc);
  }
  return tcb;
}

// Firmware version: the newest crate has {"major","minor","build"}, older ones flat
// current_build/current_minor/current_major members.
Status readVersion(const Json& obj, std::string_view name, std::uint8_t& build, std::uint8_t& minor,
                   std::uint8_t& major) {
  std::uint64_t b = 0;
  std::uint64_t mi = 0;
  std::uint64_t ma = 0;
  auto it = obj.find(name);
  if (it != obj.end() && it->is_object()) {
    COCOON_ASSIGN_OR_RETURN(b, withContext(readUint(*it, "build", 0xFF), std::string(name)));
    COCOON_ASSIGN_OR_RETURN(mi, withContext(readUint(*it, "minor", 0xFF), std::string(name)));
    COCOON_ASSIGN_OR_RETURN(ma, withContext(readUint(*it, "major", 0xFF), std::string(name)));
  } else {
    const std::string n(name);
    COCOON_ASSIGN_OR_RETURN(b, readUint(obj, n + "_build", 0xFF));
    COCOON_ASSIGN_OR_RETURN(mi, readUint(obj, n + "_minor", 0xFF));
    COCOON_ASSIGN_OR_RETURN(ma, readUint(obj, n + "_major", 0xFF));
  }
  build = static_cast<std::uint8_t>(b);
  minor = static_cast<std::uint8_t>(mi);
  major = static_cast<std::uint8_t>(ma);
  return okStatus();
}

Result<Bytes> reportFromSerde(const Json& o) {
  constexpr std::uint64_t kU32 = std::numeric_limits<std::uint32_t>::max();
  constexpr std::uint64_t kU64 = std::numeric_limits<std::uint64_t>::max();
  SnpReport r;
  COCOON_ASSIGN_OR_RETURN(std::uint64_t version, readUint(o, "version", kU32));
  if (version != 2 && version != 3 && version != 5) {
    return fail(Code::kUnimplemented, "version: {}, expected 2, 3 or 5", version);
  }
  r.version = static_cast<std::uint32_t>(version);
  COCOON_ASSIGN_OR_RETURN(std::uint64_t guest_svn, readUint(o, "guest_svn", kU32));
  r.guest_svn = static_cast<std::uint32_t>(guest_svn);
  COCOON_ASSIGN_OR_RETURN(r.policy, readUint(o, "policy", kU64));
  COCOON_TRY(readFixed(o, "family_id", r.family_id));
  COCOON_TRY(readFixed(o, "image_id", r.image_id));
  COCOON_ASSIGN_OR_RETURN(std::uint64_t vmpl, readUint(o, "vmpl", kU32));
  r.vmpl = static_cast<std::uint32_t>(vmpl);
  COCOON_ASSIGN_OR_RETURN(std::uint64_t algo, readUint(o, "sig_algo", kU32));
  r.signature_algo = static_cast<std::uint32_t>(algo);
  COCOON_ASSIGN_OR_RETURN(r.platform_info, readUint(o, "plat_info", kU64));
  const bool new_key_info = o.contains("key_info");
  COCOON_ASSIGN_OR_RETURN(std::uint64_t key_info,
                          readUint(o, new_key_info ? "key_info" : "_author_key_en", kU32));
  r.key_info = static_cast<std::uint32_t>(key_info);
  COCOON_TRY(readFixed(o, "report_data", r.report_data));
  COCOON_TRY(readFixed(o, "measurement", r.measurement));
  COCOON_TRY(readFixed(o, "host_data", r.host_data));
  COCOON_TRY(readFixed(o, "id_key_digest", r.id_key_digest));
  COCOON_TRY(readFixed(o, "author_key_digest", r.author_key_digest));
  COCOON_TRY(readFixed(o, "report_id", r.report_id));
  COCOON_TRY(readFixed(o, "report_id_ma", r.report_id_ma));
  COCOON_TRY(readFixed(o, "chip_id", r.chip_id));
  if (r.version >= 3) {
    COCOON_ASSIGN_OR_RETURN(auto fam, readOptionalUint(o, "cpuid_fam_id", 0xFF));
    COCOON_ASSIGN_OR_RETURN(auto mod, readOptionalUint(o, "cpuid_mod_id", 0xFF));
    COCOON_ASSIGN_OR_RETURN(auto step, readOptionalUint(o, "cpuid_step", 0xFF));
    r.cpuid_fam_id = static_cast<std::uint8_t>(fam.value_or(0));
    r.cpuid_mod_id = static_cast<std::uint8_t>(mod.value_or(0));
    r.cpuid_step = static_cast<std::uint8_t>(step.value_or(0));
  }
  if (r.version >= 5) {
    COCOON_ASSIGN_OR_RETURN(auto launch, readOptionalUint(o, "launch_mit_vector", kU64));
    COCOON_ASSIGN_OR_RETURN(auto current, readOptionalUint(o, "current_mit_vector", kU64));
    r.launch_mit_vector = launch.value_or(0);
    r.current_mit_vector = current.value_or(0);
  }
  COCOON_TRY(readVersion(o, "current", r.current_build, r.current_minor, r.current_major));
  COCOON_TRY(readVersion(o, "committed", r.committed_build, r.committed_minor, r.committed_major));
  COCOON_ASSIGN_OR_RETURN(TcbVersion current_tcb, readTcb(o, "current_tcb"));
  COCOON_ASSIGN_OR_RETURN(TcbVersion reported_tcb, readTcb(o, "reported_tcb"));
  COCOON_ASSIGN_OR_RETURN(TcbVersion committed_tcb, readTcb(o, "committed_tcb"));
  COCOON_ASSIGN_OR_RETURN(TcbVersion launch_tcb, readTcb(o, "launch_tcb"));
  // The crate writes Turin's layout when CPUID says Turin, and decodes fmc only then.
  const Product layout = r.product() == Product::kTurin || reported_tcb.fmc.has_value()
                             ? Product::kTurin
                             : Product::kMilan;
  r.current_tcb = encodeTcb(current_tcb, layout);
  r.reported_tcb = encodeTcb(reported_tcb, layout);
  r.committed_tcb = encodeTcb(committed_tcb, layout);
  r.launch_tcb = encodeTcb(launch_tcb, layout);
  COCOON_ASSIGN_OR_RETURN(const Json* sig, member(o, "signature"));
  if (!sig->is_object()) {
    return fail(Code::kInvalidArgument, "signature: expected an object");
  }
  COCOON_TRY(withContext(readFixed(*sig, "r", r.signature_r), "signature"));
  COCOON_TRY(withContext(readFixed(*sig, "s", r.signature_s), "signature"));
  return serializeSnpReport(r);
}

Result<CertKind> certKindOf(const Json& type, std::string& guid) {
  if (type.is_string()) {
    const auto& name = type.get_ref<const std::string&>();
    static constexpr std::pair<std::string_view, CertKind> kNames[] = {
        {"ARK", CertKind::kArk},   {"ASK", CertKind::kAsk},   {"VCEK", CertKind::kVcek},
        {"VLEK", CertKind::kVlek}, {"CRL", CertKind::kOther}, {"Empty", CertKind::kOther}};
    for (const auto& [n, kind] : kNames) {
      if (n == name) {
        return kind;
      }
    }
    return fail(Code::kInvalidArgument, "cert_type: unknown type '{}'", name.substr(0, 32));
  }
  if (type.is_object() && type.size() == 1 && type.contains("OTHER") && type["OTHER"].is_string()) {
    guid = type["OTHER"].get<std::string>().substr(0, 64);
    return certKindFromGuid(guid);
  }
  return fail(Code::kInvalidArgument, "cert_type: expected a string or {{\"OTHER\": guid}}");
}

Result<std::vector<CertEntry>> certsFromJson(const Json& chain) {
  std::vector<CertEntry> out;
  if (chain.is_null()) {
    return out;
  }
  if (!chain.is_array()) {
    return fail(Code::kInvalidArgument, "cert_chain: expected an array or null");
  }
  if (chain.size() > kMaxCertEntries) {
    return fail(Code::kInvalidArgument, "cert_chain: {} entries, at most {} allowed", chain.size(),
                kMaxCertEntries);
  }
  for (std::size_t i = 0; i < chain.size(); ++i) {
    const std::string where = fmt::format("cert_chain[{}]", i);
    if (!chain[i].is_object()) {
      return fail(Code::kInvalidArgument, "{}: expected an object", where);
    }
    CertEntry entry;
    COCOON_ASSIGN_OR_RETURN(const Json* type, withContext(member(chain[i], "cert_type"), where));
    COCOON_ASSIGN_OR_RETURN(entry.kind, withContext(certKindOf(*type, entry.guid), where));
    COCOON_ASSIGN_OR_RETURN(const Json* data, withContext(member(chain[i], "data"), where));
    COCOON_ASSIGN_OR_RETURN(entry.data,
                            withContext(readByteArray(*data, "data", kMaxCertBytes), where));
    out.push_back(std::move(entry));
  }
  return out;
}

}  // namespace

Result<SnpEvidence> parseSnpEvidence(const json::Json& evidence) {
  if (!evidence.is_object()) {
    return fail(Code::kInvalidArgument, "snp evidence: expected a JSON object");
  }
  COCOON_ASSIGN_OR_RETURN(const Json* report, member(evidence, "attestation_report"));
  SnpEvidence out;
  if (report->is_string()) {
    COCOON_ASSIGN_OR_RETURN(
        Bytes raw,
        withContext(base64Decode(report->get_ref<const std::string&>()), "attestation_report"));
    if (raw.size() < kReportSize) {
      return fail(Code::kInvalidArgument, "attestation_report: {} bytes, expected at least {}",
                  raw.size(), kReportSize);
    }
    if (raw.size() > kReportSize) {
      COCOON_ASSIGN_OR_RETURN(out.certs, parseCertTable(ByteSpan(raw).subspan(kReportSize)));
    }
    raw.resize(kReportSize);
    out.report = std::move(raw);
  } else if (report->is_object()) {
    COCOON_ASSIGN_OR_RETURN(out.report,
                            withContext(reportFromSerde(*report), "attestation_report"));
  } else {
    return fail(Code::kInvalidArgument,
                "attestation_report: expected an object (sev serde) or a base64 string");
  }
  if (auto it = evidence.find("cert_chain"); it != evidence.end()) {
    COCOON_ASSIGN_OR_RETURN(std::vector<CertEntry> certs, certsFromJson(*it));
    out.certs.insert(out.certs.end(), certs.begin(), certs.end());
  }
  return out;
}

json::Json snpReportToJson(const SnpReport& r) {
  const Product layout = r.product().value_or(Product::kMilan);
  auto tcb = [layout](const std::array<std::uint8_t, 8>& raw) {
    const TcbVersion t = decodeTcb(raw, layout);
    Json j = {
        {"bootloader", t.bootloader}, {"tee", t.tee}, {"snp", t.snp}, {"microcode", t.microcode}};
    j["fmc"] = t.fmc ? Json(*t.fmc) : Json(nullptr);
    return j;
  };
  auto opt = [](const auto& v) { return v ? Json(*v) : Json(nullptr); };
  auto arr = [](const auto& a) { return Json(std::vector<std::uint8_t>(a.begin(), a.end())); };
  Json j = Json::object();
  j["version"] = r.version;
  j["guest_svn"] = r.guest_svn;
  j["policy"] = r.policy;
  j["family_id"] = arr(r.family_id);
  j["image_id"] = arr(r.image_id);
  j["vmpl"] = r.vmpl;
  j["sig_algo"] = r.signature_algo;
  j["current_tcb"] = tcb(r.current_tcb);
  j["plat_info"] = r.platform_info;
  j["key_info"] = r.key_info;
  j["report_data"] = arr(r.report_data);
  j["measurement"] = arr(r.measurement);
  j["host_data"] = arr(r.host_data);
  j["id_key_digest"] = arr(r.id_key_digest);
  j["author_key_digest"] = arr(r.author_key_digest);
  j["report_id"] = arr(r.report_id);
  j["report_id_ma"] = arr(r.report_id_ma);
  j["reported_tcb"] = tcb(r.reported_tcb);
  j["cpuid_fam_id"] = opt(r.cpuid_fam_id);
  j["cpuid_mod_id"] = opt(r.cpuid_mod_id);
  j["cpuid_step"] = opt(r.cpuid_step);
  j["chip_id"] = arr(r.chip_id);
  j["committed_tcb"] = tcb(r.committed_tcb);
  j["current"] = {
      {"major", r.current_major}, {"minor", r.current_minor}, {"build", r.current_build}};
  j["committed"] = {
      {"major", r.committed_major}, {"minor", r.committed_minor}, {"build", r.committed_build}};
  j["launch_tcb"] = tcb(r.launch_tcb);
  j["launch_mit_vector"] = opt(r.launch_mit_vector);
  j["current_mit_vector"] = opt(r.current_mit_vector);
  j["signature"] = {{"r", arr(r.signature_r)}, {"s", arr(r.signature_s)}};
  return j;
}

}  // namespace cocoon::verify::snp
