// SPDX-License-Identifier: Apache-2.0
// Free space of the agent's store, the budget of guest pulls.
#include "agent/storage/capacity.h"

#include <sys/statvfs.h>

#include <cerrno>

#include "common/sys_error.h"

namespace cocoon::agent::storage {

Result<std::uint64_t> freeBytes(const std::filesystem::path& dir) {
  struct statvfs st {};
  if (::statvfs(dir.c_str(), &st) != 0) {
    return fail(errnoError(errno, "statvfs " + dir.string()));
  }
  return std::uint64_t{st.f_bavail} * std::uint64_t{st.f_frsize};
}

}  // namespace cocoon::agent::storage
