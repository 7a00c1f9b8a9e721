// SPDX-License-Identifier: Apache-2.0
// AES-GCM, AES-CBC, AES-CTR and AES key wrap on OpenSSL EVP_CIPHER, each fetched once.
#include "crypto/cipher.h"

#include <algorithm>
#include <array>
#include <climits>

#include <openssl/err.h>
#include <openssl/evp.h>

#include "crypto/detail/fatal.h"

namespace cocoon::crypto {
namespace {

using detail::cryptoCheck;

constexpr std::size_t kGcmIvSize = 12;
constexpr std::size_t kWrapBlockSize = 8;
// EVP update calls take int lengths; longer inputs go in pieces of this size.
constexpr std::size_t kMaxUpdate = std::size_t{1} << 30;

enum class Mode : std::uint8_t { kGcm, kCbc, kCtr, kWrap };
constexpr const char* kModeNames[] = {"AES-GCM", "AES-CBC", "AES-CTR", "AES key wrap"};

const char* modeName(Mode mode) {
  return kModeNames[static_cast<std::size_t>(mode)];
}

// The EVP_CIPHER for `mode` and the key's size; fetched once per process because explicit
// fetching in OpenSSL 3 costs a locked store lookup per call.
Result<const EVP_CIPHER*> aesCipher(Mode mode, ByteSpan key) {
  using Table = std::array<std::array<EVP_CIPHER*, 3>, 4>;
  static const Table kCiphers = [] {
    const char* names[4][3] = {{"AES-128-GCM", "AES-192-GCM", "AES-256-GCM"},
                               {"AES-128-CBC", "AES-192-CBC", "AES-256-CBC"},
                               {"AES-128-CTR", "AES-192-CTR", "AES-256-CTR"},
                               {"AES-128-WRAP", "AES-192-WRAP", "AES-256-WRAP"}};
    Table table{};
    for (std::size_t m = 0; m < table.size(); ++m) {
      for (std::size_t k = 0; k < table[m].size(); ++k) {
        table[m][k] = EVP_CIPHER_fetch(nullptr, names[m][k], nullptr);
        cryptoCheck(table[m][k] != nullptr, "fetching a built-in AES cipher");
      }
    }
    return table;
  }();
  const auto& row = kCiphers[static_cast<std::size_t>(mode)];
  switch (key.size()) {
    case 16:
      return row[0];
    case 24:
      return row[1];
    case 32:
      return row[2];
    default:
      return fail(Code::kInvalidArgument, "{}: {} must be 16, 24 or 32 bytes, found {}",
                  modeName(mode), mode == Mode::kWrap ? "KEK" : "key", key.size());
  }
}

Status expectSize(Mode mode, const char* field, ByteSpan value, std::size_t expected) {
  if (value.size() != expected) {
    return fail(Code::kInvalidArgument, "{}: {} must be {} bytes, found {}", modeName(mode), field,
                expected, value.size());
  }
  return okStatus();
}

// RFC 3394 §2: key data is n >= 2 64-bit blocks; the wrapped form has one block more.
Status expectWrapLength(const char* what, ByteSpan data, std::size_t min) {
  if (data.size() < min || data.size() % kWrapBlockSize != 0 || data.size() > kMaxUpdate) {
    return fail(Code::kInvalidArgument, "{} must be a multiple of 8 bytes, at least {}, found {}",
                what, min, data.size());
  }
  return okStatus();
}

using CipherCtx = std::unique_ptr<EVP_CIPHER_CTX, void (*)(EVP_CIPHER_CTX*)>;

// A context initialised for `cipher` in the given direction.
CipherCtx newCtx(const EVP_CIPHER* cipher, ByteSpan key, ByteSpan iv, bool encrypt) {
  CipherCtx ctx(EVP_CIPHER_CTX_new(), EVP_CIPHER_CTX_free);
  cryptoCheck(ctx != nullptr, "EVP_CIPHER_CTX_new");
  // Key wrap ciphers refuse to initialise unless the caller opts in.
  EVP_CIPHER_CTX_set_flags(ctx.get(), EVP_CIPHER_CTX_FLAG_WRAP_ALLOW);
  cryptoCheck(
      EVP_CipherInit_ex2(ctx.get(), cipher, key.data(), iv.data(), encrypt ? 1 : 0, nullptr) == 1,
      "EVP_CipherInit_ex2");
  return ctx;
}

// EVP_CipherUpdate over all of `in`, writing at `out` (nullptr feeds GCM AAD) and setting
// `written`. False when OpenSSL refuses (for key unwrap: the integrity check failed).
bool cipherUpdate(EVP_CIPHER_CTX* ctx, std::uint8_t* out, ByteSpan in, std::size_t& written) {
  written = 0;
  while (!in.empty()) {
    const std::size_t n = std::min(in.size(), kMaxUpdate);
    int out_len = 0;
    if (EVP_CipherUpdate(ctx, out == nullptr ? nullptr : out + written, &out_len, in.data(),
                         static_cast<int>(n)) != 1) {
      return false;
    }
    written += static_cast<std::size_t>(out_len);
    in = in.subspan(n);
  }
  return true;
}

// Drops the error OpenSSL queued for an expected failure (a bad tag, bad padding), so it
// cannot be mistaken for the cause of a later fatal error on this thread.
template <class T>
Result<T> expectedFailure(Code code, const char* message) {
  ERR_clear_error();
  return fail(code, "{}", message);
}

}  // namespace

Result<GcmSealed> aesGcmEncrypt(ByteSpan key, ByteSpan iv, ByteSpan aad, ByteSpan plaintext) {
  COCOON_ASSIGN_OR_RETURN(const EVP_CIPHER* cipher, aesCipher(Mode::kGcm, key));
  COCOON_TRY(expectSize(Mode::kGcm, "IV", iv, kGcmIvSize));
  CipherCtx ctx = newCtx(cipher, key, iv, true);
  GcmSealed sealed;
  sealed.ciphertext.resize(plaintext.size());
  std::size_t written = 0;
  cryptoCheck(cipherUpdate(ctx.get(), nullptr, aad, written) &&
                  cipherUpdate(ctx.get(), sealed.ciphertext.data(), plaintext, written),
              "AES-GCM encryption update");
  std::uint8_t tail[kAesBlockSize];
  int tail_len = 0;
  cryptoCheck(EVP_EncryptFinal_ex(ctx.get(), tail, &tail_len) == 1 &&
                  EVP_CIPHER_CTX_ctrl(ctx.get(), EVP_CTRL_AEAD_GET_TAG, kGcmTagSize,
                                      sealed.tag.data()) == 1,
              "AES-GCM encryption final");
  return sealed;
}

Result<Bytes> aesGcmDecrypt(ByteSpan key, ByteSpan iv, ByteSpan aad, ByteSpan ciphertext,
                            ByteSpan tag) {
  COCOON_ASSIGN_OR_RETURN(const EVP_CIPHER* cipher, aesCipher(Mode::kGcm, key));
  COCOON_TRY(expectSize(Mode::kGcm, "IV", iv, kGcmIvSize));
  COCOON_TRY(expectSize(Mode::kGcm, "tag", tag, kGcmTagSize));
  CipherCtx ctx = newCtx(cipher, key, iv, false);
  Bytes plaintext(ciphertext.size());
  std::size_t written = 0;
  cryptoCheck(cipherUpdate(ctx.get(), nullptr, aad, written) &&
                  cipherUpdate(ctx.get(), plaintext.data(), ciphertext, written) &&
                  EVP_CIPHER_CTX_ctrl(ctx.get(), EVP_CTRL_AEAD_SET_TAG, kGcmTagSize,
                                      const_cast<std::uint8_t*>(tag.data())) == 1,
              "AES-GCM decryption update");
  std::uint8_t tail[kAesBlockSize];
  int tail_len = 0;
  if (EVP_DecryptFinal_ex(ctx.get(), tail, &tail_len) != 1) {
    OPENSSL_cleanse(plaintext.data(), plaintext.size());
    return expectedFailure<Bytes>(Code::kUnauthenticated,
                                  "AES-GCM: authentication tag does not match");
  }
  return plaintext;
}

Result<Bytes> aesCbcEncrypt(ByteSpan key, ByteSpan iv, ByteSpan plaintext) {
  COCOON_ASSIGN_OR_RETURN(const EVP_CIPHER* cipher, aesCipher(Mode::kCbc, key));
  COCOON_TRY(expectSize(Mode::kCbc, "IV", iv, kAesBlockSize));
  CipherCtx ctx = newCtx(cipher, key, iv, true);
  // PKCS#7 always adds 1..16 bytes.
  Bytes out(plaintext.size() + kAesBlockSize);
  std::size_t written = 0;
  int final_len = 0;
  cryptoCheck(cipherUpdate(ctx.get(), out.data(), plaintext, written) &&
                  EVP_EncryptFinal_ex(ctx.get(), out.data() + written, &final_len) == 1,
              "AES-CBC encryption");
  out.resize(written + static_cast<std::size_t>(final_len));
  return out;
}

Result<Bytes> aesCbcDecrypt(ByteSpan key, ByteSpan iv, ByteSpan ciphertext) {
  COCOON_ASSIGN_OR_RETURN(const EVP_CIPHER* cipher, aesCipher(Mode::kCbc, key));
  COCOON_TRY(expectSize(Mode::kCbc, "IV", iv, kAesBlockSize));
  if (ciphertext.empty() || ciphertext.size() % kAesBlockSize != 0) {
    return fail(Code::kInvalidArgument,
                "AES-CBC: ciphertext length must be a positive multiple of 16, found {}",
                ciphertext.size());
  }
  CipherCtx ctx = newCtx(cipher, key, iv, false);
  // EVP may write up to one block more than it is given before the final call.
  Bytes out(ciphertext.size() + kAesBlockSize);
  std::size_t written = 0;
  cryptoCheck(cipherUpdate(ctx.get(), out.data(), ciphertext, written), "AES-CBC decryption");
  int final_len = 0;
  if (EVP_DecryptFinal_ex(ctx.get(), out.data() + written, &final_len) != 1) {
    OPENSSL_cleanse(out.data(), out.size());
    return expectedFailure<Bytes>(Code::kInvalidArgument, "AES-CBC: bad PKCS#7 padding");
  }
  out.resize(written + static_cast<std::size_t>(final_len));
  return out;
}

AesCtr::AesCtr() : ctx_(nullptr, EVP_CIPHER_CTX_free) {}

Result<AesCtr> AesCtr::create(ByteSpan key, ByteSpan iv) {
  COCOON_ASSIGN_OR_RETURN(const EVP_CIPHER* cipher, aesCipher(Mode::kCtr, key));
  COCOON_TRY(expectSize(Mode::kCtr, "IV", iv, kAesBlockSize));
  AesCtr ctr;
  ctr.ctx_ = newCtx(cipher, key, iv, true);
  return ctr;
}

AesCtr::AesCtr(AesCtr&&) noexcept = default;
AesCtr& AesCtr::operator=(AesCtr&&) noexcept = default;
AesCtr::~AesCtr() = default;

void AesCtr::update(ByteSpan in, std::span<std::uint8_t> out) {
  cryptoCheck(out.size() >= in.size(), "AesCtr::update: output shorter than input");
  std::size_t written = 0;
  cryptoCheck(cipherUpdate(ctx_.get(), out.data(), in, written) && written == in.size(),
              "AES-CTR update");
}

Result<Bytes> aesKeyWrap(ByteSpan kek, ByteSpan key) {
  COCOON_ASSIGN_OR_RETURN(const EVP_CIPHER* cipher, aesCipher(Mode::kWrap, kek));
  COCOON_TRY(expectWrapLength("AES key wrap: key to wrap", key, 2 * kWrapBlockSize));
  CipherCtx ctx = newCtx(cipher, kek, {}, true);
  // RFC 3394 §2.2.1 adds one 64-bit block; EVP wants room for one more.
  Bytes out(key.size() + 2 * kWrapBlockSize);
  std::size_t written = 0;
  cryptoCheck(cipherUpdate(ctx.get(), out.data(), key, written), "AES key wrap");
  out.resize(written);
  return out;
}

Result<SecretBytes> aesKeyUnwrap(ByteSpan kek, ByteSpan wrapped) {
  COCOON_ASSIGN_OR_RETURN(const EVP_CIPHER* cipher, aesCipher(Mode::kWrap, kek));
  COCOON_TRY(expectWrapLength("AES key unwrap: wrapped key", wrapped, 3 * kWrapBlockSize));
  CipherCtx ctx = newCtx(cipher, kek, {}, false);
  SecretBytes out(wrapped.size() + kWrapBlockSize);
  std::size_t written = 0;
  // RFC 3394 §2.2.3: the unwrap fails when the recovered IV is not A6A6A6A6A6A6A6A6.
  if (!cipherUpdate(ctx.get(), out.data(), wrapped, written)) {
    return expectedFailure<SecretBytes>(Code::kUnauthenticated,
                                        "AES key unwrap: integrity check failed");
  }
  out.resize(written);
  return out;
}

}  // namespace cocoon::crypto
