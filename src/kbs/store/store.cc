// SPDX-License-Identifier: Apache-2.0
// openStore: picks the database a store URL names; redactStoreUrl for messages and logs.
#include "kbs/store/store.h"

namespace cocoon::kbs::store {
namespace {

constexpr std::string_view kSqliteScheme = "sqlite://";

// Replaces the value of every "password=" parameter (URI query or key=value conninfo).
void redactPasswordParameters(std::string& text) {
  constexpr std::string_view kKey = "password=";
  std::size_t at = 0;
  while ((at = text.find(kKey, at)) != std::string::npos) {
    const bool starts_parameter =
        at == 0 || text[at - 1] == '?' || text[at - 1] == '&' || text[at - 1] == ' ';
    const std::size_t value = at + kKey.size();
    if (!starts_parameter) {
      at = value;
      continue;
    }
    std::size_t end = text.find_first_of("& #", value);
    if (end == std::string::npos) {
      end = text.size();
    }
    text.replace(value, end - value, "***");
    at = value + 3;
  }
}

}  // namespace

std::string redactStoreUrl(std::string_view url) {
  std::string out(url);
  const std::size_t scheme_end = out.find("://");
  if (scheme_end != std::string::npos) {
    const std::size_t authority = scheme_end + 3;
    std::size_t authority_end = out.find_first_of("/?#", authority);
    if (authority_end == std::string::npos) {
      authority_end = out.size();
    }
    const std::size_t at = out.rfind('@', authority_end);
    if (at != std::string::npos && at >= authority) {
      const std::size_t colon = out.find(':', authority);
      if (colon != std::string::npos && colon < at) {
        out.replace(colon + 1, at - colon - 1, "***");
      }
    }
  }
  redactPasswordParameters(out);
  return out;
}

Result<std::unique_ptr<KbsStore>> openStore(std::string_view url, StoreOptions options) {
  if (url.empty()) {
    return fail(Code::kInvalidArgument, "store URL is empty");
  }
  if (url.starts_with("postgres://") || url.starts_with("postgresql://")) {
    return openPostgresStore(url, std::move(options));
  }
  if (url.starts_with(kSqliteScheme)) {
    const std::string_view path = url.substr(kSqliteScheme.size());
    if (path.empty()) {
      return fail(Code::kInvalidArgument, "store URL '{}' names no file", url);
    }
    return openSqliteStore(std::filesystem::path(path), std::move(options));
  }
  if (const std::size_t scheme_end = url.find("://"); scheme_end != std::string_view::npos) {
    return fail(Code::kInvalidArgument,
                "store URL '{}' has scheme '{}'; expected sqlite://, postgres:// or postgresql://",
                redactStoreUrl(url), url.substr(0, scheme_end));
  }
  return openSqliteStore(std::filesystem::path(url), std::move(options));
}

}  // namespace cocoon::kbs::store
