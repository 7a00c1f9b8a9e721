// SPDX-License-Identifier: Apache-2.0
// report_data and init-data digests of the KBS protocol.
#include "kbs_protocol/binding.h"

#include <string>

namespace cocoon::kbs_protocol {
namespace {

Status checkHash(crypto::DigestAlgorithm hash) {
  if (hash == crypto::DigestAlgorithm::kSha1) {
    return fail(Code::kInvalidArgument, "hash sha1 is not allowed for KBS bindings");
  }
  return okStatus();
}

}  // namespace

Result<Bytes> runtimeDataDigest(std::string_view nonce, const json::Json& tee_pubkey_jwk,
                                std::optional<std::string_view> additional_evidence,
                                crypto::DigestAlgorithm hash) {
  COCOON_TRY(checkHash(hash));
  json::Json object = json::Json::object();
  object["nonce"] = std::string(nonce);
  object["tee-pubkey"] = tee_pubkey_jwk;
  if (additional_evidence) {
    object["additional-evidence"] = std::string(*additional_evidence);
  }
  COCOON_ASSIGN_OR_RETURN(std::string canonical,
                          withContext(json::canonicalize(object), "runtime data"));
  return crypto::digest(hash, asBytes(canonical));
}

Result<Bytes> padReportData(ByteSpan digest, std::size_t field_size) {
  if (digest.size() > field_size) {
    return fail(Code::kInvalidArgument, "digest of {} bytes does not fit a {}-byte field",
                digest.size(), field_size);
  }
  Bytes out(digest.begin(), digest.end());
  out.resize(field_size, 0);
  return out;
}

Result<Bytes> initDataDigest(std::string_view init_data, crypto::DigestAlgorithm hash,
                             std::size_t field_size) {
  COCOON_TRY(checkHash(hash));
  Bytes out = crypto::digest(hash, asBytes(init_data));
  out.resize(field_size, 0);
  return out;
}

}  // namespace cocoon::kbs_protocol
