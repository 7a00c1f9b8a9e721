// SPDX-License-Identifier: Apache-2.0
// OCI content digests: canonical parsing and content checks.
#include "image/oci/digest.h"

#include "common/encoding.h"

namespace cocoon::image::oci {
namespace {

bool isAlgorithmChar(char c) {
  return (c >= 'a' && c <= 'z') || (c >= '0' && c <= '9');
}

bool isAlgorithmSeparator(char c) {
  return c == '+' || c == '.' || c == '_' || c == '-';
}

// image-spec descriptor.md: algorithm ::= component (separator component)*.
bool isWellFormedAlgorithm(std::string_view alg) {
  bool after_separator = true;
  for (char c : alg) {
    if (isAlgorithmSeparator(c)) {
      if (after_separator) {
        return false;
      }
      after_separator = true;
    } else if (isAlgorithmChar(c)) {
      after_separator = false;
    } else {
      return false;
    }
  }
  return !after_separator;
}

}  // namespace

std::string Digest::toString() const {
  return fmt::format("{}:{}", crypto::digestName(algorithm), encoded);
}

Result<Digest> parseDigest(std::string_view text) {
  const std::size_t colon = text.find(':');
  if (colon == std::string_view::npos) {
    return fail(Code::kInvalidArgument, "digest has no ':' between algorithm and hex");
  }
  const std::string_view alg_name = text.substr(0, colon);
  const std::string_view hex = text.substr(colon + 1);
  if (!isWellFormedAlgorithm(alg_name)) {
    return fail(Code::kInvalidArgument, "digest algorithm is malformed");
  }
  Digest d;
  if (alg_name == "sha256") {
    d.algorithm = crypto::DigestAlgorithm::kSha256;
  } else if (alg_name == "sha512") {
    d.algorithm = crypto::DigestAlgorithm::kSha512;
  } else {
    return fail(Code::kUnimplemented, "digest algorithm \"{}\" is not supported (sha256, sha512)",
                alg_name.substr(0, 32));
  }
  const std::size_t want = 2 * crypto::digestSize(d.algorithm);
  if (hex.size() != want) {
    return fail(Code::kInvalidArgument, "{} digest has {} hex digits, expected {}", alg_name,
                hex.size(), want);
  }
  for (std::size_t i = 0; i < hex.size(); ++i) {
    const char c = hex[i];
    if (!((c >= '0' && c <= '9') || (c >= 'a' && c <= 'f'))) {
      return fail(Code::kInvalidArgument,
                  "digest has a character other than lower-case hex at offset {}", colon + 1 + i);
    }
  }
  d.encoded = std::string(hex);
  return d;
}

Digest computeDigest(ByteSpan data, crypto::DigestAlgorithm alg) {
  return digestFromHash(alg, crypto::digest(alg, data));
}

Digest digestFromHash(crypto::DigestAlgorithm alg, ByteSpan hash) {
  return Digest{alg, hexEncode(hash)};
}

crypto::Hasher hasherFor(const Digest& expected) {
  return crypto::Hasher(expected.algorithm);
}

Status checkDigest(const Digest& expected, const Digest& actual, std::string_view what) {
  if (expected != actual) {
    return fail(Code::kDataLoss, "{}: digest mismatch: expected {}, got {}", what, expected,
                actual);
  }
  return okStatus();
}

Status verifyDigest(const Digest& expected, ByteSpan data, std::string_view what) {
  return checkDigest(expected, computeDigest(data, expected.algorithm), what);
}

}  // namespace cocoon::image::oci
