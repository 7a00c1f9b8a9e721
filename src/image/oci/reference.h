// SPDX-License-Identifier: Apache-2.0
// Container image references ("busybox", "host:5000/a/b:tag@sha256:...") parsed with the
// docker/distribution reference grammar and docker's normalisation (docker.io/library).
// Trust: references come from pod specs and the host (untrusted); the parser is a
// hand-written scanner with no regex backtracking, and accepts nothing outside the grammar.
#pragma once

#include <cstddef>
#include <optional>
#include <string>
#include <string_view>

#include "common/result.h"
#include "image/oci/digest.h"

namespace cocoon::image::oci {

inline constexpr std::string_view kDockerHubRegistry = "docker.io";
inline constexpr std::string_view kDefaultTag = "latest";
// distribution/reference NameTotalLengthMax: registry + "/" + repository.
inline constexpr std::size_t kMaxNameLength = 255;

// A normalised, fully qualified reference.
struct Reference {
  // "docker.io", "host:5000", "[::1]:5000", "localhost". Never empty.
  std::string registry;
  // Path inside the registry, lower-case: "library/busybox", "a/b".
  std::string repository;
  // "latest" when the input had neither a tag nor a digest.
  std::optional<std::string> tag;
  std::optional<Digest> digest;
  // True when the input named no registry ("busybox", "user/img"): the puller may try
  // the unqualified-search registries instead of docker.io (see qualifyShortName).
  bool is_short_name = false;
  // For short names, the path as written ("busybox", not "library/busybox").
  std::string short_path;

  // "registry/repository".
  std::string name() const;
  // "registry/repository[:tag][@digest]".
  std::string toString() const;
  bool operator==(const Reference&) const = default;
};

// Parses and normalises a reference (distribution/reference ParseNormalizedNamed, then a
// default ":latest" when there is neither tag nor digest):
//   busybox                   -> docker.io/library/busybox:latest (short name)
//   user/img                  -> docker.io/user/img:latest (short name)
//   index.docker.io/x         -> docker.io/library/x:latest
//   host:5000/a/b:tag, localhost/x, 127.0.0.1:5000/x@sha256:<hex>, [::1]:5000/x:t@sha256:..
// The first path component is a registry when it contains '.' or ':', is "localhost", or
// has an upper-case letter (which a repository may not). Errors, all kInvalidArgument
// unless said otherwise, with the offending part named:
// - empty input; a 64-hex-digit name (ambiguous with an image ID);
// - a registry that is not a hostname, IPv4 or [IPv6] address with an optional port;
// - a repository component outside [a-z0-9]+([._]|__|-+)[a-z0-9]+..., or upper case
//   ("repository name must be lowercase");
// - a tag outside [A-Za-z0-9_][A-Za-z0-9_.-]{0,127};
// - registry + "/" + repository longer than kMaxNameLength;
// - a bad digest (parseDigest: kInvalidArgument, or kUnimplemented for an algorithm
//   other than sha256/sha512).
Result<Reference> parseReference(std::string_view text);

// The candidate reference for short name `ref` in `registry` (from the
// unqualified-search registries): "busybox" in "quay.io" -> quay.io/busybox, in
// "docker.io" -> docker.io/library/busybox. Tag and digest are kept.
// Errors: kFailedPrecondition when `ref` is not a short name; those of parseReference
// when the combination is not a valid reference (e.g. a bad registry or too long).
Result<Reference> qualifyShortName(const Reference& ref, std::string_view registry);

}  // namespace cocoon::image::oci
