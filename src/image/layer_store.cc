// SPDX-License-Identifier: Apache-2.0
// The content-addressed layer store: layout, image records, locking and gc.
#include "image/layer_store.h"

#include <fcntl.h>
#include <sys/file.h>
#include <sys/stat.h>
#include <unistd.h>

#include <algorithm>
#include <cstdlib>
#include <set>
#include <system_error>

#include "common/encoding.h"
#include "common/files.h"
#include "common/sys_error.h"
#include "crypto/digest.h"
#include "json/json.h"

namespace cocoon::image {
namespace {

constexpr std::size_t kMaxRecordBytes = 1 << 20;
constexpr std::string_view kPartialMarker = ".partial-";

std::string_view algorithmName(crypto::DigestAlgorithm alg) {
  return alg == crypto::DigestAlgorithm::kSha512 ? "sha512" : "sha256";
}

Status makeDir(const std::filesystem::path& p) {
  COCOON_TRY(createDirectories(p));
  ::chmod(p.c_str(), 0700);
  return {};
}

Result<UniqueFd> lockFile(const std::filesystem::path& path, int operation) {
  UniqueFd fd(::open(path.c_str(), O_RDWR | O_CREAT | O_CLOEXEC, 0600));
  if (!fd.valid()) {
    return fail(errnoError(errno, "opening store lock " + path.string()));
  }
  while (::flock(fd.get(), operation) != 0) {
    if (errno != EINTR) {
      return fail(errnoError(errno, "locking " + path.string()));
    }
  }
  return fd;
}

json::Json recordToJson(const ImageRecord& r) {
  json::Json diff_ids = json::Json::array();
  for (const auto& d : r.diff_ids) {
    diff_ids.push_back(d.toString());
  }
  return {{"reference", r.reference},
          {"manifest_digest", r.manifest_digest.toString()},
          {"config_digest", r.config_digest.toString()},
          {"diff_ids", diff_ids},
          {"size", r.size},
          {"pulled_at", r.pulled_at}};
}

Result<ImageRecord> recordFromJson(const json::Json& j) {
  ImageRecord r;
  COCOON_ASSIGN_OR_RETURN(r.reference, json::getString(j, "reference"));
  COCOON_ASSIGN_OR_RETURN(std::string manifest, json::getString(j, "manifest_digest"));
  COCOON_ASSIGN_OR_RETURN(r.manifest_digest, oci::parseDigest(manifest));
  COCOON_ASSIGN_OR_RETURN(std::string config, json::getString(j, "config_digest"));
  COCOON_ASSIGN_OR_RETURN(r.config_digest, oci::parseDigest(config));
  COCOON_ASSIGN_OR_RETURN(const json::Json* ids, json::getArray(j, "diff_ids"));
  for (const auto& id : *ids) {
    if (!id.is_string()) {
      return fail(Code::kInvalidArgument, "diff_ids holds a non-string");
    }
    COCOON_ASSIGN_OR_RETURN(oci::Digest d, oci::parseDigest(id.get<std::string>()));
    r.diff_ids.push_back(std::move(d));
  }
  COCOON_ASSIGN_OR_RETURN(r.size, json::getInt(j, "size"));
  COCOON_ASSIGN_OR_RETURN(r.pulled_at, json::getInt(j, "pulled_at"));
  return r;
}

}  // namespace

std::filesystem::path LayerStore::defaultLocation() {
  if (const char* env = std::getenv("COCOON_STORE"); env != nullptr && *env != '\0') {
    return env;
  }
  if (::geteuid() == 0) {
    return "/var/lib/cocoon/store";
  }
  if (const char* xdg = std::getenv("XDG_DATA_HOME"); xdg != nullptr && *xdg == '/') {
    return std::filesystem::path(xdg) / "cocoon/store";
  }
  const char* home = std::getenv("HOME");
  return std::filesystem::path(home != nullptr ? home : "/") / ".local/share/cocoon/store";
}

Result<LayerStore> LayerStore::open(const std::filesystem::path& root) {
  COCOON_TRY(makeDir(root / "layers"));
  COCOON_TRY(makeDir(root / "images"));
  ::chmod(root.c_str(), 0700);
  return LayerStore(root);
}

std::filesystem::path LayerStore::layerPath(const oci::Digest& diff_id) const {
  return root_ / "layers" / std::string(algorithmName(diff_id.algorithm)) / diff_id.encoded;
}

bool LayerStore::hasLayer(const oci::Digest& diff_id) const {
  struct stat st {};
  return ::lstat(layerPath(diff_id).c_str(), &st) == 0 && S_ISDIR(st.st_mode);
}

Status LayerStore::prepareLayerParent(const oci::Digest& diff_id) const {
  return makeDir(layerPath(diff_id).parent_path());
}

Result<UniqueFd> LayerStore::lockShared() const {
  return lockFile(root_ / "lock", LOCK_SH);
}

Result<UniqueFd> LayerStore::lockExclusive() const {
  return lockFile(root_ / "lock", LOCK_EX);
}

std::filesystem::path LayerStore::imagePath(const std::string& reference) const {
  return root_ / "images" / (hexEncode(crypto::sha256(asBytes(reference))) + ".json");
}

Status LayerStore::putImage(const ImageRecord& record) const {
  std::string text = json::dumpCompact(recordToJson(record));
  return writeFileAtomic(imagePath(record.reference), asBytes(text), 0600);
}

Result<std::vector<ImageRecord>> LayerStore::listImages() const {
  std::vector<ImageRecord> out;
  std::error_code ec;
  for (const auto& entry : std::filesystem::directory_iterator(root_ / "images", ec)) {
    const auto& p = entry.path();
    if (p.extension() != ".json") {
      continue;  // writeFileAtomic's temp files
    }
    COCOON_ASSIGN_OR_RETURN(std::string text, readTextFile(p, kMaxRecordBytes));
    auto parsed = json::parseJson(text);
    Result<ImageRecord> record =
        parsed ? recordFromJson(*parsed) : Result<ImageRecord>(tl::unexpected(parsed.error()));
    if (!record) {
      return fail(Code::kDataLoss, "image record {} is corrupt: {}", p.string(),
                  record.error().toString());
    }
    out.push_back(std::move(*record));
  }
  if (ec) {
    return fail(codeFromErrno(ec.value()), "listing {}: {}", (root_ / "images").string(),
                ec.message());
  }
  std::sort(out.begin(), out.end(),
            [](const ImageRecord& a, const ImageRecord& b) { return a.reference < b.reference; });
  return out;
}

Status LayerStore::removeImage(const std::string& reference) const {
  auto p = imagePath(reference);
  if (::unlink(p.c_str()) != 0) {
    if (errno == ENOENT) {
      return fail(Code::kNotFound, "no image '{}' in the store", reference);
    }
    return fail(errnoError(errno, "removing " + p.string()));
  }
  return {};
}

Result<GcStats> LayerStore::gc() const {
  COCOON_ASSIGN_OR_RETURN(UniqueFd lock, lockExclusive());
  COCOON_ASSIGN_OR_RETURN(std::vector<ImageRecord> images, listImages());
  std::set<std::filesystem::path> referenced;
  for (const auto& image : images) {
    for (const auto& d : image.diff_ids) {
      referenced.insert(layerPath(d));
    }
  }
  GcStats stats;
  std::error_code ec;
  for (const auto& alg_dir : std::filesystem::directory_iterator(root_ / "layers", ec)) {
    std::error_code ec2;
    for (const auto& layer : std::filesystem::directory_iterator(alg_dir.path(), ec2)) {
      const auto& p = layer.path();
      bool partial = p.filename().string().find(kPartialMarker) != std::string::npos;
      if (!partial && referenced.contains(p)) {
        ++stats.layers_kept;
        continue;
      }
      COCOON_TRY(removeAll(p));
      ++(partial ? stats.partials_removed : stats.layers_removed);
    }
  }
  return stats;
}

}  // namespace cocoon::image
