// SPDX-License-Identifier: Apache-2.0
// Router resolution and the built-in error responses.
#include "http/server/router.h"

#include <nlohmann/json.hpp>

namespace cocoon::http::server {

std::string_view reasonPhrase(unsigned status) {
  switch (status) {
    case 100:
      return "Continue";
    case 200:
      return "OK";
    case 201:
      return "Created";
    case 204:
      return "No Content";
    case 400:
      return "Bad Request";
    case 401:
      return "Unauthorized";
    case 403:
      return "Forbidden";
    case 404:
      return "Not Found";
    case 405:
      return "Method Not Allowed";
    case 408:
      return "Request Timeout";
    case 409:
      return "Conflict";
    case 413:
      return "Content Too Large";
    case 415:
      return "Unsupported Media Type";
    case 429:
      return "Too Many Requests";
    case 431:
      return "Request Header Fields Too Large";
    case 500:
      return "Internal Server Error";
    case 501:
      return "Not Implemented";
    case 503:
      return "Service Unavailable";
    default:
      return "Unknown";
  }
}

Response defaultErrorResponse(unsigned status, std::string_view detail) {
  const nlohmann::json body = {{"error", reasonPhrase(status)}, {"detail", detail}};
  // dump() with replace: a detail is ours, but never let a stray byte throw here.
  return Response::json(status,
                        body.dump(-1, ' ', false, nlohmann::json::error_handler_t::replace));
}

Router::Router(ErrorResponder error_responder) : error_responder_(std::move(error_responder)) {}

Status Router::insert(std::map<std::string, Entry, std::less<>>& table, std::string_view method,
                      std::string_view path, std::string label, Handler handler) {
  if (path.empty() || path.front() != '/') {
    return fail(Code::kInvalidArgument, "route path '{}' must start with '/'", path);
  }
  if (method.empty()) {
    return fail(Code::kInvalidArgument, "route {} has an empty method", path);
  }
  auto [it, inserted] = table.try_emplace(std::string(path));
  if (inserted) {
    it->second.label = std::move(label);
  }
  if (!it->second.by_method.try_emplace(std::string(method), std::move(handler)).second) {
    return fail(Code::kAlreadyExists, "route {} {} is already registered", method,
                it->second.label);
  }
  return okStatus();
}

Status Router::add(std::string_view method, std::string_view path, Handler handler) {
  return insert(exact_, method, path, std::string(path), std::move(handler));
}

Status Router::addPrefix(std::string_view method, std::string_view prefix, Handler handler) {
  return insert(prefixes_, method, prefix, std::string(prefix) + "*", std::move(handler));
}

std::vector<std::string_view> Router::routeLabels() const {
  std::vector<std::string_view> labels{"unmatched"};
  for (const auto* table : {&exact_, &prefixes_}) {
    for (const auto& [path, entry] : *table) {
      labels.push_back(entry.label);
    }
  }
  return labels;
}

Router::Match Router::route(const Request& request) const {
  const Entry* entry = nullptr;
  if (auto it = exact_.find(request.path); it != exact_.end()) {
    entry = &it->second;
  } else {
    std::size_t best = 0;
    for (const auto& [prefix, candidate] : prefixes_) {
      if (prefix.size() > best && request.path.starts_with(prefix)) {
        best = prefix.size();
        entry = &candidate;
      }
    }
  }
  Match match;
  if (entry == nullptr) {
    match.route = "unmatched";
    match.response = error_responder_(404, "no route for this path");
    return match;
  }
  match.route = entry->label;
  if (auto it = entry->by_method.find(request.method); it != entry->by_method.end()) {
    match.handler = &it->second;
    return match;
  }
  std::string allow;
  for (const auto& [method, handler] : entry->by_method) {
    allow += allow.empty() ? method : ", " + method;
  }
  match.response = error_responder_(405, "method not allowed for this route");
  match.response.headers.set("Allow", std::move(allow));
  return match;
}

}  // namespace cocoon::http::server
