// SPDX-License-Identifier: Apache-2.0
// Registry-backed ImageSource: endpoint resolution, credentials, probing.
#include "image/registry_source.h"

#include <mutex>
#include <optional>

#include "common/log.h"
#include "http/curl_client.h"
#include "image/oci/auth_file.h"
#include "image/oci/media_types.h"
#include "image/oci/registries_conf.h"
#include "image/registry/client.h"

namespace cocoon::image {
namespace {

const std::vector<std::string>& acceptedManifestTypes() {
  static const std::vector<std::string> types = {
      std::string(oci::kOciIndex), std::string(oci::kDockerManifestList),
      std::string(oci::kOciManifest), std::string(oci::kDockerManifest)};
  return types;
}

class RegistrySource : public ImageSource {
 public:
  RegistrySource(std::unique_ptr<http::HttpClient> http,
                 std::unique_ptr<registry::RegistryClient> client, std::string host,
                 std::string repository, std::string probed_reference,
                 registry::ManifestResponse probed)
      : http_(std::move(http)),
        client_(std::move(client)),
        host_(std::move(host)),
        repository_(std::move(repository)),
        probed_reference_(std::move(probed_reference)),
        probed_(std::move(probed)) {}

  Result<FetchedManifest> manifest(std::string_view reference, std::size_t max_bytes) override {
    {
      std::lock_guard lock(mutex_);
      if (probed_ && reference == probed_reference_) {
        FetchedManifest out{std::move(probed_->bytes), std::move(probed_->media_type)};
        probed_.reset();
        return out;
      }
    }
    COCOON_ASSIGN_OR_RETURN(
        registry::ManifestResponse m,
        client_->getManifest(repository_, std::string(reference), acceptedManifestTypes()));
    if (m.bytes.size() > max_bytes) {
      return fail(Code::kResourceExhausted, "manifest {} is larger than {} bytes", reference,
                  max_bytes);
    }
    return FetchedManifest{std::move(m.bytes), std::move(m.media_type)};
  }

  Result<Bytes> blob(const oci::Descriptor& descriptor, std::size_t max_bytes) override {
    if (descriptor.size < 0 || static_cast<std::uint64_t>(descriptor.size) > max_bytes) {
      return fail(Code::kResourceExhausted, "blob {} of {} bytes is over the {} byte limit",
                  descriptor.digest, descriptor.size, max_bytes);
    }
    return client_->getBlob(repository_, descriptor.digest.toString());
  }

  Status streamBlob(const oci::Descriptor& descriptor,
                    const std::function<Status(ByteSpan)>& on_chunk) override {
    auto r = client_->streamBlob(repository_, descriptor.digest.toString(),
                                 static_cast<std::uint64_t>(descriptor.size), on_chunk);
    if (!r) {
      return fail(r.error());
    }
    return {};
  }

  std::string describe() const override {
    return fmt::format("registry {} repository {}", host_, repository_);
  }

 private:
  std::unique_ptr<http::HttpClient> http_;  // used by client_: declared first, destroyed last
  std::unique_ptr<registry::RegistryClient> client_;
  std::string host_;
  std::string repository_;
  std::mutex mutex_;
  std::string probed_reference_;
  std::optional<registry::ManifestResponse> probed_;
};

Result<std::optional<registry::Credentials>> credentialsFor(
    const std::vector<std::filesystem::path>& auth_paths, const oci::Endpoint& endpoint) {
  COCOON_ASSIGN_OR_RETURN(std::optional<oci::Credentials> c,
                          oci::lookupCredentials(auth_paths, endpoint.host, endpoint.repository));
  if (!c) {
    return std::optional<registry::Credentials>();
  }
  if (c->password.empty() && !c->identity_token.empty()) {
    COCOON_LOG(kWarn, "image",
               "the credentials for {} are an identity token, which cocoon does not use yet; "
               "pulling anonymously",
               endpoint.host);
    return std::optional<registry::Credentials>();
  }
  return std::optional<registry::Credentials>(
      registry::Credentials{c->username, toString(c->password.span())});
}

}  // namespace

Result<OpenedRegistry> openRegistrySource(const oci::Reference& ref, const SourceOptions& options) {
  std::filesystem::path conf_path =
      options.registries_conf.empty() ? oci::registriesConfPath() : options.registries_conf;
  COCOON_ASSIGN_OR_RETURN(oci::RegistriesConf conf, oci::loadRegistriesConf(conf_path));
  std::vector<std::filesystem::path> auth_paths =
      options.auth_file.empty() ? oci::authFilePaths()
                                : std::vector<std::filesystem::path>{options.auth_file};

  http::CurlClientOptions http_options;
  http_options.ca_bundle_file = options.ca_bundle.string();
  COCOON_ASSIGN_OR_RETURN(std::unique_ptr<http::HttpClient> http,
                          http::makeCurlHttpClient(http_options));

  std::vector<oci::Reference> candidates{ref};
  if (ref.is_short_name) {
    COCOON_ASSIGN_OR_RETURN(candidates, oci::shortNameCandidates(conf, ref));
  }
  std::string tried;
  std::optional<Error> last_error;
  for (const auto& candidate : candidates) {
    COCOON_ASSIGN_OR_RETURN(std::vector<oci::Endpoint> endpoints, oci::resolve(conf, candidate));
    std::string wanted =
        candidate.digest ? candidate.digest->toString() : candidate.tag.value_or("latest");
    for (const auto& endpoint : endpoints) {
      COCOON_ASSIGN_OR_RETURN(auto credentials, credentialsFor(auth_paths, endpoint));
      auto client = std::make_unique<registry::RegistryClient>(
          registry::Endpoint{endpoint.host, endpoint.insecure}, credentials, *http);
      auto probed = client->getManifest(endpoint.repository, wanted, acceptedManifestTypes());
      tried +=
          fmt::format("{}{}/{}", tried.empty() ? "" : ", ", endpoint.host, endpoint.repository);
      if (probed) {
        if (endpoint.mirror) {
          COCOON_LOG(kInfo, "image", "{} served by mirror {}", candidate.toString(), endpoint.host);
        }
        std::unique_ptr<ImageSource> source =
            std::make_unique<RegistrySource>(std::move(http), std::move(client), endpoint.host,
                                             endpoint.repository, wanted, std::move(*probed));
        return OpenedRegistry{std::move(source), candidate};
      }
      COCOON_LOG(kDebug, "image", "{} from {}: {}", wanted, endpoint.host,
                 probed.error().toString());
      // Only "not here" and "not reachable" move on; a refused credential or a hostile
      // answer is reported as is.
      Code code = probed.error().code;
      if (code != Code::kNotFound && code != Code::kUnavailable &&
          code != Code::kDeadlineExceeded) {
        return fail(probed.error());
      }
      last_error = probed.error();
    }
  }
  if (!last_error) {
    return fail(Code::kNotFound, "no registry to pull {} from", ref.toString());
  }
  return fail(last_error->addContext(fmt::format("tried {}", tried)));
}

}  // namespace cocoon::image
