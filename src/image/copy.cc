// SPDX-License-Identifier: Apache-2.0
// Image copy: manifests byte for byte, blobs streamed source -> destination.
#include "image/copy.h"

namespace cocoon::image {
namespace {

constexpr std::size_t kMaxManifestBytes = std::size_t{4} << 20;

class Copier {
 public:
  Copier(ImageSource& source, ImageDestination& destination, const CopyOptions& options)
      : source_(source), destination_(destination), options_(options) {}

  CopyResult& result() { return result_; }

  void report(const oci::Descriptor& d, BlobEvent event) {
    if (options_.on_blob) {
      options_.on_blob(d, event);
    }
  }

  // The destination checks the bytes against `d` while they stream (kDataLoss).
  Status copyBlob(const oci::Descriptor& d) {
    COCOON_ASSIGN_OR_RETURN(bool present, destination_.hasBlob(d));
    if (present) {
      ++result_.blobs_skipped;
      report(d, BlobEvent::kSkipped);
      return okStatus();
    }
    report(d, BlobEvent::kCopying);
    COCOON_TRY(withContext(destination_.putBlob(d,
                                                [&](const std::function<Status(ByteSpan)>& sink) {
                                                  return source_.streamBlob(d, sink);
                                                }),
                           fmt::format("blob {}", d.digest)));
    ++result_.blobs_copied;
    result_.bytes_copied += static_cast<std::uint64_t>(d.size);
    report(d, BlobEvent::kCopied);
    return okStatus();
  }

  // Copies the blobs of image manifest `body`, then the manifest under `reference`.
  Result<oci::Digest> copyManifest(const FetchedManifest& fetched, std::string_view reference) {
    COCOON_ASSIGN_OR_RETURN(oci::ImageManifest manifest,
                            oci::parseImageManifest(fetched.body, fetched.content_type));
    COCOON_TRY(copyBlob(manifest.config));
    for (const auto& layer : manifest.layers) {
      COCOON_TRY(copyBlob(layer.descriptor));
    }
    return destination_.putManifest(reference, fetched.body, oci::mediaTypeOf(manifest.kind));
  }

  // An index entry, fetched by digest and checked against it.
  Result<FetchedManifest> fetchEntry(const oci::Descriptor& entry) {
    COCOON_ASSIGN_OR_RETURN(FetchedManifest fetched,
                            source_.manifest(entry.digest.toString(), kMaxManifestBytes));
    COCOON_TRY(
        oci::verifyDigest(entry.digest, fetched.body, fmt::format("manifest {}", entry.digest)));
    if (fetched.content_type.empty()) {
      fetched.content_type = entry.media_type;
    }
    return fetched;
  }

 private:
  ImageSource& source_;
  ImageDestination& destination_;
  const CopyOptions& options_;
  CopyResult result_;
};

}  // namespace

Result<CopyResult> copyImage(ImageSource& source, std::string_view source_reference,
                             ImageDestination& destination, std::string_view destination_reference,
                             const CopyOptions& options) {
  Copier copier(source, destination, options);
  COCOON_ASSIGN_OR_RETURN(FetchedManifest top,
                          source.manifest(source_reference, kMaxManifestBytes));
  if (source_reference.find(':') != std::string_view::npos) {
    COCOON_ASSIGN_OR_RETURN(oci::Digest wanted, oci::parseDigest(source_reference));
    COCOON_TRY(oci::verifyDigest(wanted, top.body, "manifest"));
  }
  COCOON_ASSIGN_OR_RETURN(oci::ManifestDocument doc,
                          oci::parseManifest(top.body, top.content_type));
  auto* index = std::get_if<oci::ImageIndex>(&doc);
  if (index == nullptr) {
    COCOON_ASSIGN_OR_RETURN(copier.result().manifest_digest,
                            copier.copyManifest(top, destination_reference));
    return copier.result();
  }
  if (!options.all_platforms) {
    COCOON_ASSIGN_OR_RETURN(oci::Descriptor entry, oci::selectManifest(*index, options.platform));
    COCOON_ASSIGN_OR_RETURN(FetchedManifest fetched, copier.fetchEntry(entry));
    COCOON_ASSIGN_OR_RETURN(copier.result().manifest_digest,
                            copier.copyManifest(fetched, destination_reference));
    return copier.result();
  }
  for (const auto& entry : index->manifests) {
    COCOON_ASSIGN_OR_RETURN(FetchedManifest fetched, copier.fetchEntry(entry));
    COCOON_ASSIGN_OR_RETURN(oci::ManifestDocument inner,
                            oci::parseManifest(fetched.body, fetched.content_type));
    if (std::holds_alternative<oci::ImageIndex>(inner)) {
      return fail(Code::kUnimplemented, "index entry {} is itself an index: not copied",
                  entry.digest);
    }
    COCOON_TRY(copier.copyManifest(fetched, entry.digest.toString()));
  }
  COCOON_ASSIGN_OR_RETURN(
      copier.result().manifest_digest,
      destination.putManifest(destination_reference, top.body, oci::mediaTypeOf(index->kind)));
  return copier.result();
}

}  // namespace cocoon::image
