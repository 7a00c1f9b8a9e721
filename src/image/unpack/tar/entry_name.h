// SPDX-License-Identifier: Apache-2.0
// Entry names from a hostile tar: lexical cleaning inside the root, whiteout names, and
// quoting for error messages.
#pragma once

#include <string>
#include <string_view>
#include <vector>

#include "common/result.h"

namespace cocoon::image::unpack::tar {

// OCI image spec, layer.md "Whiteouts".
inline constexpr std::string_view kWhiteoutPrefix = ".wh.";
inline constexpr std::string_view kOpaqueMarker = ".wh..wh..opq";
// aufs metadata (`.wh..wh.plnk`, `.wh..wh.aufs`): never part of the image content.
inline constexpr std::string_view kWhiteoutMetaPrefix = ".wh..wh.";

// The components of `name` relative to the layer root: a leading '/' is stripped (as tar
// and containerd do), "" and "." components are dropped and ".." removes the component
// before it. An empty result names the root itself.
// Errors: kInvalidArgument when a ".." would climb above the root, or when a component
// other than the last starts with ".wh." (a whiteout cannot be a directory).
Result<std::vector<std::string>> cleanEntryName(std::string_view name);

// "a/b/c" from components (empty for the root).
std::string joinComponents(const std::vector<std::string>& components, std::size_t count);

// What the last component of an entry name means under the OCI whiteout rules.
enum class WhiteoutKind : std::uint8_t { kNone, kWhiteout, kOpaque, kMeta };
WhiteoutKind whiteoutKind(std::string_view base);

// `name` safe to embed in a one-line message: bytes outside printable ASCII become \xNN
// and names over 200 bytes are shortened with "…".
std::string quoteName(std::string_view name);

}  // namespace cocoon::image::unpack::tar
