// SPDX-License-Identifier: Apache-2.0
// Fuzzes openSealedSecret (sealed secrets come from host-controlled pod specs), without a
// key and with a fixed EC P-256 key: whatever opens must be a kbs vault reference with a
// valid resource URI, and nothing opens as verified without the key's signature.
#include <cstdint>
#include <cstdlib>
#include <string_view>

#include "attest/cdh/sealed_secret.h"
#include "crypto/key.h"

namespace {

using namespace cocoon;

void require(bool condition) {
  if (!condition) {
    std::abort();
  }
}

void check(const Result<attest::cdh::SealedSecret>& opened) {
  if (!opened) {
    return;
  }
  require(opened->type == attest::cdh::SealedSecretType::kVault);
  require(opened->vault.provider == "kbs");
  require(attest::cdh::kbsResourcePath(opened->vault.name).has_value());
}

}  // namespace

extern "C" int LLVMFuzzerTestOneInput(const std::uint8_t* data, std::size_t size) {
  static const auto key = crypto::Key::generate(crypto::KeyType::kEcP256);
  const std::string_view in(reinterpret_cast<const char*>(data), size);
  check(attest::cdh::openSealedSecret(in));
  auto verified = attest::cdh::openSealedSecret(in, &*key);
  check(verified);
  // A random key never signed anything the fuzzer can produce.
  require(!verified);
  return 0;
}
