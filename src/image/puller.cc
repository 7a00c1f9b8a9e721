// SPDX-License-Identifier: Apache-2.0
// The image pull: manifest -> config -> layers in parallel through one streaming pass
// each -> store record -> bundle (overlayfs mount or flattened rootfs) + config.json.
#include "image/puller.h"

#include <sys/mount.h>
#include <sys/stat.h>
#include <unistd.h>

#include <algorithm>
#include <atomic>
#include <ctime>
#include <exception>
#include <mutex>
#include <set>
#include <system_error>
#include <thread>
#include <vector>

#include "common/encoding.h"
#include "common/files.h"
#include "common/log.h"
#include "common/sys_error.h"
#include "crypto/random.h"
#include "image/layer/bounded_pipe.h"
#include "image/layer/digest_check.h"
#include "image/runtime_spec.h"

namespace cocoon::image {
namespace {

constexpr std::string_view kStateDir = ".cocoon";

void notify(PullObserver* observer, std::size_t index, LayerState state, std::uint64_t bytes) {
  if (observer != nullptr) {
    observer->onLayer(index, state, bytes);
  }
}

// A manifest as fetched, checked against its expected digest, and parsed.
struct FetchedDocument {
  oci::ManifestDocument doc;
  oci::Digest digest;
  Bytes body;
};

// Fetches a manifest by tag or digest; when `expected` is given the bytes must hash to it.
Result<FetchedDocument> fetchManifest(ImageSource& source, std::string_view reference,
                                      const std::optional<oci::Digest>& expected,
                                      const oci::ManifestLimits& limits) {
  COCOON_ASSIGN_OR_RETURN(FetchedManifest fetched, source.manifest(reference, limits.max_bytes));
  oci::Digest actual = oci::computeDigest(
      fetched.body, expected ? expected->algorithm : crypto::DigestAlgorithm::kSha256);
  if (expected) {
    COCOON_TRY(oci::checkDigest(*expected, actual, "manifest"));
  }
  COCOON_ASSIGN_OR_RETURN(oci::ManifestDocument doc,
                          oci::parseManifest(fetched.body, fetched.content_type, limits));
  return FetchedDocument{std::move(doc), std::move(actual), std::move(fetched.body)};
}

// What one layer's pass needs.
struct LayerJob {
  std::size_t index = 0;
  std::size_t count = 0;
  const oci::Layer* layer = nullptr;
  oci::Digest diff_id;
  unpack::UnpackTarget target;
};

std::string layerLabel(const LayerJob& job) {
  return fmt::format("layer {}/{} {}", job.index + 1, job.count, job.layer->descriptor.digest);
}

// decompress -> diff_id -> untar of one layer's (plaintext) blob stream.
Status unpackBlob(layer::ByteSource& stream, const LayerJob& job, const PullOptions& options) {
  COCOON_ASSIGN_OR_RETURN(
      std::unique_ptr<layer::ByteSource> tar,
      layer::openDecompressor(job.layer->type.compression, stream, options.decompress_limits));
  layer::DigestCheckSource diff(*tar, job.diff_id, "diff_id");
  COCOON_TRY(unpack::unpackLayer(diff, job.target, options.unpack_options));
  // unpackLayer read the tar to its end; draining proves every stage reached its end too
  // (all end-of-stream checks ran). Bytes here would mean a stage stopped early.
  COCOON_ASSIGN_OR_RETURN(std::uint64_t extra, layer::drain(diff));
  if (extra != 0) {
    return fail(Code::kDataLoss, "{} bytes after the end of the tar stream", extra);
  }
  return {};
}

// Copies `from` into `to` until its end (every end-of-stream check of `from` passed), then
// closes `to`; on an error fails `to` with it. A cancel() by `to`'s reader ends the copy.
void pumpInto(layer::ByteSource& from, layer::BoundedPipe& to) {
  try {
    std::vector<std::uint8_t> buffer(64 * 1024);
    for (;;) {
      Result<std::size_t> n = from.read(buffer);
      if (!n) {
        to.fail(std::move(n).error());
        return;
      }
      if (*n == 0) {
        to.close();
        return;
      }
      Status written = to.write(ByteSpan(buffer.data(), *n));
      if (!written) {
        return;  // the reader cancelled: its error is the one reported
      }
    }
  } catch (const std::exception& e) {
    to.fail(makeError(Code::kInternal, "decrypt thread: {}", e.what()));
  }
}

// The consumer side of one layer: blob digest -> decrypt -> decompress -> diff_id -> untar.
// An encrypted layer's blob digest and decryption (AES-256-CTR + HMAC-SHA256) run on a
// thread of their own, feeding the plaintext through a second bounded pipe, so that they
// overlap with inflate and untar instead of adding to them. The HMAC is still checked at
// the end of the stream and its failure fails the layer, as in one thread.
Status extractLayer(layer::ByteSource& blob_stream, const LayerJob& job,
                    const PullOptions& options) {
  const auto& descriptor = job.layer->descriptor;
  layer::DigestCheckSource blob(blob_stream, descriptor.digest, "blob",
                                static_cast<std::uint64_t>(descriptor.size));
  if (!job.layer->type.encrypted) {
    return unpackBlob(blob, job, options);
  }
  if (options.decrypt == nullptr) {
    return fail(Code::kFailedPrecondition,
                "the layer is encrypted ({}) and no decryption key provider is configured",
                descriptor.media_type);
  }
  COCOON_ASSIGN_OR_RETURN(std::unique_ptr<layer::DecryptHook> hook,
                          options.decrypt->forLayer(descriptor));
  COCOON_ASSIGN_OR_RETURN(std::unique_ptr<layer::ByteSource> plaintext, hook->wrap(blob));
  layer::BoundedPipe clear(options.pipe_bytes);
  std::thread decrypter([&] { pumpInto(*plaintext, clear); });
  Status result = unpackBlob(clear.reader(), job, options);
  if (!result) {
    clear.cancel(result.error());
  }
  decrypter.join();
  return result;
}

// One layer end to end: a download thread pushes into a bounded pipe, this thread extracts.
Status pullLayer(ImageSource& source, const LayerJob& job, const PullOptions& options,
                 std::atomic<std::uint64_t>& downloaded) {
  notify(options.observer, job.index, LayerState::kPulling, 0);
  layer::BoundedPipe pipe(options.pipe_bytes);
  std::thread downloader([&] {
    std::uint64_t bytes = 0;
    try {
      Status s = source.streamBlob(job.layer->descriptor, [&](ByteSpan chunk) -> Status {
        COCOON_TRY(pipe.write(chunk));
        bytes += chunk.size();
        downloaded += chunk.size();
        notify(options.observer, job.index, LayerState::kPulling, bytes);
        return {};
      });
      if (s) {
        pipe.close();
      } else {
        pipe.fail(s.error());
      }
    } catch (const std::exception& e) {
      pipe.fail(makeError(Code::kInternal, "download thread: {}", e.what()));
    }
  });
  Status result = extractLayer(pipe.reader(), job, options);
  if (!result) {
    pipe.cancel(result.error());
  }
  downloader.join();
  return withContext(std::move(result), layerLabel(job));
}

// Runs `jobs` with at most `parallel` at once; returns the first error (queued jobs are
// skipped after it, jobs in flight finish).
Status runLayerJobs(ImageSource& source, const std::vector<LayerJob>& jobs, unsigned parallel,
                    const PullOptions& options, std::atomic<std::uint64_t>& downloaded) {
  std::atomic<std::size_t> next{0};
  std::mutex mutex;
  std::optional<Error> first_error;
  auto worker = [&] {
    for (;;) {
      {
        std::lock_guard lock(mutex);
        if (first_error) {
          return;
        }
      }
      std::size_t i = next++;
      if (i >= jobs.size()) {
        return;
      }
      Status s;
      try {
        s = pullLayer(source, jobs[i], options, downloaded);
      } catch (const std::exception& e) {
        s = fail(Code::kInternal, "{}: {}", layerLabel(jobs[i]), e.what());
      }
      notify(options.observer, jobs[i].index, s ? LayerState::kDone : LayerState::kFailed, 0);
      if (!s) {
        std::lock_guard lock(mutex);
        if (!first_error) {
          first_error = s.error();
        }
      }
    }
  };
  std::vector<std::thread> threads;
  unsigned n = std::max(1u, std::min<unsigned>(parallel, static_cast<unsigned>(jobs.size())));
  for (unsigned t = 0; t + 1 < n; ++t) {
    threads.emplace_back(worker);
  }
  worker();
  for (auto& t : threads) {
    t.join();
  }
  if (first_error) {
    return fail(*first_error);
  }
  return {};
}

// Mounts the layers (bottom first in `layers`) as an overlayfs at dest/rootfs with a
// writable upper layer in dest/.cocoon.
Status mountOverlay(const std::vector<std::filesystem::path>& layers,
                    const std::filesystem::path& dest) {
  auto state = dest / kStateDir;
  COCOON_TRY(createDirectories(state / "upper"));
  COCOON_TRY(createDirectories(state / "work"));
  COCOON_TRY(createDirectories(dest / "rootfs"));
  std::string lower;
  for (auto it = layers.rbegin(); it != layers.rend(); ++it) {
    if (it->string().find_first_of(":,") != std::string::npos) {
      return fail(Code::kInvalidArgument, "layer path {} cannot be an overlayfs lowerdir",
                  it->string());
    }
    lower += (lower.empty() ? "" : ":") + it->string();
  }
  std::string data = "lowerdir=" + lower + ",upperdir=" + (state / "upper").string() +
                     ",workdir=" + (state / "work").string();
  if (data.size() >= static_cast<std::size_t>(::getpagesize())) {
    return fail(Code::kResourceExhausted,
                "{} layers make overlayfs mount options of {} bytes (the kernel takes fewer "
                "than {}); use --flatten",
                layers.size(), data.size(), ::getpagesize());
  }
  if (::mount("overlay", (dest / "rootfs").c_str(), "overlay", 0, data.c_str()) != 0) {
    return fail(
        errnoError(errno, "mounting the overlayfs rootfs at " + (dest / "rootfs").string()));
  }
  return {};
}

Status writeSpec(const oci::ImageConfig& config, const std::filesystem::path& dest) {
  COCOON_ASSIGN_OR_RETURN(ProcessUser user, resolveImageUser(config.config.user, dest / "rootfs"));
  COCOON_ASSIGN_OR_RETURN(json::Json spec, makeRuntimeSpec(config, user));
  std::string text = spec.dump(2) + "\n";
  return writeFileAtomic(dest / "config.json", asBytes(text), 0644);
}

// The layers a pull fetches, in order: every one when flattening (each applies onto the
// one tree); else each diff_id the store lacks, once (the others are marked reused).
std::vector<std::size_t> layersToFetch(PullResult& result, const LayerStore& store,
                                       const PullOptions& options) {
  std::vector<std::size_t> out;
  std::set<std::string> scheduled;
  for (std::size_t i = 0; i < result.layers.size(); ++i) {
    if (options.flatten) {
      out.push_back(i);
      continue;
    }
    const auto& diff_id = result.layers[i].diff_id;
    const bool stored = store.hasLayer(diff_id);
    if (stored || !scheduled.insert(diff_id.toString()).second) {
      result.layers[i].reused = stored;
      notify(options.observer, i, LayerState::kReused, 0);
      continue;
    }
    out.push_back(i);
  }
  return out;
}

// The fit check of PullOptions::space_budget, before anything is fetched or written.
Status checkSpace(const oci::Reference& ref, const oci::ImageManifest& manifest,
                  const std::vector<std::size_t>& to_fetch, const SpaceBudget* budget) {
  if (budget == nullptr) {
    return {};
  }
  std::uint64_t needed = 0;
  for (const std::size_t i : to_fetch) {
    // parseManifest accepts no negative size.
    needed += static_cast<std::uint64_t>(manifest.layers[i].descriptor.size);
  }
  COCOON_ASSIGN_OR_RETURN(std::uint64_t free, budget->available());
  if (needed > free) {
    return fail(Code::kResourceExhausted,
                "image {} ({} of {} layers to fetch, compressed size; unpacked they take more) "
                "needs at least {} bytes in {} but only {} are free",
                ref.toString(), to_fetch.size(), manifest.layers.size(), needed, budget->describe(),
                free);
  }
  return {};
}

bool isMountPoint(const std::filesystem::path& p) {
  struct stat self {};
  struct stat parent {};
  if (::lstat(p.c_str(), &self) != 0 || ::lstat(p.parent_path().c_str(), &parent) != 0) {
    return false;
  }
  return self.st_dev != parent.st_dev;
}

}  // namespace

std::string_view layerStateName(LayerState state) {
  switch (state) {
    case LayerState::kWaiting:
      return "waiting";
    case LayerState::kPulling:
      return "pulling";
    case LayerState::kDone:
      return "done";
    case LayerState::kReused:
      return "reused";
    case LayerState::kFailed:
      return "failed";
  }
  return "unknown";
}

Result<ResolvedImage> resolveImage(ImageSource& source, const oci::Reference& ref,
                                   const oci::Platform& platform,
                                   const oci::ManifestLimits& manifest_limits,
                                   const oci::ImageConfigLimits& config_limits) {
  ResolvedImage out;
  std::string wanted = ref.digest ? ref.digest->toString() : ref.tag.value_or("latest");
  COCOON_ASSIGN_OR_RETURN(auto top,
                          withContext(fetchManifest(source, wanted, ref.digest, manifest_limits),
                                      "manifest " + wanted));
  out.manifest_digest = top.digest;
  out.top_digest = top.digest;
  out.top_manifest = std::move(top.body);
  if (auto* index = std::get_if<oci::ImageIndex>(&top.doc)) {
    COCOON_ASSIGN_OR_RETURN(oci::Descriptor entry, oci::selectManifest(*index, platform));
    COCOON_ASSIGN_OR_RETURN(
        auto platform_doc,
        withContext(fetchManifest(source, entry.digest.toString(), entry.digest, manifest_limits),
                    "manifest " + entry.digest.toString()));
    auto* m = std::get_if<oci::ImageManifest>(&platform_doc.doc);
    if (m == nullptr) {
      return fail(Code::kInvalidArgument, "index entry {} is an index, not an image manifest",
                  entry.digest);
    }
    out.manifest = std::move(*m);
    out.manifest_digest = entry.digest;
  } else {
    out.manifest = std::get<oci::ImageManifest>(std::move(top.doc));
  }
  // Config: digest-checked before it is parsed.
  const auto& config = out.manifest.config;
  std::string what = "config " + config.digest.toString();
  COCOON_ASSIGN_OR_RETURN(Bytes config_bytes,
                          withContext(source.blob(config, config_limits.max_bytes), what));
  COCOON_TRY(withContext(oci::verifyDigest(config.digest, config_bytes, "config"), what));
  COCOON_ASSIGN_OR_RETURN(out.config,
                          withContext(oci::parseImageConfig(config_bytes, config_limits), what));
  COCOON_TRY(oci::checkDiffIds(out.config, out.manifest));
  // An index entry without a platform matches anything: the config says what it really is.
  if ((!out.config.os.empty() && out.config.os != platform.os) ||
      (!out.config.architecture.empty() && out.config.architecture != platform.architecture)) {
    return fail(Code::kNotFound, "image {} is for {}/{}, not {}", ref.toString(), out.config.os,
                out.config.architecture, platform.toString());
  }
  out.config_digest = config.digest;
  return out;
}

Result<json::Json> inspectImage(ImageSource& source, const oci::Reference& ref,
                                const oci::Platform& platform) {
  COCOON_ASSIGN_OR_RETURN(ResolvedImage image, resolveImage(source, ref, platform));
  json::Json layers = json::Json::array();
  for (std::size_t i = 0; i < image.manifest.layers.size(); ++i) {
    const auto& d = image.manifest.layers[i].descriptor;
    layers.push_back({{"digest", d.digest.toString()},
                      {"size", d.size},
                      {"media_type", d.media_type},
                      {"diff_id", image.config.diff_ids[i].toString()}});
  }
  const auto& c = image.config.config;
  return json::Json{
      {"reference", ref.toString()},
      {"source", source.describe()},
      {"manifest_digest", image.manifest_digest.toString()},
      {"manifest_media_type", oci::mediaTypeOf(image.manifest.kind)},
      {"config_digest", image.config_digest.toString()},
      {"platform", image.config.os + "/" + image.config.architecture +
                       (image.config.variant.empty() ? "" : "/" + image.config.variant)},
      {"created", image.config.created},
      {"layers", layers},
      {"config",
       {{"user", c.user},
        {"env", c.env},
        {"entrypoint", c.entrypoint},
        {"cmd", c.cmd},
        {"working_dir", c.working_dir},
        {"exposed_ports", c.exposed_ports},
        {"labels", c.labels}}},
  };
}

namespace {

Result<PullResult> pullIntoDest(ImageSource& source, const oci::Reference& ref,
                                const LayerStore& store, const PullOptions& options) {
  PullResult result;
  result.reference = ref.toString();
  if (options.dest.empty()) {
    return fail(Code::kInvalidArgument, "no destination directory for the bundle");
  }
  std::error_code ec;
  if (std::filesystem::exists(options.dest / "rootfs", ec) ||
      std::filesystem::exists(options.dest / "config.json", ec)) {
    return fail(Code::kAlreadyExists, "{} already holds a bundle (rootfs or config.json)",
                options.dest.string());
  }

  COCOON_ASSIGN_OR_RETURN(
      ResolvedImage resolved,
      resolveImage(source, ref, options.platform, options.manifest_limits, options.config_limits));
  if (options.policy != nullptr) {
    COCOON_TRY(
        withContext(options.policy->check(source, ref, resolved.top_digest, resolved.top_manifest),
                    std::string(kPolicyErrorContext)));
  }
  result.manifest_digest = resolved.manifest_digest;
  result.config_digest = resolved.config_digest;
  result.config = std::move(resolved.config);
  const oci::ImageManifest& manifest = resolved.manifest;
  if (options.observer != nullptr) {
    options.observer->onImage(ref, result.manifest_digest, manifest);
  }

  COCOON_ASSIGN_OR_RETURN(UniqueFd store_lock, store.lockShared());
  std::atomic<std::uint64_t> downloaded{0};
  const std::size_t count = manifest.layers.size();
  for (std::size_t i = 0; i < count; ++i) {
    result.layers.push_back({manifest.layers[i].descriptor.digest, result.config.diff_ids[i],
                             manifest.layers[i].descriptor.size, false});
  }
  // Decided under the store lock, so the fit check counts exactly what gets fetched.
  const std::vector<std::size_t> to_fetch = layersToFetch(result, store, options);
  COCOON_TRY(checkSpace(ref, manifest, to_fetch, options.space_budget));
  COCOON_TRY(createDirectories(options.dest));

  if (options.flatten) {
    // Layers apply in order onto one tree, built aside and renamed into place at the end.
    auto partial = options.dest / ("rootfs.partial-" + hexEncode(crypto::randomBytes(6)));
    COCOON_TRY(createDirectories(partial));
    for (std::size_t i = 0; i < count; ++i) {
      LayerJob job{i,
                   count,
                   &manifest.layers[i],
                   result.config.diff_ids[i],
                   {unpack::UnpackMode::kApplyOnto, partial, ""}};
      job.target.label = fmt::format("{}/{}", i + 1, count);
      Status s = runLayerJobs(source, {job}, 1, options, downloaded);
      if (!s) {
        std::filesystem::remove_all(partial, ec);
        return fail(s.error());
      }
    }
    std::filesystem::rename(partial, options.dest / "rootfs", ec);
    if (ec) {
      std::filesystem::remove_all(partial, ec);
      return fail(Code::kInternal, "renaming the flattened rootfs into place failed");
    }
  } else {
    std::vector<LayerJob> jobs;
    for (const std::size_t i : to_fetch) {
      const auto& diff_id = result.config.diff_ids[i];
      COCOON_TRY(store.prepareLayerParent(diff_id));
      LayerJob job{i,
                   count,
                   &manifest.layers[i],
                   diff_id,
                   {unpack::UnpackMode::kOverlayLayer, store.layerPath(diff_id), ""}};
      job.target.label = fmt::format("{}/{}", i + 1, count);
      jobs.push_back(std::move(job));
    }
    Status s = runLayerJobs(source, jobs, options.max_parallel_layers, options, downloaded);
    if (!s) {
      return fail(s.error());
    }
    // An image may list one layer twice (empty layers often are): the topmost copy wins,
    // which overlayfs needs (no directory twice) and which gives the same tree.
    std::vector<std::filesystem::path> lower;
    std::set<std::string> seen;
    for (std::size_t i = count; i-- > 0;) {
      if (seen.insert(result.config.diff_ids[i].toString()).second) {
        lower.insert(lower.begin(), store.layerPath(result.config.diff_ids[i]));
      }
    }
    ImageRecord record{result.reference,
                       result.manifest_digest,
                       result.config_digest,
                       result.config.diff_ids,
                       0,
                       static_cast<std::int64_t>(std::time(nullptr))};
    for (const auto& l : manifest.layers) {
      record.size += l.descriptor.size;
    }
    COCOON_TRY(store.putImage(record));
    COCOON_TRY(withContext(mountOverlay(lower, options.dest), "bundle"));
    result.mounted = true;
  }

  result.rootfs = options.dest / "rootfs";
  result.spec_path = options.dest / "config.json";
  result.bytes_downloaded = downloaded.load();
  Status spec = writeSpec(result.config, options.dest);
  if (!spec) {
    (void)removeBundle(options.dest);
    return fail(withContext(spec, "writing config.json").error());
  }
  return result;
}

}  // namespace

Result<PullResult> pullImage(ImageSource& source, const oci::Reference& ref,
                             const LayerStore& store, const PullOptions& options) {
  std::error_code ec;
  const bool dest_existed = options.dest.empty() || std::filesystem::exists(options.dest, ec);
  Result<PullResult> result = pullIntoDest(source, ref, store, options);
  if (!result && !dest_existed) {
    // A failed pull leaves nothing behind, not even the directory it made for the bundle;
    // remove() deletes only an empty directory, so nothing else can be lost.
    std::filesystem::remove(options.dest, ec);
  }
  return result;
}

Status removeBundle(const std::filesystem::path& dest) {
  auto rootfs = dest / "rootfs";
  if (isMountPoint(rootfs) && ::umount2(rootfs.c_str(), MNT_DETACH) != 0) {
    return fail(errnoError(errno, "unmounting " + rootfs.string()));
  }
  for (const auto& p : {rootfs, dest / std::string(kStateDir), dest / "config.json"}) {
    COCOON_TRY(removeAll(p));
  }
  return {};
}

}  // namespace cocoon::image
