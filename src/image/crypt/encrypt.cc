// SPDX-License-Identifier: Apache-2.0
// Image encryption: per layer, a digest pass and an upload pass through the same cipher.
#include "image/crypt/encrypt.h"

#include <array>

#include "crypto/digest.h"
#include "image/crypt/annotations.h"
#include "image/crypt/internal/jwe_keywrap.h"
#include "image/crypt/keyprovider.h"
#include "image/crypt/layer_cipher.h"
#include "image/puller.h"
#include "json/json.h"

namespace cocoon::image::crypt {
namespace {

constexpr std::size_t kChunk = 64 * 1024;

// Streams the layer through a fresh encrypter with `options`, handing each ciphertext
// chunk to `sink`; checks the plaintext against the descriptor's digest and size.
Result<Bytes> encryptStream(ImageSource& source, const oci::Descriptor& plain,
                            const PrivateOptions& options,
                            const std::function<Status(ByteSpan)>& sink) {
  COCOON_ASSIGN_OR_RETURN(LayerEncrypter encrypter, LayerEncrypter::create(options));
  crypto::Hasher plain_hash = oci::hasherFor(plain.digest);
  std::uint64_t size = 0;
  std::array<std::uint8_t, kChunk> buffer{};
  // Named, not nested in COCOON_TRY: g++ -Wshadow flags the macro's variable otherwise.
  const auto encrypt_chunk = [&](ByteSpan chunk) -> Status {
    plain_hash.update(chunk);
    size += chunk.size();
    while (!chunk.empty()) {
      std::size_t n = std::min(chunk.size(), buffer.size());
      encrypter.update(chunk.first(n), buffer);
      COCOON_TRY(sink(ByteSpan(buffer.data(), n)));
      chunk = chunk.subspan(n);
    }
    return {};
  };
  COCOON_TRY(source.streamBlob(plain, encrypt_chunk));
  if (size != static_cast<std::uint64_t>(plain.size)) {
    return fail(Code::kDataLoss, "blob {}: read {} bytes, the manifest says {}", plain.digest, size,
                plain.size);
  }
  COCOON_TRY(oci::checkDigest(
      plain.digest, oci::digestFromHash(plain.digest.algorithm, plain_hash.finish()), "layer"));
  return encrypter.finish();
}

// The wrapped keys of one layer, by annotation.
Result<std::map<std::string, std::string>> wrapKeys(const PrivateOptions& options,
                                                    const EncryptRecipients& recipients) {
  SecretBytes private_json = encodePrivateOptions(options);
  std::map<std::string, std::string> out;
  if (!recipients.jwe_public_keys.empty()) {
    COCOON_ASSIGN_OR_RETURN(Bytes jwe,
                            internal::wrapJwe(private_json.span(), recipients.jwe_public_keys));
    out[std::string(kKeysAnnotationPrefix) + std::string(kSchemeJwe)] =
        encodeKeysAnnotation({std::move(jwe)});
  }
  if (!recipients.providers.empty()) {
    std::vector<Bytes> packets;
    for (const ProviderRecipient& p : recipients.providers) {
      COCOON_ASSIGN_OR_RETURN(Bytes packet,
                              wrapProviderPacket(private_json.span(), p.kid, p.kek.span()));
      packets.push_back(std::move(packet));
    }
    out[std::string(kKeysAnnotationPrefix) + std::string(kSchemeAttestationAgent)] =
        encodeKeysAnnotation(packets);
  }
  return out;
}

// Encrypts and uploads one layer; returns its new descriptor.
Result<oci::Descriptor> encryptLayer(ImageSource& source, ImageDestination& dest,
                                     const oci::Descriptor& plain,
                                     const EncryptRecipients& recipients) {
  PrivateOptions options = newLayerOptions(plain.digest.toString());
  crypto::Hasher cipher_hash(crypto::DigestAlgorithm::kSha256);
  COCOON_ASSIGN_OR_RETURN(Bytes hmac, encryptStream(source, plain, options, [&](ByteSpan c) {
                            cipher_hash.update(c);
                            return okStatus();
                          }));
  oci::Descriptor encrypted;
  encrypted.media_type = plain.media_type + std::string(oci::kEncryptedSuffix);
  encrypted.digest = oci::digestFromHash(crypto::DigestAlgorithm::kSha256, cipher_hash.finish());
  encrypted.size = plain.size;
  for (const auto& [key, value] : plain.annotations) {
    if (!key.starts_with(kEncAnnotationPrefix)) {
      encrypted.annotations[key] = value;
    }
  }
  COCOON_ASSIGN_OR_RETURN(auto wrapped, wrapKeys(options, recipients));
  encrypted.annotations.merge(wrapped);
  encrypted.annotations[std::string(kPubOptsAnnotation)] = encodePublicOptions(hmac);

  COCOON_ASSIGN_OR_RETURN(bool present, dest.hasBlob(encrypted));
  if (!present) {
    COCOON_TRY(dest.putBlob(encrypted, [&](const std::function<Status(ByteSpan)>& sink) -> Status {
      COCOON_ASSIGN_OR_RETURN(Bytes again, encryptStream(source, plain, options, sink));
      if (again != hmac) {
        return fail(Code::kDataLoss, "layer {} changed between the two reads", plain.digest);
      }
      return {};
    }));
  }
  return encrypted;
}

json::Json annotationsJson(const std::map<std::string, std::string>& annotations) {
  json::Json out = json::Json::object();
  for (const auto& [key, value] : annotations) {
    out[key] = value;
  }
  return out;
}

}  // namespace

Result<EncryptResult> encryptImage(ImageSource& source, const oci::Reference& ref,
                                   ImageDestination& dest, std::string_view dest_reference,
                                   const EncryptRecipients& recipients,
                                   const EncryptOptions& options) {
  if (recipients.jwe_public_keys.empty() && recipients.providers.empty()) {
    return fail(Code::kInvalidArgument, "no recipient: nobody could decrypt the image");
  }
  COCOON_ASSIGN_OR_RETURN(ResolvedImage image,
                          resolveImage(source, ref, options.platform, options.manifest_limits));
  if (image.manifest.kind != oci::ManifestKind::kOciImageManifest) {
    return fail(Code::kFailedPrecondition,
                "{} is a Docker schema 2 image; ocicrypt needs an OCI manifest (convert it "
                "first, e.g. skopeo copy --format oci)",
                ref.toString());
  }
  // The exact bytes again, to keep every manifest field we do not rewrite.
  COCOON_ASSIGN_OR_RETURN(
      FetchedManifest fetched,
      source.manifest(image.manifest_digest.toString(), options.manifest_limits.max_bytes));
  COCOON_TRY(oci::verifyDigest(image.manifest_digest, fetched.body, "manifest"));
  COCOON_ASSIGN_OR_RETURN(json::Json doc, json::parseJson(toString(fetched.body)));

  const oci::Descriptor& config = image.manifest.config;
  COCOON_ASSIGN_OR_RETURN(bool have_config, dest.hasBlob(config));
  if (!have_config) {
    COCOON_ASSIGN_OR_RETURN(Bytes body, source.blob(config, options.max_config_bytes));
    COCOON_TRY(oci::verifyDigest(config.digest, body, "config"));
    COCOON_TRY(dest.putBlob(
        config, [&](const std::function<Status(ByteSpan)>& sink) { return sink(body); }));
  }
  EncryptResult result;
  auto& layers = doc["layers"];
  for (std::size_t i = 0; i < image.manifest.layers.size(); ++i) {
    const oci::Layer& layer = image.manifest.layers[i];
    if (layer.type.encrypted) {
      return fail(Code::kFailedPrecondition, "layer {} ({}) is already encrypted", i,
                  layer.descriptor.digest);
    }
    auto encrypted = encryptLayer(source, dest, layer.descriptor, recipients);
    if (!encrypted) {
      return fail(withContext(std::move(encrypted),
                              fmt::format("layer {}/{} {}", i + 1, image.manifest.layers.size(),
                                          layer.descriptor.digest))
                      .error());
    }
    json::Json& entry = layers[i];
    entry["mediaType"] = encrypted->media_type;
    entry["digest"] = encrypted->digest.toString();
    entry["size"] = encrypted->size;
    entry["annotations"] = annotationsJson(encrypted->annotations);
    ++result.layers;
  }
  std::string body = json::dumpCompact(doc);
  COCOON_ASSIGN_OR_RETURN(result.manifest_digest,
                          dest.putManifest(dest_reference, asBytes(body), oci::kOciManifest));
  return result;
}

}  // namespace cocoon::image::crypt
