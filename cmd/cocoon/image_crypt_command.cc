// SPDX-License-Identifier: Apache-2.0
// `cocoon image encrypt SRC DST --recipient ...`: writes an ocicrypt-encrypted copy of an
// image (docs/image-encryption.md).
#include <cstdio>
#include <memory>
#include <string>
#include <vector>

#include "cmd/cocoon/command.h"
#include "cmd/cocoon/image_cli.h"
#include "common/files.h"
#include "image/crypt/encrypt.h"
#include "image/open_destination.h"
#include "image/open_source.h"

namespace cocoon::cli {
namespace {

constexpr std::string_view kJwePrefix = "jwe:";
constexpr std::string_view kProviderPrefix = "provider:attestation-agent:";

// "jwe:PUB.pem" and "provider:attestation-agent:kbs:///repo/type/tag" (KEKs from --kek, in
// order).
Result<image::crypt::EncryptRecipients> parseRecipients(const std::vector<std::string>& given,
                                                        const std::vector<std::string>& keks) {
  image::crypt::EncryptRecipients out;
  std::size_t next_kek = 0;
  for (const std::string& r : given) {
    if (r.starts_with(kJwePrefix)) {
      auto pem = readTextFile(r.substr(kJwePrefix.size()), 1 << 16);
      if (!pem) {
        return fail(pem.error().addContext("--recipient " + r));
      }
      auto key = crypto::Key::fromPem(*pem);
      if (!key) {
        return fail(key.error().addContext("--recipient " + r));
      }
      out.jwe_public_keys.push_back(key->publicKey());
    } else if (r.starts_with(kProviderPrefix)) {
      if (next_kek == keks.size()) {
        return fail(Code::kInvalidArgument,
                    "--recipient {}: needs a --kek FILE (one per provider "
                    "recipient, in order)",
                    r);
      }
      auto kek = readFile(keks[next_kek++], 1024);
      if (!kek) {
        return fail(kek.error().addContext("--kek"));
      }
      out.providers.push_back(
          {std::string(r.substr(kProviderPrefix.size())), SecretBytes(std::move(*kek))});
    } else {
      return fail(Code::kInvalidArgument,
                  "--recipient {}: expected jwe:PUB.pem or "
                  "provider:attestation-agent:kbs:///repo/type/tag",
                  r);
    }
  }
  if (next_kek != keks.size()) {
    return fail(Code::kInvalidArgument, "{} --kek given for {} provider recipient(s)", keks.size(),
                next_kek);
  }
  return out;
}

}  // namespace

void registerImageEncryptCommand(CLI::App* image, Action& action) {
  struct Options {
    std::string source;
    std::string destination;
    std::vector<std::string> recipients;
    std::vector<std::string> keks;
    std::string platform;
    RegistryFlags registry;
  };
  auto opts = std::make_shared<Options>();
  CLI::App* cmd = image->add_subcommand(
      "encrypt",
      "Write an ocicrypt-encrypted copy of an image (exit codes: 2 bad arguments, 3 not found, "
      "4 auth refused, 5 digest mismatch, 1 other failures)");
  cmd->add_option("source", opts->source, "image reference or oci:DIR[:TAG]")->required();
  cmd->add_option("destination", opts->destination, "image reference to push to, or oci:DIR[:TAG]")
      ->required();
  cmd->add_option("--recipient", opts->recipients,
                  "jwe:PUB.pem (RSA or EC public key) or "
                  "provider:attestation-agent:kbs:///repo/type/tag (repeatable)")
      ->required();
  cmd->add_option("--kek", opts->keks,
                  "file with the 32-byte key-encryption key of each provider recipient, in "
                  "order; upload the same bytes with `cocoon kbs set-resource`");
  cmd->add_option("--platform", opts->platform, "os/arch[/variant] (default: this machine's)");
  addRegistryOptions(cmd, opts->registry);
  cmd->callback([opts, &action] {
    action = [opts]() -> int {
      auto recipients = parseRecipients(opts->recipients, opts->keks);
      if (!recipients) {
        reportError(recipients.error());
        return kExitUsage;
      }
      image::crypt::EncryptOptions options;
      if (!opts->platform.empty()) {
        auto p = image::oci::parsePlatform(opts->platform);
        if (!p) {
          return reportError(p.error().addContext("--platform"));
        }
        options.platform = *p;
      }
      const image::SourceOptions source_options = opts->registry.sourceOptions();
      auto source = image::openImageSource(opts->source, source_options);
      if (!source) {
        return reportError(source.error());
      }
      auto destination = image::openImageDestination(opts->destination, source_options);
      if (!destination) {
        return reportError(destination.error());
      }
      auto result = image::crypt::encryptImage(*source->source, source->reference, **destination,
                                               "", *recipients, options);
      if (!result) {
        reportError(result.error());
        switch (result.error().code) {
          case Code::kNotFound:
            return kExitNotFound;
          case Code::kUnauthenticated:
          case Code::kPermissionDenied:
            return kExitAuth;
          case Code::kDataLoss:
            return kExitVerification;
          default:
            return kExitFailure;
        }
      }
      std::fprintf(stderr, "encrypted %zu layers of %s into %s (%s)\n", result->layers,
                   source->reference.toString().c_str(), (*destination)->describe().c_str(),
                   result->manifest_digest.toString().c_str());
      return kExitOk;
    };
  });
}

}  // namespace cocoon::cli
