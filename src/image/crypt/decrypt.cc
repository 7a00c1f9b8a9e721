// SPDX-License-Identifier: Apache-2.0
// Key unwrapping per scheme and the decrypt stage the puller inserts for encrypted layers.
#include "image/crypt/decrypt.h"

#include <algorithm>

#include "common/files.h"
#include "image/crypt/internal/jwe_keywrap.h"
#include "image/crypt/layer_cipher.h"

namespace cocoon::image::crypt {
namespace {

constexpr std::size_t kMaxKeyFileBytes = 64 * 1024;

class CtrHmacHook : public layer::DecryptHook {
 public:
  CtrHmacHook(PrivateOptions options, Bytes hmac)
      : options_(std::move(options)), hmac_(std::move(hmac)) {}
  Result<std::unique_ptr<layer::ByteSource>> wrap(layer::ByteSource& in) override {
    COCOON_ASSIGN_OR_RETURN(auto source, DecryptingSource::create(in, options_, hmac_));
    return std::unique_ptr<layer::ByteSource>(std::move(source));
  }

 private:
  PrivateOptions options_;
  Bytes hmac_;
};

// Why each scheme could not serve the layer, for the kPermissionDenied message.
struct Attempts {
  std::vector<std::string> notes;
  void add(const WrappedKeys& keys, std::string_view why) {
    notes.push_back(fmt::format("{} ({} entr{}): {}", keys.scheme, keys.entries.size(),
                                keys.entries.size() == 1 ? "y" : "ies", why));
  }
};

Result<std::optional<SecretBytes>> tryJwe(const WrappedKeys& keys, const DecryptionKeys& ours,
                                          Attempts& attempts) {
  if (ours.private_keys.empty()) {
    attempts.add(keys, "no private key given");
    return std::optional<SecretBytes>();
  }
  for (std::size_t i = 0; i < keys.entries.size(); ++i) {
    for (const crypto::Key& key : ours.private_keys) {
      auto opened = internal::unwrapJwe(keys.entries[i], key);
      if (!opened) {
        return fail(opened.error().code, "annotation {}{}: entry {}: {}", kKeysAnnotationPrefix,
                    keys.scheme, i, opened.error().message);
      }
      if (*opened) {
        return opened;
      }
    }
  }
  attempts.add(
      keys, fmt::format("none of the {} private key(s) is a recipient", ours.private_keys.size()));
  return std::optional<SecretBytes>();
}

Result<std::optional<SecretBytes>> tryProvider(const WrappedKeys& keys, const DecryptionKeys& ours,
                                               Attempts& attempts) {
  if (ours.fetcher == nullptr) {
    attempts.add(keys, "no key broker configured");
    return std::optional<SecretBytes>();
  }
  std::string last_error;
  for (std::size_t i = 0; i < keys.entries.size(); ++i) {
    auto packet = parseProviderPacket(keys.entries[i]);
    if (!packet) {
      return fail(packet.error().code, "annotation {}{}: entry {}: {}", kKeysAnnotationPrefix,
                  keys.scheme, i, packet.error().message);
    }
    auto kek = ours.fetcher->getResource(packet->kid);
    if (!kek) {
      return fail(kek.error().code, "fetching the key of {}: {}", packet->kid,
                  kek.error().toString());
    }
    auto opened = unwrapProviderPacket(*packet, kek->span());
    if (opened) {
      return std::optional<SecretBytes>(std::move(*opened));
    }
    last_error = opened.error().message;
  }
  attempts.add(keys, last_error);
  return std::optional<SecretBytes>();
}

}  // namespace

Result<std::vector<crypto::Key>> loadPrivateKeys(const std::vector<std::filesystem::path>& files) {
  std::vector<crypto::Key> keys;
  for (const auto& file : files) {
    COCOON_ASSIGN_OR_RETURN(std::string pem, readTextFile(file, kMaxKeyFileBytes));
    auto key = crypto::Key::fromPem(pem);
    std::fill(pem.begin(), pem.end(), '\0');
    if (!key) {
      return fail(Code::kInvalidArgument, "decryption key {}: not a PEM private key ({})",
                  file.string(), codeName(key.error().code));
    }
    if (!key->hasPrivate()) {
      return fail(Code::kInvalidArgument,
                  "decryption key {}: is a public key; decryption needs the private key",
                  file.string());
    }
    keys.push_back(std::move(*key));
  }
  return keys;
}

Result<PrivateOptions> unwrapLayerOptions(const oci::Descriptor& descriptor,
                                          const LayerEncryption& encryption,
                                          const DecryptionKeys& keys,
                                          const AnnotationLimits& limits) {
  Attempts attempts;
  for (const WrappedKeys& scheme : encryption.keys) {
    Result<std::optional<SecretBytes>> opened = std::optional<SecretBytes>();
    if (scheme.scheme == kSchemeJwe) {
      opened = tryJwe(scheme, keys, attempts);
    } else if (scheme.scheme == kSchemeAttestationAgent) {
      opened = tryProvider(scheme, keys, attempts);
    } else {
      attempts.add(scheme, "scheme not supported");
    }
    if (!opened) {
      return fail(opened.error());
    }
    if (*opened) {
      auto options = parsePrivateOptions((*opened)->span(), limits);
      if (!options) {
        return fail(options.error().code, "{}{}: {}", kKeysAnnotationPrefix, scheme.scheme,
                    options.error().message);
      }
      return options;
    }
  }
  std::string notes;
  for (const auto& note : attempts.notes) {
    notes += (notes.empty() ? "" : "; ") + note;
  }
  return fail(Code::kPermissionDenied, "no key to decrypt layer {}: {}", descriptor.digest, notes);
}

Result<std::unique_ptr<layer::DecryptHook>> KeyDecryptProvider::forLayer(
    const oci::Descriptor& descriptor) {
  COCOON_ASSIGN_OR_RETURN(LayerEncryption encryption,
                          parseLayerEncryption(descriptor.annotations, limits_));
  COCOON_ASSIGN_OR_RETURN(PrivateOptions options,
                          unwrapLayerOptions(descriptor, encryption, keys_, limits_));
  return std::unique_ptr<layer::DecryptHook>(
      new CtrHmacHook(std::move(options), std::move(encryption.pubopts.hmac)));
}

}  // namespace cocoon::image::crypt
