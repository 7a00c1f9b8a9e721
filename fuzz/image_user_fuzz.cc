// SPDX-License-Identifier: Apache-2.0
// Fuzzes the image-user lookup: /etc/passwd and /etc/group come from the image. The input
// is split at its first NUL into the two files (passwd, then group) and a few User
// strings are resolved against them.
#include <cstdint>
#include <fstream>
#include <string>
#include <string_view>

#include "common/files.h"
#include "image/runtime_spec.h"

extern "C" int LLVMFuzzerTestOneInput(const std::uint8_t* data, std::size_t size) {
  static auto dir = cocoon::TempDir::create("image-user-fuzz");
  if (!dir) {
    return 0;
  }
  std::string_view input(reinterpret_cast<const char*>(data), size);
  auto nul = input.find('\0');
  std::string_view passwd = input.substr(0, nul);
  std::string_view group =
      nul == std::string_view::npos ? std::string_view() : input.substr(nul + 1);
  const auto root = dir->path();
  std::filesystem::create_directories(root / "etc");
  std::ofstream(root / "etc/passwd", std::ios::binary | std::ios::trunc) << passwd;
  std::ofstream(root / "etc/group", std::ios::binary | std::ios::trunc) << group;
  for (std::string_view user : {"", "0", "root", "app", "app:app", "1000:wheel", "x:1"}) {
    (void)cocoon::image::resolveImageUser(user, root);
  }
  return 0;
}
