// SPDX-License-Identifier: Apache-2.0
// Fuzzes simple-signing payload parsing (atomic and cosign) and the identity rules on the
// docker-reference of whatever parsed.
#include <cstdint>
#include <cstdlib>
#include <string_view>

#include "image/trust/signature_payload.h"

namespace trust = cocoon::image::trust;
using cocoon::Code;

extern "C" int LLVMFuzzerTestOneInput(const std::uint8_t* data, std::size_t size) {
  const cocoon::ByteSpan bytes(data, size);
  auto image = cocoon::image::oci::parseReference("quay.io/ns/app:v1");
  if (!image) {
    std::abort();
  }
  for (auto format : {trust::PayloadFormat::kAtomic, trust::PayloadFormat::kCosign}) {
    auto payload = trust::parseSignaturePayload(bytes, format);
    if (!payload) {
      const Code c = payload.error().code;
      if (c != Code::kInvalidArgument && c != Code::kUnimplemented &&
          c != Code::kResourceExhausted) {
        std::abort();
      }
      continue;
    }
    for (auto kind :
         {trust::IdentityKind::kMatchExact, trust::IdentityKind::kMatchRepoDigestOrExact,
          trust::IdentityKind::kMatchRepository, trust::IdentityKind::kRemapIdentity}) {
      trust::SignedIdentity rule{.kind = kind, .prefix = "quay.io/ns", .signed_prefix = "x.io/y"};
      (void)trust::identityMatches(rule, *image, payload->docker_reference);
    }
    (void)trust::checkPayload(*payload, {}, *image, bytes);
  }
  return 0;
}
