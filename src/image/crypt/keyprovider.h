// SPDX-License-Identifier: Apache-2.0
// The attestation-agent keyprovider scheme of Confidential Containers: the layer's private
// options are AES-256-GCM-wrapped with a key-encryption key (KEK) that the KBS releases to
// an attested guest under a resource URI "kbs:///<repository>/<type>/<tag>".
// Annotation "org.opencontainers.image.enc.keys.provider.attestation-agent", each entry the
// JSON {"kid":"kbs:///..","wrapped_data":<b64 ciphertext||tag>,"iv":<b64 12 B>,
// "wrap_type":"A256GCM"} (guest-components AnnotationPacket).
// Trust: the packet is untrusted (from the manifest); only a successful GCM open with the
// KBS's KEK makes its content authentic.
#pragma once

#include <string>
#include <string_view>

#include "common/bytes.h"
#include "common/result.h"

namespace cocoon::image::crypt {

// Fetches KBS resources for the keyprovider (the confidential data hub in the guest, a
// KbsClient in tests). Image code never talks to the KBS itself: the attestation side
// implements this. Implementations may be called from several pull threads at once and
// must synchronise.
class KeyResourceFetcher {
 public:
  virtual ~KeyResourceFetcher() = default;
  // The bytes of the resource named by `kbs_uri` ("kbs:///repo/type/tag"). Errors: those
  // of the implementation (kNotFound, kPermissionDenied when the KBS policy refuses,
  // kUnavailable, kUnauthenticated).
  virtual Result<SecretBytes> getResource(std::string_view kbs_uri) = 0;
};

// A parsed attestation-agent annotation packet.
struct ProviderPacket {
  std::string kid;  // "kbs:///repo/type/tag"
  Bytes wrapped_data;
  Bytes iv;
};

// Parses one decoded entry. Errors: kInvalidArgument naming the member for malformed JSON,
// missing members, a "wrap_type" other than "A256GCM", an IV that is not 12 bytes,
// wrapped_data shorter than the 16-byte tag, a kid that is not a kbs:/// resource URI
// (see parseKbsResourceUri), an unknown member ("version" "0.1.0", "provider" "kbs",
// "provider_settings" and "annotations" objects of the v2 packet are accepted).
Result<ProviderPacket> parseProviderPacket(ByteSpan entry);

// "kbs:///repo/type/tag" (or "kbs://<host>/repo/type/tag": the host is ignored, as CoCo
// does) -> "repo/type/tag". Errors: kInvalidArgument unless it has exactly three non-empty
// path segments of [A-Za-z0-9._-] (no "." or "..").
Result<std::string> parseKbsResourceUri(std::string_view uri);

// Opens a packet with the KEK (32 bytes). Errors: kInvalidArgument for a KEK that is not
// 32 bytes, kPermissionDenied when GCM authentication fails (a wrong KEK or an altered
// packet).
Result<SecretBytes> unwrapProviderPacket(const ProviderPacket& packet, ByteSpan kek);

// Wraps `private_options` for `kid` with `kek` (random IV) and returns the packet JSON
// (one decoded entry). Errors: kInvalidArgument for a bad kid or a KEK that is not 32
// bytes.
Result<Bytes> wrapProviderPacket(ByteSpan private_options, std::string_view kid, ByteSpan kek);

}  // namespace cocoon::image::crypt
