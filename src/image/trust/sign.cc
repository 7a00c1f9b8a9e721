// SPDX-License-Identifier: Apache-2.0
// cosign-format signing: payload, signature and the attachment written to a destination.
#include "image/trust/sign.h"

#include "common/encoding.h"
#include "image/oci/media_types.h"
#include "image/trust/signature_payload.h"
#include "image/trust/signature_sources.h"
#include "json/json.h"

namespace cocoon::image::trust {
namespace {

using json::Json;

constexpr std::size_t kMaxManifestBytes = 4 << 20;

Json descriptorJson(std::string_view media_type, const oci::Digest& digest, std::size_t size) {
  return Json{{"mediaType", media_type}, {"digest", digest.toString()}, {"size", size}};
}

Status putBytes(ImageDestination& dest, std::string_view media_type, ByteSpan bytes,
                oci::Descriptor& out) {
  out.media_type = std::string(media_type);
  out.digest = oci::computeDigest(bytes);
  out.size = static_cast<std::int64_t>(bytes.size());
  return dest.putBlob(out,
                      [bytes](const std::function<Status(ByteSpan)>& sink) { return sink(bytes); });
}

// A string member, "" when absent or of another type (existing attachments are not ours).
std::string stringMember(const Json& object, std::string_view key) {
  auto it = object.find(key);
  return it != object.end() && it->is_string() ? it->get<std::string>() : std::string();
}

bool isOurSignature(const Json& layer, const std::string& payload_digest, const crypto::Key& key,
                    crypto::SignatureScheme scheme, ByteSpan payload) {
  if (stringMember(layer, "digest") != payload_digest ||
      stringMember(layer, "mediaType") != kCosignSimpleSigningMediaType) {
    return false;
  }
  auto annotations = layer.find("annotations");
  if (annotations == layer.end() || !annotations->is_object()) {
    return false;
  }
  auto signature = base64Decode(stringMember(*annotations, kCosignSignatureAnnotation));
  return signature && crypto::verify(key, scheme, payload, *signature).has_value();
}

// The layers of the attachment already under `tag`, minus the one that holds this key's
// signature of this very payload (a re-sign replaces it; cosign's duplicate detection):
// other signers' signatures stay. An attachment that does not exist yet has none.
Result<Json> keptLayers(ImageSource& source, const std::string& tag, const oci::Digest& payload,
                        ByteSpan payload_bytes, const crypto::Key& key,
                        crypto::SignatureScheme scheme) {
  auto existing = source.manifest(tag, kMaxManifestBytes);
  if (!existing && existing.error().code == Code::kNotFound) {
    return Json::array();
  }
  if (!existing) {
    return fail(std::move(existing.error()).addContext("existing sigstore attachment " + tag));
  }
  const std::string what = "existing sigstore attachment " + tag;
  auto doc = json::parseJson(toString(existing->body));
  if (!doc) {
    return fail(std::move(doc.error()).addContext(what));
  }
  auto layers = json::getArray(*doc, "layers");
  if (!layers) {
    return fail(std::move(layers.error()).addContext(what));
  }
  Json kept = Json::array();
  const std::string payload_digest = payload.toString();
  for (std::size_t i = 0; i < (*layers)->size(); ++i) {
    const Json& layer = (**layers)[i];
    if (!layer.is_object() || stringMember(layer, "digest").empty()) {
      return fail(Code::kInvalidArgument, "{}: layers[{}] is not a descriptor with a digest", what,
                  i);
    }
    if (!isOurSignature(layer, payload_digest, key, scheme, payload_bytes)) {
      kept.push_back(layer);
    }
  }
  if (kept.size() >= kMaxSignatures) {
    return fail(Code::kResourceExhausted, "{}: already holds {} signatures, the limit is {}", what,
                kept.size(), kMaxSignatures);
  }
  return kept;
}

}  // namespace

Result<crypto::SignatureScheme> sigstoreScheme(const crypto::Key& key) {
  switch (key.type()) {
    case crypto::KeyType::kEcP256:
      return crypto::SignatureScheme::kEcdsaSha256;
    case crypto::KeyType::kRsa:
      return crypto::SignatureScheme::kRsaPkcs1Sha256;
    case crypto::KeyType::kEd25519:
      return crypto::SignatureScheme::kEd25519;
    default:
      return fail(Code::kUnimplemented, "sigstore key of type {} is not supported",
                  crypto::keyTypeName(key.type()));
  }
}

Result<SignedAttachment> signImage(ImageSource& source, const oci::Reference& ref,
                                   ImageDestination& dest, const crypto::Key& key,
                                   std::string_view identity) {
  COCOON_ASSIGN_OR_RETURN(oci::Reference claimed, oci::parseReference(identity));
  if (identity.find('@') == std::string_view::npos &&
      identity.find(':', identity.rfind('/') == std::string_view::npos ? 0 : identity.rfind('/')) ==
          std::string_view::npos) {
    return fail(Code::kInvalidArgument, "identity \"{}\" has neither a tag nor a digest", identity);
  }
  COCOON_ASSIGN_OR_RETURN(crypto::SignatureScheme scheme, sigstoreScheme(key));
  const std::string wanted = ref.digest ? ref.digest->toString() : ref.tag.value_or("latest");
  COCOON_ASSIGN_OR_RETURN(FetchedManifest manifest, source.manifest(wanted, kMaxManifestBytes));
  SignedAttachment out;
  out.manifest_digest = oci::computeDigest(manifest.body);
  if (ref.digest) {
    COCOON_TRY(oci::verifyDigest(*ref.digest, manifest.body, "manifest"));
    out.manifest_digest = *ref.digest;
  }
  out.tag = sigstoreTag(out.manifest_digest);
  // The payload cosign writes (containers-signature(5) with the cosign type).
  const Json payload{{"critical",
                      {{"identity", {{"docker-reference", claimed.toString()}}},
                       {"image", {{"docker-manifest-digest", out.manifest_digest.toString()}}},
                       {"type", kCosignSignatureType}}},
                     {"optional", nullptr}};
  out.payload = json::dumpCompact(payload);
  COCOON_ASSIGN_OR_RETURN(Bytes signature, crypto::sign(key, scheme, asBytes(out.payload)));

  oci::Descriptor layer;
  COCOON_TRY(putBytes(dest, kCosignSimpleSigningMediaType, asBytes(out.payload), layer));
  COCOON_ASSIGN_OR_RETURN(
      Json layers, keptLayers(source, out.tag, layer.digest, asBytes(out.payload), key, scheme));
  Json layer_json = descriptorJson(layer.media_type, layer.digest, asBytes(out.payload).size());
  layer_json["annotations"] = {{kCosignSignatureAnnotation, base64Encode(signature)}};
  layers.push_back(std::move(layer_json));
  Json diff_ids = Json::array();
  for (const Json& l : layers) {
    diff_ids.push_back(stringMember(l, "digest"));
  }
  const Json config{{"architecture", ""},
                    {"os", ""},
                    {"config", Json::object()},
                    {"rootfs", {{"type", "layers"}, {"diff_ids", std::move(diff_ids)}}}};
  const std::string config_text = json::dumpCompact(config);
  oci::Descriptor config_desc;
  COCOON_TRY(putBytes(dest, oci::kOciConfig, asBytes(config_text), config_desc));
  const Json manifest_json{
      {"schemaVersion", 2},
      {"mediaType", oci::kOciManifest},
      {"config", descriptorJson(oci::kOciConfig, config_desc.digest, config_text.size())},
      {"layers", std::move(layers)}};
  const std::string body = json::dumpCompact(manifest_json);
  COCOON_ASSIGN_OR_RETURN(out.attachment_digest,
                          dest.putManifest(out.tag, asBytes(body), oci::kOciManifest));
  return out;
}

}  // namespace cocoon::image::trust
