// SPDX-License-Identifier: Apache-2.0
// Parsing and writing of the ocicrypt annotations and option documents.
#include "image/crypt/annotations.h"

#include <initializer_list>

#include "common/encoding.h"
#include "json/json.h"

namespace cocoon::image::crypt {
namespace {

Status rejectUnknown(const json::Json& object, std::initializer_list<std::string_view> known,
                     std::string_view what) {
  for (const auto& [key, value] : object.items()) {
    bool ok = false;
    for (std::string_view k : known) {
      ok = ok || key == k;
    }
    if (!ok) {
      return fail(Code::kInvalidArgument, "{}: unknown member \"{}\"", what, key);
    }
  }
  return {};
}

Result<json::Json> parseObject(ByteSpan text, std::size_t max_bytes, std::string_view what) {
  if (text.size() > max_bytes) {
    return fail(Code::kResourceExhausted, "{}: {} bytes exceed the limit of {}", what, text.size(),
                max_bytes);
  }
  auto parsed = json::parseJson(toString(text), {.max_bytes = max_bytes, .max_depth = 4});
  if (!parsed) {
    return fail(parsed.error().code, "{}: {}", what, parsed.error().message);
  }
  if (!parsed->is_object()) {
    return fail(Code::kInvalidArgument, "{}: expected a JSON object, found {}", what,
                parsed->type_name());
  }
  return std::move(*parsed);
}

// A base64 member of exactly `size` bytes.
Result<Bytes> sizedBase64(const json::Json& object, std::string_view key, std::size_t size,
                          std::string_view what) {
  auto text = json::getString(object, key);
  if (!text) {
    return fail(Code::kInvalidArgument, "{}: {}", what, text.error().message);
  }
  auto bytes = base64Decode(*text);
  if (!bytes) {
    return fail(Code::kInvalidArgument, "{}: \"{}\": {}", what, key, bytes.error().message);
  }
  if (bytes->size() != size) {
    return fail(Code::kInvalidArgument, "{}: \"{}\" is {} bytes, expected {}", what, key,
                bytes->size(), size);
  }
  return std::move(*bytes);
}

Result<WrappedKeys> parseKeys(std::string scheme, std::string_view annotation,
                              std::string_view value, const AnnotationLimits& limits) {
  WrappedKeys keys{.scheme = std::move(scheme), .entries = {}};
  std::size_t start = 0;
  while (start <= value.size()) {
    std::size_t comma = value.find(',', start);
    std::string_view part = value.substr(
        start, comma == std::string_view::npos ? std::string_view::npos : comma - start);
    if (keys.entries.size() == limits.max_entries) {
      return fail(Code::kInvalidArgument, "annotation {}: more than {} entries", annotation,
                  limits.max_entries);
    }
    if (part.empty()) {
      return fail(Code::kInvalidArgument, "annotation {}: entry {} is empty", annotation,
                  keys.entries.size());
    }
    auto decoded = base64Decode(part);
    if (!decoded) {
      return fail(Code::kInvalidArgument, "annotation {}: entry {}: {}", annotation,
                  keys.entries.size(), decoded.error().message);
    }
    keys.entries.push_back(std::move(*decoded));
    if (comma == std::string_view::npos) {
      break;
    }
    start = comma + 1;
  }
  return keys;
}

Result<PublicOptions> parsePublicOptions(std::string_view value, const AnnotationLimits& limits) {
  constexpr std::string_view kWhat = "annotation org.opencontainers.image.enc.pubopts";
  auto decoded = base64Decode(value);
  if (!decoded) {
    return fail(Code::kInvalidArgument, "{}: {}", kWhat, decoded.error().message);
  }
  COCOON_ASSIGN_OR_RETURN(json::Json doc, parseObject(*decoded, limits.max_options_bytes, kWhat));
  COCOON_TRY(rejectUnknown(doc, {"cipher", "hmac", "cipheroptions"}, kWhat));
  auto cipher = json::getString(doc, "cipher");
  if (!cipher) {
    return fail(Code::kInvalidArgument, "{}: {}", kWhat, cipher.error().message);
  }
  if (*cipher != kCipherAesCtrHmac) {
    return fail(Code::kInvalidArgument, "{}: cipher \"{}\" is not supported (expected {})", kWhat,
                *cipher, kCipherAesCtrHmac);
  }
  PublicOptions options;
  COCOON_ASSIGN_OR_RETURN(options.hmac, sizedBase64(doc, "hmac", kHmacSize, kWhat));
  // Public cipher options would override private ones in ocicrypt (GetOpt looks there
  // first): the nonce must come from what the key holder wrapped, so none are accepted.
  auto it = doc.find("cipheroptions");
  if (it != doc.end() && !it->is_null() && !(it->is_object() && it->empty())) {
    return fail(Code::kInvalidArgument, "{}: \"cipheroptions\" must be empty, found {}", kWhat,
                it->dump().substr(0, 64));
  }
  return options;
}

}  // namespace

Result<LayerEncryption> parseLayerEncryption(const std::map<std::string, std::string>& annotations,
                                             const AnnotationLimits& limits) {
  LayerEncryption result;
  const std::string* pubopts = nullptr;
  for (const auto& [key, value] : annotations) {
    if (!key.starts_with(kEncAnnotationPrefix)) {
      continue;
    }
    if (value.size() > limits.max_annotation_bytes) {
      return fail(Code::kInvalidArgument, "annotation {}: {} bytes exceed the limit of {}", key,
                  value.size(), limits.max_annotation_bytes);
    }
    if (key == kPubOptsAnnotation) {
      pubopts = &value;
      continue;
    }
    if (!key.starts_with(kKeysAnnotationPrefix) || key.size() == kKeysAnnotationPrefix.size()) {
      return fail(Code::kInvalidArgument, "annotation {}: unknown encryption annotation", key);
    }
    COCOON_ASSIGN_OR_RETURN(
        WrappedKeys keys, parseKeys(key.substr(kKeysAnnotationPrefix.size()), key, value, limits));
    result.keys.push_back(std::move(keys));
  }
  if (result.keys.empty()) {
    return fail(Code::kInvalidArgument,
                "the encrypted layer has no {}<scheme> annotation (no wrapped keys)",
                kKeysAnnotationPrefix);
  }
  if (pubopts == nullptr) {
    return fail(Code::kInvalidArgument, "the encrypted layer has no {} annotation",
                kPubOptsAnnotation);
  }
  COCOON_ASSIGN_OR_RETURN(result.pubopts, parsePublicOptions(*pubopts, limits));
  return result;
}

Result<PrivateOptions> parsePrivateOptions(ByteSpan json, const AnnotationLimits& limits) {
  constexpr std::string_view kWhat = "private layer options";
  COCOON_ASSIGN_OR_RETURN(json::Json doc, parseObject(json, limits.max_options_bytes, kWhat));
  COCOON_TRY(rejectUnknown(doc, {"symkey", "digest", "cipheroptions"}, kWhat));
  PrivateOptions options;
  COCOON_ASSIGN_OR_RETURN(Bytes symkey, sizedBase64(doc, "symkey", kSymKeySize, kWhat));
  options.symkey = SecretBytes(std::move(symkey));
  auto cipher_options = json::getObject(doc, "cipheroptions");
  if (!cipher_options) {
    return fail(Code::kInvalidArgument, "{}: {}", kWhat, cipher_options.error().message);
  }
  COCOON_TRY(rejectUnknown(**cipher_options, {"nonce"}, "private layer options.cipheroptions"));
  COCOON_ASSIGN_OR_RETURN(options.nonce, sizedBase64(**cipher_options, "nonce", kNonceSize,
                                                     "private layer options.cipheroptions"));
  auto digest = json::getOptionalString(doc, "digest");
  if (!digest) {
    return fail(Code::kInvalidArgument, "{}: {}", kWhat, digest.error().message);
  }
  if (*digest != nullptr) {
    options.digest = **digest;
  }
  return options;
}

SecretBytes encodePrivateOptions(const PrivateOptions& options) {
  json::Json doc = json::Json::object();
  std::string symkey = base64Encode(options.symkey.span());
  doc["symkey"] = symkey;
  doc["digest"] = options.digest;
  doc["cipheroptions"] = {{"nonce", base64Encode(options.nonce)}};
  std::string text = json::dumpCompact(doc);
  SecretBytes out(asBytes(text));
  // The copies above held the key too: overwrite them before they are freed.
  std::fill(symkey.begin(), symkey.end(), '\0');
  std::fill(text.begin(), text.end(), '\0');
  doc["symkey"] = "";
  return out;
}

std::string encodePublicOptions(ByteSpan hmac) {
  // Field order as ocicrypt's PublicLayerBlockCipherOptions marshals.
  std::string text = R"({"cipher":")" + std::string(kCipherAesCtrHmac) + R"(","hmac":")" +
                     base64Encode(hmac) + R"(","cipheroptions":{}})";
  return base64Encode(asBytes(text));
}

std::string encodeKeysAnnotation(const std::vector<Bytes>& entries) {
  std::string out;
  for (const Bytes& entry : entries) {
    if (!out.empty()) {
      out += ',';
    }
    out += base64Encode(entry);
  }
  return out;
}

}  // namespace cocoon::image::crypt
