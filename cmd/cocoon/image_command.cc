// SPDX-License-Identifier: Apache-2.0
// `cocoon image pull|inspect|ls|gc|rm-bundle`: the guest image service from the command line.
#include <sys/mman.h>
#include <unistd.h>

#include <cstdio>
#include <string>

#include "cmd/cocoon/command.h"
#include "cmd/cocoon/data_hub_cli.h"
#include "cmd/cocoon/image_cli.h"
#include "cmd/cocoon/image_progress.h"
#include "common/sys_error.h"
#include "common/unique_fd.h"
#include "image/crypt/decrypt.h"
#include "image/layer_store.h"
#include "image/open_source.h"
#include "image/puller.h"
#include "image/trust/open_policy.h"
#include "json/json.h"

namespace cocoon::cli {
namespace {

struct CommonOptions : RegistryFlags {
  std::string store;
};

void addStoreOption(CLI::App* cmd, CommonOptions& o) {
  cmd->add_option("--store", o.store,
                  "layer store (default: $COCOON_STORE, /var/lib/cocoon/store for root, else "
                  "$XDG_DATA_HOME/cocoon/store)");
}

Result<image::LayerStore> openStore(const CommonOptions& o) {
  return image::LayerStore::open(o.store.empty() ? image::LayerStore::defaultLocation()
                                                 : std::filesystem::path(o.store));
}

json::Json resultJson(const image::PullResult& r) {
  json::Json layers = json::Json::array();
  for (const auto& l : r.layers) {
    layers.push_back({{"digest", l.digest.toString()},
                      {"diff_id", l.diff_id.toString()},
                      {"size", l.size},
                      {"reused", l.reused}});
  }
  return {{"reference", r.reference},
          {"manifest_digest", r.manifest_digest.toString()},
          {"config_digest", r.config_digest.toString()},
          {"layers", layers},
          {"rootfs", r.rootfs.string()},
          {"config", r.spec_path.string()},
          {"mounted", r.mounted},
          {"bytes_downloaded", r.bytes_downloaded}};
}

// `--policy kbs:///repo/type/tag`: the owner's signature policy, fetched through the data
// hub after attestation, so that the host cannot choose it. It is kept in a memfd (nothing
// fetched is written to disk) held open by `holder`; returns the path that reads it.
Result<std::string> policyFromKbs(attest::cdh::DataHub* hub, const std::string& uri,
                                  UniqueFd& holder) {
  if (hub == nullptr) {
    return fail(Code::kInvalidArgument, "--policy {}: a policy from the KBS needs --kbs", uri);
  }
  COCOON_ASSIGN_OR_RETURN(Bytes text, withContext(hub->getImagePolicy(uri), "--policy " + uri));
  holder.reset(::memfd_create("policy.json", MFD_CLOEXEC));
  if (!holder.valid()) {
    return fail(errnoError(errno, "memfd for the policy"));
  }
  for (std::size_t done = 0; done < text.size();) {
    const ssize_t n = ::write(holder.get(), text.data() + done, text.size() - done);
    if (n < 0 && errno != EINTR) {
      return fail(errnoError(errno, "writing the policy to its memfd"));
    }
    done += n > 0 ? static_cast<std::size_t>(n) : 0;
  }
  return "/proc/self/fd/" + std::to_string(holder.get());
}

void registerPull(CLI::App* image, Action& action) {
  struct Options : CommonOptions {
    std::string reference;
    std::string dest;
    std::string platform;
    bool flatten = false;
    bool json = false;
    unsigned parallel = 3;
    std::string policy;
    std::string registries_d;
    bool insecure_policy = false;
    std::vector<std::string> decryption_keys;
    DataHubFlags kbs;  // --kbs: layer keys through the confidential data hub
  };
  auto opts = std::make_shared<Options>();
  CLI::App* cmd = image->add_subcommand(
      "pull", "Pull an image, verify it and unpack it into an OCI bundle (rootfs + config.json)");
  cmd->add_option("reference", opts->reference,
                  "image reference (busybox, host:5000/repo:tag, repo@sha256:...) or "
                  "oci:DIR[:TAG] for an OCI image layout")
      ->required();
  cmd->add_option("--dest", opts->dest, "bundle directory to create")->required();
  cmd->add_flag("--flatten", opts->flatten,
                "unpack into one directory (whiteouts applied) instead of an overlayfs mount "
                "of the shared layer store");
  cmd->add_option("--platform", opts->platform, "os/arch[/variant] (default: this machine's)");
  cmd->add_option("--parallel", opts->parallel, "layers pulled at once")
      ->capture_default_str()
      ->check(CLI::Range(1u, 32u));
  cmd->add_flag("--json", opts->json, "print the result as JSON on standard output");
  cmd->add_option(
      "--policy", opts->policy,
      "signature policy, containers-policy.json: a file, or kbs:///repo/type/tag to take "
      "the owner's policy from the KBS after attestation (needs --kbs) (default: "
      "/etc/containers/policy.json; a refusal exits 5)");
  cmd->add_option("--registries-d", opts->registries_d,
                  "containers-registries.d directory: lookaside and sigstore settings (default: "
                  "/etc/containers/registries.d)");
  cmd->add_flag("--insecure-policy", opts->insecure_policy,
                "pull without any signature policy check");
  cmd->add_option("--decryption-key", opts->decryption_keys,
                  "PEM private key for encrypted layers (repeatable; no usable key exits 4)");
  addStoreOption(cmd, *opts);
  addRegistryOptions(cmd, *opts);
  addDataHubOptions(cmd, opts->kbs, false)
      ->description(
          "KBS for provider.attestation-agent layer keys, fetched after attestation (data hub)");
  cmd->callback([opts, &action] {
    action = [opts]() -> int {
      image::PullOptions options;
      auto decryption_keys = image::crypt::loadPrivateKeys(
          {opts->decryption_keys.begin(), opts->decryption_keys.end()});
      if (!decryption_keys) {
        return imageExitCode(decryption_keys.error());
      }
      std::unique_ptr<attest::cdh::DataHub> hub;
      if (!opts->kbs.kbs_url.empty()) {
        auto made = makeDataHub(opts->kbs);
        if (!made) {
          return imageExitCode(made.error());
        }
        hub = std::move(*made);
      }
      image::crypt::KeyDecryptProvider decrypt({std::move(*decryption_keys), hub.get()});
      options.decrypt = &decrypt;
      std::string policy_path = opts->policy;
      UniqueFd policy_memfd;
      if (policy_path.starts_with("kbs:///")) {
        auto fetched = policyFromKbs(hub.get(), opts->policy, policy_memfd);
        if (!fetched) {
          return imageExitCode(fetched.error());
        }
        policy_path = *fetched;
      }
      auto policy = image::trust::openPolicy(
          opts->reference,
          {policy_path, opts->registries_d, opts->insecure_policy, opts->ca_bundle});
      if (!policy) {
        return imageExitCode(policy.error());
      }
      options.policy = policy->enforcer.get();
      if (!opts->platform.empty()) {
        auto p = image::oci::parsePlatform(opts->platform);
        if (!p) {
          return reportError(p.error().addContext("--platform"));
        }
        options.platform = *p;
      }
      auto store = openStore(*opts);
      if (!store) {
        return imageExitCode(store.error());
      }
      auto opened = image::openImageSource(opts->reference, opts->sourceOptions());
      if (!opened) {
        return imageExitCode(opened.error());
      }
      PullProgress progress(!opts->json && ::isatty(STDERR_FILENO) == 1);
      options.dest = opts->dest;
      options.flatten = opts->flatten;
      options.max_parallel_layers = opts->parallel;
      options.observer = &progress;
      auto result = image::pullImage(*opened->source, opened->reference, *store, options);
      progress.finish();
      if (!result) {
        return imageExitCode(result.error());
      }
      if (opts->json) {
        fmt::print("{}\n", resultJson(*result).dump(2));
      } else {
        std::fprintf(stderr, "pulled %s (%s) into %s\n", result->reference.c_str(),
                     result->manifest_digest.toString().c_str(), opts->dest.c_str());
      }
      return kExitOk;
    };
  });
}

void registerInspect(CLI::App* image, Action& action) {
  struct Options : CommonOptions {
    std::string reference;
    std::string platform;
  };
  auto opts = std::make_shared<Options>();
  CLI::App* cmd = image->add_subcommand(
      "inspect", "Print an image's manifest digest, layers and config without pulling layers");
  cmd->add_option("reference", opts->reference, "image reference or oci:DIR[:TAG]")->required();
  cmd->add_option("--platform", opts->platform, "os/arch[/variant] (default: this machine's)");
  addRegistryOptions(cmd, *opts);
  cmd->callback([opts, &action] {
    action = [opts]() -> int {
      auto platform = opts->platform.empty()
                          ? Result<image::oci::Platform>(image::oci::hostPlatform())
                          : image::oci::parsePlatform(opts->platform);
      if (!platform) {
        return reportError(platform.error().addContext("--platform"));
      }
      auto opened = image::openImageSource(opts->reference, opts->sourceOptions());
      if (!opened) {
        return imageExitCode(opened.error());
      }
      auto info = image::inspectImage(*opened->source, opened->reference, *platform);
      if (!info) {
        return imageExitCode(info.error());
      }
      fmt::print("{}\n", info->dump(2));
      return kExitOk;
    };
  });
}

void registerLs(CLI::App* image, Action& action) {
  auto opts = std::make_shared<CommonOptions>();
  CLI::App* cmd = image->add_subcommand("ls", "List the images recorded in the layer store");
  addStoreOption(cmd, *opts);
  cmd->callback([opts, &action] {
    action = [opts]() -> int {
      auto store = openStore(*opts);
      if (!store) {
        return imageExitCode(store.error());
      }
      auto images = store->listImages();
      if (!images) {
        return imageExitCode(images.error());
      }
      fmt::print("{:<50} {:<20} {:>7} {:>12}\n", "REFERENCE", "MANIFEST", "LAYERS", "SIZE");
      for (const auto& i : *images) {
        fmt::print("{:<50} {:<20.19} {:>7} {:>12}\n", i.reference, i.manifest_digest.toString(),
                   i.diff_ids.size(), i.size);
      }
      return kExitOk;
    };
  });
}

void registerGc(CLI::App* image, Action& action) {
  struct Options : CommonOptions {
    std::vector<std::string> remove;
  };
  auto opts = std::make_shared<Options>();
  CLI::App* cmd = image->add_subcommand(
      "gc", "Remove layers no recorded image uses (and leftovers of interrupted pulls)");
  cmd->add_option("--remove", opts->remove,
                  "forget these image references first (their layers go unless shared)");
  addStoreOption(cmd, *opts);
  cmd->callback([opts, &action] {
    action = [opts]() -> int {
      auto store = openStore(*opts);
      if (!store) {
        return imageExitCode(store.error());
      }
      for (const auto& ref : opts->remove) {
        if (auto s = store->removeImage(ref); !s) {
          return imageExitCode(s.error());
        }
      }
      auto stats = store->gc();
      if (!stats) {
        return imageExitCode(stats.error());
      }
      std::fprintf(stderr, "gc: removed %llu layer(s) and %llu partial unpack(s); kept %llu\n",
                   static_cast<unsigned long long>(stats->layers_removed),
                   static_cast<unsigned long long>(stats->partials_removed),
                   static_cast<unsigned long long>(stats->layers_kept));
      return kExitOk;
    };
  });
}

void registerRemoveBundle(CLI::App* image, Action& action) {
  auto dest = std::make_shared<std::string>();
  CLI::App* cmd = image->add_subcommand(
      "rm-bundle", "Unmount and remove a bundle made by `image pull` (layers stay in the store)");
  cmd->add_option("dest", *dest, "bundle directory")->required();
  cmd->callback([dest, &action] {
    action = [dest]() -> int {
      auto s = image::removeBundle(*dest);
      return s ? kExitOk : imageExitCode(s.error());
    };
  });
}

}  // namespace

void registerImageCommands(CLI::App& app, Action& action) {
  CLI::App* image = app.add_subcommand(
      "image", "Pull, inspect and manage container images (the guest image service)");
  image->require_subcommand(1);
  registerPull(image, action);
  registerInspect(image, action);
  registerLs(image, action);
  registerGc(image, action);
  registerRemoveBundle(image, action);
  registerImageCopyCommand(image, action);
  registerImageEncryptCommand(image, action);
}

}  // namespace cocoon::cli
