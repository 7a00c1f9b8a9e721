// SPDX-License-Identifier: Apache-2.0
// Router: maps method + path to a handler, with exact and prefix routes and built-in
// 404/405 answers.
#pragma once

#include <functional>
#include <map>
#include <string>
#include <string_view>
#include <vector>

#include "common/result.h"
#include "http/server/request.h"

namespace cocoon::http::server {

// A request handler. It runs on the server's worker threads, concurrently with itself
// for requests on other connections, so it must be thread-safe; it may block briefly
// (~1 ms of crypto) but must not wait on other requests. Exceptions it throws are caught
// by the server, logged and answered with 500.
using Handler = std::function<Response(const Request&)>;

// Builds the body of a response the server or router produces itself (404, 405, 400,
// 413, 431, 500...), so a service can answer in its own error format. `detail` is a
// short human-readable reason that never holds request data.
using ErrorResponder = std::function<Response(unsigned status, std::string_view detail)>;

// The default ErrorResponder: {"error":"<reason phrase>","detail":"<detail>"} as JSON.
Response defaultErrorResponse(unsigned status, std::string_view detail);

// The reason phrase of a status ("Not Found"), or "Unknown" for one we do not use.
std::string_view reasonPhrase(unsigned status);

// Routes by path, then by method. Build it before the server starts; afterwards it is
// only read, so concurrent route() calls are safe but add*() calls are not.
//
// Resolution: an exact route whose path equals the request path wins; otherwise the
// longest prefix route whose prefix starts the path. The chosen path then picks the
// handler by method (case-sensitive); when it has none for the method the answer is 405
// with an Allow header listing its methods; when no path matches, 404.
class Router {
 public:
  explicit Router(ErrorResponder error_responder = defaultErrorResponse);

  // Routes `method` requests for exactly `path`.
  // Errors: kInvalidArgument when `path` does not start with '/' or `method` is empty;
  // kAlreadyExists when that method and path are already routed.
  Status add(std::string_view method, std::string_view path, Handler handler);

  // Routes `method` requests for every path starting with `prefix`
  // (e.g. "/kbs/v0/resource/"). The handler splits the rest itself (see splitPath()).
  // Errors: as add().
  Status addPrefix(std::string_view method, std::string_view prefix, Handler handler);

  // The outcome of routing one request.
  struct Match {
    const Handler* handler = nullptr;  // null when `response` is the answer (404/405)
    // The metrics/log label of the route: the exact path, the prefix followed by '*', or
    // "unmatched". Never request data beyond what was registered.
    std::string_view route;
    Response response;  // the 404/405 answer when handler is null
  };

  // REQUIRES: the Router outlives the returned Match.
  Match route(const Request& request) const;

  const ErrorResponder& errorResponder() const { return error_responder_; }

  // Every label route() can return, "unmatched" included (for per-route metrics).
  std::vector<std::string_view> routeLabels() const;

 private:
  struct Entry {
    std::string label;
    std::map<std::string, Handler, std::less<>> by_method;
  };
  Status insert(std::map<std::string, Entry, std::less<>>& table, std::string_view method,
                std::string_view path, std::string label, Handler handler);

  ErrorResponder error_responder_;
  std::map<std::string, Entry, std::less<>> exact_;
  std::map<std::string, Entry, std::less<>> prefixes_;
};

}  // namespace cocoon::http::server
