// SPDX-License-Identifier: Apache-2.0
// Guest pull: image_guest_pull storage parsing, registry pull into a bundle, spec merge.
#include "agent/guest_pull.h"

#include <sys/mman.h>
#include <unistd.h>

#include <algorithm>
#include <cerrno>

#include "agent/storage/capacity.h"
#include "agent/storage/scratch_store.h"
#include "attest/cdh/data_hub.h"
#include "common/files.h"
#include "common/sys_error.h"
#include "common/unique_fd.h"
#include "image/crypt/decrypt.h"
#include "image/layer_store.h"
#include "image/oci/reference.h"
#include "image/puller.h"
#include "image/registry_source.h"
#include "image/trust/open_policy.h"

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

// A KBS resource as a file that lives only in memory (the pull's readers take paths): the
// fd stays open in `holder` for the pull; the path is /proc/self/fd/N.
Result<std::filesystem::path> memoryFile(const char* name, ByteSpan content, UniqueFd& holder) {
  holder.reset(::memfd_create(name, MFD_CLOEXEC));
  if (!holder.valid()) {
    return fail(errnoError(errno, fmt::format("memfd for {}", name)));
  }
  std::size_t done = 0;
  while (done < content.size()) {
    const ssize_t n = ::write(holder.get(), content.data() + done, content.size() - done);
    if (n < 0) {
      if (errno == EINTR) {
        continue;
      }
      return fail(errnoError(errno, fmt::format("writing {} to its memfd", name)));
    }
    done += static_cast<std::size_t>(n);
  }
  return std::filesystem::path("/proc/self/fd") / std::to_string(holder.get());
}

Status needHub(const GuestPullOptions& options, std::string_view what, std::string_view uri) {
  if (options.hub == nullptr) {
    return fail(Code::kFailedPrecondition, "{} {}: no KBS is configured ([kbc] url)", what, uri);
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

Result<std::unique_ptr<attest::cdh::DataHub>> makeDataHub(const AgentConfig& config) {
  if (config.kbc.url.empty()) {
    return std::unique_ptr<attest::cdh::DataHub>();
  }
  attest::cdh::DataHubConfig hub;
  hub.kbs_url = config.kbc.url;
  hub.http.kbs_cert_file = config.kbc.kbs_cert_file.string();
  if (!config.kbc.kbs_cert.empty()) {
    const std::filesystem::path cert = config.state_dir / "kbs-cert.pem";
    COCOON_TRY(writeFileAtomic(cert, asBytes(config.kbc.kbs_cert)));
    hub.http.kbs_cert_file = cert.string();
  }
  // The owner's init-data goes to the KBS with the evidence, which checks it against the
  // TEE's binding (HOST_DATA, MRCONFIGID; PCR 8 for tpm, see docs/initdata.md).
  hub.client.init_data = config.kbc.init_data;
  hub.attester.tee = config.kbc.tee;
  hub.attester.allow_sample = config.kbc.allow_sample;
  return withContext(attest::cdh::DataHub::create(std::move(hub)), "[kbc]");
}

Result<GuestPullOptions> makeGuestPullOptions(const AgentConfig& config,
                                              attest::cdh::DataHub* hub) {
  GuestPullOptions options;
  options.hub = hub;
  options.policy_uri = config.image.image_security_policy_uri;
  options.credentials_uri = config.image.authenticated_registry_credentials_uri;
  options.store = config.state_dir / "store";
  options.flatten = config.image.flatten;
  options.source.registries_conf = config.image.registries_conf;
  options.source.auth_file = config.image.auth_file;
  if (options.source.auth_file.empty()) {
    // Never the containers lookup order ($HOME, $XDG_RUNTIME_DIR): the owner's file or none.
    options.source.auth_file = config.state_dir / "no-auth.json";
  }
  options.registries_d = config.image.registries_d;
  if (options.registries_d.empty()) {
    options.registries_d = config.state_dir / "registries.d";
    COCOON_TRY(createDirectories(options.registries_d));
    COCOON_TRY(writeFileAtomic(options.registries_d / "default.yaml",
                               asBytes("default-docker:\n  use-sigstore-attachments: true\n")));
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
  COCOON_TRY(storage::checkStoreUsable(options.store.parent_path()));
  COCOON_ASSIGN_OR_RETURN(image::oci::Reference ref, image::oci::parseReference(request.image));
  image::SourceOptions source = options.source;
  UniqueFd credentials_fd;
  if (!options.credentials_uri.empty()) {
    const std::string what = "registry credentials " + options.credentials_uri;
    COCOON_TRY(needHub(options, "registry credentials", options.credentials_uri));
    COCOON_ASSIGN_OR_RETURN(
        SecretBytes auth, withContext(options.hub->getRegistryAuth(options.credentials_uri), what));
    COCOON_ASSIGN_OR_RETURN(source.auth_file,
                            memoryFile("auth.json", {auth.data(), auth.size()}, credentials_fd));
  }
  image::PullOptions pull;
  std::filesystem::path policy_path = options.policy_uri;
  UniqueFd policy_fd;
  if (options.policy_uri.starts_with("kbs:///")) {
    const std::string what = "image_security_policy_uri " + options.policy_uri;
    COCOON_TRY(needHub(options, "image_security_policy_uri", options.policy_uri));
    COCOON_ASSIGN_OR_RETURN(Bytes text,
                            withContext(options.hub->getImagePolicy(options.policy_uri), what));
    COCOON_ASSIGN_OR_RETURN(policy_path, memoryFile("policy.json", text, policy_fd));
  }
  image::trust::OpenedPolicy policy;
  if (!policy_path.empty()) {
    COCOON_ASSIGN_OR_RETURN(
        policy, image::trust::openPolicy(
                    request.image, {.policy = policy_path, .registries_d = options.registries_d}));
    pull.policy = policy.enforcer.get();
  }
  image::crypt::KeyDecryptProvider decrypt({.private_keys = {}, .fetcher = options.hub});
  pull.decrypt = &decrypt;
  COCOON_ASSIGN_OR_RETURN(image::OpenedRegistry opened, image::openRegistrySource(ref, source));
  // One store object per pull: LayerStore objects are not thread-safe; the store's own
  // file lock orders concurrent pulls.
  COCOON_ASSIGN_OR_RETURN(image::LayerStore store, image::LayerStore::open(options.store));
  // Checked by the pull once the manifest and config are verified, before any layer is
  // fetched: on the guest's tmpfs, filling the store would eat RAM.
  const storage::FreeSpaceBudget budget(options.store);
  pull.space_budget = &budget;
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
