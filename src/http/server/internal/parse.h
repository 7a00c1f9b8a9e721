// SPDX-License-Identifier: Apache-2.0
// Request framing on top of Beast's parser: our limits, the checks Beast leaves to us, and
// the mapping of parse failures to HTTP answers. Every byte here comes from a remote peer.
#pragma once

#include <cstddef>
#include <string>
#include <string_view>
#include <utility>

#include <boost/beast/http.hpp>

#include "common/result.h"
#include "http/server/request.h"

namespace cocoon::http::server::internal {

namespace beast_http = boost::beast::http;
using RawRequest = beast_http::request<beast_http::string_body>;
using RequestParser = beast_http::request_parser<beast_http::string_body>;

// Beast 1.74 hands out boost::string_view.
inline std::string toStdString(boost::beast::string_view text) {
  return {text.data(), text.size()};
}

// Why a request was refused: the status to answer with (400, 413, 431), or 0 when the
// connection is closed without an answer (peer went away, timeout, shutdown).
struct RequestError {
  unsigned status = 0;
  std::string detail;  // fixed text; never request data
};

// Sets the header and body limits on a fresh parser. Beast then fails with header_limit
// while the header grows past `max_header`, and with body_limit as soon as a
// Content-Length above `max_body` is parsed (before any body byte) or chunked data exceeds it.
void applyLimits(RequestParser& parser, std::size_t max_header, std::size_t max_body);

// Maps an error from reading a request to its answer.
RequestError classifyReadError(const boost::system::error_code& ec);

// Checks a complete header for what Beast accepts but we refuse (RFC 9112 §3.2, §6.3): a
// target not in origin form, a missing or repeated Host in HTTP/1.1, repeated
// Content-Length, Content-Length together with Transfer-Encoding, and any
// Transfer-Encoding other than "chunked" (request smuggling). Errors have status 400.
Result<void, RequestError> checkHead(const RawRequest& head);

// Moves a parsed message into a Request (remote and request_id left empty).
Request toRequest(RawRequest&& raw);

// The status line and header of `response` on the wire, up to and including the empty
// line; the body follows it unchanged. Carries the handler's header fields except the
// framing ones (Content-Length, Transfer-Encoding, Connection: ours alone) and except
// fields whose name is not an RFC 9110 token or whose value holds CR, LF or NUL (dropped,
// counted in `*dropped`); then X-Request-Id: `id`, Content-Length (clears the body instead
// for 1xx, 204 and 304, which have none), and "Connection: close" when !keep_alive, or
// "Connection: keep-alive" for an HTTP/1.0 peer that keeps it. `version`: the request's,
// 10 or 11.
std::string serializeHead(Response& response, unsigned version, bool keep_alive,
                          std::string_view id, std::size_t* dropped);

// Parses exactly one request from `bytes` as a connection would: limits, checkHead, then
// the body. Bytes after the request are ignored (a connection would read them as the
// next request). Incomplete input fails with status 400. Used by the fuzzer and tests.
Result<Request, RequestError> parseRequest(std::string_view bytes, std::size_t max_header,
                                           std::size_t max_body);

}  // namespace cocoon::http::server::internal
