// SPDX-License-Identifier: Apache-2.0
// Request framing checks and parse-error mapping.
#include "http/server/internal/parse.h"

#include <boost/asio/error.hpp>
#include <boost/asio/ssl/error.hpp>
#include <boost/beast/core/error.hpp>

#include "http/server/router.h"

namespace cocoon::http::server::internal {
namespace {

// RFC 9110 §5.1 token characters; a handler bug must not let CR/LF split our response.
bool validFieldName(std::string_view name) {
  if (name.empty()) {
    return false;
  }
  for (const char c : name) {
    const bool ok = (c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z') || (c >= '0' && c <= '9') ||
                    std::string_view("!#$%&'*+-.^_`|~").find(c) != std::string_view::npos;
    if (!ok) {
      return false;
    }
  }
  return true;
}

bool validFieldValue(std::string_view value) {
  return value.find_first_of(std::string_view("\r\n\0", 3)) == std::string_view::npos;
}

void appendField(std::string& out, std::string_view name, std::string_view value) {
  out.append(name);
  out.append(": ");
  out.append(value);
  out.append("\r\n");
}

}  // namespace

void applyLimits(RequestParser& parser, std::size_t max_header, std::size_t max_body) {
  // Beast counts the limit as a 32-bit value.
  parser.header_limit(static_cast<std::uint32_t>(std::min<std::size_t>(max_header, UINT32_MAX)));
  parser.body_limit(max_body);
}

RequestError classifyReadError(const boost::system::error_code& ec) {
  if (ec == beast_http::error::header_limit) {
    return {431, "request header too large"};
  }
  if (ec == beast_http::error::body_limit) {
    return {413, "request body too large"};
  }
  if (ec == beast_http::error::end_of_stream || ec == beast_http::error::partial_message ||
      ec == beast_http::error::need_more) {
    return {0, "peer closed the connection"};
  }
  if (ec.category() == beast_http::make_error_code(beast_http::error::bad_method).category()) {
    return {400, "malformed request"};
  }
  if (ec == boost::beast::error::timeout) {
    return {0, "read timed out"};
  }
  return {0, "connection error"};
}

Result<void, RequestError> checkHead(const RawRequest& head) {
  const auto target = head.target();
  if (target.empty() || target.front() != '/') {
    return tl::unexpected(RequestError{400, "request target must be in origin form"});
  }
  const std::size_t hosts = head.count(beast_http::field::host);
  if (hosts > 1 || (head.version() >= 11 && hosts != 1)) {
    return tl::unexpected(RequestError{400, "request needs exactly one Host header"});
  }
  const std::size_t lengths = head.count(beast_http::field::content_length);
  const std::size_t encodings = head.count(beast_http::field::transfer_encoding);
  if (lengths > 1) {
    return tl::unexpected(RequestError{400, "repeated Content-Length"});
  }
  if (encodings > 0) {
    if (lengths > 0) {
      return tl::unexpected(RequestError{400, "Content-Length together with Transfer-Encoding"});
    }
    if (encodings > 1 ||
        !equalsIgnoreCase(toStdString(head[beast_http::field::transfer_encoding]), "chunked")) {
      return tl::unexpected(RequestError{400, "Transfer-Encoding must be exactly chunked"});
    }
  }
  return {};
}

Request toRequest(RawRequest&& raw) {
  Request request;
  request.method = toStdString(raw.method_string());
  const std::string target = toStdString(raw.target());
  const std::size_t q = target.find('?');
  request.path = target.substr(0, q);
  if (q != std::string::npos) {
    request.query = target.substr(q + 1);
  }
  for (const auto& field : raw) {
    request.headers.add(toStdString(field.name_string()), toStdString(field.value()));
  }
  request.body = std::move(raw.body());
  return request;
}

std::string serializeHead(Response& response, unsigned version, bool keep_alive,
                          std::string_view id, std::size_t* dropped) {
  const unsigned status = response.status;
  std::string out;
  out.reserve(256);
  out.append(version == 10 ? "HTTP/1.0 " : "HTTP/1.1 ");
  out.append(std::to_string(status));
  out.push_back(' ');
  out.append(reasonPhrase(status));
  out.append("\r\n");
  for (const auto& [name, value] : response.headers.entries()) {
    if (!validFieldName(name) || !validFieldValue(value)) {
      ++*dropped;
      continue;
    }
    if (equalsIgnoreCase(name, "Content-Length") || equalsIgnoreCase(name, "Transfer-Encoding") ||
        equalsIgnoreCase(name, "Connection")) {
      continue;
    }
    appendField(out, name, value);
  }
  appendField(out, "X-Request-Id", id);
  // RFC 9110 §8.6: no Content-Length on 1xx and 204; 304 has no body of its own.
  const bool bodyless = status < 200 || status == 204 || status == 304;
  if (bodyless) {
    response.body.clear();
  } else {
    appendField(out, "Content-Length", std::to_string(response.body.size()));
  }
  if (!keep_alive) {
    appendField(out, "Connection", "close");
  } else if (version == 10) {
    appendField(out, "Connection", "keep-alive");
  }
  out.append("\r\n");
  return out;
}

Result<Request, RequestError> parseRequest(std::string_view bytes, std::size_t max_header,
                                           std::size_t max_body) {
  RequestParser parser;
  applyLimits(parser, max_header, max_body);
  bool head_checked = false;
  boost::system::error_code ec;
  while (!parser.is_done()) {
    const std::size_t used = parser.put(boost::asio::buffer(bytes.data(), bytes.size()), ec);
    bytes.remove_prefix(used);
    // need_more without progress: Beast has seen every byte we hold and wants more.
    if (ec == beast_http::error::need_more && (used == 0 || bytes.empty())) {
      return tl::unexpected(RequestError{400, "incomplete request"});
    }
    if (ec && ec != beast_http::error::need_more) {
      RequestError error = classifyReadError(ec);
      return tl::unexpected(error.status == 0 ? RequestError{400, "incomplete request"} : error);
    }
    ec = {};
    if (used == 0 && head_checked && !parser.is_done()) {
      return tl::unexpected(RequestError{400, "incomplete request"});
    }
    if (parser.is_header_done() && !head_checked) {
      if (auto head = checkHead(parser.get()); !head) {
        return tl::unexpected(head.error());
      }
      head_checked = true;
    }
  }
  return toRequest(parser.release());
}

}  // namespace cocoon::http::server::internal
