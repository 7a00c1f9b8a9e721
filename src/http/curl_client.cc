// SPDX-License-Identifier: Apache-2.0
// libcurl implementation of HttpClient: a pool of easy handles, manual redirects, stall
// detection from the progress callback, and curl error codes mapped to cocoon codes.
// libcurl is loaded by the first request (http/internal/curl_library.h), not at start.
#include "http/curl_client.h"

#include <curl/curl.h>
#include <unistd.h>

#include <algorithm>
#include <cctype>
#include <mutex>
#include <vector>

#include "http/internal/curl_library.h"

namespace cocoon::http {
namespace {

using internal::CurlLibrary;
using SteadyClock = std::chrono::steady_clock;

// The deleters carry the table: a handle exists only once the library is loaded.
struct EasyDeleter {
  const CurlLibrary* curl = nullptr;
  void operator()(CURL* easy) const { curl->easy_cleanup(easy); }
};
using EasyHandle = std::unique_ptr<CURL, EasyDeleter>;

struct SlistDeleter {
  const CurlLibrary* curl = nullptr;
  void operator()(curl_slist* list) const { curl->slist_free_all(list); }
};
using Slist = std::unique_ptr<curl_slist, SlistDeleter>;

struct UrlDeleter {
  const CurlLibrary* curl = nullptr;
  void operator()(CURLU* url) const { curl->url_cleanup(url); }
};
using UrlHandle = std::unique_ptr<CURLU, UrlDeleter>;

std::string toLower(std::string_view s) {
  std::string out(s);
  std::transform(out.begin(), out.end(), out.begin(),
                 [](unsigned char c) { return static_cast<char>(std::tolower(c)); });
  return out;
}

std::string_view trim(std::string_view s) {
  while (!s.empty() && (s.front() == ' ' || s.front() == '\t')) {
    s.remove_prefix(1);
  }
  while (!s.empty() &&
         (s.back() == ' ' || s.back() == '\t' || s.back() == '\r' || s.back() == '\n')) {
    s.remove_suffix(1);
  }
  return s;
}

bool isRedirect(int status) {
  return status == 301 || status == 302 || status == 303 || status == 307 || status == 308;
}

// The state of one hop (one curl_easy_perform), shared with the libcurl callbacks.
struct Transfer {
  enum class Mode : std::uint8_t { kBuffered, kStreaming };
  Mode mode = Mode::kBuffered;
  std::size_t max_body_bytes = 0;
  std::size_t max_header_bytes = 0;
  const HeadCallback* on_head = nullptr;
  const ChunkCallback* on_chunk = nullptr;
  std::string url;  // redacted, for messages

  Response response;
  bool head_done = false;
  bool discard_body = false;  // a redirect we follow: its body means nothing
  std::size_t header_bytes = 0;
  std::optional<Error> abort_error;

  std::chrono::milliseconds stall_timeout{0};
  SteadyClock::time_point last_activity = SteadyClock::now();
};

// The head is complete: decide what the body is for, and show it to the caller.
bool finishHead(Transfer& t) {
  t.head_done = true;
  if (isRedirect(t.response.status) && t.response.headers.count("location") > 0) {
    t.discard_body = true;
    return true;
  }
  if (t.mode == Transfer::Mode::kStreaming && t.on_head != nullptr && *t.on_head) {
    Status st = (*t.on_head)(t.response);
    if (!st) {
      t.abort_error = std::move(st.error());
      return false;
    }
  }
  return true;
}

std::size_t onHeader(char* data, std::size_t size, std::size_t count, void* user) {
  auto& t = *static_cast<Transfer*>(user);
  const std::size_t n = size * count;
  t.last_activity = SteadyClock::now();
  t.header_bytes += n;
  if (t.header_bytes > t.max_header_bytes) {
    t.abort_error =
        makeError(Code::kResourceExhausted, "response headers of {} exceed the limit of {} bytes",
                  t.url, t.max_header_bytes);
    return 0;
  }
  const std::string_view line(data, n);
  if (line.rfind("HTTP/", 0) == 0) {
    // A new status line (an interim 1xx, or the final one) starts a new header block.
    t.response.headers.clear();
    t.head_done = false;
    const std::size_t sp = line.find(' ');
    int status = 0;
    for (std::size_t i = sp + 1; sp != std::string_view::npos && i < line.size() &&
                                 std::isdigit(static_cast<unsigned char>(line[i])) != 0;
         ++i) {
      status = status * 10 + (line[i] - '0');
    }
    t.response.status = status;
    return n;
  }
  if (trim(line).empty()) {
    if (t.response.status >= 200 && !t.head_done) {
      return finishHead(t) ? n : 0;
    }
    return n;
  }
  const std::size_t colon = line.find(':');
  if (colon == std::string_view::npos) {
    return n;  // obsolete line folding or junk: ignored, as browsers do
  }
  t.response.headers.emplace(toLower(trim(line.substr(0, colon))),
                             std::string(trim(line.substr(colon + 1))));
  return n;
}

std::size_t onBody(char* data, std::size_t size, std::size_t count, void* user) {
  auto& t = *static_cast<Transfer*>(user);
  const std::size_t n = size * count;
  t.last_activity = SteadyClock::now();
  if (!t.head_done && !finishHead(t)) {
    return 0;
  }
  if (t.discard_body) {
    return n;
  }
  const ByteSpan chunk(reinterpret_cast<const std::uint8_t*>(data), n);
  const bool deliver =
      t.mode == Transfer::Mode::kStreaming && t.response.status >= 200 && t.response.status < 300;
  if (deliver) {
    Status st = (*t.on_chunk)(chunk);
    // A slow consumer is not a stalled peer: the stall clock restarts after the callback.
    t.last_activity = SteadyClock::now();
    if (!st) {
      t.abort_error = std::move(st.error());
      return 0;
    }
    return n;
  }
  if (t.mode == Transfer::Mode::kStreaming) {
    const std::size_t room = kErrorBodyCap - std::min(kErrorBodyCap, t.response.body.size());
    t.response.body.insert(t.response.body.end(), chunk.begin(),
                           chunk.begin() + static_cast<std::ptrdiff_t>(std::min(room, n)));
    return n;
  }
  if (t.response.body.size() + n > t.max_body_bytes) {
    t.abort_error =
        makeError(Code::kResourceExhausted, "response body of {} exceeds the limit of {} bytes",
                  t.url, t.max_body_bytes);
    return 0;
  }
  t.response.body.insert(t.response.body.end(), chunk.begin(), chunk.end());
  return n;
}

int onProgress(void* user, curl_off_t /*dltotal*/, curl_off_t /*dlnow*/, curl_off_t /*ultotal*/,
               curl_off_t /*ulnow*/) {
  auto& t = *static_cast<Transfer*>(user);
  if (t.stall_timeout.count() > 0 && SteadyClock::now() - t.last_activity > t.stall_timeout) {
    t.abort_error = makeError(Code::kDeadlineExceeded, "{} stalled: no data for {} ms", t.url,
                              t.stall_timeout.count());
    return 1;
  }
  return 0;
}

Code codeForCurl(CURLcode rc) {
  switch (rc) {
    case CURLE_UNSUPPORTED_PROTOCOL:
    case CURLE_URL_MALFORMAT:
      return Code::kInvalidArgument;
    case CURLE_COULDNT_RESOLVE_HOST:
    case CURLE_COULDNT_RESOLVE_PROXY:
    case CURLE_COULDNT_CONNECT:
    case CURLE_SEND_ERROR:
    case CURLE_RECV_ERROR:
    case CURLE_GOT_NOTHING:
    case CURLE_PARTIAL_FILE:
    case CURLE_SSL_CONNECT_ERROR:
    case CURLE_WEIRD_SERVER_REPLY:
      return Code::kUnavailable;
    case CURLE_OPERATION_TIMEDOUT:
      return Code::kDeadlineExceeded;
    case CURLE_PEER_FAILED_VERIFICATION:
    case CURLE_SSL_CACERT_BADFILE:
    case CURLE_SSL_CERTPROBLEM:
      return Code::kFailedPrecondition;
    default:
      return Code::kInternal;
  }
}

// Scheme, host and port of an absolute URL (default port filled in), for origin checks.
struct Origin {
  std::string scheme;
  std::string host;
  std::string port;
  bool operator==(const Origin&) const = default;
};

std::string urlPart(const CurlLibrary& curl, CURLU* url, CURLUPart part, unsigned int flags) {
  char* value = nullptr;
  if (curl.url_get(url, part, &value, flags) != CURLUE_OK || value == nullptr) {
    return {};
  }
  std::string out(value);
  curl.free_string(value);
  return out;
}

Result<UrlHandle> parseUrl(const CurlLibrary& curl, const std::string& base,
                           const std::string* relative) {
  UrlHandle url(curl.url(), UrlDeleter{&curl});
  if (!url || curl.url_set(url.get(), CURLUPART_URL, base.c_str(), 0) != CURLUE_OK) {
    return fail(Code::kInvalidArgument, "malformed URL {}", redactUrl(base));
  }
  if (relative != nullptr &&
      curl.url_set(url.get(), CURLUPART_URL, relative->c_str(), 0) != CURLUE_OK) {
    return fail(Code::kAborted, "malformed redirect location from {}", redactUrl(base));
  }
  const std::string scheme = urlPart(curl, url.get(), CURLUPART_SCHEME, 0);
  if (scheme != "http" && scheme != "https") {
    return fail(Code::kInvalidArgument, "unsupported URL scheme '{}' in {}", scheme,
                redactUrl(relative != nullptr ? *relative : base));
  }
  return url;
}

Origin originOf(const CurlLibrary& curl, CURLU* url) {
  return {urlPart(curl, url, CURLUPART_SCHEME, 0), toLower(urlPart(curl, url, CURLUPART_HOST, 0)),
          urlPart(curl, url, CURLUPART_PORT, CURLU_DEFAULT_PORT)};
}

class CurlHttpClient final : public HttpClient {
 public:
  explicit CurlHttpClient(CurlClientOptions options) : options_(std::move(options)) {}

  Result<Response> send(const Request& request, std::size_t max_body_bytes) override {
    Transfer proto;
    proto.mode = Transfer::Mode::kBuffered;
    proto.max_body_bytes = max_body_bytes;
    return run(request, proto);
  }

  Result<Response> stream(const Request& request, const HeadCallback& on_head,
                          const ChunkCallback& on_chunk) override {
    Transfer proto;
    proto.mode = Transfer::Mode::kStreaming;
    proto.on_head = &on_head;
    proto.on_chunk = &on_chunk;
    return run(request, proto);
  }

 private:
  // Borrows an idle handle (keeping its connection cache) or makes a new one.
  EasyHandle acquire(const CurlLibrary& curl) {
    {
      std::lock_guard lock(mutex_);
      if (!idle_.empty()) {
        EasyHandle h = std::move(idle_.back());
        idle_.pop_back();
        return h;
      }
    }
    return EasyHandle(curl.easy_init(), EasyDeleter{&curl});
  }

  void release(EasyHandle handle) {
    std::lock_guard lock(mutex_);
    if (idle_.size() < options_.max_idle_handles) {
      idle_.push_back(std::move(handle));
    }
  }

  Result<Response> run(const Request& original, const Transfer& proto) {
    if (original.method != "GET" && original.method != "HEAD" && original.method != "POST" &&
        original.method != "PUT" && original.method != "PATCH" && original.method != "DELETE") {
      return fail(Code::kInvalidArgument, "unsupported HTTP method '{}'", original.method);
    }
    for (const auto& [name, value] : original.headers) {
      if ((name + value).find_first_of("\r\n") != std::string::npos ||
          name.find(':') != std::string::npos) {
        return fail(Code::kInvalidArgument, "header '{}' contains CR, LF or ':' in its name",
                    name.substr(0, 64));
      }
    }
    // The library is loaded here, not when the client is made: the agent makes its KBS
    // client at start but may never send a request.
    COCOON_ASSIGN_OR_RETURN(const CurlLibrary* loaded, internal::loadCurlLibrary());
    const CurlLibrary& curl = *loaded;
    COCOON_ASSIGN_OR_RETURN(UrlHandle url, parseUrl(curl, original.url, nullptr));
    EasyHandle easy = acquire(curl);
    if (!easy) {
      return fail(Code::kInternal, "curl_easy_init failed");
    }
    Request request = original;
    const SteadyClock::time_point start = SteadyClock::now();
    for (int hop = 0;; ++hop) {
      Transfer t = proto;
      t.url = redactUrl(request.url);
      t.max_header_bytes = options_.max_header_bytes;
      t.stall_timeout = options_.stall_timeout;
      t.last_activity = SteadyClock::now();
      std::chrono::milliseconds remaining{0};
      if (options_.total_timeout.count() > 0) {
        remaining = options_.total_timeout -
                    std::chrono::duration_cast<std::chrono::milliseconds>(t.last_activity - start);
        if (remaining.count() <= 0) {
          return fail(Code::kDeadlineExceeded, "{} {} timed out after {} ms", request.method, t.url,
                      options_.total_timeout.count());
        }
      }
      COCOON_TRY(performOnce(curl, easy.get(), request, t, remaining));
      if (!isRedirect(t.response.status) || !t.discard_body) {
        if (!t.head_done && !finishHead(t)) {
          return fail(std::move(*t.abort_error));
        }
        t.response.effective_url = t.url;
        release(std::move(easy));
        return std::move(t.response);
      }
      if (hop >= options_.max_redirects) {
        return fail(Code::kAborted, "{} {}: more than {} redirects", request.method, t.url,
                    options_.max_redirects);
      }
      const std::string location = *t.response.header("location");
      COCOON_ASSIGN_OR_RETURN(UrlHandle next, parseUrl(curl, request.url, &location));
      const Origin from = originOf(curl, url.get());
      const Origin to = originOf(curl, next.get());
      if (from.scheme == "https" && to.scheme == "http") {
        return fail(Code::kAborted, "refusing redirect from {} to plain http {}", t.url,
                    redactUrl(urlPart(curl, next.get(), CURLUPART_URL, 0)));
      }
      if (!(from == to)) {
        std::erase_if(request.headers,
                      [](const auto& header) { return toLower(header.first) == "authorization"; });
      }
      const int status = t.response.status;
      if (status == 303 || ((status == 301 || status == 302) && request.method == "POST")) {
        request.method = request.method == "HEAD" ? "HEAD" : "GET";
        request.body.clear();
      }
      request.url = urlPart(curl, next.get(), CURLUPART_URL, 0);
      url = std::move(next);
    }
  }

  Status performOnce(const CurlLibrary& curl, CURL* easy, const Request& request, Transfer& t,
                     std::chrono::milliseconds remaining) {
    curl.easy_reset(easy);
    Slist headers(nullptr, SlistDeleter{&curl});
    auto append = [&curl, &headers](const std::string& line) {
      curl_slist* grown = curl.slist_append(headers.get(), line.c_str());
      if (grown != nullptr) {
        static_cast<void>(headers.release());  // grown is the same list, now longer
        headers.reset(grown);
      }
      return grown != nullptr;
    };
    bool appended = true;
    for (const auto& [name, value] : request.headers) {
      appended = appended && append(name + ": " + value);
    }
    // libcurl would wait for "100 Continue" before sending a larger body; no peer needs it.
    if (!appended || !append("Expect:")) {
      return fail(Code::kInternal, "curl_slist_append failed");
    }

    char error_buffer[CURL_ERROR_SIZE] = {};
    curl.easy_setopt(easy, CURLOPT_ERRORBUFFER, error_buffer);
    curl.easy_setopt(easy, CURLOPT_URL, request.url.c_str());
    curl.easy_setopt(easy, CURLOPT_PROTOCOLS_STR, "http,https");
    curl.easy_setopt(easy, CURLOPT_HTTP_VERSION, static_cast<long>(CURL_HTTP_VERSION_1_1));
    curl.easy_setopt(easy, CURLOPT_NOSIGNAL, 1L);
    curl.easy_setopt(easy, CURLOPT_TCP_KEEPALIVE, 1L);
    curl.easy_setopt(easy, CURLOPT_FOLLOWLOCATION, 0L);
    curl.easy_setopt(easy, CURLOPT_SSL_VERIFYPEER, 1L);
    curl.easy_setopt(easy, CURLOPT_SSL_VERIFYHOST, 2L);
    if (!options_.ca_bundle_file.empty()) {
      curl.easy_setopt(easy, CURLOPT_CAINFO, options_.ca_bundle_file.c_str());
    }
    curl.easy_setopt(easy, CURLOPT_USERAGENT, options_.user_agent.c_str());
    curl.easy_setopt(easy, CURLOPT_CONNECTTIMEOUT_MS,
                     static_cast<long>(options_.connect_timeout.count()));
    curl.easy_setopt(easy, CURLOPT_TIMEOUT_MS, static_cast<long>(remaining.count()));
    curl.easy_setopt(easy, CURLOPT_HTTPHEADER, headers.get());
    if (request.method == "HEAD") {
      curl.easy_setopt(easy, CURLOPT_NOBODY, 1L);
    } else if (request.method == "GET" && request.body.empty()) {
      curl.easy_setopt(easy, CURLOPT_HTTPGET, 1L);
    } else {
      curl.easy_setopt(easy, CURLOPT_POSTFIELDSIZE_LARGE,
                       static_cast<curl_off_t>(request.body.size()));
      curl.easy_setopt(easy, CURLOPT_POSTFIELDS, request.body.data());
      curl.easy_setopt(easy, CURLOPT_CUSTOMREQUEST, request.method.c_str());
    }
    curl.easy_setopt(easy, CURLOPT_HEADERFUNCTION, &onHeader);
    curl.easy_setopt(easy, CURLOPT_HEADERDATA, &t);
    curl.easy_setopt(easy, CURLOPT_WRITEFUNCTION, &onBody);
    curl.easy_setopt(easy, CURLOPT_WRITEDATA, &t);
    curl.easy_setopt(easy, CURLOPT_NOPROGRESS, 0L);
    curl.easy_setopt(easy, CURLOPT_XFERINFOFUNCTION, &onProgress);
    curl.easy_setopt(easy, CURLOPT_XFERINFODATA, &t);

    const CURLcode rc = curl.easy_perform(easy);
    curl.easy_setopt(easy, CURLOPT_ERRORBUFFER, nullptr);
    if (t.abort_error) {
      return fail(std::move(*t.abort_error));
    }
    if (rc != CURLE_OK) {
      const std::string detail = error_buffer[0] != '\0' ? error_buffer : curl.easy_strerror(rc);
      return fail(codeForCurl(rc), "{} {} failed: {}", request.method, t.url, detail);
    }
    return okStatus();
  }

  const CurlClientOptions options_;
  std::mutex mutex_;
  std::vector<EasyHandle> idle_;  // guarded by mutex_
};

}  // namespace

Result<std::unique_ptr<HttpClient>> makeCurlHttpClient(const CurlClientOptions& options) {
  if (options.connect_timeout.count() < 0 || options.stall_timeout.count() < 0 ||
      options.total_timeout.count() < 0 || options.max_redirects < 0) {
    return fail(Code::kInvalidArgument, "negative timeout or redirect limit in client options");
  }
  if (!options.ca_bundle_file.empty() && access(options.ca_bundle_file.c_str(), R_OK) != 0) {
    return fail(Code::kInvalidArgument, "CA bundle file {} is not readable",
                options.ca_bundle_file);
  }
  return std::unique_ptr<HttpClient>(std::make_unique<CurlHttpClient>(options));
}

}  // namespace cocoon::http
