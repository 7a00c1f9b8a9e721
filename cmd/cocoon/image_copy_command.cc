// SPDX-License-Identifier: Apache-2.0
// `cocoon image copy SRC DST`: copies an image between registries and OCI layouts.
#include <cstdio>
#include <memory>
#include <string>

#include "cmd/cocoon/command.h"
#include "cmd/cocoon/image_cli.h"
#include "image/copy.h"
#include "image/open_destination.h"
#include "image/open_source.h"
#include "json/json.h"

namespace cocoon::cli {
namespace {

// "sha256:0123456789ab" for progress lines.
std::string shortDigest(const image::oci::Digest& d) {
  return d.toString().substr(0, 19);
}

}  // namespace

void registerImageCopyCommand(CLI::App* image, Action& action) {
  struct Options {
    std::string source;
    std::string destination;
    std::string platform;
    bool all = false;
    bool json = false;
    bool quiet = false;
    RegistryFlags registry;
  };
  auto opts = std::make_shared<Options>();
  CLI::App* cmd = image->add_subcommand(
      "copy",
      "Copy an image between registries and OCI layouts without unpacking it (exit codes: 3 not "
      "found, 4 auth refused, 5 digest mismatch, 6 unavailable, 1 other failures)");
  cmd->add_option("source", opts->source,
                  "image reference (host:5000/repo:tag, repo@sha256:...) or oci:DIR[:TAG]")
      ->required();
  cmd->add_option("destination", opts->destination,
                  "image reference to push to, or oci:DIR[:TAG] (created when missing)")
      ->required();
  cmd->add_option("--platform", opts->platform,
                  "os/arch[/variant] copied from an index (default: this machine's)");
  cmd->add_flag("--all", opts->all, "copy the whole index and every manifest it lists");
  cmd->add_flag("--json", opts->json, "print the result as JSON on standard output");
  cmd->add_flag("--quiet", opts->quiet, "no per-blob progress lines");
  addRegistryOptions(cmd, opts->registry);
  cmd->callback([opts, &action] {
    action = [opts]() -> int {
      const image::SourceOptions options = opts->registry.sourceOptions();
      image::CopyOptions copy_options;
      copy_options.all_platforms = opts->all;
      if (!opts->platform.empty()) {
        auto p = image::oci::parsePlatform(opts->platform);
        if (!p) {
          return reportError(p.error().addContext("--platform"));
        }
        copy_options.platform = *p;
      }
      auto source = image::openImageSource(opts->source, options);
      if (!source) {
        return imageExitCode(source.error());
      }
      auto destination = image::openImageDestination(opts->destination, options);
      if (!destination) {
        return imageExitCode(destination.error());
      }
      if (!opts->quiet) {
        copy_options.on_blob = [](const image::oci::Descriptor& d, image::BlobEvent event) {
          if (event == image::BlobEvent::kSkipped) {
            std::fprintf(stderr, "blob %s: already present\n", shortDigest(d.digest).c_str());
          } else if (event == image::BlobEvent::kCopying) {
            std::fprintf(stderr, "blob %s: copying %lld bytes\n", shortDigest(d.digest).c_str(),
                         static_cast<long long>(d.size));
          } else {
            std::fprintf(stderr, "blob %s: done\n", shortDigest(d.digest).c_str());
          }
        };
      }
      const image::oci::Reference& ref = source->reference;
      const std::string wanted = ref.digest
                                     ? ref.digest->toString()
                                     : ref.tag.value_or(std::string(image::oci::kDefaultTag));
      auto result = image::copyImage(*source->source, wanted, **destination, "", copy_options);
      if (!result) {
        return imageExitCode(result.error());
      }
      if (opts->json) {
        const json::Json out = {{"source", ref.toString()},
                                {"destination", (*destination)->describe()},
                                {"manifest_digest", result->manifest_digest.toString()},
                                {"blobs_copied", result->blobs_copied},
                                {"blobs_skipped", result->blobs_skipped},
                                {"bytes_copied", result->bytes_copied}};
        std::printf("%s\n", out.dump(2).c_str());
      } else {
        std::fprintf(stderr, "copied %s to %s (%s): %zu blobs copied, %zu already present\n",
                     ref.toString().c_str(), (*destination)->describe().c_str(),
                     result->manifest_digest.toString().c_str(), result->blobs_copied,
                     result->blobs_skipped);
      }
      return kExitOk;
    };
  });
}

}  // namespace cocoon::cli
