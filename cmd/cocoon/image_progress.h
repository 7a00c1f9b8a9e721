// SPDX-License-Identifier: Apache-2.0
// Progress of `cocoon image pull`: a live per-layer table on a terminal, log lines
// otherwise (state changes, and bytes at most every few seconds).
#pragma once

#include <chrono>
#include <cstdint>
#include <mutex>
#include <string>
#include <vector>

#include "image/puller.h"

namespace cocoon::cli {

class PullProgress : public image::PullObserver {
 public:
  // `live`: redraw a table on stderr (a TTY); else one log line per event.
  explicit PullProgress(bool live) : live_(live) {}
  void onImage(const image::oci::Reference& ref, const image::oci::Digest& manifest_digest,
               const image::oci::ImageManifest& manifest) override;
  void onLayer(std::size_t index, image::LayerState state, std::uint64_t bytes) override;
  // Final redraw (live mode).
  void finish();

 private:
  struct Row {
    std::string digest;
    std::uint64_t total = 0;
    std::uint64_t bytes = 0;
    image::LayerState state = image::LayerState::kWaiting;
    std::chrono::steady_clock::time_point started{};
    std::chrono::steady_clock::time_point last_report{};
  };
  void redrawLocked(bool force);
  std::string rowText(const Row& row, std::size_t index) const;

  const bool live_;
  std::mutex mutex_;
  std::vector<Row> rows_;
  std::size_t drawn_lines_ = 0;
  std::chrono::steady_clock::time_point last_draw_{};
};

}  // namespace cocoon::cli
