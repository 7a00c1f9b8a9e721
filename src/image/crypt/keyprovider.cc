// SPDX-License-Identifier: Apache-2.0
// The attestation-agent annotation packet: parse, AES-256-GCM unwrap and wrap.
#include "image/crypt/keyprovider.h"

#include "common/encoding.h"
#include "crypto/cipher.h"
#include "crypto/random.h"
#include "json/json.h"

namespace cocoon::image::crypt {
namespace {

constexpr std::string_view kWhat = "attestation-agent packet";
constexpr std::size_t kGcmIvSize = 12;
constexpr std::size_t kKekSize = 32;
constexpr std::size_t kMaxPacketBytes = 64 * 1024;

bool isSegmentChar(char c) {
  return (c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z') || (c >= '0' && c <= '9') || c == '.' ||
         c == '_' || c == '-';
}

Result<Bytes> base64Member(const json::Json& doc, std::string_view key) {
  auto text = json::getString(doc, key);
  if (!text) {
    return fail(Code::kInvalidArgument, "{}: {}", kWhat, text.error().message);
  }
  auto bytes = base64Decode(*text);
  if (!bytes) {
    return fail(Code::kInvalidArgument, "{}: \"{}\": {}", kWhat, key, bytes.error().message);
  }
  return std::move(*bytes);
}

// The v2 packet's optional members; only the values that mean "a KBS-wrapped key".
Status checkOptionalMember(const std::string& key, const json::Json& value) {
  if (key == "version" && value.is_string() && value.get<std::string>() == "0.1.0") {
    return {};
  }
  if (key == "provider" && value.is_string() && value.get<std::string>() == "kbs") {
    return {};
  }
  if ((key == "provider_settings" || key == "annotations") && value.is_object()) {
    return {};
  }
  return fail(Code::kInvalidArgument, "{}: unexpected member \"{}\"", kWhat, key);
}

}  // namespace

Result<std::string> parseKbsResourceUri(std::string_view uri) {
  constexpr std::string_view kScheme = "kbs://";
  if (!uri.starts_with(kScheme)) {
    return fail(Code::kInvalidArgument, "resource URI \"{}\" does not start with kbs://",
                uri.substr(0, 64));
  }
  std::string_view rest = uri.substr(kScheme.size());
  std::size_t slash = rest.find('/');
  if (slash == std::string_view::npos) {
    return fail(Code::kInvalidArgument, "resource URI \"{}\" has no path", uri.substr(0, 64));
  }
  std::string_view path = rest.substr(slash + 1);
  int segments = 0;
  std::size_t start = 0;
  while (true) {
    std::size_t end = path.find('/', start);
    std::string_view seg = path.substr(start, end == std::string_view::npos ? end : end - start);
    bool ok = !seg.empty() && seg != "." && seg != "..";
    for (char c : seg) {
      ok = ok && isSegmentChar(c);
    }
    if (!ok) {
      return fail(Code::kInvalidArgument,
                  "resource URI \"{}\": path segment {} is empty or has characters outside "
                  "[A-Za-z0-9._-]",
                  uri.substr(0, 64), segments + 1);
    }
    ++segments;
    if (end == std::string_view::npos) {
      break;
    }
    start = end + 1;
  }
  if (segments != 3) {
    return fail(Code::kInvalidArgument,
                "resource URI \"{}\": expected kbs:///<repository>/<type>/<tag>, found {} "
                "path segments",
                uri.substr(0, 64), segments);
  }
  return std::string(path);
}

Result<ProviderPacket> parseProviderPacket(ByteSpan entry) {
  if (entry.size() > kMaxPacketBytes) {
    return fail(Code::kInvalidArgument, "{}: {} bytes exceed the limit of {}", kWhat, entry.size(),
                kMaxPacketBytes);
  }
  auto doc = json::parseJson(toString(entry), {.max_bytes = kMaxPacketBytes, .max_depth = 8});
  if (!doc) {
    return fail(Code::kInvalidArgument, "{}: {}", kWhat, doc.error().message);
  }
  if (!doc->is_object()) {
    return fail(Code::kInvalidArgument, "{}: expected a JSON object", kWhat);
  }
  for (const auto& [key, value] : doc->items()) {
    if (key != "kid" && key != "wrapped_data" && key != "iv" && key != "wrap_type") {
      COCOON_TRY(checkOptionalMember(key, value));
    }
  }
  auto wrap_type = json::getString(*doc, "wrap_type");
  if (!wrap_type) {
    return fail(Code::kInvalidArgument, "{}: {}", kWhat, wrap_type.error().message);
  }
  if (*wrap_type != "A256GCM") {
    return fail(Code::kInvalidArgument, "{}: wrap_type \"{}\" is not supported (expected A256GCM)",
                kWhat, wrap_type->substr(0, 32));
  }
  auto kid = json::getString(*doc, "kid");
  if (!kid) {
    return fail(Code::kInvalidArgument, "{}: {}", kWhat, kid.error().message);
  }
  COCOON_TRY(parseKbsResourceUri(*kid));
  ProviderPacket packet;
  packet.kid = std::move(*kid);
  COCOON_ASSIGN_OR_RETURN(packet.iv, base64Member(*doc, "iv"));
  if (packet.iv.size() != kGcmIvSize) {
    return fail(Code::kInvalidArgument, "{}: \"iv\" is {} bytes, expected {}", kWhat,
                packet.iv.size(), kGcmIvSize);
  }
  COCOON_ASSIGN_OR_RETURN(packet.wrapped_data, base64Member(*doc, "wrapped_data"));
  if (packet.wrapped_data.size() < crypto::kGcmTagSize) {
    return fail(Code::kInvalidArgument, "{}: \"wrapped_data\" is {} bytes, shorter than the tag",
                kWhat, packet.wrapped_data.size());
  }
  return packet;
}

Result<SecretBytes> unwrapProviderPacket(const ProviderPacket& packet, ByteSpan kek) {
  if (kek.size() != kKekSize) {
    return fail(Code::kInvalidArgument, "the KEK of {} is {} bytes, expected {}", packet.kid,
                kek.size(), kKekSize);
  }
  ByteSpan wrapped = packet.wrapped_data;
  std::size_t body = wrapped.size() - crypto::kGcmTagSize;
  auto opened =
      crypto::aesGcmDecrypt(kek, packet.iv, {}, wrapped.first(body), wrapped.subspan(body));
  if (!opened) {
    return fail(Code::kPermissionDenied,
                "the KEK of {} does not open the wrapped layer key (wrong key or altered packet)",
                packet.kid);
  }
  return SecretBytes(std::move(*opened));
}

Result<Bytes> wrapProviderPacket(ByteSpan private_options, std::string_view kid, ByteSpan kek) {
  COCOON_TRY(parseKbsResourceUri(kid));
  if (kek.size() != kKekSize) {
    return fail(Code::kInvalidArgument, "the KEK of {} is {} bytes, expected {}", kid, kek.size(),
                kKekSize);
  }
  Bytes iv = crypto::randomBytes(kGcmIvSize);
  COCOON_ASSIGN_OR_RETURN(crypto::GcmSealed sealed,
                          crypto::aesGcmEncrypt(kek, iv, {}, private_options));
  Bytes wrapped = std::move(sealed.ciphertext);
  wrapped.insert(wrapped.end(), sealed.tag.begin(), sealed.tag.end());
  json::Json doc = {{"kid", std::string(kid)},
                    {"wrapped_data", base64Encode(wrapped)},
                    {"iv", base64Encode(iv)},
                    {"wrap_type", "A256GCM"}};
  return toBytes(json::dumpCompact(doc));
}

}  // namespace cocoon::image::crypt
