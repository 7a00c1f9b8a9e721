// SPDX-License-Identifier: Apache-2.0
// The test OCI layout writer.
#include "image/crypt/layout_destination.h"

#include <mutex>

#include "common/files.h"
#include "crypto/digest.h"
#include "json/json.h"

namespace cocoon::image::test {
namespace {

class LayoutDestination : public ImageDestination {
 public:
  explicit LayoutDestination(std::filesystem::path root) : root_(std::move(root)) {}

  Result<bool> hasBlob(const oci::Descriptor& d) override {
    std::error_code ec;
    auto size = std::filesystem::file_size(blobPath(d.digest), ec);
    return !ec && size == static_cast<std::uintmax_t>(d.size);
  }

  Status putBlob(const oci::Descriptor& d, const BlobProducer& producer) override {
    Bytes data;
    crypto::Hasher hasher = oci::hasherFor(d.digest);
    COCOON_TRY(producer([&](ByteSpan chunk) -> Status {
      hasher.update(chunk);
      data.insert(data.end(), chunk.begin(), chunk.end());
      return {};
    }));
    COCOON_TRY(oci::checkDigest(d.digest, oci::digestFromHash(d.digest.algorithm, hasher.finish()),
                                "blob"));
    if (data.size() != static_cast<std::size_t>(d.size)) {
      return fail(Code::kDataLoss, "blob size {} != {}", data.size(), d.size);
    }
    COCOON_TRY(createDirectories(blobPath(d.digest).parent_path()));
    return writeFileAtomic(blobPath(d.digest), data);
  }

  Result<oci::Digest> putManifest(std::string_view reference, ByteSpan body,
                                  std::string_view media_type) override {
    std::lock_guard lock(mutex_);
    oci::Digest digest = oci::computeDigest(body);
    COCOON_TRY(createDirectories(blobPath(digest).parent_path()));
    COCOON_TRY(writeFileAtomic(blobPath(digest), body));
    COCOON_TRY(writeFileAtomic(root_ / "oci-layout", asBytes(R"({"imageLayoutVersion":"1.0.0"})")));
    json::Json index = {{"schemaVersion", 2}, {"manifests", json::Json::array()}};
    index["manifests"].push_back(
        {{"mediaType", std::string(media_type)},
         {"digest", digest.toString()},
         {"size", body.size()},
         {"annotations", {{"org.opencontainers.image.ref.name", std::string(reference)}}}});
    COCOON_TRY(writeFileAtomic(root_ / "index.json", asBytes(index.dump())));
    return digest;
  }

  std::string describe() const override { return "test oci layout " + root_.string(); }

 private:
  std::filesystem::path blobPath(const oci::Digest& d) const {
    return root_ / "blobs" / fmt::format("{}", d.toString().substr(0, d.toString().find(':'))) /
           d.encoded;
  }
  std::filesystem::path root_;
  std::mutex mutex_;
};

}  // namespace

std::unique_ptr<ImageDestination> makeLayoutDestination(const std::filesystem::path& root) {
  return std::make_unique<LayoutDestination>(root);
}

}  // namespace cocoon::image::test
