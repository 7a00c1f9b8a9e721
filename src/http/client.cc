// SPDX-License-Identifier: Apache-2.0
// Helpers shared by every HttpClient: header lookup and URL redaction.
#include "http/client.h"

#include <algorithm>
#include <cctype>

namespace cocoon::http {

std::optional<std::string> Response::header(std::string_view name) const {
  std::string key(name);
  std::transform(key.begin(), key.end(), key.begin(),
                 [](unsigned char c) { return static_cast<char>(std::tolower(c)); });
  auto it = headers.find(key);
  if (it == headers.end()) {
    return std::nullopt;
  }
  return it->second;
}

std::string redactUrl(std::string_view url) {
  const std::size_t scheme_end = url.find("://");
  if (scheme_end == std::string_view::npos) {
    return std::string(url);
  }
  const std::size_t authority = scheme_end + 3;
  const std::size_t authority_end = url.find_first_of("/?#", authority);
  const std::string_view host_part = url.substr(authority, authority_end - authority);
  const std::size_t at = host_part.rfind('@');
  if (at == std::string_view::npos) {
    return std::string(url);
  }
  std::string out(url.substr(0, authority));
  out += url.substr(authority + at + 1);
  return out;
}

}  // namespace cocoon::http
