// SPDX-License-Identifier: Apache-2.0
// Fuzzes JWS parsing and verification, compact and JSON, against fixed keys (RFC 7515 A.2
// RSA, A.3 P-256, RFC 8037 Ed25519) with every algorithm allowed: nothing may crash, and
// a payload that parses re-encodes to exactly the text it came from.
#include <cstdint>
#include <cstdlib>
#include <string_view>

#include "common/encoding.h"
#include "crypto/jose/jws.h"

namespace {

using cocoon::jose::JwkSet;

constexpr std::string_view kKeys[] = {
    R"({"kty":"RSA","kid":"rsa","n":"ofgWCuLjybRlzo0tZWJjNiuSfb4p4fAkd_wWJcyQoTbji9k0l8W26mPddx)"
    R"(HmfHQp-Vaw-4qPCJrcS2mJPMEzP1Pt0Bm4d4QlL-yRT-SFd2lZS-pCgNMsD1W_YpRPEwOWvG6b32690r2jZ47soMZ)"
    R"(o9wGzjb_7OMg0LOL-bSf63kpaSHSXndS5z5rexMdbBYUsLA9e-KXBdQOS-UTo7WTBEMa2R2CapHg665xsmtdVMTBQ)"
    R"(Y4uDZlxvb3qCo5ZwKh9kG4LT6_I5IhlJH7aGhyxXFvUK-DWNmoudF8NAco9_h9iaGNj8q2ethFkMLs91kzk2PAcDT)"
    R"(W9gb54h4FRWyuXpoQ","e":"AQAB"})",
    R"({"kty":"EC","kid":"ec","crv":"P-256","x":"f83OJ3D2xF1Bg8vub9tLe1gHMzV76e8Tus9uPHvRVEU",)"
    R"("y":"x_FEzRu9m36HLN_tue659LNpXW6pCyStikYjKIWI5a0"})",
    R"({"kty":"OKP","kid":"ed","crv":"Ed25519","x":"11qYAYKxCrfVS_7TyWQHOg7hcvPapiMlrwIaaPcHURo"})",
};

const JwkSet& keys() {
  static const JwkSet set = [] {
    JwkSet s;
    for (std::string_view text : kKeys) {
      s.keys.push_back(cocoon::jose::parseJwk(text).value());
    }
    return s;
  }();
  return set;
}

void checkPayload(const cocoon::jose::ParsedJws& jws) {
  if (cocoon::base64UrlEncode(jws.payload) != jws.payload_b64) {
    std::abort();
  }
}

}  // namespace

extern "C" int LLVMFuzzerTestOneInput(const std::uint8_t* data, std::size_t size) {
  using namespace cocoon::jose;
  const std::string_view text(reinterpret_cast<const char*>(data), size);
  auto all = allJwsAlgorithms();
  const JwsVerifyOptions options{{all.begin(), all.end()}};
  if (auto compact = parseJwsCompact(text)) {
    checkPayload(*compact);
    (void)verifyJws(*compact, keys(), options);
    (void)verifyJws(*compact, keys().keys[1].key, options);
  }
  if (auto json = parseJwsJson(text)) {
    checkPayload(*json);
    (void)verifyJws(*json, keys(), options);
    (void)verifyJws(*json, keys().keys[0].key, options);
  }
  return 0;
}
