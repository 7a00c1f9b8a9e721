// SPDX-License-Identifier: Apache-2.0
// Pull progress rendering.
#include "cmd/cocoon/image_progress.h"

#include <cstdio>

#include <fmt/format.h>

#include "common/log.h"

namespace cocoon::cli {
namespace {

using Clock = std::chrono::steady_clock;
constexpr auto kRedrawEvery = std::chrono::milliseconds(100);
constexpr auto kLogEvery = std::chrono::seconds(5);

std::string humanBytes(std::uint64_t n) {
  constexpr const char* kUnits[] = {"B", "KiB", "MiB", "GiB", "TiB"};
  double v = static_cast<double>(n);
  std::size_t u = 0;
  while (v >= 1024 && u + 1 < std::size(kUnits)) {
    v /= 1024;
    ++u;
  }
  return u == 0 ? fmt::format("{} B", n) : fmt::format("{:.1f} {}", v, kUnits[u]);
}

}  // namespace

void PullProgress::onImage(const image::oci::Reference& ref,
                           const image::oci::Digest& manifest_digest,
                           const image::oci::ImageManifest& manifest) {
  std::lock_guard lock(mutex_);
  rows_.clear();
  for (const auto& l : manifest.layers) {
    rows_.push_back(
        Row{l.descriptor.digest.toString(), static_cast<std::uint64_t>(l.descriptor.size)});
  }
  if (live_) {
    std::fprintf(stderr, "%s (%s), %zu layers\n", ref.toString().c_str(),
                 manifest_digest.toString().c_str(), rows_.size());
  } else {
    COCOON_LOG(kInfo, "image", "pulling {} ({}), {} layers", ref.toString(), manifest_digest,
               rows_.size());
  }
}

std::string PullProgress::rowText(const Row& row, std::size_t index) const {
  std::string head = fmt::format("layer {}/{} {:.19}", index + 1, rows_.size(), row.digest);
  switch (row.state) {
    case image::LayerState::kPulling: {
      double secs = std::chrono::duration<double>(Clock::now() - row.started).count();
      double rate = secs > 0 ? static_cast<double>(row.bytes) / secs : 0;
      return fmt::format("{}  pulling  {} / {}  {}/s", head, humanBytes(row.bytes),
                         humanBytes(row.total), humanBytes(static_cast<std::uint64_t>(rate)));
    }
    case image::LayerState::kDone:
      return fmt::format("{}  done     {}", head, humanBytes(row.total));
    case image::LayerState::kReused:
      return fmt::format("{}  reused   (already in the store)", head);
    case image::LayerState::kFailed:
      return fmt::format("{}  failed", head);
    case image::LayerState::kWaiting:
      break;
  }
  return fmt::format("{}  waiting", head);
}

void PullProgress::onLayer(std::size_t index, image::LayerState state, std::uint64_t bytes) {
  std::lock_guard lock(mutex_);
  if (index >= rows_.size()) {
    return;
  }
  Row& row = rows_[index];
  bool changed = row.state != state;
  auto now = Clock::now();
  if (changed && state == image::LayerState::kPulling) {
    row.started = now;
    row.last_report = now;
  }
  row.state = state;
  if (state == image::LayerState::kPulling) {
    row.bytes = bytes;
  }
  if (live_) {
    redrawLocked(changed);
    return;
  }
  if (changed || now - row.last_report >= kLogEvery) {
    row.last_report = now;
    COCOON_LOG(kInfo, "image", "{}", rowText(row, index));
  }
}

void PullProgress::redrawLocked(bool force) {
  auto now = Clock::now();
  if (!force && now - last_draw_ < kRedrawEvery) {
    return;
  }
  last_draw_ = now;
  std::string out;
  if (drawn_lines_ > 0) {
    out += fmt::format("\x1b[{}A", drawn_lines_);  // back to the table's first line
  }
  for (std::size_t i = 0; i < rows_.size(); ++i) {
    out += "\x1b[2K" + rowText(rows_[i], i) + "\n";
  }
  drawn_lines_ = rows_.size();
  std::fputs(out.c_str(), stderr);
  std::fflush(stderr);
}

void PullProgress::finish() {
  std::lock_guard lock(mutex_);
  if (live_) {
    redrawLocked(true);
  }
}

}  // namespace cocoon::cli
