// SPDX-License-Identifier: Apache-2.0
// The room the agent's store has for a guest pull: without a scratch disk the store is the
// guest's tmpfs, and filling it would eat guest RAM. The image pull itself compares it with
// the layers it must fetch (image::PullOptions::space_budget), so the image's manifest and
// config are fetched once, and the sizes checked are those of the image being pulled.
#pragma once

#include <cstdint>
#include <filesystem>
#include <string>

#include "common/result.h"
#include "image/puller.h"

namespace cocoon::agent::storage {

// Bytes the file system holding `dir` has free for an unprivileged writer (statvfs f_bavail
// times f_frsize). Errors: those of statvfs(2) naming `dir` (kNotFound when it is missing).
Result<std::uint64_t> freeBytes(const std::filesystem::path& dir);

// The free space of the file system holding `dir` (the layer store's root), measured when
// the pull asks. A pull whose layers do not fit fails with kResourceExhausted naming `dir`,
// the image, the layers to fetch and both sizes (see image::pullImage).
class FreeSpaceBudget : public image::SpaceBudget {
 public:
  explicit FreeSpaceBudget(std::filesystem::path dir) : dir_(std::move(dir)) {}
  // Errors: those of freeBytes.
  Result<std::uint64_t> available() const override { return freeBytes(dir_); }
  std::string describe() const override { return dir_.string(); }

 private:
  std::filesystem::path dir_;
};

}  // namespace cocoon::agent::storage
