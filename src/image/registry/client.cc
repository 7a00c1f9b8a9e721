// SPDX-License-Identifier: Apache-2.0
// RegistryClient: distribution spec v2 pulls (manifests, blobs) with auth, retries and
// Range resumption.
#include "image/registry/client.h"

#include <algorithm>
#include <cctype>
#include <thread>

#include "common/encoding.h"
#include "crypto/digest.h"
#include "image/registry/auth/authenticator.h"

namespace cocoon::image::registry {
namespace {

bool isLowerAlnum(char c) {
  return (c >= 'a' && c <= 'z') || (c >= '0' && c <= '9');
}

// Repository names per distribution spec: path components of [a-z0-9] joined by '.',
// '_', '__' or runs of '-', separated by '/'.
Status checkRepository(const std::string& repository) {
  bool ok = !repository.empty() && repository.size() <= 255;
  std::size_t start = 0;
  while (ok) {
    const std::size_t end = std::min(repository.find('/', start), repository.size());
    const std::string_view part(repository.data() + start, end - start);
    ok = !part.empty() && isLowerAlnum(part.front()) && isLowerAlnum(part.back()) &&
         std::all_of(part.begin(), part.end(),
                     [](char c) { return isLowerAlnum(c) || c == '.' || c == '_' || c == '-'; }) &&
         part.find("..") == std::string_view::npos && part.find("___") == std::string_view::npos;
    if (end == repository.size()) {
      break;
    }
    start = end + 1;
  }
  if (!ok) {
    return fail(Code::kInvalidArgument, "invalid repository name '{}'", repository.substr(0, 300));
  }
  return okStatus();
}

// "sha256:<64 lower hex>" or "sha512:<128 lower hex>"; returns the algorithm.
Result<crypto::DigestAlgorithm> checkDigest(const std::string& digest) {
  const std::size_t colon = digest.find(':');
  const std::string_view hex =
      colon == std::string::npos ? std::string_view() : std::string_view(digest).substr(colon + 1);
  const std::string_view name = std::string_view(digest).substr(0, colon);
  const bool lower_hex = std::all_of(hex.begin(), hex.end(), [](char c) {
    return (c >= '0' && c <= '9') || (c >= 'a' && c <= 'f');
  });
  if (lower_hex && name == "sha256" && hex.size() == 64) {
    return crypto::DigestAlgorithm::kSha256;
  }
  if (lower_hex && name == "sha512" && hex.size() == 128) {
    return crypto::DigestAlgorithm::kSha512;
  }
  return fail(Code::kInvalidArgument,
              "invalid digest '{}': expected sha256:<64 hex> or "
              "sha512:<128 hex>",
              digest.substr(0, 150));
}

// Tags: [A-Za-z0-9_][A-Za-z0-9_.-]{0,127} (distribution spec).
bool isTag(const std::string& reference) {
  auto word = [](char c) { return std::isalnum(static_cast<unsigned char>(c)) != 0 || c == '_'; };
  return !reference.empty() && reference.size() <= 128 && word(reference.front()) &&
         std::all_of(reference.begin(), reference.end(),
                     [&](char c) { return word(c) || c == '.' || c == '-'; });
}

std::string digestOf(crypto::DigestAlgorithm alg, ByteSpan bytes) {
  return std::string(crypto::digestName(alg)) + ":" + hexEncode(crypto::digest(alg, bytes));
}

// "bytes <first>-<last>/<total|*>": the first byte position, or nullopt.
std::optional<std::uint64_t> rangeStart(const std::optional<std::string>& content_range) {
  if (!content_range || content_range->rfind("bytes ", 0) != 0) {
    return std::nullopt;
  }
  std::uint64_t value = 0;
  std::size_t i = 6;
  for (; i < content_range->size() && std::isdigit(static_cast<unsigned char>((*content_range)[i]));
       ++i) {
    if (value > (UINT64_MAX - 9) / 10) {
      return std::nullopt;
    }
    value = value * 10 + static_cast<std::uint64_t>((*content_range)[i] - '0');
  }
  if (i == 6 || i >= content_range->size() || (*content_range)[i] != '-') {
    return std::nullopt;
  }
  return value;
}

bool retryableStatus(int status) {
  return status == 429 || status >= 500;
}

}  // namespace

RegistryClient::RegistryClient(Endpoint endpoint, std::optional<Credentials> credentials,
                               http::HttpClient& http, RegistryOptions options)
    : endpoint_(std::move(endpoint)),
      credentials_(std::move(credentials)),
      http_(http),
      options_(std::move(options)),
      auth_(std::make_unique<auth::Authenticator>(endpoint_, credentials_, http_, options_)) {}

RegistryClient::~RegistryClient() = default;

std::string RegistryClient::url(const std::string& repository, const std::string& kind,
                                const std::string& reference) const {
  std::string out = (endpoint_.insecure ? "http://" : "https://") + endpoint_.host + "/v2/";
  if (!repository.empty()) {
    out += repository + "/" + kind + "/" + reference;
  }
  return out;
}

void RegistryClient::backoff(int attempt, const http::Response* response) {
  std::chrono::milliseconds wait = options_.initial_backoff;
  for (int i = 1; i < attempt && wait < options_.max_backoff; ++i) {
    wait *= 2;
  }
  if (response != nullptr) {
    const auto retry_after = response->header("retry-after");
    if (retry_after && !retry_after->empty() && retry_after->size() <= 6 &&
        std::all_of(retry_after->begin(), retry_after->end(),
                    [](char c) { return std::isdigit(static_cast<unsigned char>(c)) != 0; })) {
      wait = std::chrono::seconds(std::stoi(*retry_after));
    }
  }
  wait = std::min(wait, options_.max_backoff);
  if (options_.sleep) {
    options_.sleep(wait);
  } else {
    std::this_thread::sleep_for(wait);
  }
}

Result<http::Response> RegistryClient::execute(const std::string& repository, http::Request request,
                                               const Perform& perform, Access access) {
  const bool push = access == Access::kPush;
  bool challenge_answered = false;
  int attempt = 1;
  for (;;) {
    http::Request sent = request;
    std::string authorization;
    if (access != Access::kNone) {
      COCOON_ASSIGN_OR_RETURN(authorization, auth_->headerFor(repository, push));
    }
    if (!authorization.empty()) {
      sent.headers.emplace_back("Authorization", authorization);
    }
    bool retryable = false;
    Result<http::Response> response = perform(sent, &retryable);
    if (!response) {
      if (retryable && attempt < options_.max_attempts) {
        backoff(attempt++, nullptr);
        continue;
      }
      if (attempt > 1) {
        response.error().addContext(fmt::format("after {} attempts", attempt));
      }
      return response;
    }
    if (response->status == 401) {
      if (repository.empty() && challenge_answered) {
        return response;  // /v2/ needs no scope: ping() learnt the scheme, that is all
      }
      if (challenge_answered || access == Access::kNone) {
        return fail(auth_->refused(repository));
      }
      challenge_answered = true;
      COCOON_TRY(auth_->answer(*response, repository, authorization, push));
      continue;
    }
    if (retryableStatus(response->status)) {
      if (attempt < options_.max_attempts) {
        backoff(attempt++, &*response);
        continue;
      }
      return fail(Code::kUnavailable, "registry {} answered HTTP {} for {} after {} attempts",
                  endpoint_.host, response->status, response->effective_url, attempt);
    }
    return response;
  }
}

RegistryClient::Perform RegistryClient::buffered(std::size_t max_body_bytes) {
  return [this, max_body_bytes](const http::Request& r, bool* retryable) {
    auto out = http_.send(r, max_body_bytes);
    *retryable = !out && out.error().code == Code::kUnavailable;
    return out;
  };
}

Status RegistryClient::ping() {
  http::Request request;
  request.url = url("", "", "");
  COCOON_ASSIGN_OR_RETURN(http::Response response, execute("", request, buffered(64 * 1024)));
  if (response.status == 404) {
    return fail(Code::kNotFound, "registry {} does not serve the v2 API at /v2/", endpoint_.host);
  }
  if (response.status != 200 && response.status != 401) {
    return fail(Code::kFailedPrecondition, "registry {} answered HTTP {} at /v2/", endpoint_.host,
                response.status);
  }
  return okStatus();
}

namespace {

// Maps a final non-success status of a manifest or blob request to an error.
Error statusError(const http::Response& response, const std::string& host, std::string_view what,
                  const std::string& repository, const std::string& reference) {
  if (response.status == 404) {
    return makeError(Code::kNotFound, "{} {} not found in repository {} on registry {}", what,
                     reference, repository, host);
  }
  if (response.status == 403) {
    return makeError(Code::kPermissionDenied, "registry {} denies access to {} {} of {}", host,
                     what, reference, repository);
  }
  return makeError(Code::kFailedPrecondition, "registry {} answered HTTP {} for {} {} of {}", host,
                   response.status, what, reference, repository);
}

}  // namespace

Result<ManifestResponse> RegistryClient::getManifest(
    const std::string& repository, const std::string& reference,
    const std::vector<std::string>& accepted_media_types) {
  COCOON_TRY(checkRepository(repository));
  std::optional<crypto::DigestAlgorithm> alg;
  if (!isTag(reference)) {
    COCOON_ASSIGN_OR_RETURN(alg, checkDigest(reference));
  }
  http::Request request;
  request.url = url(repository, "manifests", reference);
  std::string accept;
  for (const auto& type : accepted_media_types) {
    accept += (accept.empty() ? "" : ", ") + type;
  }
  if (!accept.empty()) {
    request.headers.emplace_back("Accept", accept);
  }
  const std::size_t cap = options_.max_manifest_bytes;
  COCOON_ASSIGN_OR_RETURN(http::Response response,
                          withContext(execute(repository, request, buffered(cap)),
                                      fmt::format("manifest {} of {}", reference, repository)));
  if (response.status != 200) {
    return fail(statusError(response, endpoint_.host, "manifest", repository, reference));
  }
  ManifestResponse out;
  const std::string content_type = response.header("content-type").value_or("");
  out.media_type = content_type.substr(0, content_type.find(';'));
  while (!out.media_type.empty() && out.media_type.back() == ' ') {
    out.media_type.pop_back();
  }
  out.digest = digestOf(alg.value_or(crypto::DigestAlgorithm::kSha256), response.body);
  if (alg && out.digest != reference) {
    return fail(Code::kDataLoss, "manifest {} of {} on registry {} has digest {}", reference,
                repository, endpoint_.host, out.digest);
  }
  if (const auto claimed = response.header("docker-content-digest")) {
    auto claimed_alg = checkDigest(*claimed);
    const crypto::DigestAlgorithm computed_alg = alg.value_or(crypto::DigestAlgorithm::kSha256);
    // The usual claim is in the algorithm already computed: no second pass over the body.
    if (!claimed_alg ||
        (*claimed_alg == computed_alg ? out.digest : digestOf(*claimed_alg, response.body)) !=
            *claimed) {
      return fail(Code::kDataLoss,
                  "manifest {} of {} on registry {}: Docker-Content-Digest {} does not match "
                  "the bytes ({})",
                  reference, repository, endpoint_.host, claimed->substr(0, 150), out.digest);
    }
  }
  out.bytes = std::move(response.body);
  return out;
}

Result<Bytes> RegistryClient::getBlob(const std::string& repository, const std::string& digest) {
  COCOON_TRY(checkRepository(repository));
  COCOON_ASSIGN_OR_RETURN(crypto::DigestAlgorithm alg, checkDigest(digest));
  http::Request request;
  request.url = url(repository, "blobs", digest);
  const std::size_t cap = options_.max_blob_bytes;
  COCOON_ASSIGN_OR_RETURN(http::Response response,
                          withContext(execute(repository, request, buffered(cap)),
                                      fmt::format("blob {} of {}", digest, repository)));
  if (response.status != 200) {
    return fail(statusError(response, endpoint_.host, "blob", repository, digest));
  }
  const std::string actual = digestOf(alg, response.body);
  if (actual != digest) {
    return fail(Code::kDataLoss, "blob {} of {} on registry {} has digest {}", digest, repository,
                endpoint_.host, actual);
  }
  return std::move(response.body);
}

Result<std::uint64_t> RegistryClient::streamBlob(const std::string& repository,
                                                 const std::string& digest,
                                                 std::uint64_t expected_size,
                                                 const http::ChunkCallback& on_chunk) {
  COCOON_TRY(checkRepository(repository));
  COCOON_TRY(checkDigest(digest));
  http::Request request;
  request.url = url(repository, "blobs", digest);
  std::uint64_t received = 0;
  bool caller_failed = false;

  auto perform = [&](const http::Request& base, bool* retryable) -> Result<http::Response> {
    http::Request r = base;
    const std::uint64_t resume_at = received;
    if (resume_at > 0) {
      r.headers.emplace_back("Range", fmt::format("bytes={}-", resume_at));
    }
    auto on_head = [&](const http::Response& head) -> Status {
      if (head.status < 200 || head.status >= 300) {
        return okStatus();  // execute() decides; no chunk will come
      }
      const bool partial = head.status == 206;
      if (resume_at == 0 ? partial
                         : (!partial || rangeStart(head.header("content-range")) != resume_at)) {
        return fail(Code::kAborted,
                    "registry {} answered HTTP {} (Content-Range '{}') to a request for blob {} "
                    "from byte {}",
                    endpoint_.host, head.status,
                    head.header("content-range").value_or("").substr(0, 100), digest, resume_at);
      }
      return okStatus();
    };
    auto deliver = [&](ByteSpan chunk) -> Status {
      if (chunk.size() > expected_size - received) {
        return fail(Code::kDataLoss,
                    "blob {} of {}: registry {} sent more than the expected {} "
                    "bytes",
                    digest, repository, endpoint_.host, expected_size);
      }
      Status st = on_chunk(chunk);
      if (!st) {
        caller_failed = true;
        return st;
      }
      received += chunk.size();
      return okStatus();
    };
    auto out = http_.stream(r, on_head, deliver);
    *retryable = !out && !caller_failed && out.error().code == Code::kUnavailable;
    return out;
  };
  COCOON_ASSIGN_OR_RETURN(http::Response response, execute(repository, request, perform));
  if (response.status != 200 && response.status != 206) {
    return fail(statusError(response, endpoint_.host, "blob", repository, digest));
  }
  if (received != expected_size) {
    return fail(Code::kDataLoss, "blob {} of {}: registry {} ended the body after {} of {} bytes",
                digest, repository, endpoint_.host, received, expected_size);
  }
  return received;
}

namespace {

// "scheme://authority" of an absolute URL, or "" when it is not one.
std::string originOf(const std::string& url) {
  const std::size_t scheme_end = url.find("://");
  if (scheme_end == std::string::npos) {
    return {};
  }
  return url.substr(0, url.find('/', scheme_end + 3));
}

}  // namespace

bool RegistryClient::sameOrigin(const std::string& absolute_url) const {
  return originOf(absolute_url) == originOf(url("", "", ""));
}

Result<std::string> RegistryClient::uploadUrl(const http::Response& response) const {
  const std::string location = response.header("location").value_or("");
  std::string out;
  if (location.rfind("https://", 0) == 0 || location.rfind("http://", 0) == 0) {
    out = location;
  } else if (location.rfind('/', 0) == 0 && location.rfind("//", 0) != 0) {
    out = originOf(url("", "", "")) + location;
  } else {
    return fail(Code::kFailedPrecondition,
                "registry {} answered an upload request without a usable Location ('{}')",
                endpoint_.host, location.substr(0, 200));
  }
  if (!endpoint_.insecure && out.rfind("http://", 0) == 0) {
    return fail(Code::kFailedPrecondition, "registry {} sends an upload to plain http: {}",
                endpoint_.host, http::redactUrl(out).substr(0, 200));
  }
  return out;
}

Result<bool> RegistryClient::hasBlob(const std::string& repository, const std::string& digest,
                                     std::uint64_t size) {
  COCOON_TRY(checkRepository(repository));
  COCOON_TRY(checkDigest(digest));
  http::Request request;
  request.method = "HEAD";
  request.url = url(repository, "blobs", digest);
  COCOON_ASSIGN_OR_RETURN(http::Response response,
                          withContext(execute(repository, request, buffered(0), Access::kPush),
                                      fmt::format("blob {} of {}", digest, repository)));
  if (response.status == 404) {
    return false;
  }
  if (response.status != 200) {
    return fail(statusError(response, endpoint_.host, "blob", repository, digest));
  }
  const auto length = response.header("content-length");
  return !length || *length == std::to_string(size);
}

Status RegistryClient::pushBlob(const std::string& repository, const std::string& digest,
                                std::uint64_t size, const BodyProducer& producer) {
  COCOON_TRY(checkRepository(repository));
  COCOON_TRY(checkDigest(digest));
  const std::string what = fmt::format("upload of blob {} to {}", digest, repository);
  auto send = [&](http::Request request) -> Result<http::Response> {
    const Access access = sameOrigin(request.url) ? Access::kPush : Access::kNone;
    return withContext(
        execute(repository, std::move(request), buffered(http::kErrorBodyCap), access), what);
  };
  auto unexpected = [&](const http::Response& response) {
    if (response.status == 403) {
      return makeError(Code::kPermissionDenied, "registry {} denies the {}", endpoint_.host, what);
    }
    const std::string body =
        toString(ByteSpan(response.body).first(std::min<std::size_t>(response.body.size(), 300)));
    if (response.status == 400 && body.find("DIGEST_INVALID") != std::string::npos) {
      return makeError(Code::kDataLoss, "registry {} refused the {}: digest mismatch",
                       endpoint_.host, what);
    }
    return makeError(Code::kFailedPrecondition, "registry {} answered HTTP {} to the {}: {}",
                     endpoint_.host, response.status, what, body);
  };

  http::Request start;
  start.method = "POST";
  start.url = url(repository, "blobs", "uploads/");
  COCOON_ASSIGN_OR_RETURN(http::Response started, send(start));
  if (started.status != 202) {
    return fail(unexpected(started));
  }
  COCOON_ASSIGN_OR_RETURN(std::string location, uploadUrl(started));

  std::string pending;  // bytes not yet sent: at most one chunk
  std::uint64_t sent = 0;
  std::uint64_t produced = 0;
  auto flush = [&]() -> Status {
    http::Request patch;
    patch.method = "PATCH";
    patch.url = location;
    patch.headers = {{"Content-Type", "application/octet-stream"},
                     {"Content-Range", fmt::format("{}-{}", sent, sent + pending.size() - 1)}};
    patch.body = std::move(pending);
    pending.clear();
    COCOON_ASSIGN_OR_RETURN(http::Response answered, send(patch));
    if (answered.status != 202) {
      return fail(unexpected(answered));
    }
    sent += patch.body.size();
    COCOON_ASSIGN_OR_RETURN(location, uploadUrl(answered));
    return okStatus();
  };
  const std::size_t chunk = std::max<std::size_t>(options_.upload_chunk_bytes, 1);
  Status st = producer([&](ByteSpan data) -> Status {
    produced += data.size();
    if (produced > size) {
      return fail(Code::kDataLoss, "blob {}: more than the expected {} bytes", digest, size);
    }
    while (!data.empty()) {
      const std::size_t take = std::min(chunk - pending.size(), data.size());
      pending.append(reinterpret_cast<const char*>(data.data()), take);
      data = data.subspan(take);
      // The last chunk waits for the PUT that commits.
      if (pending.size() == chunk && sent + chunk < size) {
        COCOON_TRY(flush());
      }
    }
    return okStatus();
  });
  if (st && produced != size) {
    st = fail(Code::kDataLoss, "blob {}: {} bytes, expected {}", digest, produced, size);
  }
  if (!st) {
    http::Request cancel;
    cancel.method = "DELETE";
    cancel.url = location;
    static_cast<void>(send(cancel));  // best effort: the session expires anyway
    return st;
  }
  http::Request commit;
  commit.method = "PUT";
  commit.url =
      location + (location.find('?') == std::string::npos ? "?" : "&") + "digest=" + digest;
  commit.headers = {{"Content-Type", "application/octet-stream"}};
  commit.body = std::move(pending);
  COCOON_ASSIGN_OR_RETURN(http::Response committed, send(commit));
  if (committed.status != 201) {
    return fail(unexpected(committed));
  }
  return okStatus();
}

Result<std::string> RegistryClient::putManifest(const std::string& repository,
                                                const std::string& reference,
                                                const std::string& body,
                                                const std::string& media_type) {
  COCOON_TRY(checkRepository(repository));
  if (!isTag(reference)) {
    COCOON_TRY(checkDigest(reference));
  }
  http::Request request;
  request.method = "PUT";
  request.url = url(repository, "manifests", reference);
  request.headers = {{"Content-Type", media_type}};
  request.body = body;
  COCOON_ASSIGN_OR_RETURN(
      http::Response response,
      withContext(execute(repository, request, buffered(http::kErrorBodyCap), Access::kPush),
                  fmt::format("manifest {} of {}", reference, repository)));
  const std::string digest = digestOf(crypto::DigestAlgorithm::kSha256, asBytes(body));
  if (response.status != 201 && response.status != 200) {
    if (response.status == 400) {
      return fail(
          Code::kFailedPrecondition, "registry {} refused manifest {} of {}: {}", endpoint_.host,
          reference, repository,
          toString(
              ByteSpan(response.body).first(std::min<std::size_t>(response.body.size(), 300))));
    }
    return fail(statusError(response, endpoint_.host, "manifest", repository, reference));
  }
  const auto claimed = response.header("docker-content-digest");
  if (claimed && *claimed != digest) {
    return fail(Code::kDataLoss, "registry {} stored manifest {} of {} as {}, not {}",
                endpoint_.host, reference, repository, claimed->substr(0, 150), digest);
  }
  return digest;
}

}  // namespace cocoon::image::registry
