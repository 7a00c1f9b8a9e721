// SPDX-License-Identifier: Apache-2.0
// HttpClient: the seam (STYLE.md §6) through which components speak HTTP/1.1 to the world.
// Trust: response status, headers and bodies come from the network and are hostile; this
// layer caps their size, callers parse them.
#pragma once

#include <cstddef>
#include <functional>
#include <map>
#include <optional>
#include <string>
#include <string_view>
#include <utility>
#include <vector>

#include "common/bytes.h"
#include "common/result.h"

namespace cocoon::http {

// Header names in a Response are lower case; values have surrounding blanks removed and
// keep their order of arrival.
using HeaderMap = std::multimap<std::string, std::string>;

struct Request {
  // "GET", "HEAD", "POST", "PUT", "PATCH" or "DELETE".
  std::string method = "GET";
  // An absolute http:// or https:// URL. Userinfo ("user:pass@") is never printed.
  std::string url;
  // Sent as given, in order ("Authorization", "Accept", "Range", ...). An Authorization
  // header is dropped when a redirect leads to another origin (scheme, host or port).
  std::vector<std::pair<std::string, std::string>> headers;
  // Request body (POST/PUT/PATCH); empty sends none.
  std::string body;
};

// The final response, after redirects.
struct Response {
  int status = 0;
  HeaderMap headers;
  // The URL that produced this response (the last hop of a redirect chain), redacted.
  std::string effective_url;
  // The whole body in buffered mode. In streaming mode: empty for 2xx (the body went to
  // the chunk callback), else the first kErrorBodyCap bytes of the body, for messages.
  Bytes body;

  // The first value of header `name` (any case), or nullopt.
  std::optional<std::string> header(std::string_view name) const;
};

// How much of a non-2xx body streaming mode keeps in Response::body.
inline constexpr std::size_t kErrorBodyCap = 64 * 1024;

// Called once per streamed response with its status and headers (body still empty),
// before any chunk. An error aborts the transfer and is returned by stream().
using HeadCallback = std::function<Status(const Response& head)>;
// Called with consecutive pieces of a 2xx body. An error aborts the transfer and is
// returned by stream() unchanged.
using ChunkCallback = std::function<Status(ByteSpan chunk)>;

// An HTTP/1.1 client. Implementations follow redirects (up to their configured maximum),
// verify TLS for every https URL, and report failures as values:
//   kInvalidArgument   malformed or non-http(s) URL, unsupported method;
//   kUnavailable       connection refused/reset, DNS failure, truncated response (a retry
//                      may succeed);
//   kDeadlineExceeded  connect, stall or overall timeout;
//   kFailedPrecondition TLS peer verification failed (wrong CA, name mismatch);
//   kResourceExhausted buffered body over its cap, or oversized response headers;
//   kAborted           too many redirects, or a redirect from https to http;
//   kInternal          anything else libcurl reports.
// Messages name the (redacted) URL. An HTTP error status (4xx, 5xx) is a successful call:
// look at Response::status.
// Implementations document their own thread-safety.
class HttpClient {
 public:
  virtual ~HttpClient() = default;

  // Sends `request` and returns the final response with its whole body, which may hold at
  // most `max_body_bytes` bytes; a larger body aborts the transfer with
  // kResourceExhausted naming the limit.
  virtual Result<Response> send(const Request& request, std::size_t max_body_bytes) = 0;

  // Sends `request` and hands the final response's body to `on_chunk` as it arrives, with
  // no cap and no buffering beyond one chunk. `on_head` (may be empty) sees the final
  // status and headers first, whatever the status; chunks are delivered only for a 2xx
  // status. Returns the response without its 2xx body. Errors as for send(), plus the
  // error of a callback that aborted.
  virtual Result<Response> stream(const Request& request, const HeadCallback& on_head,
                                  const ChunkCallback& on_chunk) = 0;
};

// `url` with any userinfo ("user:pass@") removed, for messages and logs.
std::string redactUrl(std::string_view url);

}  // namespace cocoon::http
