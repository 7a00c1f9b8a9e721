// SPDX-License-Identifier: Apache-2.0
// Platform normalisation and matching after containerd's platforms package (database.go,
// compare.go), reimplemented.
#include "image/oci/platform.h"

#include <algorithm>
#include <array>
#include <cctype>

namespace cocoon::image::oci {
namespace {

constexpr int kExactMatch = 100;

std::string lower(std::string_view s) {
  std::string out(s);
  std::transform(out.begin(), out.end(), out.begin(),
                 [](unsigned char c) { return static_cast<char>(std::tolower(c)); });
  return out;
}

bool isSpecifierChar(char c) {
  return (c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z') || (c >= '0' && c <= '9') || c == '_' ||
         c == '-';
}

// Variants an architecture's hosts also run, best first; empty when only exact matches.
std::vector<std::string_view> variantLadder(std::string_view arch) {
  if (arch == "arm") {
    return {"v8", "v7", "v6", "v5"};
  }
  if (arch == "amd64") {
    return {"v4", "v3", "v2", ""};
  }
  return {};
}

}  // namespace

std::string Platform::toString() const {
  std::string out = os + "/" + architecture;
  if (!variant.empty()) {
    out += "/" + variant;
  }
  return out;
}

Platform normalizePlatform(Platform p) {
  p.os = lower(p.os);
  p.architecture = lower(p.architecture);
  p.variant = lower(p.variant);
  if (p.os == "macos") {
    p.os = "darwin";
  }
  const std::string& arch = p.architecture;
  if (arch == "i386") {
    p.architecture = "386";
    p.variant.clear();
  } else if (arch == "x86_64" || arch == "x86-64" || arch == "amd64") {
    p.architecture = "amd64";
    if (p.variant == "v1") {
      p.variant.clear();
    }
  } else if (arch == "aarch64" || arch == "arm64") {
    p.architecture = "arm64";
    if (p.variant == "8" || p.variant.empty()) {
      p.variant = "v8";
    }
  } else if (arch == "armhf") {
    p.architecture = "arm";
    p.variant = "v7";
  } else if (arch == "armel") {
    p.architecture = "arm";
    p.variant = "v6";
  } else if (arch == "arm") {
    if (p.variant.empty() || p.variant == "7") {
      p.variant = "v7";
    } else if (p.variant == "5" || p.variant == "6" || p.variant == "8") {
      p.variant = "v" + p.variant;
    }
  }
  return p;
}

Result<Platform> parsePlatform(std::string_view text) {
  std::array<std::string_view, 3> parts{};
  std::size_t count = 0;
  std::size_t start = 0;
  while (true) {
    const std::size_t slash = text.find('/', start);
    if (count == parts.size()) {
      return fail(Code::kInvalidArgument,
                  "platform {:?} has more than 3 parts, expected os/arch[/variant]",
                  text.substr(0, 64));
    }
    parts[count++] = text.substr(start, slash - start);
    if (slash == std::string_view::npos) {
      break;
    }
    start = slash + 1;
  }
  if (count < 2) {
    return fail(Code::kInvalidArgument, "platform {:?} is not os/arch[/variant]",
                text.substr(0, 64));
  }
  for (std::size_t i = 0; i < count; ++i) {
    if (parts[i].empty() || !std::all_of(parts[i].begin(), parts[i].end(), isSpecifierChar)) {
      return fail(Code::kInvalidArgument,
                  "platform {:?}: part {} is empty or has a character outside [A-Za-z0-9_-]",
                  text.substr(0, 64), i);
    }
  }
  Platform p;
  p.os = std::string(parts[0]);
  p.architecture = std::string(parts[1]);
  p.variant = std::string(parts[2]);
  return normalizePlatform(std::move(p));
}

Platform hostPlatform() {
  Platform p;
  p.os = "linux";
#if defined(__x86_64__)
  p.architecture = "amd64";
#elif defined(__aarch64__)
  p.architecture = "arm64";
#elif defined(__arm__)
  p.architecture = "arm";
#elif defined(__i386__)
  p.architecture = "386";
#elif defined(__powerpc64__) && defined(__LITTLE_ENDIAN__)
  p.architecture = "ppc64le";
#elif defined(__s390x__)
  p.architecture = "s390x";
#elif defined(__riscv) && __riscv_xlen == 64
  p.architecture = "riscv64";
#else
#error "hostPlatform: unknown target architecture"
#endif
  return normalizePlatform(std::move(p));
}

int platformMatchScore(const Platform& wanted, const Platform& candidate) {
  const Platform w = normalizePlatform(wanted);
  const Platform c = normalizePlatform(candidate);
  if (w.os != c.os || w.architecture != c.architecture) {
    return 0;
  }
  if (w.variant == c.variant) {
    return kExactMatch;
  }
  const std::vector<std::string_view> ladder = variantLadder(w.architecture);
  const auto host = std::find(ladder.begin(), ladder.end(), w.variant);
  const auto image = std::find(host, ladder.end(), c.variant);
  if (host == ladder.end() || image == ladder.end()) {
    return 0;
  }
  return kExactMatch - static_cast<int>(image - host);
}

}  // namespace cocoon::image::oci
