// SPDX-License-Identifier: Apache-2.0
// Guest pull: image_guest_pull storage parsing, registry pull into a bundle, spec merge.
#include "agent/guest_pull.h"

#include <algorithm>

#include "common/files.h"
#include "image/layer_store.h"
#include "image/oci/reference.h"
#include "image/puller.h"
#include "image/registry_source.h"

namespace cocoon::agent {
namespace {

constexpr std::string_view kOptionPrefix = "image_guest_pull=";

Status checkMountPoint(const std::string& mount_point) {
  if (mount_point.empty()) {
    return okStatus();
  }
  const std::filesystem::path path(mount_point);
  if (!path.is_absolute() ||
      std::any_of(path.begin(), path.end(), [](const auto& part) { return part == ".."; })) {
    return fail(Code::kInvalidArgument,
                "storage image_guest_pull: mount_point \"{}\" is not an absolute path "
                "without \"..\"",
                mount_point.substr(0, 256));
  }
  return okStatus();
}

}  // namespace

Result<GuestPullRequest> findGuestPull(
    const google::protobuf::RepeatedPtrField<grpc::Storage>& storages) {
  const grpc::Storage* found = nullptr;
  for (int i = 0; i < storages.size(); ++i) {
    const grpc::Storage& storage = storages.Get(i);
    if (storage.driver() != kImageGuestPullDriver) {
      return fail(Code::kUnimplemented, "storages[{}]: driver \"{}\" is not supported", i,
                  storage.driver().substr(0, 64));
    }
    if (found != nullptr) {
      return fail(Code::kInvalidArgument, "storages[{}]: a second image_guest_pull storage", i);
    }
    found = &storage;
  }
  if (found == nullptr) {
    return fail(Code::kInvalidArgument,
                "CreateContainer.storages: no image_guest_pull storage (the rootfs must be "
                "pulled in the guest)");
  }
  GuestPullRequest request;
  request.image = found->source();
  if (request.image.empty()) {
    return fail(Code::kInvalidArgument, "storage image_guest_pull: empty source (image)");
  }
  COCOON_TRY(image::oci::parseReference(request.image));
  COCOON_TRY(checkMountPoint(found->mount_point()));
  for (const std::string& option : found->driver_options()) {
    if (option.rfind(kOptionPrefix, 0) != 0) {
      continue;
    }
    COCOON_ASSIGN_OR_RETURN(json::Json volume,
                            json::parseJson(option.substr(kOptionPrefix.size()),
                                            {.max_bytes = 64 * 1024, .max_depth = 8}));
    if (!volume.is_object()) {
      return fail(Code::kInvalidArgument, "storage image_guest_pull: option is not an object");
    }
    if (volume.contains("metadata")) {
      if (!volume["metadata"].is_object()) {
        return fail(Code::kInvalidArgument,
                    "storage image_guest_pull: option \"metadata\" is not an object");
      }
      request.metadata = volume["metadata"];
    }
  }
  return request;
}

Result<GuestPullOptions> makeGuestPullOptions(const AgentConfig& config) {
  GuestPullOptions options;
  options.store = config.state_dir / "store";
  options.flatten = config.image.flatten;
  options.source.registries_conf = config.image.registries_conf;
  options.source.auth_file = config.image.auth_file;
  if (options.source.auth_file.empty()) {
    // Never the containers lookup order ($HOME, $XDG_RUNTIME_DIR): the owner's file or none.
    options.source.auth_file = config.state_dir / "no-auth.json";
  }
  if (!config.image.insecure_registries.empty()) {
    options.source.registries_conf = config.state_dir / "registries.conf";
    COCOON_TRY(writeFileAtomic(options.source.registries_conf,
                               asBytes(insecureRegistriesConf(config.image.insecure_registries))));
  }
  return options;
}

Status pullIntoBundle(const GuestPullRequest& request, const std::filesystem::path& bundle,
                      const GuestPullOptions& options) {
  COCOON_ASSIGN_OR_RETURN(image::oci::Reference ref, image::oci::parseReference(request.image));
  COCOON_ASSIGN_OR_RETURN(image::OpenedRegistry opened,
                          image::openRegistrySource(ref, options.source));
  // One store object per pull: LayerStore objects are not thread-safe; the store's own
  // file lock orders concurrent pulls.
  COCOON_ASSIGN_OR_RETURN(image::LayerStore store, image::LayerStore::open(options.store));
  image::PullOptions pull;
  pull.dest = bundle;
  pull.flatten = options.flatten;
  COCOON_ASSIGN_OR_RETURN(image::PullResult result,
                          image::pullImage(*opened.source, opened.reference, store, pull));
  (void)result;
  return okStatus();
}

Status writeMergedSpec(const std::filesystem::path& bundle, const grpc::Spec& request,
                       const MergeOptions& options) {
  const std::filesystem::path path = bundle / "config.json";
  COCOON_ASSIGN_OR_RETURN(std::string text, readTextFile(path, 4u << 20));
  COCOON_ASSIGN_OR_RETURN(json::Json spec, json::parseJson(text));
  COCOON_ASSIGN_OR_RETURN(json::Json merged, mergeRequestSpec(std::move(spec), request, options));
  return writeFileAtomic(path, asBytes(json::dumpCompact(merged)));
}

}  // namespace cocoon::agent
