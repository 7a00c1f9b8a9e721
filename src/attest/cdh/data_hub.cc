// SPDX-License-Identifier: Apache-2.0
// DataHub: one attested KBS session behind resources, KEKs, sealed secrets, registry
// credentials and the image policy; tmpfs-only secret files.
#include "attest/cdh/data_hub.h"

#include <fcntl.h>
#include <linux/magic.h>
#include <sys/statfs.h>
#include <unistd.h>

#include <algorithm>
#include <cerrno>

#include "common/sys_error.h"
#include "common/unique_fd.h"
#include "json/json.h"

namespace cocoon::attest::cdh {
namespace {

Status checkMagic(const struct statfs& fs, const std::filesystem::path& where) {
  const auto magic = static_cast<unsigned long>(fs.f_type);  // NOLINT(google-runtime-int)
  if (magic == TMPFS_MAGIC || magic == RAMFS_MAGIC) {
    return okStatus();
  }
  return fail(Code::kFailedPrecondition,
              "{} is not on tmpfs or ramfs (file system magic {:#x}): secrets are never "
              "written to persistent storage",
              where.string(), magic);
}

Result<json::Json> jsonObject(ByteSpan bytes, std::string_view what) {
  auto parsed = json::parseJson(toString(bytes));
  if (!parsed || !parsed->is_object()) {
    // The content may be secret: only the parser's position is reported.
    return fail(Code::kInvalidArgument, "{}: not a JSON object{}", what,
                parsed ? "" : " (" + parsed.error().message + ")");
  }
  return std::move(*parsed);
}

// Overwrites every string in a parsed copy of a secret document before it is freed.
void wipeStrings(json::Json& value) {
  if (value.is_string()) {
    auto& s = value.get_ref<std::string&>();
    std::fill(s.begin(), s.end(), '\0');
    return;
  }
  if (value.is_structured()) {  // a primitive iterates over itself
    for (auto& child : value) {
      wipeStrings(child);
    }
  }
}

}  // namespace

Status checkTmpfs(const std::filesystem::path& dir) {
  struct statfs fs {};
  if (::statfs(dir.c_str(), &fs) != 0) {
    return fail(errnoError(errno, "statfs " + dir.string()));
  }
  return checkMagic(fs, dir);
}

Status writeTmpfsFile(const std::filesystem::path& file, ByteSpan data) {
  const std::filesystem::path dir = file.has_parent_path() ? file.parent_path() : ".";
  COCOON_TRY(checkTmpfs(dir));
  UniqueFd fd(::open(file.c_str(), O_WRONLY | O_CREAT | O_EXCL | O_NOFOLLOW | O_CLOEXEC, 0400));
  if (!fd.valid()) {
    return fail(errnoError(errno, "creating " + file.string()));
  }
  // The directory may have been replaced by a mount since the check: test the file itself.
  struct statfs fs {};
  Status status = ::fstatfs(fd.get(), &fs) == 0
                      ? checkMagic(fs, file)
                      : fail(errnoError(errno, "fstatfs " + file.string()));
  std::size_t done = 0;
  while (status && done < data.size()) {
    const ssize_t n = ::write(fd.get(), data.data() + done, data.size() - done);
    if (n < 0 && errno == EINTR) {
      continue;
    }
    if (n <= 0) {
      status = fail(errnoError(n < 0 ? errno : EIO, "writing " + file.string()));
      break;
    }
    done += static_cast<std::size_t>(n);
  }
  if (!status) {
    ::unlink(file.c_str());
  }
  return status;
}

DataHub::DataHub(DataHubConfig config, std::unique_ptr<http::HttpClient> http,
                 std::unique_ptr<Attester> attester, std::unique_ptr<KbsClient> client)
    : config_(std::move(config)),
      http_(std::move(http)),
      attester_(std::move(attester)),
      client_(std::move(client)) {}

Result<std::unique_ptr<DataHub>> DataHub::create(DataHubConfig config) {
  COCOON_ASSIGN_OR_RETURN(auto http, makeKbsHttpClient(config.kbs_url, config.http));
  COCOON_ASSIGN_OR_RETURN(auto attester, createAttester(config.attester));
  COCOON_ASSIGN_OR_RETURN(crypto::Key key, generateTeeKey(config.key_type));
  auto client = std::make_unique<KbsClient>(config.kbs_url, std::move(key), *http, config.client);
  return std::unique_ptr<DataHub>(
      new DataHub(std::move(config), std::move(http), std::move(attester), std::move(client)));
}

Result<SecretBytes> DataHub::getResource(std::string_view kbs_uri) {
  COCOON_ASSIGN_OR_RETURN(std::string path, kbsResourcePath(kbs_uri));
  std::lock_guard lock(mutex_);
  if (client_->token().empty()) {
    COCOON_TRY(withContext(client_->attest(*attester_), "attesting to " + config_.kbs_url));
  }
  return withContext(client_->getResource(path), fmt::format("fetching {}", kbs_uri));
}

Result<SecretBytes> DataHub::unsealSecret(std::string_view sealed) {
  const crypto::Key* key = config_.sealed_secret_key ? &*config_.sealed_secret_key : nullptr;
  COCOON_ASSIGN_OR_RETURN(SealedSecret secret, openSealedSecret(sealed, key));
  return withContext(getResource(secret.vault.name), "unsealing " + secret.vault.name);
}

Status DataHub::unsealToFile(std::string_view sealed, const std::filesystem::path& file) {
  // Refuse before anything is fetched: the secret must have nowhere to go but tmpfs.
  COCOON_TRY(checkTmpfs(file.has_parent_path() ? file.parent_path() : "."));
  COCOON_ASSIGN_OR_RETURN(SecretBytes value, unsealSecret(sealed));
  return writeTmpfsFile(file, value.span());
}

Result<SecretBytes> DataHub::getRegistryAuth(std::string_view kbs_uri) {
  COCOON_ASSIGN_OR_RETURN(SecretBytes auth, getResource(kbs_uri));
  COCOON_ASSIGN_OR_RETURN(json::Json doc, jsonObject(auth.span(), "registry credentials"));
  const bool ok = doc.contains("auths") && doc["auths"].is_object();
  wipeStrings(doc);  // the parsed copy holds the credentials too
  if (!ok) {
    return fail(Code::kInvalidArgument,
                "registry credentials {}: expected a containers-auth.json object with an "
                "\"auths\" object",
                kbs_uri);
  }
  return auth;
}

Result<Bytes> DataHub::getImagePolicy(std::string_view kbs_uri) {
  COCOON_ASSIGN_OR_RETURN(SecretBytes policy, getResource(kbs_uri));
  COCOON_TRY(
      withContext(jsonObject(policy.span(), "image signature policy"), std::string(kbs_uri)));
  return Bytes(policy.span().begin(), policy.span().end());
}

int DataHub::attestations() const {
  std::lock_guard lock(mutex_);
  return client_->attestations();
}

}  // namespace cocoon::attest::cdh
