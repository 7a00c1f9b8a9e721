// SPDX-License-Identifier: Apache-2.0
// ImageSource over an OCI image layout directory.
#include "image/oci_layout_source.h"

#include <fcntl.h>
#include <unistd.h>

#include <array>

#include "common/files.h"
#include "common/sys_error.h"
#include "common/unique_fd.h"

namespace cocoon::image {
namespace {

constexpr std::string_view kRefNameAnnotation = "org.opencontainers.image.ref.name";

class OciLayoutSource : public ImageSource {
 public:
  OciLayoutSource(std::filesystem::path dir, oci::ImageIndex index)
      : dir_(std::move(dir)), index_(std::move(index)) {}

  Result<FetchedManifest> manifest(std::string_view reference, std::size_t max_bytes) override {
    if (reference.find(':') != std::string_view::npos) {
      COCOON_ASSIGN_OR_RETURN(oci::Digest d, oci::parseDigest(reference));
      COCOON_ASSIGN_OR_RETURN(Bytes body, readBlob(d, max_bytes));
      // By digest the layout gives no media type: the parser reads it from the body.
      for (const auto& entry : index_.manifests) {
        if (entry.digest == d) {
          return FetchedManifest{std::move(body), entry.media_type};
        }
      }
      return FetchedManifest{std::move(body), ""};
    }
    for (const auto& entry : index_.manifests) {
      auto name = entry.annotations.find(std::string(kRefNameAnnotation));
      if (name != entry.annotations.end() && name->second == reference) {
        COCOON_ASSIGN_OR_RETURN(Bytes body, readBlob(entry.digest, max_bytes));
        return FetchedManifest{std::move(body), entry.media_type};
      }
    }
    return fail(Code::kNotFound, "no image tagged '{}' in {}", reference, describe());
  }

  Result<Bytes> blob(const oci::Descriptor& descriptor, std::size_t max_bytes) override {
    return readBlob(descriptor.digest, max_bytes);
  }

  Status streamBlob(const oci::Descriptor& descriptor,
                    const std::function<Status(ByteSpan)>& on_chunk) override {
    auto path = blobPath(descriptor.digest);
    UniqueFd fd(::open(path.c_str(), O_RDONLY | O_CLOEXEC | O_NOFOLLOW));
    if (!fd.valid()) {
      return fail(errnoError(errno, "opening blob " + path.string()));
    }
    std::array<std::uint8_t, 128 * 1024> buf{};
    for (;;) {
      ssize_t n = ::read(fd.get(), buf.data(), buf.size());
      if (n < 0) {
        if (errno == EINTR) {
          continue;
        }
        return fail(errnoError(errno, "reading blob " + path.string()));
      }
      if (n == 0) {
        return {};
      }
      COCOON_TRY(on_chunk(ByteSpan(buf.data(), static_cast<std::size_t>(n))));
    }
  }

  std::string describe() const override { return "oci layout " + dir_.string(); }

 private:
  std::filesystem::path blobPath(const oci::Digest& d) const {
    return dir_ / "blobs" /
           (d.algorithm == crypto::DigestAlgorithm::kSha512 ? "sha512" : "sha256") / d.encoded;
  }
  Result<Bytes> readBlob(const oci::Digest& d, std::size_t max_bytes) const {
    auto r = readFile(blobPath(d), max_bytes);
    if (!r && r.error().code == Code::kNotFound) {
      return fail(Code::kNotFound, "blob {} is not in {}", d, describe());
    }
    return r;
  }

  std::filesystem::path dir_;
  oci::ImageIndex index_;
};

}  // namespace

Result<std::unique_ptr<ImageSource>> openOciLayout(const std::filesystem::path& dir) {
  std::error_code ec;
  if (!std::filesystem::exists(dir / "oci-layout", ec)) {
    return fail(Code::kNotFound, "{} is not an OCI image layout (no oci-layout file)",
                dir.string());
  }
  COCOON_ASSIGN_OR_RETURN(Bytes index_bytes,
                          withContext(readFile(dir / "index.json", 4 << 20), dir.string()));
  COCOON_ASSIGN_OR_RETURN(
      oci::ManifestDocument doc,
      withContext(oci::parseManifest(index_bytes, oci::kOciIndex), (dir / "index.json").string()));
  auto* index = std::get_if<oci::ImageIndex>(&doc);
  if (index == nullptr) {
    return fail(Code::kInvalidArgument, "{}/index.json is not an image index", dir.string());
  }
  return std::unique_ptr<ImageSource>(std::make_unique<OciLayoutSource>(dir, std::move(*index)));
}

}  // namespace cocoon::image
