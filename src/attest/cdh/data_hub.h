// SPDX-License-Identifier: Apache-2.0
// DataHub: the guest's confidential data hub, the one object through which the agent and
// the image service obtain what the owner's KBS releases to an attested guest — resources
// (kbs:///repo/type/tag), the KEKs of encrypted image layers (it is the ocicrypt
// keyprovider's KeyResourceFetcher), sealed secrets, registry credentials and the image
// signature policy. Nothing fetched is written to persistent storage: values are returned
// in memory (SecretBytes, wiped when dropped) or written to tmpfs files for containers.
// Trust: the KBS is trusted and reached through a pinned certificate (KbsClient); sealed
// secrets and resource URIs come from the host (pod specs, image annotations) and are
// parsed as hostile input.
#pragma once

#include <filesystem>
#include <memory>
#include <mutex>
#include <optional>
#include <string>
#include <string_view>

#include "attest/attester.h"
#include "attest/cdh/sealed_secret.h"
#include "attest/kbs_client/kbs_client.h"
#include "common/bytes.h"
#include "common/result.h"
#include "crypto/key.h"
#include "http/client.h"
#include "image/crypt/keyprovider.h"

namespace cocoon::attest::cdh {

// How the hub reaches the KBS and proves the guest. Comes from the launch configuration
// (measured init-data), never from the host at run time.
struct DataHubConfig {
  // KBS base URL, "https://kbs.example:8080" ("http://" for loopback tests only).
  std::string kbs_url;
  // http.kbs_cert_file pins the KBS certificate or CA: the only trust anchor for https.
  // Timeouts are per request.
  KbsHttpOptions http;
  // Which TEE proves the guest ("auto" detects it; "sample" only with allow_sample).
  AttesterConfig attester;
  // The guest's ephemeral key for the KBS session (EC P-256 by default).
  TeeKeyType key_type = TeeKeyType::kEcP256;
  // Retries, init-data, token renewal margin (KbsClient).
  KbsClientOptions client;
  // When set, sealed secrets must carry a JWS that verifies with this key (its public
  // half); when unset, their signatures are not checked and any reference the host
  // supplies is fetched (the KBS's resource policy is then the only guard).
  std::optional<crypto::Key> sealed_secret_key;
};

// Thread-safe: one KBS session shared by every caller, serialized by a mutex (KbsClient is
// not thread-safe), so concurrent layer pulls attest once.
class DataHub : public image::crypt::KeyResourceFetcher {
 public:
  // Builds the HTTP client, the attester and the session key. Does not contact the KBS:
  // the first request attests (so the hub can be created before the network is up).
  // Errors: those of makeKbsHttpClient (kFailedPrecondition for https without a pinned
  // certificate, kInvalidArgument for a bad URL), createAttester (kFailedPrecondition for
  // "sample" without allow_sample, kNotFound when no TEE is detected) and generateTeeKey.
  static Result<std::unique_ptr<DataHub>> create(DataHubConfig config);

  // The bytes of the KBS resource `kbs_uri` ("kbs:///repo/type/tag"). Attests first when
  // the session has no token yet (again after a failed attestation); the token is cached
  // and renewed by the KbsClient. Errors: kInvalidArgument for a URI that is not a KBS
  // resource URI with three segments; the KbsClient's: kPermissionDenied (resource
  // policy), kNotFound, kUnauthenticated (evidence refused), kUnavailable /
  // kDeadlineExceeded (KBS unreachable after the retries), kFailedPrecondition (TLS),
  // kDataLoss (a response that does not decrypt); the attester's errors.
  Result<SecretBytes> getResource(std::string_view kbs_uri) override;

  // The value a sealed secret refers to (openSealedSecret with the configured key, then
  // getResource of the vault name). Errors: those of openSealedSecret and getResource, each
  // with the context "unsealing <name>".
  Result<SecretBytes> unsealSecret(std::string_view sealed);

  // Unseals into a new file `file` (mode 0400, O_EXCL: an existing file is refused) whose
  // directory is on tmpfs or ramfs, for a container mount. The directory is checked before
  // the KBS is asked, and the opened file again (fstatfs), so a secret never lands on
  // disk; a partial file is removed. Errors: kFailedPrecondition when the directory (or
  // the file) is not on tmpfs/ramfs, naming the file system; kAlreadyExists; I/O errors
  // naming the path; those of unsealSecret.
  Status unsealToFile(std::string_view sealed, const std::filesystem::path& file);

  // Registry credentials, a containers-auth.json document ({"auths": {...}}) stored as the
  // resource `kbs_uri`, for the image service. Errors: those of getResource;
  // kInvalidArgument when the resource is not a JSON object with an "auths" object (the
  // message never quotes the content).
  Result<SecretBytes> getRegistryAuth(std::string_view kbs_uri);

  // The image signature policy (containers-policy.json) stored as the resource `kbs_uri`.
  // Errors: those of getResource; kInvalidArgument when it is not a JSON object.
  Result<Bytes> getImagePolicy(std::string_view kbs_uri);

  // How many RCAR handshakes the session completed (for tests and metrics).
  int attestations() const;

 private:
  DataHub(DataHubConfig config, std::unique_ptr<http::HttpClient> http,
          std::unique_ptr<Attester> attester, std::unique_ptr<KbsClient> client);

  DataHubConfig config_;
  std::unique_ptr<http::HttpClient> http_;
  std::unique_ptr<Attester> attester_;
  mutable std::mutex mutex_;  // guards client_
  std::unique_ptr<KbsClient> client_;
};

// Writes `data` to the new file `file` (O_EXCL, mode 0400) when its directory is on tmpfs
// or ramfs. Errors as for DataHub::unsealToFile, without the unsealing ones.
Status writeTmpfsFile(const std::filesystem::path& file, ByteSpan data);

// kOk when `dir` is on tmpfs or ramfs; kFailedPrecondition naming the file system's magic
// otherwise; statfs errors (kNotFound for a missing directory).
Status checkTmpfs(const std::filesystem::path& dir);

}  // namespace cocoon::attest::cdh
