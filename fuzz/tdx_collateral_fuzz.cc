// SPDX-License-Identifier: Apache-2.0
// Fuzzes the TDX collateral parsers (TCB info v3, QE identity v2). The first byte picks the
// parser and whether the rest is a whole PCS document or only its signed value, which is
// then wrapped and signed with the fuzzer's own key so that the field checks run too.
#include <cstdint>
#include <cstdlib>
#include <string>

#include "common/bytes.h"
#include "common/encoding.h"
#include "crypto/key.h"
#include "crypto/signature.h"
#include "json/json.h"
#include "verify/tdx/collateral.h"

namespace {

using namespace cocoon;

const crypto::Key& signer() {
  static const crypto::Key kKey = *crypto::Key::generate(crypto::KeyType::kEcP256);
  return kKey;
}

// {"<member>":<value>,"signature":"<hex r||s by signer()>"}: the exact bytes of `value`
// are what PCS signs, so a fuzzed value reaches the field checks.
std::string signedDocument(std::string_view member, std::string_view value) {
  auto sig = crypto::sign(signer(), crypto::SignatureScheme::kEcdsaSha256, asBytes(value),
                          crypto::EcdsaEncoding::kRaw);
  if (!sig) {
    std::abort();
  }
  return std::string("{\"") + std::string(member) + "\":" + std::string(value) +
         ",\"signature\":\"" + hexEncode(*sig) + "\"}";
}

}  // namespace

extern "C" int LLVMFuzzerTestOneInput(const std::uint8_t* data, std::size_t size) {
  if (size == 0) {
    return 0;
  }
  const std::string_view text(reinterpret_cast<const char*>(data + 1), size - 1);
  switch (data[0] % 4) {
    case 0:  // the document as received (signature mostly fails, shape checks run)
      (void)verify::tdx::parseTcbInfo(text, signer());
      break;
    case 1:
      (void)verify::tdx::parseQeIdentity(text, signer());
      break;
    case 2:  // the input as the signed tcbInfo value
      (void)verify::tdx::parseTcbInfo(signedDocument("tcbInfo", text), signer());
      break;
    default:
      (void)verify::tdx::parseQeIdentity(signedDocument("enclaveIdentity", text), signer());
      break;
  }
  return 0;
}
