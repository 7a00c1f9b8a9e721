// SPDX-License-Identifier: Apache-2.0
// Fuzzes the ocicrypt annotation parsers on what a manifest controls: the layer annotation
// map (enc.keys.* values, pubopts), the private-options JSON a wrapped key opens to, the
// attestation-agent packet JSON and its kbs:/// kid, and the "jwe" entries, up to key
// unwrapping with fixed keys. Nothing may crash, and every failure must be one of the
// documented codes.
//
// Input: lines "name=value" form the annotation map (a line without '=' is a value for
// org.opencontainers.image.enc.keys.jwe); the whole input is also fed to each parser, raw
// and (for pubopts) base64-encoded, so a corpus file may be any one of these documents.
#include <cstdint>
#include <cstdlib>
#include <initializer_list>
#include <map>
#include <string>
#include <string_view>

#include "common/encoding.h"
#include "image/crypt/annotations.h"
#include "image/crypt/decrypt.h"
#include "image/crypt/keyprovider.h"

namespace ocicrypt = cocoon::image::crypt;
using cocoon::Code;

namespace {

// RFC 7518 Appendix C's P-256 key ("Alice"), so findings replay with the same key.
cocoon::crypto::Key ecKey() {
  auto x = cocoon::base64UrlDecode("gI0GAILBdu7T53akrFmMyGcsF3n5dO7MmwNBHKW5SV0");
  auto y = cocoon::base64UrlDecode("SLW_xSffzlPWrHEVI30DHM_4egVwt3NQqeUD7nMFpps");
  auto d = cocoon::base64UrlDecode("0_NxaRPUMQoAJt50Gz8YiTr8gRTwyEaCumd-MToTmIo");
  auto key = cocoon::crypto::Key::fromEc(cocoon::crypto::KeyType::kEcP256, x.value(), y.value(),
                                         cocoon::ByteSpan(d.value()));
  if (!key) {
    std::abort();
  }
  return *key;
}

// Hands out a fixed 32-byte KEK for any kid, so provider packets reach the GCM open.
class FixedKek : public ocicrypt::KeyResourceFetcher {
 public:
  cocoon::Result<cocoon::SecretBytes> getResource(std::string_view) override {
    return cocoon::SecretBytes(cocoon::Bytes(32, 0x42));
  }
};

void expectCode(const cocoon::Error& error, std::initializer_list<Code> allowed) {
  for (Code c : allowed) {
    if (error.code == c) {
      return;
    }
  }
  std::abort();
}

std::map<std::string, std::string> annotationsOf(std::string_view text) {
  std::map<std::string, std::string> out;
  std::size_t start = 0;
  while (start < text.size()) {
    std::size_t end = text.find('\n', start);
    std::string_view line =
        text.substr(start, end == std::string_view::npos ? std::string_view::npos : end - start);
    std::size_t eq = line.find('=');
    if (eq == std::string_view::npos) {
      out[std::string(ocicrypt::kKeysAnnotationPrefix) + "jwe"] = std::string(line);
    } else {
      out[std::string(line.substr(0, eq))] = std::string(line.substr(eq + 1));
    }
    if (end == std::string_view::npos) {
      break;
    }
    start = end + 1;
  }
  return out;
}

void fuzzLayer(const std::map<std::string, std::string>& annotations) {
  auto encryption = ocicrypt::parseLayerEncryption(annotations);
  if (!encryption) {
    expectCode(encryption.error(), {Code::kInvalidArgument, Code::kResourceExhausted});
    return;
  }
  static const cocoon::crypto::Key key = ecKey();
  static FixedKek fetcher;
  cocoon::image::oci::Descriptor descriptor;
  descriptor.annotations = annotations;
  auto options = ocicrypt::unwrapLayerOptions(descriptor, *encryption,
                                              {.private_keys = {key}, .fetcher = &fetcher});
  if (!options) {
    expectCode(options.error(),
               {Code::kInvalidArgument, Code::kPermissionDenied, Code::kResourceExhausted});
  }
}

}  // namespace

extern "C" int LLVMFuzzerTestOneInput(const std::uint8_t* data, std::size_t size) {
  const cocoon::ByteSpan bytes(data, size);
  const std::string_view text(reinterpret_cast<const char*>(data), size);

  fuzzLayer(annotationsOf(text));
  // The input as the pubopts JSON of an otherwise well-formed layer.
  fuzzLayer({{std::string(ocicrypt::kKeysAnnotationPrefix) + "jwe", cocoon::base64Encode(bytes)},
             {std::string(ocicrypt::kPubOptsAnnotation), cocoon::base64Encode(bytes)}});
  // The input as the one entry of a provider annotation (packet JSON), with valid pubopts.
  fuzzLayer({{std::string(ocicrypt::kKeysAnnotationPrefix) +
                  std::string(ocicrypt::kSchemeAttestationAgent),
              cocoon::base64Encode(bytes)},
             {std::string(ocicrypt::kPubOptsAnnotation),
              ocicrypt::encodePublicOptions(cocoon::Bytes(32))}});

  auto options = ocicrypt::parsePrivateOptions(bytes);
  if (!options) {
    expectCode(options.error(), {Code::kInvalidArgument, Code::kResourceExhausted});
  } else if (options->symkey.span().size() != ocicrypt::kSymKeySize ||
             options->nonce.size() != ocicrypt::kNonceSize) {
    std::abort();
  }
  auto packet = ocicrypt::parseProviderPacket(bytes);
  if (!packet) {
    expectCode(packet.error(), {Code::kInvalidArgument, Code::kResourceExhausted});
  } else if (packet->iv.size() != 12 || !ocicrypt::parseKbsResourceUri(packet->kid)) {
    std::abort();
  }
  auto path = ocicrypt::parseKbsResourceUri(text);
  if (!path) {
    expectCode(path.error(), {Code::kInvalidArgument});
  }
  return 0;
}
