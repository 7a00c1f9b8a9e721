// SPDX-License-Identifier: Apache-2.0
// Image references: a scanner for the distribution/reference grammar (reference.go,
// regexp.go) and docker's normalisation (normalize.go), without regexes.
#include "image/oci/reference.h"

#include <algorithm>

#include "image/oci/internal/name_grammar.h"

namespace cocoon::image::oci {
namespace {

// Longest accepted input: name (255) + ":" tag (128) + "@sha512:" + 128 hex, rounded up.
constexpr std::size_t kMaxReferenceLength = 640;
constexpr std::size_t kMaxTagLength = 128;
constexpr std::string_view kLegacyDockerHub = "index.docker.io";

bool isDigit(char c) {
  return c >= '0' && c <= '9';
}
bool isWordChar(char c) {
  return (c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z') || isDigit(c) || c == '_';
}
bool hasUpper(std::string_view s) {
  return std::any_of(s.begin(), s.end(), [](char c) { return c >= 'A' && c <= 'Z'; });
}

// tag := [\w][\w.-]{0,127}
Status validateTag(std::string_view tag) {
  if (tag.empty() || tag.size() > kMaxTagLength) {
    return fail(Code::kInvalidArgument, "tag is {} characters, expected 1 to {}", tag.size(),
                kMaxTagLength);
  }
  if (!isWordChar(tag.front())) {
    return fail(Code::kInvalidArgument, "tag must start with a letter, digit or '_'");
  }
  for (std::size_t i = 1; i < tag.size(); ++i) {
    if (!isWordChar(tag[i]) && tag[i] != '.' && tag[i] != '-') {
      return fail(Code::kInvalidArgument, "tag has an invalid character at offset {}", i);
    }
  }
  return okStatus();
}

bool isImageId(std::string_view s) {
  return s.size() == 64 && std::all_of(s.begin(), s.end(),
                                       [](char c) { return isDigit(c) || (c >= 'a' && c <= 'f'); });
}

// Validates and normalises registry + path into `ref` (docker.io/library for one-component
// Docker Hub paths), then applies the total length rule.
Status setName(Reference& ref, std::string_view registry, std::string_view path) {
  COCOON_TRY(internal::validateRegistry(registry));
  COCOON_TRY(internal::validatePath(path));
  ref.registry =
      registry == kLegacyDockerHub ? std::string(kDockerHubRegistry) : std::string(registry);
  ref.repository = std::string(path);
  if (ref.registry == kDockerHubRegistry && path.find('/') == std::string_view::npos) {
    ref.repository = "library/" + ref.repository;
  }
  const std::size_t length = ref.registry.size() + 1 + ref.repository.size();
  if (length > kMaxNameLength) {
    return fail(Code::kInvalidArgument, "repository name is {} characters, longer than {}", length,
                kMaxNameLength);
  }
  return okStatus();
}

}  // namespace

std::string Reference::name() const {
  return registry + "/" + repository;
}

std::string Reference::toString() const {
  std::string out = name();
  if (tag) {
    out += ":" + *tag;
  }
  if (digest) {
    out += "@" + digest->toString();
  }
  return out;
}

Result<Reference> parseReference(std::string_view text) {
  if (text.empty()) {
    return fail(Code::kInvalidArgument, "image reference is empty");
  }
  if (text.size() > kMaxReferenceLength) {
    return fail(Code::kInvalidArgument, "image reference is {} characters, longer than {}",
                text.size(), kMaxReferenceLength);
  }
  if (isImageId(text)) {
    return fail(Code::kInvalidArgument,
                "image reference is 64 hex digits (an image ID), not a repository name");
  }
  Reference ref;
  std::string_view name = text;
  if (const std::size_t at = text.find('@'); at != std::string_view::npos) {
    COCOON_ASSIGN_OR_RETURN(
        Digest d, withContext(parseDigest(text.substr(at + 1)), "image reference digest"));
    ref.digest = std::move(d);
    name = text.substr(0, at);
  }
  const std::size_t last_slash = name.rfind('/');
  const std::size_t last_colon = name.rfind(':');
  if (last_colon != std::string_view::npos &&
      (last_slash == std::string_view::npos || last_colon > last_slash)) {
    COCOON_TRY(validateTag(name.substr(last_colon + 1)));
    ref.tag = std::string(name.substr(last_colon + 1));
    name = name.substr(0, last_colon);
  }
  if (name.empty()) {
    return fail(Code::kInvalidArgument, "image reference has no repository name");
  }
  std::string_view registry = kDockerHubRegistry;
  std::string_view path = name;
  const std::size_t first_slash = name.find('/');
  if (first_slash != std::string_view::npos) {
    const std::string_view first = name.substr(0, first_slash);
    if (first.find_first_of(".:") != std::string_view::npos || first == "localhost" ||
        hasUpper(first)) {
      registry = first;
      path = name.substr(first_slash + 1);
    }
  }
  ref.is_short_name = path.size() == name.size();
  if (ref.is_short_name) {
    ref.short_path = std::string(path);
  }
  COCOON_TRY(setName(ref, registry, path));
  if (!ref.tag && !ref.digest) {
    ref.tag = std::string(kDefaultTag);
  }
  return ref;
}

Result<Reference> qualifyShortName(const Reference& ref, std::string_view registry) {
  if (!ref.is_short_name) {
    return fail(Code::kFailedPrecondition, "{} is not a short name", ref.name());
  }
  Reference out;
  out.tag = ref.tag;
  out.digest = ref.digest;
  COCOON_TRY(setName(out, registry, ref.short_path));
  return out;
}

}  // namespace cocoon::image::oci
