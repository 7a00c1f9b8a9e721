// SPDX-License-Identifier: Apache-2.0
// How much of the guest's memory the agent and everything else use, read from /proc, for
// the agent's log and the runtime benchmark (issue #9: "the guest's memory used by the
// agent and by the pulled image").
// Trust: /proc belongs to the guest kernel.
#pragma once

#include <cstdint>
#include <filesystem>
#include <string>

#include "common/result.h"

namespace cocoon::agent {

struct GuestMemory {
  std::uint64_t agent_rss_bytes = 0;  // VmRSS of this process (/proc/self/status)
  std::uint64_t total_bytes = 0;      // MemTotal (/proc/meminfo)
  std::uint64_t available_bytes = 0;  // MemAvailable: what could be had without swapping
  std::uint64_t shmem_bytes = 0;      // Shmem: tmpfs files (an image store kept in memory)

  // MemTotal - MemAvailable: what the guest cannot give back (page cache that can be
  // dropped does not count; tmpfs files do).
  std::uint64_t inUseBytes() const;
  // "agent Rss 14.2 MiB; guest in use 61.3 MiB of 1985.4 MiB (tmpfs 0.4 MiB)".
  std::string describe() const;
};

// Reads <proc>/self/status and <proc>/meminfo.
// Errors: the file's read error; kInternal naming the file and the field when VmRSS,
// MemTotal, MemAvailable or Shmem is missing or not "<number> kB".
Result<GuestMemory> readGuestMemory(const std::filesystem::path& proc = "/proc");

}  // namespace cocoon::agent
