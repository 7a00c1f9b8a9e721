// SPDX-License-Identifier: Apache-2.0
// `cocoon image sign`: a sigstore (cosign-format) signature attachment for an image, in its
// registry repository or OCI layout (docs/image-trust.md).
#include <cstdio>
#include <string>

#include "cmd/cocoon/command.h"
#include "cmd/cocoon/image_cli.h"
#include "image/open_destination.h"
#include "image/open_source.h"
#include "image/trust/sign.h"

namespace cocoon::cli {
namespace {

constexpr std::string_view kOciPrefix = "oci:";

// Exit statuses (docs/image-trust.md): 0 signed, 1 failure, 3 image not found.
int signExitCode(const Error& e) {
  reportError(e);
  return e.code == Code::kNotFound ? kExitNotFound : kExitFailure;
}

// Where the attachment goes: the image's own layout directory or registry repository.
std::string destinationOf(const std::string& text, const image::oci::Reference& ref) {
  if (text.starts_with(kOciPrefix)) {
    std::string spec = text.substr(kOciPrefix.size());
    auto colon = spec.rfind(':');
    if (colon != std::string::npos && spec.find('/', colon) == std::string::npos) {
      spec.resize(colon);
    }
    return std::string(kOciPrefix) + spec;
  }
  return ref.name();
}

}  // namespace

void registerImageSignCommands(CLI::App& app, Action& action) {
  struct Options {
    std::string reference;
    std::string key;
    std::string identity;
    RegistryFlags registry;
  };
  auto opts = std::make_shared<Options>();
  CLI::App* image = app.get_subcommand("image");
  CLI::App* cmd = image->add_subcommand(
      "sign",
      "Sign an image's manifest with a private key and store the sigstore (cosign) signature "
      "next to it as the sha256-<hex>.sig attachment (exit 0 signed, 1 failure, 3 not found)");
  cmd->add_option("reference", opts->reference,
                  "image to sign: registry reference or oci:DIR[:TAG]")
      ->required();
  cmd->add_option("--key", opts->key, "private key (PEM: EC P-256, RSA or Ed25519)")->required();
  cmd->add_option("--identity", opts->identity,
                  "docker reference the signature claims (default: the image reference; "
                  "required for oci: layouts)");
  addRegistryOptions(cmd, opts->registry);
  cmd->callback([opts, &action] {
    action = [opts]() -> int {
      if (opts->identity.empty() && opts->reference.starts_with(kOciPrefix)) {
        return reportError(
            Error(Code::kInvalidArgument, "--identity is required to sign an oci: layout image"));
      }
      auto key = loadKey(opts->key);
      if (!key) {
        return reportError(key.error().addContext("--key"));
      }
      if (!key->hasPrivate()) {
        return reportError(Error(Code::kInvalidArgument,
                                 fmt::format("--key {}: is a public key; signing needs the "
                                             "private key",
                                             opts->key)));
      }
      const image::SourceOptions options = opts->registry.sourceOptions();
      auto opened = image::openImageSource(opts->reference, options);
      if (!opened) {
        return signExitCode(opened.error());
      }
      auto dest =
          image::openImageDestination(destinationOf(opts->reference, opened->reference), options);
      if (!dest) {
        return signExitCode(dest.error());
      }
      const std::string identity =
          opts->identity.empty() ? opened->reference.toString() : opts->identity;
      auto signed_image =
          image::trust::signImage(*opened->source, opened->reference, **dest, *key, identity);
      if (!signed_image) {
        return signExitCode(signed_image.error());
      }
      std::fprintf(stderr, "signed %s (%s) as %s: %s\n", opts->reference.c_str(),
                   signed_image->manifest_digest.toString().c_str(), identity.c_str(),
                   signed_image->tag.c_str());
      return kExitOk;
    };
  });
}

}  // namespace cocoon::cli
