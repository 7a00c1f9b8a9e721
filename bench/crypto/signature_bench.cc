// SPDX-License-Identifier: Apache-2.0
// Operations per second of the signature wrappers, as `openssl speed ecdsap384` and
// `openssl speed ed25519` measure OpenSSL itself (CPU time, 20-byte messages).
#include <benchmark/benchmark.h>

#include <cstdio>
#include <cstdlib>

#include "crypto/key.h"
#include "crypto/signature.h"

namespace cocoon::crypto {
namespace {

const Bytes kMessage(20, 0x5a);

Key generateOrDie(KeyType type) {
  auto key = Key::generate(type);
  if (!key) {
    std::fprintf(stderr, "generating a key: %s\n", key.error().toString().c_str());
    std::abort();
  }
  return *key;
}

void ecdsaP384Verify(benchmark::State& state) {
  const Key key = generateOrDie(KeyType::kEcP384);
  const Bytes signature = *sign(key, SignatureScheme::kEcdsaSha384, kMessage);
  const Key public_key = key.publicKey();
  for (auto _ : state) {
    Status ok = verify(public_key, SignatureScheme::kEcdsaSha384, kMessage, signature);
    if (!ok) {
      state.SkipWithError("verification failed");
      break;
    }
  }
  state.SetItemsProcessed(state.iterations());
}

void ed25519Sign(benchmark::State& state) {
  const Key key = generateOrDie(KeyType::kEd25519);
  for (auto _ : state) {
    auto signature = sign(key, SignatureScheme::kEd25519, kMessage);
    benchmark::DoNotOptimize(signature->data());
  }
  state.SetItemsProcessed(state.iterations());
}

BENCHMARK(ecdsaP384Verify)->Name("ecdsa_p384_verify");
BENCHMARK(ed25519Sign)->Name("ed25519_sign");

}  // namespace
}  // namespace cocoon::crypto
