// SPDX-License-Identifier: Apache-2.0
// `cocoon jwe`: encrypt to a public key and decrypt with a private key, in compact or JSON
// serialization; --kbs uses the KBS resource-response profile (PROTOCOLS.md §1.4).
#include <optional>
#include <string>

#include "cmd/cocoon/command.h"
#include "crypto/jose/jwe.h"
#include "crypto/jose/kbs_jwe.h"

namespace cocoon::cli {
namespace {

// Option storage shared with the actions, which run after registration returns.
struct EncryptOptions {
  std::string to;
  std::string alg;
  std::string enc = "A256GCM";
  std::string input = "-";
  bool compact = false;
  bool kbs = false;
};

struct DecryptOptions {
  std::string key;
  std::string input = "-";
  bool kbs = false;
};

int encrypt(const EncryptOptions& opts) {
  auto key = loadKey(opts.to);
  if (!key) {
    return reportError(key.error());
  }
  auto plaintext = readInput(opts.input);
  if (!plaintext) {
    return reportError(plaintext.error());
  }
  if (opts.kbs) {
    auto jwe = jose::encryptForKbsResponse(key->publicKey(), *plaintext);
    if (!jwe) {
      return reportError(jwe.error());
    }
    fmt::print("{}\n", *jwe);
    return kExitOk;
  }
  // Without --alg, the KBS choice for the key type (RSA-OAEP-256 / ECDH-ES+A256KW).
  auto alg = opts.alg.empty() ? jose::kbsKeyManagement(*key) : jose::parseKeyManagement(opts.alg);
  if (!alg) {
    return reportError(Error(alg.error()).addContext("--alg"));
  }
  auto enc = jose::parseContentEncryption(opts.enc);
  if (!enc) {
    return reportError(Error(enc.error()).addContext("--enc"));
  }
  jose::JweRecipient recipient{key->publicKey(), *alg};
  jose::JweEncryptOptions options;
  options.enc = *enc;
  auto jwe = opts.compact ? jose::encryptJweCompact(*plaintext, recipient, options)
                          : jose::encryptJweJson(*plaintext, {&recipient, 1}, options,
                                                 jose::JweJsonForm::kFlattened);
  if (!jwe) {
    return reportError(jwe.error());
  }
  fmt::print("{}\n", *jwe);
  return kExitOk;
}

int decrypt(const DecryptOptions& opts) {
  auto key = loadKey(opts.key);
  if (!key) {
    return reportError(key.error());
  }
  auto input = readInput(opts.input);
  if (!input) {
    return reportError(input.error());
  }
  std::string text = toString(*input);
  while (!text.empty() && (text.back() == '\n' || text.back() == '\r')) {
    text.pop_back();
  }
  std::optional<SecretBytes> plaintext;
  if (opts.kbs) {
    auto decrypted = jose::decryptKbsResponse(*key, text);
    if (!decrypted) {
      return reportError(decrypted.error());
    }
    plaintext = std::move(*decrypted);
  } else {
    const bool is_json = text.find_first_not_of(" \t\r\n") != std::string::npos &&
                         text[text.find_first_not_of(" \t\r\n")] == '{';
    auto decrypted =
        is_json ? jose::decryptJweJson(text, *key) : jose::decryptJweCompact(text, *key);
    if (!decrypted) {
      return reportError(decrypted.error());
    }
    plaintext = std::move(decrypted->plaintext);
  }
  auto written = writeOutput("-", plaintext->span());
  return written ? kExitOk : reportError(written.error());
}

}  // namespace

void registerJweCommands(CLI::App& app, Action& action) {
  CLI::App* jwe = app.add_subcommand("jwe", "Encrypt and decrypt JWE");
  jwe->require_subcommand(1);

  auto enc_opts = std::make_shared<EncryptOptions>();
  CLI::App* enc = jwe->add_subcommand("encrypt", "Encrypt a file to a public key");
  enc->add_option("--to", enc_opts->to, "Recipient public key (PEM or JWK)")->required();
  enc->add_option("--alg", enc_opts->alg,
                  "RSA-OAEP, RSA-OAEP-256, ECDH-ES, ECDH-ES+A128KW/A192KW/A256KW "
                  "(default: RSA-OAEP-256 for RSA, ECDH-ES+A256KW for EC/X25519)");
  enc->add_option("--enc", enc_opts->enc, "A128GCM, A192GCM, A256GCM, A128CBC-HS256, ...")
      ->capture_default_str();
  enc->add_flag("--compact", enc_opts->compact, "Compact serialization (default: flattened JSON)");
  enc->add_flag("--kbs", enc_opts->kbs, "KBS resource-response profile (ignores --alg/--enc)");
  enc->add_option("input", enc_opts->input, "Plaintext file, - for stdin")->capture_default_str();
  enc->callback([enc_opts, &action] { action = [enc_opts] { return encrypt(*enc_opts); }; });

  auto dec_opts = std::make_shared<DecryptOptions>();
  CLI::App* dec = jwe->add_subcommand("decrypt", "Decrypt a compact or JSON JWE");
  dec->add_option("--key", dec_opts->key, "Private key (PEM or JWK)")->required();
  dec->add_flag("--kbs", dec_opts->kbs, "Accept only the KBS resource-response profile");
  dec->add_option("input", dec_opts->input, "JWE file, - for stdin")->capture_default_str();
  dec->callback([dec_opts, &action] { action = [dec_opts] { return decrypt(*dec_opts); }; });
}

}  // namespace cocoon::cli
