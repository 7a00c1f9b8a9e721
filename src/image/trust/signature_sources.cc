// SPDX-License-Identifier: Apache-2.0
// Lookaside reads (file:// and http(s)://) and cosign attachment fetches.
#include "image/trust/signature_sources.h"

#include "common/encoding.h"
#include "common/files.h"
#include "json/json.h"

namespace cocoon::image::trust {
namespace {

using json::Json;

// Attachment manifests are small: a few layers.
constexpr std::size_t kMaxAttachmentManifestBytes = 1 << 20;

Result<std::optional<Bytes>> readOne(const std::string& url, http::HttpClient* http) {
  if (url.starts_with("file://")) {
    std::string path = url.substr(7);
    if (!path.starts_with("/")) {
      return fail(Code::kInvalidArgument, "lookaside {}: a file:// URL needs an absolute path",
                  url);
    }
    auto data = readFile(path, kMaxSignatureBytes);
    if (!data && data.error().code == Code::kNotFound) {
      return std::optional<Bytes>();
    }
    if (!data) {
      return fail(std::move(data.error()).addContext("lookaside " + url));
    }
    return std::optional<Bytes>(std::move(*data));
  }
  if (url.starts_with("http://") || url.starts_with("https://")) {
    if (http == nullptr) {
      return fail(Code::kFailedPrecondition, "lookaside {}: no HTTP client", http::redactUrl(url));
    }
    http::Request request;
    request.url = url;
    COCOON_ASSIGN_OR_RETURN(
        http::Response response,
        withContext(http->send(request, kMaxSignatureBytes), "lookaside " + http::redactUrl(url)));
    if (response.status == 404) {
      return std::optional<Bytes>();
    }
    if (response.status < 200 || response.status > 299) {
      return fail(Code::kUnavailable, "lookaside {}: HTTP status {}", http::redactUrl(url),
                  response.status);
    }
    return std::optional<Bytes>(std::move(response.body));
  }
  return fail(Code::kInvalidArgument,
              "lookaside {}: only file://, http:// and https:// are supported",
              http::redactUrl(url));
}

Result<oci::Descriptor> parseLayer(const Json& v, const std::string& path) {
  if (!v.is_object()) {
    return fail(Code::kInvalidArgument, "{}: expected an object", path);
  }
  oci::Descriptor d;
  COCOON_ASSIGN_OR_RETURN(d.media_type, withContext(json::getString(v, "mediaType"), path));
  COCOON_ASSIGN_OR_RETURN(std::string digest, withContext(json::getString(v, "digest"), path));
  COCOON_ASSIGN_OR_RETURN(d.digest, withContext(oci::parseDigest(digest), path + ".digest"));
  COCOON_ASSIGN_OR_RETURN(d.size, withContext(json::getInt(v, "size"), path));
  if (d.size < 0 || static_cast<std::uint64_t>(d.size) > kMaxSignatureBytes) {
    return fail(Code::kResourceExhausted, "{}.size: {} is outside [0, {}]", path, d.size,
                kMaxSignatureBytes);
  }
  if (auto it = v.find("annotations"); it != v.end()) {
    if (!it->is_object()) {
      return fail(Code::kInvalidArgument, "{}.annotations: expected an object", path);
    }
    for (const auto& [key, value] : it->items()) {
      if (!value.is_string()) {
        return fail(Code::kInvalidArgument, "{}.annotations[\"{}\"]: expected a string", path, key);
      }
      d.annotations[key] = value.get<std::string>();
    }
  }
  return d;
}

}  // namespace

std::string lookasideUrl(std::string_view base, std::string_view repository,
                         const oci::Digest& digest, std::size_t index) {
  std::string b(base);
  while (!b.empty() && b.back() == '/') {
    b.pop_back();
  }
  return fmt::format("{}/{}@{}={}/signature-{}", b, repository,
                     crypto::digestName(digest.algorithm), digest.encoded, index);
}

Result<std::vector<Bytes>> fetchLookasideSignatures(std::string_view base,
                                                    const oci::Reference& ref,
                                                    const oci::Digest& digest,
                                                    http::HttpClient* http) {
  std::vector<Bytes> out;
  for (std::size_t i = 1;; ++i) {
    if (i > kMaxSignatures) {
      return fail(Code::kResourceExhausted, "lookaside has more than {} signatures for {}",
                  kMaxSignatures, digest);
    }
    COCOON_ASSIGN_OR_RETURN(std::optional<Bytes> sig,
                            readOne(lookasideUrl(base, ref.repository, digest, i), http));
    if (!sig) {
      return out;
    }
    out.push_back(std::move(*sig));
  }
}

std::string sigstoreTag(const oci::Digest& manifest_digest) {
  return fmt::format("{}-{}.sig", crypto::digestName(manifest_digest.algorithm),
                     manifest_digest.encoded);
}

Result<std::vector<SigstoreSignature>> fetchSigstoreSignatures(ImageSource& source,
                                                               const oci::Digest& manifest_digest) {
  const std::string tag = sigstoreTag(manifest_digest);
  auto fetched = source.manifest(tag, kMaxAttachmentManifestBytes);
  if (!fetched && fetched.error().code == Code::kNotFound) {
    return std::vector<SigstoreSignature>{};
  }
  if (!fetched) {
    return fail(std::move(fetched.error()).addContext("sigstore attachment " + tag));
  }
  const std::string what = "sigstore attachment " + tag;
  COCOON_ASSIGN_OR_RETURN(Json doc, withContext(json::parseJson(toString(fetched->body)), what));
  COCOON_ASSIGN_OR_RETURN(const Json* layers, withContext(json::getArray(doc, "layers"), what));
  if (layers->size() > kMaxSignatures) {
    return fail(Code::kResourceExhausted, "{}: {} layers, more than {} signatures", what,
                layers->size(), kMaxSignatures);
  }
  std::vector<SigstoreSignature> out;
  for (std::size_t i = 0; i < layers->size(); ++i) {
    const std::string path = fmt::format("{}: layers[{}]", what, i);
    COCOON_ASSIGN_OR_RETURN(oci::Descriptor layer, parseLayer((*layers)[i], path));
    if (layer.media_type != kCosignSimpleSigningMediaType) {
      continue;
    }
    auto annotation = layer.annotations.find(std::string(kCosignSignatureAnnotation));
    if (annotation == layer.annotations.end()) {
      return fail(Code::kInvalidArgument, "{}: no {} annotation", path, kCosignSignatureAnnotation);
    }
    SigstoreSignature sig;
    auto decoded = base64Decode(annotation->second);
    if (!decoded) {
      return fail(Code::kInvalidArgument, "{}: {} is not base64", path, kCosignSignatureAnnotation);
    }
    sig.signature = std::move(*decoded);
    COCOON_ASSIGN_OR_RETURN(sig.payload, withContext(source.blob(layer, kMaxSignatureBytes), path));
    COCOON_TRY(withContext(oci::verifyDigest(layer.digest, sig.payload, "payload"), path));
    if (sig.payload.size() != static_cast<std::uint64_t>(layer.size)) {
      return fail(Code::kDataLoss, "{}: payload of {} bytes, descriptor says {}", path,
                  sig.payload.size(), layer.size);
    }
    out.push_back(std::move(sig));
  }
  return out;
}

}  // namespace cocoon::image::trust
