// SPDX-License-Identifier: Apache-2.0
// Lexical cleaning of tar entry names inside the layer root.
#include "image/unpack/tar/entry_name.h"

#include <fmt/format.h>

#include "image/unpack/fs/in_root.h"

namespace cocoon::image::unpack::tar {

Result<std::vector<std::string>> cleanEntryName(std::string_view name) {
  std::vector<std::string> out;
  for (const std::string_view part : fs::splitPath(name)) {
    if (part == ".") {
      continue;
    }
    if (part == "..") {
      // Unlike containerd, which clamps at the root, an escaping name is refused: no
      // honest layer contains one.
      if (out.empty()) {
        return fail(Code::kInvalidArgument, "name climbs above the layer root with '..'");
      }
      out.pop_back();
      continue;
    }
    out.emplace_back(part);
  }
  for (std::size_t i = 0; i + 1 < out.size(); ++i) {
    if (out[i].starts_with(kWhiteoutPrefix)) {
      return fail(Code::kInvalidArgument, "whiteout '{}' used as a directory", quoteName(out[i]));
    }
  }
  return out;
}

std::string joinComponents(const std::vector<std::string>& components, std::size_t count) {
  std::string out;
  for (std::size_t i = 0; i < count && i < components.size(); ++i) {
    if (i > 0) {
      out += '/';
    }
    out += components[i];
  }
  return out;
}

WhiteoutKind whiteoutKind(std::string_view base) {
  if (base == kOpaqueMarker) {
    return WhiteoutKind::kOpaque;
  }
  if (base.starts_with(kWhiteoutMetaPrefix)) {
    return WhiteoutKind::kMeta;
  }
  if (base.starts_with(kWhiteoutPrefix)) {
    return WhiteoutKind::kWhiteout;
  }
  return WhiteoutKind::kNone;
}

std::string quoteName(std::string_view name) {
  constexpr std::size_t kMaxShown = 200;
  std::string out;
  for (std::size_t i = 0; i < name.size(); ++i) {
    if (i == kMaxShown) {
      out += "…";
      break;
    }
    const auto c = static_cast<unsigned char>(name[i]);
    if (c < 0x20 || c >= 0x7f || c == '\\' || c == '\'') {
      out += fmt::format("\\x{:02x}", c);
    } else {
      out += static_cast<char>(c);
    }
  }
  return out;
}

}  // namespace cocoon::image::unpack::tar
