// SPDX-License-Identifier: Apache-2.0
// The request and response values that the HTTP server hands to and takes from handlers.
#pragma once

#include <optional>
#include <string>
#include <string_view>
#include <utility>
#include <vector>

#include "common/result.h"

namespace cocoon::http::server {

// Header fields in arrival order, looked up case-insensitively (RFC 9110 §5.1). A plain
// value type; not thread-safe for concurrent mutation.
class Headers {
 public:
  using Entry = std::pair<std::string, std::string>;

  // Appends a field, keeping any earlier field of the same name.
  void add(std::string name, std::string value);
  // Replaces every field named `name` (any case) by one field.
  void set(std::string name, std::string value);
  // Removes every field named `name` (any case).
  void remove(std::string_view name);
  // The value of the first field named `name` (any case); nullopt when absent. The view
  // is valid until the Headers is modified.
  std::optional<std::string_view> get(std::string_view name) const;
  // How many fields are named `name` (any case).
  std::size_t count(std::string_view name) const;

  const std::vector<Entry>& entries() const { return entries_; }

 private:
  std::vector<Entry> entries_;
};

// True when `a` and `b` are equal ignoring ASCII case.
bool equalsIgnoreCase(std::string_view a, std::string_view b);

// One request as read from the wire. Every field is hostile input: the server has only
// checked HTTP/1.1 framing, the size limits and that the target is in origin form.
struct Request {
  std::string method;  // as sent, e.g. "GET" (case-sensitive per RFC 9110 §9.1)
  // The raw path of the target, before any '?': starts with '/', not percent-decoded.
  // Use splitPath() to get its segments.
  std::string path;
  std::string query;  // raw text after the first '?', without it; empty when none
  Headers headers;
  std::string body;
  std::string remote;      // peer address, "127.0.0.1:53422" or "[::1]:53422"
  std::string request_id;  // server-assigned, also sent back as X-Request-Id
};

// Splits a raw request path into percent-decoded segments: "/kbs/v0/resource/a%2Db/c"
// -> {"kbs", "v0", "resource", "a-b", "c"}. "/" gives no segments.
// Errors (kInvalidArgument, naming the byte offset in `path`): the path does not start
// with '/'; an empty segment ("//" or a trailing '/'); a malformed %XX escape; a segment
// that is "." or ".." before or after decoding; a decoded segment containing '/', '\\',
// NUL or another control character.
Result<std::vector<std::string>> splitPath(std::string_view path);

// A handler's answer. The server adds Content-Length, Connection and X-Request-Id.
struct Response {
  unsigned status = 200;
  Headers headers;
  std::string body;

  // `text` as "application/json" (the caller supplies valid JSON).
  static Response json(unsigned status, std::string text);
  // `text` as "text/plain; charset=utf-8".
  static Response text(unsigned status, std::string text);
};

}  // namespace cocoon::http::server
