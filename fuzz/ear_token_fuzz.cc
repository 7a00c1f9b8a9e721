// SPDX-License-Identifier: Apache-2.0
// Fuzzes EAR token verification. First byte 0: the rest is a token, verified against a
// fixed key (RFC 7515 A.3). Otherwise the rest is a claims set, signed with that key so
// that the claim checks behind the signature get fuzzed too; whatever verifies must hold
// a public tee-pubkey.
#include <chrono>
#include <cstdint>
#include <cstdlib>
#include <string_view>

#include "crypto/jose/jwt.h"
#include "kbs/token/ear.h"

namespace {

namespace crypto = cocoon::crypto;
namespace jose = cocoon::jose;
namespace json = cocoon::json;
namespace kbs = cocoon::kbs;

// RFC 7515 Appendix A.3.1 (ES256) key, private part included.
constexpr std::string_view kKey =
    R"({"kty":"EC","crv":"P-256","x":"f83OJ3D2xF1Bg8vub9tLe1gHMzV76e8Tus9uPHvRVEU",)"
    R"("y":"x_FEzRu9m36HLN_tue659LNpXW6pCyStikYjKIWI5a0",)"
    R"("d":"jpsQnnGQmL-YBIffH1136cspYG6-0iY7X1fCE9-E9LI"})";

const crypto::Key& key() {
  static const crypto::Key k = jose::parseJwk(kKey).value().key;
  return k;
}

const jose::JwkSet& keys() {
  static const jose::JwkSet set = [] {
    const crypto::Key list[] = {key()};
    return kbs::token::earVerificationKeys(list).value();
  }();
  return set;
}

void check(const jose::JoseResult<kbs::token::EarToken>& token) {
  if (token && token->tee_pubkey.key.hasPrivate()) {
    std::abort();
  }
}

}  // namespace

extern "C" int LLVMFuzzerTestOneInput(const std::uint8_t* data, std::size_t size) {
  if (size == 0) {
    return 0;
  }
  const std::string_view text(reinterpret_cast<const char*>(data + 1), size - 1);
  const auto now = std::chrono::system_clock::time_point(std::chrono::seconds(1'800'000'000));
  if (data[0] == 0) {
    check(kbs::token::verifyEarToken(text, keys(), now));
    return 0;
  }
  auto claims = json::parseJson(text, {64 * 1024, 32});
  if (!claims || !claims->is_object()) {
    return 0;
  }
  jose::JwsSigner signer{key(), jose::JwsAlgorithm::kEs256,
                         json::Json{{"kid", jose::jwkThumbprintBase64Url(key())}}};
  auto token = jose::signJwt(*claims, signer);
  if (token) {
    check(kbs::token::verifyEarToken(*token, keys(), now));
  }
  return 0;
}
