// SPDX-License-Identifier: Apache-2.0
// Decoding of the `tpm` evidence JSON (shape and sizes only).
#include "verify/tpm/evidence.h"

#include <initializer_list>

#include "common/encoding.h"

namespace cocoon::verify::tpm {
namespace {

Status onlyMembers(const json::Json& object, std::string_view where,
                   std::initializer_list<std::string_view> allowed) {
  for (const auto& [key, value] : object.items()) {
    bool known = false;
    for (std::string_view a : allowed) {
      known = known || key == a;
    }
    if (!known) {
      return fail(Code::kInvalidArgument, "{} has unknown member '{}'", where, key);
    }
  }
  return okStatus();
}

Result<Bytes> base64Member(const json::Json& object, std::string_view key) {
  COCOON_ASSIGN_OR_RETURN(std::string text, json::getString(object, key));
  return withContext(base64Decode(text), std::string(key));
}

}  // namespace

Result<TpmEvidence> parseTpmEvidence(const json::Json& evidence) {
  if (!evidence.is_object()) {
    return fail(Code::kInvalidArgument, "tpm evidence is not a JSON object");
  }
  COCOON_TRY(onlyMembers(evidence, "tpm evidence",
                         {"ak_public", "tpm_quote", "ak_cert_chain", "eventlog"}));
  TpmEvidence out;
  COCOON_ASSIGN_OR_RETURN(out.ak_public_b64, json::getString(evidence, "ak_public"));
  COCOON_ASSIGN_OR_RETURN(out.ak_public_der,
                          withContext(base64Decode(out.ak_public_b64), "ak_public"));

  COCOON_ASSIGN_OR_RETURN(const json::Json* quote, json::getObject(evidence, "tpm_quote"));
  COCOON_TRY(onlyMembers(*quote, "tpm_quote", {"message", "signature", "pcrs"}));
  COCOON_ASSIGN_OR_RETURN(out.message, base64Member(*quote, "message"));
  COCOON_ASSIGN_OR_RETURN(out.signature, base64Member(*quote, "signature"));
  COCOON_ASSIGN_OR_RETURN(const json::Json* pcrs, json::getArray(*quote, "pcrs"));
  if (pcrs->size() != kPcrCount) {
    return fail(Code::kInvalidArgument, "tpm_quote.pcrs has {} values, expected {}", pcrs->size(),
                kPcrCount);
  }
  for (std::size_t i = 0; i < pcrs->size(); ++i) {
    const json::Json& pcr = (*pcrs)[i];
    if (!pcr.is_string()) {
      return fail(Code::kInvalidArgument, "tpm_quote.pcrs[{}] is not a string", i);
    }
    COCOON_ASSIGN_OR_RETURN(Bytes value, withContext(hexDecode(pcr.get<std::string>()),
                                                     fmt::format("tpm_quote.pcrs[{}]", i)));
    if (value.size() != kSha256Size) {
      return fail(Code::kInvalidArgument, "tpm_quote.pcrs[{}] has {} bytes, expected {}", i,
                  value.size(), kSha256Size);
    }
    out.pcrs.push_back(std::move(value));
  }

  if (evidence.contains("ak_cert_chain")) {
    COCOON_ASSIGN_OR_RETURN(const json::Json* chain, json::getArray(evidence, "ak_cert_chain"));
    if (chain->empty() || chain->size() > kMaxAkCertificates) {
      return fail(Code::kInvalidArgument, "ak_cert_chain has {} certificates, expected 1..{}",
                  chain->size(), kMaxAkCertificates);
    }
    for (std::size_t i = 0; i < chain->size(); ++i) {
      if (!(*chain)[i].is_string()) {
        return fail(Code::kInvalidArgument, "ak_cert_chain[{}] is not a string", i);
      }
      COCOON_ASSIGN_OR_RETURN(Bytes der, withContext(base64Decode((*chain)[i].get<std::string>()),
                                                     fmt::format("ak_cert_chain[{}]", i)));
      out.ak_cert_chain.push_back(std::move(der));
    }
  }
  if (evidence.contains("eventlog")) {
    COCOON_ASSIGN_OR_RETURN(Bytes log, base64Member(evidence, "eventlog"));
    if (log.size() > kMaxEventLogSize) {
      return fail(Code::kInvalidArgument, "eventlog has {} bytes, more than the cap {}", log.size(),
                  kMaxEventLogSize);
    }
    out.event_log = std::move(log);
  }
  return out;
}

}  // namespace cocoon::verify::tpm
