// SPDX-License-Identifier: Apache-2.0
// Platforms (os/architecture/variant) of image index entries, their containerd-style
// normalisation, and choosing the manifest for a platform from an index.
// Trust: index platforms come from registries (untrusted); matching only compares strings.
#pragma once

#include <string>
#include <string_view>
#include <vector>

#include "common/result.h"

namespace cocoon::image::oci {

// image-spec image-index.md "platform".
struct Platform {
  std::string os;            // "linux"
  std::string architecture;  // GOARCH values: "amd64", "arm64", "arm", "ppc64le", "s390x", ...
  std::string variant;       // "v8", "v7", ... ("" when none)
  std::string os_version;    // "os.version" (Windows builds)
  std::vector<std::string> os_features;  // "os.features"

  // "os/architecture[/variant]".
  std::string toString() const;
  bool operator==(const Platform&) const = default;
};

// containerd platforms.Normalize: lower-cases; os "macos" -> "darwin"; architecture
// aliases (x86_64/x86-64 -> amd64, aarch64 -> arm64, armhf -> arm/v7, armel -> arm/v6,
// i386 -> 386); variants: arm64 "" or "8" -> "v8", arm "" -> "v7" ("7" -> "v7"), amd64
// "v1" -> "" (v1 is the baseline and is implied).
Platform normalizePlatform(Platform p);

// Parses "os/arch[/variant]" (e.g. "linux/arm64/v8") and normalises it. Each part is
// [A-Za-z0-9_-]+. Errors: kInvalidArgument naming the input for a wrong number of parts or
// a bad character.
Result<Platform> parsePlatform(std::string_view text);

// The platform this binary was built for (linux and the compiler's target architecture),
// normalised.
Platform hostPlatform();

// How well `candidate` (as written in an index) runs on `wanted`: 0 for no match, larger
// for a better one. Both are normalised first. os and architecture must be equal; the
// variant must be equal, or for arm / amd64 a lower one (an arm v7 host runs v6 and v5
// images, an amd64 v3 host runs v2 and v1), the closer the better.
int platformMatchScore(const Platform& wanted, const Platform& candidate);

}  // namespace cocoon::image::oci
