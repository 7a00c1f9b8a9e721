// SPDX-License-Identifier: Apache-2.0
// ImageDestination writing an OCI image layout: hashed temp files renamed into blobs/,
// index.json replaced atomically under a mutex.
#include "image/oci_layout_destination.h"

#include <fcntl.h>
#include <sys/stat.h>
#include <unistd.h>

#include <algorithm>
#include <cctype>
#include <mutex>

#include "common/files.h"
#include "common/sys_error.h"
#include "common/unique_fd.h"
#include "json/json.h"

namespace cocoon::image {
namespace {

namespace fs = std::filesystem;

constexpr std::string_view kRefName = "org.opencontainers.image.ref.name";
constexpr std::size_t kMaxIndexBytes = std::size_t{4} << 20;
constexpr std::string_view kLayoutFile = R"({"imageLayoutVersion":"1.0.0"})";
constexpr std::string_view kEmptyIndex =
    R"({"schemaVersion":2,"mediaType":"application/vnd.oci.image.index.v1+json","manifests":[]})";

std::string_view algorithmDir(crypto::DigestAlgorithm alg) {
  return alg == crypto::DigestAlgorithm::kSha512 ? "sha512" : "sha256";
}

Status writeAll(int fd, ByteSpan data, const fs::path& path) {
  while (!data.empty()) {
    const ssize_t n = ::write(fd, data.data(), data.size());
    if (n < 0) {
      if (errno == EINTR) {
        continue;
      }
      return fail(errnoError(errno, "writing " + path.string()));
    }
    data = data.subspan(static_cast<std::size_t>(n));
  }
  return okStatus();
}

Status fsyncPath(const fs::path& path) {
  UniqueFd fd(::open(path.c_str(), O_RDONLY | O_DIRECTORY | O_CLOEXEC));
  if (!fd.valid() || ::fsync(fd.get()) != 0) {
    return fail(errnoError(errno, "fsync of " + path.string()));
  }
  return okStatus();
}

// A blob being written: removed on destruction unless renamed into place.
class PendingBlob {
 public:
  PendingBlob(UniqueFd fd, fs::path path) : fd_(std::move(fd)), path_(std::move(path)) {}
  PendingBlob(const PendingBlob&) = delete;
  PendingBlob& operator=(const PendingBlob&) = delete;
  ~PendingBlob() {
    if (!path_.empty()) {
      ::unlink(path_.c_str());
    }
  }
  int fd() const { return fd_.get(); }
  const fs::path& path() const { return path_; }

  Status commit(const fs::path& target) {
    if (::fsync(fd_.get()) != 0) {
      return fail(errnoError(errno, "fsync of " + path_.string()));
    }
    if (const int err = fd_.closeChecked(); err != 0) {
      return fail(errnoError(err, "closing " + path_.string()));
    }
    if (::rename(path_.c_str(), target.c_str()) != 0) {
      return fail(errnoError(errno, "renaming " + path_.string() + " to " + target.string()));
    }
    path_.clear();
    return fsyncPath(target.parent_path());
  }

 private:
  UniqueFd fd_;
  fs::path path_;
};

bool isAlnum(char c) {
  return std::isalnum(static_cast<unsigned char>(c)) != 0;
}

bool isRefComponent(std::string_view part) {
  if (part.empty() || !isAlnum(part.front()) || !isAlnum(part.back())) {
    return false;
  }
  for (std::size_t i = 0; i < part.size(); ++i) {
    if (isAlnum(part[i])) {
      continue;
    }
    // A separator is one of [-._:@+], or "--"; it always sits between alphanumerics.
    if (part.substr(i, 2) == "--") {
      ++i;
    } else if (std::string_view("-._:@+").find(part[i]) == std::string_view::npos) {
      return false;
    }
    if (!isAlnum(part[i + 1])) {
      return false;
    }
  }
  return true;
}

class OciLayoutDestination final : public ImageDestination {
 public:
  OciLayoutDestination(fs::path dir, std::string tag)
      : dir_(std::move(dir)), tag_(std::move(tag)) {}

  Result<bool> hasBlob(const oci::Descriptor& descriptor) override {
    struct stat st {};
    if (::stat(blobPath(descriptor.digest).c_str(), &st) != 0) {
      if (errno == ENOENT) {
        return false;
      }
      return fail(errnoError(errno, "stat of " + blobPath(descriptor.digest).string()));
    }
    return S_ISREG(st.st_mode) && st.st_size == descriptor.size;
  }

  Status putBlob(const oci::Descriptor& descriptor, const BlobProducer& producer) override {
    if (descriptor.size < 0 || descriptor.size > oci::kMaxDescriptorSize) {
      return fail(Code::kInvalidArgument, "blob {}: size {} out of range", descriptor.digest,
                  descriptor.size);
    }
    const fs::path target = blobPath(descriptor.digest);
    COCOON_TRY(createDirectories(target.parent_path()));
    std::string pattern =
        (target.parent_path() / (".tmp-" + descriptor.digest.encoded.substr(0, 16) + "-XXXXXX"))
            .string();
    UniqueFd fd(::mkostemp(pattern.data(), O_CLOEXEC));
    if (!fd.valid()) {
      return fail(errnoError(errno, "creating a temp file in " + target.parent_path().string()));
    }
    PendingBlob pending(std::move(fd), pattern);
    if (::fchmod(pending.fd(), 0644) != 0) {
      return fail(errnoError(errno, "chmod of " + pattern));
    }
    crypto::Hasher hasher = oci::hasherFor(descriptor.digest);
    const auto expected = static_cast<std::uint64_t>(descriptor.size);
    std::uint64_t written = 0;
    // The sink is a named lambda, not nested in COCOON_TRY: g++ -Wshadow flags the macro's
    // variable inside a lambda that is part of another COCOON_TRY's expression.
    const auto sink = [&](ByteSpan chunk) -> Status {
      if (chunk.size() > expected - written) {
        return fail(Code::kDataLoss, "blob {}: more than the expected {} bytes", descriptor.digest,
                    expected);
      }
      hasher.update(chunk);
      COCOON_TRY(writeAll(pending.fd(), chunk, pending.path()));
      written += chunk.size();
      return okStatus();
    };
    COCOON_TRY(producer(sink));
    if (written != expected) {
      return fail(Code::kDataLoss, "blob {}: {} bytes, expected {}", descriptor.digest, written,
                  expected);
    }
    COCOON_TRY(oci::checkDigest(descriptor.digest,
                                oci::digestFromHash(descriptor.digest.algorithm, hasher.finish()),
                                fmt::format("blob {}", descriptor.digest)));
    return pending.commit(target);
  }

  Result<oci::Digest> putManifest(std::string_view reference, ByteSpan body,
                                  std::string_view media_type) override {
    std::string tag = reference.empty() ? tag_ : std::string(reference);
    oci::Digest digest = oci::computeDigest(body);
    // A tag never parses as a digest: a ref name has no ':' followed by 64 hex only.
    if (auto named = oci::parseDigest(tag)) {
      digest = oci::computeDigest(body, named->algorithm);
      if (!(digest == *named)) {
        return fail(Code::kInvalidArgument, "manifest has digest {}, not the reference {}", digest,
                    *named);
      }
      tag.clear();
    } else if (!isOciRefName(tag)) {
      return fail(Code::kInvalidArgument, "invalid tag '{}' for {}", tag.substr(0, 130),
                  describe());
    }
    oci::Descriptor descriptor;
    descriptor.media_type = std::string(media_type);
    descriptor.digest = digest;
    descriptor.size = static_cast<std::int64_t>(body.size());
    COCOON_TRY(putBlob(descriptor, [&](const auto& sink) { return sink(body); }));
    COCOON_TRY(addToIndex(descriptor, tag));
    return digest;
  }

  std::string describe() const override { return "oci layout " + dir_.string(); }

 private:
  fs::path blobPath(const oci::Digest& d) const {
    return dir_ / "blobs" / algorithmDir(d.algorithm) / d.encoded;
  }

  // Adds `descriptor` to index.json under `tag` ("" for untagged).
  Status addToIndex(const oci::Descriptor& descriptor, const std::string& tag) {
    std::lock_guard lock(mutex_);
    const fs::path path = dir_ / "index.json";
    COCOON_ASSIGN_OR_RETURN(std::string text, readTextFile(path, kMaxIndexBytes));
    COCOON_ASSIGN_OR_RETURN(json::Json index, withContext(json::parseJson(text), path.string()));
    if (!index.is_object() || !index.contains("manifests") || !index["manifests"].is_array()) {
      return fail(Code::kInvalidArgument, "{}: no \"manifests\" array", path.string());
    }
    json::Json& manifests = index["manifests"];
    auto named = [&](const json::Json& entry) {
      if (!entry.is_object() || !entry.contains("annotations") ||
          !entry["annotations"].is_object()) {
        return std::string();
      }
      const json::Json& annotations = entry["annotations"];
      auto it = annotations.find(kRefName);
      return it != annotations.end() && it->is_string() ? it->get<std::string>() : std::string();
    };
    const std::string digest = descriptor.digest.toString();
    if (tag.empty()) {
      for (const auto& entry : manifests) {
        if (entry.is_object() && entry.value("digest", json::Json()) == digest) {
          return okStatus();
        }
      }
    } else {
      json::Json kept = json::Json::array();
      for (auto& entry : manifests) {
        if (named(entry) != tag) {
          kept.push_back(std::move(entry));
        }
      }
      manifests = std::move(kept);
    }
    json::Json entry = {
        {"mediaType", descriptor.media_type}, {"digest", digest}, {"size", descriptor.size}};
    if (!tag.empty()) {
      entry["annotations"] = {{std::string(kRefName), tag}};
    }
    manifests.push_back(std::move(entry));
    return writeFileAtomic(path, asBytes(json::dumpCompact(index)));
  }

  const fs::path dir_;
  const std::string tag_;
  std::mutex mutex_;  // serialises index.json read-modify-write
};

// Creates the layout files in a missing or empty `dir`; checks an existing layout.
Status prepareLayout(const fs::path& dir) {
  std::error_code ec;
  const bool exists = fs::exists(dir, ec);
  const bool empty = !exists || fs::is_empty(dir, ec);
  if (ec) {
    return fail(errnoError(ec.value(), "reading " + dir.string()));
  }
  if (empty) {
    COCOON_TRY(createDirectories(dir / "blobs" / "sha256"));
    COCOON_TRY(writeFileAtomic(dir / "oci-layout", asBytes(kLayoutFile)));
    return writeFileAtomic(dir / "index.json", asBytes(kEmptyIndex));
  }
  if (!fs::exists(dir / "oci-layout", ec)) {
    return fail(Code::kFailedPrecondition,
                "{} is neither empty nor an OCI image layout (no oci-layout file)", dir.string());
  }
  COCOON_ASSIGN_OR_RETURN(Bytes index, readFile(dir / "index.json", kMaxIndexBytes));
  COCOON_ASSIGN_OR_RETURN(
      oci::ManifestDocument doc,
      withContext(oci::parseManifest(index, oci::kOciIndex), (dir / "index.json").string()));
  if (!std::holds_alternative<oci::ImageIndex>(doc)) {
    return fail(Code::kInvalidArgument, "{} is not an image index", (dir / "index.json").string());
  }
  return okStatus();
}

}  // namespace

bool isOciRefName(std::string_view name) {
  if (name.empty() || name.size() > 255) {
    return false;
  }
  std::size_t start = 0;
  for (;;) {
    const std::size_t slash = std::min(name.find('/', start), name.size());
    if (!isRefComponent(name.substr(start, slash - start))) {
      return false;
    }
    if (slash == name.size()) {
      return true;
    }
    start = slash + 1;
  }
}

Result<std::unique_ptr<ImageDestination>> openOciLayoutDestination(const fs::path& dir,
                                                                   std::string tag) {
  if (!isOciRefName(tag)) {
    return fail(Code::kInvalidArgument, "invalid tag '{}' for oci layout {}", tag.substr(0, 130),
                dir.string());
  }
  COCOON_TRY(prepareLayout(dir));
  return std::unique_ptr<ImageDestination>(
      std::make_unique<OciLayoutDestination>(dir, std::move(tag)));
}

}  // namespace cocoon::image
