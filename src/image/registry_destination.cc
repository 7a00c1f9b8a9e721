// SPDX-License-Identifier: Apache-2.0
// Registry-backed ImageDestination: resolves the push endpoint and credentials, hashes
// blobs while they stream into RegistryClient::pushBlob.
#include "image/registry_destination.h"

#include "http/curl_client.h"
#include "image/oci/auth_file.h"
#include "image/oci/registries_conf.h"
#include "image/registry/client.h"

namespace cocoon::image {
namespace {

class RegistryDestination final : public ImageDestination {
 public:
  RegistryDestination(std::unique_ptr<http::HttpClient> http,
                      std::unique_ptr<registry::RegistryClient> client, std::string host,
                      std::string repository, std::string reference)
      : http_(std::move(http)),
        client_(std::move(client)),
        host_(std::move(host)),
        repository_(std::move(repository)),
        reference_(std::move(reference)) {}

  Result<bool> hasBlob(const oci::Descriptor& descriptor) override {
    return client_->hasBlob(repository_, descriptor.digest.toString(),
                            static_cast<std::uint64_t>(descriptor.size));
  }

  Status putBlob(const oci::Descriptor& descriptor, const BlobProducer& producer) override {
    if (descriptor.size < 0 || descriptor.size > oci::kMaxDescriptorSize) {
      return fail(Code::kInvalidArgument, "blob {}: size {} out of range", descriptor.digest,
                  descriptor.size);
    }
    // The digest is checked before pushBlob commits: a mismatch cancels the upload.
    auto checked = [&](const http::ChunkCallback& sink) -> Status {
      crypto::Hasher hasher = oci::hasherFor(descriptor.digest);
      COCOON_TRY(producer([&](ByteSpan chunk) -> Status {
        hasher.update(chunk);
        return sink(chunk);
      }));
      return oci::checkDigest(descriptor.digest,
                              oci::digestFromHash(descriptor.digest.algorithm, hasher.finish()),
                              fmt::format("blob {}", descriptor.digest));
    };
    return client_->pushBlob(repository_, descriptor.digest.toString(),
                             static_cast<std::uint64_t>(descriptor.size), checked);
  }

  Result<oci::Digest> putManifest(std::string_view reference, ByteSpan body,
                                  std::string_view media_type) override {
    const std::string target = reference.empty() ? reference_ : std::string(reference);
    COCOON_ASSIGN_OR_RETURN(
        std::string digest,
        client_->putManifest(repository_, target, toString(body), std::string(media_type)));
    return oci::parseDigest(digest);
  }

  std::string describe() const override {
    return fmt::format("registry {} repository {}", host_, repository_);
  }

 private:
  std::unique_ptr<http::HttpClient> http_;  // used by client_: declared first, destroyed last
  std::unique_ptr<registry::RegistryClient> client_;
  std::string host_;
  std::string repository_;
  std::string reference_;
};

}  // namespace

Result<std::unique_ptr<ImageDestination>> openRegistryDestination(const oci::Reference& ref,
                                                                  const SourceOptions& options) {
  std::filesystem::path conf_path =
      options.registries_conf.empty() ? oci::registriesConfPath() : options.registries_conf;
  COCOON_ASSIGN_OR_RETURN(oci::RegistriesConf conf, oci::loadRegistriesConf(conf_path));
  COCOON_ASSIGN_OR_RETURN(std::vector<oci::Endpoint> endpoints, oci::resolve(conf, ref));
  // Mirrors serve pulls only; the primary location comes last.
  const oci::Endpoint& endpoint = endpoints.back();
  std::vector<std::filesystem::path> auth_paths =
      options.auth_file.empty() ? oci::authFilePaths()
                                : std::vector<std::filesystem::path>{options.auth_file};
  COCOON_ASSIGN_OR_RETURN(std::optional<oci::Credentials> found,
                          oci::lookupCredentials(auth_paths, endpoint.host, endpoint.repository));
  std::optional<registry::Credentials> credentials;
  if (found && !found->password.empty()) {
    credentials = registry::Credentials{found->username, toString(found->password.span())};
  }
  http::CurlClientOptions http_options;
  http_options.ca_bundle_file = options.ca_bundle.string();
  COCOON_ASSIGN_OR_RETURN(std::unique_ptr<http::HttpClient> http,
                          http::makeCurlHttpClient(http_options));
  auto client = std::make_unique<registry::RegistryClient>(
      registry::Endpoint{endpoint.host, endpoint.insecure}, credentials, *http);
  std::string reference = ref.digest ? ref.digest->toString() : ref.tag.value_or("latest");
  return std::unique_ptr<ImageDestination>(
      std::make_unique<RegistryDestination>(std::move(http), std::move(client), endpoint.host,
                                            endpoint.repository, std::move(reference)));
}

}  // namespace cocoon::image
