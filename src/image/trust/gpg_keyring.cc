// SPDX-License-Identifier: Apache-2.0
// GpgKeyring on gpgme (OpenPGP protocol, gpg engine with a private home directory).
#include "image/trust/gpg_keyring.h"

#include <gpgme.h>

#include <algorithm>
#include <mutex>

namespace cocoon::image::trust {
namespace {

std::string gpgError(gpgme_error_t err) {
  return fmt::format("{} ({})", gpgme_strerror(err), gpgme_strsource(err));
}

// gpgme wants its version check once per process before any other call.
void initGpgme() {
  static std::once_flag once;
  std::call_once(once, [] { gpgme_check_version(nullptr); });
}

struct DataDeleter {
  void operator()(gpgme_data* d) const { gpgme_data_release(d); }
};
using Data = std::unique_ptr<gpgme_data, DataDeleter>;

Result<Data> dataFrom(ByteSpan bytes) {
  gpgme_data_t d = nullptr;
  // copy = 1: gpgme keeps its own copy, so the span may go away.
  if (auto err =
          gpgme_data_new_from_mem(&d, reinterpret_cast<const char*>(bytes.data()), bytes.size(), 1);
      err != 0) {
    return fail(Code::kInternal, "gpgme data: {}", gpgError(err));
  }
  return Data(d);
}

std::string primaryFingerprint(gpgme_ctx_t ctx, const char* fpr) {
  gpgme_key_t key = nullptr;
  if (gpgme_get_key(ctx, fpr, &key, 0) != 0 || key == nullptr) {
    return "";
  }
  std::string out =
      key->subkeys != nullptr && key->subkeys->fpr != nullptr ? key->subkeys->fpr : "";
  gpgme_key_unref(key);
  return out;
}

}  // namespace

Result<std::unique_ptr<GpgKeyring>> GpgKeyring::create(const std::vector<Bytes>& keys) {
  initGpgme();
  COCOON_ASSIGN_OR_RETURN(TempDir home, TempDir::create("cocoon-gnupg"));
  // Public keys and verification need no gpg-agent; without this, gpg starts one per
  // keyring and it outlives the call.
  COCOON_TRY(writeFileAtomic(home.path() / "gpg.conf", asBytes("no-autostart\n"), 0600));
  gpgme_ctx_t ctx = nullptr;
  if (auto err = gpgme_new(&ctx); err != 0) {
    return fail(Code::kInternal, "gpgme_new: {}", gpgError(err));
  }
  std::unique_ptr<GpgKeyring> ring(new GpgKeyring(std::move(home), ctx));
  if (auto err = gpgme_set_protocol(ctx, GPGME_PROTOCOL_OpenPGP); err != 0) {
    return fail(Code::kInternal, "gpgme OpenPGP protocol: {}", gpgError(err));
  }
  const std::string dir = ring->home_.path().string();
  if (auto err = gpgme_ctx_set_engine_info(ctx, GPGME_PROTOCOL_OpenPGP, nullptr, dir.c_str());
      err != 0) {
    return fail(Code::kInternal, "gpgme engine home {}: {}", dir, gpgError(err));
  }
  for (std::size_t i = 0; i < keys.size(); ++i) {
    COCOON_ASSIGN_OR_RETURN(Data data, dataFrom(keys[i]));
    if (auto err = gpgme_op_import(ctx, data.get()); err != 0) {
      return fail(Code::kInvalidArgument, "key {}: gpg import failed: {}", i, gpgError(err));
    }
    gpgme_import_result_t result = gpgme_op_import_result(ctx);
    std::size_t found = 0;
    for (auto* s = result != nullptr ? result->imports : nullptr; s != nullptr; s = s->next) {
      if (s->result == 0 && s->fpr != nullptr) {
        std::string fpr = s->fpr;
        if (std::find(ring->fingerprints_.begin(), ring->fingerprints_.end(), fpr) ==
            ring->fingerprints_.end()) {
          ring->fingerprints_.push_back(fpr);
        }
        ++found;
      }
    }
    if (found == 0) {
      return fail(Code::kInvalidArgument, "key {}: no OpenPGP key in it", i);
    }
  }
  return ring;
}

GpgKeyring::~GpgKeyring() {
  gpgme_release(ctx_);
}

Result<Bytes> GpgKeyring::verify(ByteSpan signed_message) {
  COCOON_ASSIGN_OR_RETURN(Data sig, dataFrom(signed_message));
  gpgme_data_t plain_raw = nullptr;
  if (auto err = gpgme_data_new(&plain_raw); err != 0) {
    return fail(Code::kInternal, "gpgme data: {}", gpgError(err));
  }
  Data plain(plain_raw);
  if (auto err = gpgme_op_verify(ctx_, sig.get(), nullptr, plain.get()); err != 0) {
    return fail(Code::kUnauthenticated, "not a valid OpenPGP signed message: {}", gpgError(err));
  }
  gpgme_verify_result_t result = gpgme_op_verify_result(ctx_);
  std::size_t count = 0;
  for (auto* s = result != nullptr ? result->signatures : nullptr; s != nullptr; s = s->next) {
    ++count;
  }
  if (count != 1) {
    return fail(Code::kUnauthenticated, "expected exactly one OpenPGP signature, found {}", count);
  }
  gpgme_signature_t s = result->signatures;
  const std::string fpr = s->fpr != nullptr ? s->fpr : "";
  if (gpgme_err_code(s->status) == GPG_ERR_NO_PUBKEY) {
    return fail(Code::kUnauthenticated, "signed by key {}, which is not among the policy's keys",
                fpr);
  }
  // As containers/image: any status, a never-valid key, a validity reason or wrong key
  // usage refuses; trust levels do not matter (only the policy's keys are in the ring).
  if (s->status != 0 || s->validity == GPGME_VALIDITY_NEVER || s->validity_reason != 0 ||
      s->wrong_key_usage != 0) {
    return fail(Code::kUnauthenticated, "OpenPGP signature by {} does not verify: {}", fpr,
                gpgError(s->status != 0 ? s->status : s->validity_reason));
  }
  const std::string primary = primaryFingerprint(ctx_, fpr.c_str());
  if (std::find(fingerprints_.begin(), fingerprints_.end(), primary) == fingerprints_.end()) {
    return fail(Code::kUnauthenticated, "signed by key {}, which is not among the policy's keys",
                fpr);
  }
  std::size_t size = 0;
  char* mem = gpgme_data_release_and_get_mem(plain.release(), &size);
  Bytes content(reinterpret_cast<const std::uint8_t*>(mem),
                reinterpret_cast<const std::uint8_t*>(mem) + size);
  gpgme_free(mem);
  return content;
}

}  // namespace cocoon::image::trust
