// SPDX-License-Identifier: Apache-2.0
// readGuestMemory: VmRSS from /proc/self/status, MemTotal/MemAvailable/Shmem from
// /proc/meminfo ("Name:   <number> kB" lines).
#include "agent/guest_memory.h"

#include <charconv>
#include <string_view>

#include <fmt/format.h>

#include "common/files.h"

namespace cocoon::agent {
namespace {

constexpr std::size_t kMaxProcFileBytes = 64 * 1024;

// The value of the "<field>:" line of `text` in bytes; its unit must be kB.
Result<std::uint64_t> kilobyteField(std::string_view text, std::string_view field,
                                    const std::filesystem::path& file) {
  std::size_t at = 0;
  while (at < text.size()) {
    std::size_t end = text.find('\n', at);
    if (end == std::string_view::npos) {
      end = text.size();
    }
    std::string_view line = text.substr(at, end - at);
    at = end + 1;
    if (line.size() <= field.size() || line.substr(0, field.size()) != field ||
        line[field.size()] != ':') {
      continue;
    }
    line.remove_prefix(field.size() + 1);
    while (!line.empty() && (line.front() == ' ' || line.front() == '\t')) {
      line.remove_prefix(1);
    }
    std::uint64_t kib = 0;
    const auto [next, ec] = std::from_chars(line.data(), line.data() + line.size(), kib);
    if (ec != std::errc() || std::string_view(next, line.data() + line.size()) != " kB" ||
        kib > (UINT64_MAX >> 10)) {
      return fail(Code::kInternal, "{}: {} is not \"<number> kB\": \"{}\"", file.string(), field,
                  line.substr(0, 64));
    }
    return kib << 10;
  }
  return fail(Code::kInternal, "{}: no {} line", file.string(), field);
}

double mib(std::uint64_t bytes) {
  return static_cast<double>(bytes) / (1024.0 * 1024.0);
}

}  // namespace

std::uint64_t GuestMemory::inUseBytes() const {
  return total_bytes > available_bytes ? total_bytes - available_bytes : 0;
}

std::string GuestMemory::describe() const {
  return fmt::format(
      "agent Rss {:.1f} MiB; guest in use {:.1f} MiB of {:.1f} MiB (tmpfs {:.1f} MiB)",
      mib(agent_rss_bytes), mib(inUseBytes()), mib(total_bytes), mib(shmem_bytes));
}

Result<GuestMemory> readGuestMemory(const std::filesystem::path& proc) {
  GuestMemory out;
  const std::filesystem::path status_file = proc / "self" / "status";
  COCOON_ASSIGN_OR_RETURN(std::string status, readTextFile(status_file, kMaxProcFileBytes));
  COCOON_ASSIGN_OR_RETURN(out.agent_rss_bytes, kilobyteField(status, "VmRSS", status_file));
  const std::filesystem::path meminfo_file = proc / "meminfo";
  COCOON_ASSIGN_OR_RETURN(std::string meminfo, readTextFile(meminfo_file, kMaxProcFileBytes));
  COCOON_ASSIGN_OR_RETURN(out.total_bytes, kilobyteField(meminfo, "MemTotal", meminfo_file));
  COCOON_ASSIGN_OR_RETURN(out.available_bytes,
                          kilobyteField(meminfo, "MemAvailable", meminfo_file));
  COCOON_ASSIGN_OR_RETURN(out.shmem_bytes, kilobyteField(meminfo, "Shmem", meminfo_file));
  return out;
}

}  // namespace cocoon::agent
