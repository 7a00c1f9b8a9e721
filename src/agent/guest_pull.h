// SPDX-License-Identifier: Apache-2.0
// The guest pull of CreateContainer: the image_guest_pull storage entry kata's runtimes
// send, the pull into the container's bundle, and the bundle's final config.json.
// Encrypted layers, registry credentials and the signature policy come from the owner's KBS
// through the confidential data hub (attest/cdh) when the config names one.
// Trust: the storage entry is the host's: only the image reference is taken from it (and
// checked to be a registry reference); how registries are reached, which keys and
// credentials are used and which signatures are required is the owner's config.
#pragma once

#include <filesystem>
#include <memory>
#include <string>

#include <google/protobuf/repeated_ptr_field.h>

#include "agent/config.h"
#include "agent/oci_spec.h"
#include "common/result.h"
#include "image/open_source.h"
#include "json/json.h"
#include "proto/agent/agent.pb.h"

namespace cocoon::attest::cdh {
class DataHub;
}  // namespace cocoon::attest::cdh

namespace cocoon::agent {

// The storage driver with which kata's runtimes ask for a guest pull (kata-types mount.rs).
inline constexpr char kImageGuestPullDriver[] = "image_guest_pull";

struct GuestPullRequest {
  std::string image;  // Storage.source: the image reference
  // The ImagePullVolume's "metadata" (kata: CRI annotations such as
  // io.kubernetes.cri.image-name); an empty object when the option is absent.
  json::Json metadata = json::Json::object();
};

// Finds the one storage with driver image_guest_pull (kata runtime kata_agent.go:
// source = image reference, driver_options = ["image_guest_pull=<ImagePullVolume JSON>"],
// mount_point = where the runtime expects the rootfs, which this agent does not use).
// Errors: kInvalidArgument when there is none or more than one, the source is empty or not
// an image reference, the option is not a JSON object with an object "metadata", or the
// mount_point is relative or has ".."; kUnimplemented naming any other storage driver.
Result<GuestPullRequest> findGuestPull(
    const google::protobuf::RepeatedPtrField<grpc::Storage>& storages);

struct GuestPullOptions {
  image::SourceOptions source;
  std::filesystem::path store;  // the layer store root
  bool flatten = false;
  // Fetches the KEKs of provider.attestation-agent layers and the kbs:/// URIs below;
  // nullptr: encrypted layers and kbs:/// URIs fail. Not owned.
  attest::cdh::DataHub* hub = nullptr;
  std::filesystem::path registries_d;  // where the policy's signatures are looked up
  std::string policy_uri;              // AgentImageConfig::image_security_policy_uri
  std::string credentials_uri;         // AgentImageConfig::authenticated_registry_credentials_uri
};

// The data hub for config.kbc, or nullptr when no KBS is configured. An inline kbs_cert is
// written to <state_dir>/kbs-cert.pem (a certificate is public). Does not contact the KBS.
// Errors: those of DataHub::create (kFailedPrecondition for https without a certificate,
// kNotFound when no TEE is detected for tee = "auto", ...), the file write.
Result<std::unique_ptr<attest::cdh::DataHub>> makeDataHub(const AgentConfig& config);

// The pull options for `config`: its registries.conf (or one written under state_dir
// marking config.image.insecure_registries insecure), auth file, store under state_dir,
// policy and credentials URIs, and `hub` (may be nullptr).
// Errors: file writes (with the path).
Result<GuestPullOptions> makeGuestPullOptions(const AgentConfig& config,
                                              attest::cdh::DataHub* hub = nullptr);

// Pulls `request.image` from its registry into `bundle` (rootfs/ and config.json):
// registry credentials from options.credentials_uri, the signature policy from
// options.policy_uri (file or KBS resource), layer keys through options.hub. A failed pull
// leaves no bundle and no layer in the store.
// Errors: those of parseReference, openRegistrySource and pullImage (kNotFound,
// kUnauthenticated, kDataLoss, kPermissionDenied from a signature policy, ...); the data
// hub's, with the context "image_security_policy_uri <uri>" / "registry credentials <uri>"
// (kPermissionDenied when the KBS withholds a resource, kUnavailable when it is down);
// kFailedPrecondition for a kbs:/// URI without a hub; layer key failures as pullImage
// reports them (the KBS's refusal named in the message).
Status pullIntoBundle(const GuestPullRequest& request, const std::filesystem::path& bundle,
                      const GuestPullOptions& options);

// Reads <bundle>/config.json (the image's spec), merges `request` into it
// (mergeRequestSpec) and writes it back. Errors: those of mergeRequestSpec; file errors.
Status writeMergedSpec(const std::filesystem::path& bundle, const grpc::Spec& request,
                       const MergeOptions& options);

}  // namespace cocoon::agent
