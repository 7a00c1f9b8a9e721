// SPDX-License-Identifier: Apache-2.0
// The guest pull's fit check before and after issue #8, pulling from a real registry:
// "separate" resolves the image once for the check and once more in the pull (what the
// agent did), "in-pull" hands the pull the store's free space as its budget.
#include <algorithm>
#include <chrono>
#include <cstdio>
#include <string>
#include <vector>

#include "agent/storage/capacity.h"
#include "common/files.h"
#include "image/layer_store.h"
#include "image/puller.h"
#include "image/registry_source.h"

namespace cocoon::bench {
namespace {

namespace fs = std::filesystem;

enum class Mode : std::uint8_t { kSeparate, kInPull };

// One guest pull as the agent makes it (registry source, store under `store`, bundle at
// `bundle`), with the fit check done the way `mode` says. Returns milliseconds.
Result<double> pullOnce(Mode mode, const image::oci::Reference& ref,
                        const image::SourceOptions& source, const fs::path& store_dir,
                        const fs::path& bundle) {
  const auto start = std::chrono::steady_clock::now();
  COCOON_ASSIGN_OR_RETURN(image::OpenedRegistry opened, image::openRegistrySource(ref, source));
  COCOON_ASSIGN_OR_RETURN(image::LayerStore store, image::LayerStore::open(store_dir));
  const agent::storage::FreeSpaceBudget budget(store_dir);
  image::PullOptions pull;
  pull.dest = bundle;
  if (mode == Mode::kSeparate) {
    // The former agent/storage checkImageFits: its own resolve, then statvfs.
    COCOON_ASSIGN_OR_RETURN(
        image::ResolvedImage resolved,
        image::resolveImage(*opened.source, opened.reference, image::oci::hostPlatform()));
    COCOON_ASSIGN_OR_RETURN(std::uint64_t free, budget.available());
    (void)resolved;
    (void)free;
  } else {
    pull.space_budget = &budget;
  }
  COCOON_ASSIGN_OR_RETURN(image::PullResult result,
                          image::pullImage(*opened.source, opened.reference, store, pull));
  (void)result;
  const std::chrono::duration<double, std::milli> took = std::chrono::steady_clock::now() - start;
  COCOON_TRY(image::removeBundle(bundle));
  return took.count();
}

double median(std::vector<double> v) {
  std::sort(v.begin(), v.end());
  return v.empty() ? 0 : v[v.size() / 2];
}

// Per round: a pull into a fresh store (every layer fetched), then `warm` pulls into the
// same store (every layer reused: only manifest and config travel).
Status run(Mode mode, const std::string& image_ref, const fs::path& registries_conf,
           const fs::path& work, int rounds, int warm) {
  COCOON_ASSIGN_OR_RETURN(image::oci::Reference ref, image::oci::parseReference(image_ref));
  image::SourceOptions source;
  source.registries_conf = registries_conf;
  source.auth_file = work / "no-auth.json";
  std::vector<double> cold_ms;
  std::vector<double> warm_ms;
  for (int r = 0; r < rounds; ++r) {
    const fs::path store = work / fmt::format("store-{}", r);
    COCOON_ASSIGN_OR_RETURN(double ms, pullOnce(mode, ref, source, store, work / "bundle"));
    cold_ms.push_back(ms);
    for (int w = 0; w < warm; ++w) {
      COCOON_ASSIGN_OR_RETURN(ms, pullOnce(mode, ref, source, store, work / "bundle"));
      warm_ms.push_back(ms);
    }
    COCOON_TRY(removeAll(store));
  }
  std::printf(
      "{\"mode\": \"%s\", \"cold_pulls\": %zu, \"cold_median_ms\": %.2f, "
      "\"warm_pulls\": %zu, \"warm_median_ms\": %.2f}\n",
      mode == Mode::kSeparate ? "separate" : "in-pull", cold_ms.size(), median(cold_ms),
      warm_ms.size(), median(warm_ms));
  return okStatus();
}

}  // namespace
}  // namespace cocoon::bench

int main(int argc, char** argv) {
  if (argc != 7) {
    std::fprintf(stderr,
                 "usage: %s separate|in-pull IMAGE REGISTRIES_CONF WORK_DIR ROUNDS WARM_PULLS\n",
                 argv[0]);
    return 2;
  }
  const std::string mode = argv[1];
  if (mode != "separate" && mode != "in-pull") {
    std::fprintf(stderr, "mode must be separate or in-pull, not %s\n", mode.c_str());
    return 2;
  }
  try {
    cocoon::Status s = cocoon::bench::run(
        mode == "separate" ? cocoon::bench::Mode::kSeparate : cocoon::bench::Mode::kInPull, argv[2],
        argv[3], argv[4], std::stoi(argv[5]), std::stoi(argv[6]));
    if (!s) {
      std::fprintf(stderr, "guest_pull_bench: %s\n", s.error().toString().c_str());
      return 1;
    }
  } catch (const std::exception& e) {
    std::fprintf(stderr, "guest_pull_bench: %s\n", e.what());
    return 1;
  }
  return 0;
}
