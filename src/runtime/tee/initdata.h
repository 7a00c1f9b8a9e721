// SPDX-License-Identifier: Apache-2.0
// Init-data in Kata's format (PROTOCOLS.md §4): the launch configuration the host hands
// the guest (attestation agent, confidential data hub and agent policy), as a TOML
// document, its digest (bound into HOST_DATA, MRCONFIGID or a PCR), the pod annotation
// and the block-device image.
// Trust: the host builds init-data; the guest parses it as hostile input and trusts its
// content only after the TEE has bound its digest into evidence a verifier checks.
#pragma once

#include <cstddef>
#include <map>
#include <string>
#include <string_view>

#include "common/bytes.h"
#include "common/result.h"
#include "crypto/digest.h"

namespace cocoon::runtime::tee {

inline constexpr std::string_view kInitDataVersion = "0.1.0";
// The pod annotation Kata's runtime reads init-data from.
inline constexpr std::string_view kInitDataAnnotation =
    "io.katacontainers.config.hypervisor.cc_init_data";
// The block device starts with these 8 bytes, then the u64 LE length of the gzip data.
inline constexpr std::string_view kInitDataMagic = "initdata";
inline constexpr std::size_t kInitDataHeaderSize = 16;
// The block image is padded with zeros to a whole number of sectors.
inline constexpr std::size_t kInitDataSectorSize = 512;
// Caps for the guest's parser: the TOML text and the compressed data it comes in.
inline constexpr std::size_t kMaxInitDataTomlBytes = std::size_t{1} << 20;
inline constexpr std::size_t kMaxInitDataCompressedBytes = std::size_t{1} << 20;
// At most this many entries in [data].
inline constexpr std::size_t kMaxInitDataEntries = 64;

// Well-known [data] keys (guest-components' init-data).
inline constexpr std::string_view kInitDataAaToml = "aa.toml";
inline constexpr std::string_view kInitDataCdhToml = "cdh.toml";
// Kata's name for a Rego agent policy; cocoon does not evaluate Rego, so its agent
// refuses init-data carrying this key rather than run without the owner's policy.
inline constexpr std::string_view kInitDataPolicyRego = "policy.rego";
// cocoon's agent policy (the JSON format of docs/agent-policy.md).
inline constexpr std::string_view kInitDataPolicyJson = "policy.json";

// The logical content of an init-data document.
struct InitData {
  // The digest algorithm the document declares; the guest hashes the document with it.
  crypto::DigestAlgorithm algorithm = crypto::DigestAlgorithm::kSha384;
  // File name -> content, e.g. "aa.toml" -> "[token_configs.kbs]\nurl = ...".
  std::map<std::string, std::string> data;

  bool operator==(const InitData&) const = default;
};

// The digest of a document's exact TOML bytes with its declared algorithm.
struct InitDataDigest {
  crypto::DigestAlgorithm algorithm = crypto::DigestAlgorithm::kSha384;
  Bytes value;
};

// Everything the runtime hands on for one sandbox.
struct InitDataBundle {
  std::string toml;        // the document, as hashed
  InitDataDigest digest;   // of `toml`
  std::string annotation;  // base64(gzip(toml)), the value of kInitDataAnnotation
  Bytes block;             // the block-device image
};

// Renders `init_data` as TOML (version, algorithm, [data] with one string per entry,
// multi-line literal strings where the content allows, escaped basic strings otherwise),
// checks that the result parses back to the same content with parseInitDataToml, and
// builds its digest, annotation and block image.
// Errors: kInvalidArgument for sha1, an empty key, more than kMaxInitDataEntries entries,
// content that is not valid UTF-8 (the parse-back check names the place);
// kResourceExhausted when the TOML or its gzip exceeds the caps above.
Result<InitDataBundle> buildInitData(const InitData& init_data);

// Parses a document strictly: only the keys version (must be "0.1.0"), algorithm
// ("sha256", "sha384" or "sha512") and data (a table of strings) at the top level.
// Errors: kInvalidArgument naming the key, its line and what was expected;
// kResourceExhausted for more than kMaxInitDataTomlBytes bytes or too deep nesting.
Result<InitData> parseInitDataToml(std::string_view toml);

// The document's digest (hash of `toml` with `algorithm`).
InitDataDigest initDataDigest(crypto::DigestAlgorithm algorithm, std::string_view toml);

// The digest as a TEE field of `field_size` bytes holds it, by CoCo's rule (trustee's
// verifiers and ours in src/verify compare the same way): zero-padded on the right when
// shorter (sha256 in TDX's 48-byte MRCONFIGID), cut to the field when longer (sha384 in
// SNP's 32-byte HOST_DATA).
Bytes initDataBinding(const InitDataDigest& digest, std::size_t field_size);

// base64(gzip(toml)). Errors: kResourceExhausted over the caps.
Result<std::string> encodeInitDataAnnotation(std::string_view toml);
// The TOML text of an annotation value (strict base64, one gzip member, capped).
// Errors: kInvalidArgument for bad base64 or gzip, kResourceExhausted over the caps.
Result<std::string> decodeInitDataAnnotation(std::string_view annotation);

// "initdata", u64 LE length of the gzip data, gzip(toml), zeros to a multiple of
// kInitDataSectorSize. Errors: kResourceExhausted over the caps.
Result<Bytes> encodeInitDataBlock(std::string_view toml);
// The TOML text of a block image. Errors (kInvalidArgument unless noted): shorter than
// the header, wrong magic, a declared length of 0 or beyond the image, bad gzip, a
// non-zero byte in the padding (its offset); kResourceExhausted for a declared length
// over kMaxInitDataCompressedBytes or output over kMaxInitDataTomlBytes.
Result<std::string> decodeInitDataBlock(ByteSpan image);

}  // namespace cocoon::runtime::tee
