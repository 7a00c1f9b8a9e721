// SPDX-License-Identifier: Apache-2.0
// `cocoon key`: generate keys, print public keys and RFC 7638 thumbprints, converting
// between PEM and JWK.
#include <map>
#include <string>

#include "cmd/cocoon/command.h"
#include "crypto/jose/jwk.h"
#include "crypto/key.h"

namespace cocoon::cli {
namespace {

struct KeySpec {
  crypto::KeyType type;
  unsigned rsa_bits;
};

const std::map<std::string, KeySpec>& keySpecs() {
  static const std::map<std::string, KeySpec> specs = {
      {"ec-p256", {crypto::KeyType::kEcP256, 0}},  {"ec-p384", {crypto::KeyType::kEcP384, 0}},
      {"ec-p521", {crypto::KeyType::kEcP521, 0}},  {"ed25519", {crypto::KeyType::kEd25519, 0}},
      {"x25519", {crypto::KeyType::kX25519, 0}},   {"rsa-2048", {crypto::KeyType::kRsa, 2048}},
      {"rsa-3072", {crypto::KeyType::kRsa, 3072}}, {"rsa-4096", {crypto::KeyType::kRsa, 4096}},
  };
  return specs;
}

// The key as PEM (PKCS#8 / SPKI) or JWK text.
Result<std::string> formatKey(const crypto::Key& key, bool as_jwk, bool include_private) {
  if (as_jwk) {
    jose::Jwk jwk{key, std::nullopt, std::nullopt, std::nullopt, {}};
    auto text = jose::serializeJwk(
        jwk, include_private ? jose::JwkExport::kPrivate : jose::JwkExport::kPublic);
    if (!text) {
      return fail(text.error());
    }
    return *text + "\n";
  }
  if (include_private) {
    return key.privatePem();
  }
  return key.publicPem();
}

}  // namespace

Result<crypto::Key> loadKey(const std::string& path) {
  COCOON_ASSIGN_OR_RETURN(Bytes bytes, readInput(path));
  const std::string text = toString(bytes);
  const auto first = text.find_first_not_of(" \t\r\n");
  if (first != std::string::npos && text[first] == '{') {
    auto jwk = jose::parseJwk(text);
    if (!jwk) {
      return fail(Error(jwk.error()).addContext("reading JWK " + path));
    }
    return jwk->key;
  }
  return withContext(crypto::Key::fromPem(text), "reading PEM key " + path);
}

void registerKeyCommands(CLI::App& app, Action& action) {
  CLI::App* key_cmd =
      app.add_subcommand("key", "Generate keys and convert them between PEM and JWK");
  key_cmd->require_subcommand(1);

  // Option storage shared with the actions, which run after this function returns.
  struct GenerateOptions {
    std::string type = "ec-p256";
    std::string out = "-";
    bool jwk = false;
  };
  auto gen = std::make_shared<GenerateOptions>();
  CLI::App* generate = key_cmd->add_subcommand("generate", "Generate a private key");
  std::vector<std::string> names;
  for (const auto& [name, spec] : keySpecs()) {
    names.push_back(name);
  }
  generate->add_option("--type", gen->type, "Key type")
      ->check(CLI::IsMember(names))
      ->capture_default_str();
  generate->add_option("-o,--out", gen->out, "Output file (mode 0600), - for stdout")
      ->capture_default_str();
  generate->add_flag("--jwk", gen->jwk, "Write a private JWK instead of PKCS#8 PEM");
  generate->callback([gen, &action] {
    action = [gen]() -> int {
      const KeySpec& spec = keySpecs().at(gen->type);
      auto key = crypto::Key::generate(spec.type, spec.rsa_bits == 0 ? 2048 : spec.rsa_bits);
      if (!key) {
        return reportError(key.error());
      }
      auto text = formatKey(*key, gen->jwk, /*include_private=*/true);
      if (!text) {
        return reportError(text.error());
      }
      auto written = writeOutput(gen->out, asBytes(*text), 0600);
      return written ? kExitOk : reportError(written.error());
    };
  });

  struct PublicOptions {
    std::string input = "-";
    bool jwk = false;
  };
  auto pub = std::make_shared<PublicOptions>();
  CLI::App* show = key_cmd->add_subcommand("public", "Print the public key of a PEM or JWK key");
  show->add_option("key", pub->input, "Key file (PEM or JWK), - for stdin")->capture_default_str();
  show->add_flag("--jwk", pub->jwk, "Print a JWK instead of SPKI PEM");
  show->callback([pub, &action] {
    action = [pub]() -> int {
      auto key = loadKey(pub->input);
      if (!key) {
        return reportError(key.error());
      }
      auto text = formatKey(*key, pub->jwk, /*include_private=*/false);
      if (!text) {
        return reportError(text.error());
      }
      fmt::print("{}", *text);
      return kExitOk;
    };
  });

  auto thumb_input = std::make_shared<std::string>("-");
  CLI::App* thumb = key_cmd->add_subcommand("thumbprint", "Print the RFC 7638 JWK thumbprint");
  thumb->add_option("key", *thumb_input, "Key file (PEM or JWK), - for stdin")
      ->capture_default_str();
  thumb->callback([thumb_input, &action] {
    action = [thumb_input]() -> int {
      auto key = loadKey(*thumb_input);
      if (!key) {
        return reportError(key.error());
      }
      fmt::print("{}\n", jose::jwkThumbprintBase64Url(*key));
      return kExitOk;
    };
  });
}

}  // namespace cocoon::cli
