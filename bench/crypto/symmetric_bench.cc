// SPDX-License-Identifier: Apache-2.0
// Throughput of the digest and cipher wrappers on 16 KiB buffers, as `openssl speed -bytes
// 16384 -evp <alg>` measures OpenSSL itself (wall-clock time, like its -elapsed).
#include <benchmark/benchmark.h>

#include <cstdint>

#include "crypto/cipher.h"
#include "crypto/digest.h"

namespace cocoon::crypto {
namespace {

constexpr std::size_t kBufferSize = 16 * 1024;

void setBytes(benchmark::State& state) {
  state.SetBytesProcessed(state.iterations() * static_cast<std::int64_t>(kBufferSize));
}

void sha256Throughput(benchmark::State& state) {
  const Bytes data(kBufferSize, 0x61);
  for (auto _ : state) {
    Bytes out = sha256(data);
    benchmark::DoNotOptimize(out.data());
  }
  setBytes(state);
}

// One complete seal per buffer (context, key schedule, data, tag), as a caller pays it.
void aes256GcmEncryptThroughput(benchmark::State& state) {
  const Bytes key(32, 0x11), iv(12, 0x22), data(kBufferSize, 0x33);
  for (auto _ : state) {
    auto sealed = aesGcmEncrypt(key, iv, {}, data);
    benchmark::DoNotOptimize(sealed->ciphertext.data());
  }
  setBytes(state);
}

// A long stream through one AesCtr, as ocicrypt decrypts a layer.
void aes256CtrThroughput(benchmark::State& state) {
  const Bytes key(32, 0x44), iv(16, 0x55), data(kBufferSize, 0x66);
  Bytes out(kBufferSize);
  AesCtr ctr = std::move(*AesCtr::create(key, iv));
  for (auto _ : state) {
    ctr.update(data, out);
    benchmark::DoNotOptimize(out.data());
  }
  setBytes(state);
}

BENCHMARK(sha256Throughput)->Name("sha256_16k")->UseRealTime();
BENCHMARK(aes256GcmEncryptThroughput)->Name("aes256gcm_encrypt_16k")->UseRealTime();
BENCHMARK(aes256CtrThroughput)->Name("aes256ctr_16k")->UseRealTime();

}  // namespace
}  // namespace cocoon::crypto
