// SPDX-License-Identifier: Apache-2.0
// Times the decrypt stage of an encrypted pull on one core: MiB of layer read through
// DecryptingSource (AES-256-CTR + HMAC-SHA256, the ocicrypt layer cipher) against the same
// bytes read without it, in memory, and prints "<bytes> <plain seconds> <decrypt seconds>".
// Usage: image_crypt_bench [MIB [CHUNK_KIB]] (default 256 MiB in 128 KiB reads, the
// pipeline's read size). run.sh drives it next to the end-to-end pulls.
#include <chrono>
#include <cstdio>
#include <cstdlib>
#include <string>
#include <vector>

#include "crypto/random.h"
#include "image/crypt/layer_cipher.h"
#include "image/layer/span_source.h"

namespace {

using cocoon::image::layer::ByteSource;

// Reads `source` to the end in `chunk`-byte reads; returns the seconds taken, or -1.
double drain(ByteSource& source, std::size_t chunk) {
  std::vector<std::uint8_t> buffer(chunk);
  const auto start = std::chrono::steady_clock::now();
  for (;;) {
    auto n = source.read(buffer);
    if (!n) {
      std::fprintf(stderr, "image_crypt_bench: %s\n", n.error().toString().c_str());
      return -1;
    }
    if (*n == 0) {
      break;
    }
  }
  return std::chrono::duration<double>(std::chrono::steady_clock::now() - start).count();
}

}  // namespace

int main(int argc, char** argv) {
  namespace ocicrypt = cocoon::image::crypt;
  const std::size_t mib = argc > 1 ? std::strtoul(argv[1], nullptr, 10) : 256;
  const std::size_t chunk = (argc > 2 ? std::strtoul(argv[2], nullptr, 10) : 128) * 1024;
  if (mib == 0 || chunk == 0) {
    std::fprintf(stderr, "usage: image_crypt_bench [MIB [CHUNK_KIB]]\n");
    return 2;
  }
  cocoon::Bytes layer = cocoon::crypto::randomBytes(mib << 20);
  ocicrypt::PrivateOptions options = ocicrypt::newLayerOptions("sha256:" + std::string(64, '0'));
  auto encrypter = ocicrypt::LayerEncrypter::create(options);
  if (!encrypter) {
    std::fprintf(stderr, "image_crypt_bench: %s\n", encrypter.error().toString().c_str());
    return 1;
  }
  encrypter->update(layer, layer);
  const cocoon::Bytes hmac = encrypter->finish();

  cocoon::image::layer::SpanSource plain(layer);
  const double plain_s = drain(plain, chunk);
  cocoon::image::layer::SpanSource ciphertext(layer);
  auto decrypting = ocicrypt::DecryptingSource::create(ciphertext, options, hmac);
  if (!decrypting) {
    std::fprintf(stderr, "image_crypt_bench: %s\n", decrypting.error().toString().c_str());
    return 1;
  }
  const double decrypt_s = drain(**decrypting, chunk);
  if (plain_s < 0 || decrypt_s < 0) {
    return 1;
  }
  std::printf("%zu %.6f %.6f\n", layer.size(), plain_s, decrypt_s);
  return 0;
}
