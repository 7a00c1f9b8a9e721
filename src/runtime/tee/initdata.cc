// SPDX-License-Identifier: Apache-2.0
// Init-data rendering, encodings and the strict guest-side parser.
#include "runtime/tee/initdata.h"

#include <algorithm>
#include <array>

#include "common/byte_reader.h"
#include "common/encoding.h"
#include "common/toml.h"
#include "runtime/tee/initdata/gzip.h"

namespace cocoon::runtime::tee {
namespace {

// A TOML basic string: quotes, backslashes and control characters escaped (TOML 1.0
// "Basic strings").
std::string basicString(std::string_view s) {
  std::string out = "\"";
  for (char c : s) {
    const auto u = static_cast<unsigned char>(c);
    if (c == '"' || c == '\\') {
      out += '\\';
      out += c;
    } else if (c == '\n') {
      out += "\\n";
    } else if (c == '\t') {
      out += "\\t";
    } else if (u < 0x20 || u == 0x7f) {
      out += fmt::format("\\u{:04X}", u);
    } else {
      out += c;
    }
  }
  return out + "\"";
}

// A multi-line literal string keeps policies and nested TOML readable; it cannot hold
// "'''", a trailing quote next to the closing delimiter, or control characters but tab
// and newline (TOML 1.0 "Literal strings"). A CR would be normalised by some parsers.
bool fitsLiteral(std::string_view s) {
  if (s.find("'''") != std::string_view::npos || (!s.empty() && s.back() == '\'')) {
    return false;
  }
  for (char c : s) {
    const auto u = static_cast<unsigned char>(c);
    if ((u < 0x20 && c != '\n' && c != '\t') || u == 0x7f) {
      return false;
    }
  }
  return true;
}

std::string renderToml(const InitData& init_data) {
  std::string out = fmt::format("version = \"{}\"\nalgorithm = \"{}\"\n\n[data]\n",
                                kInitDataVersion, crypto::digestName(init_data.algorithm));
  for (const auto& [key, value] : init_data.data) {
    // The newline after the opening ''' is not part of the string (TOML 1.0).
    out += basicString(key) + " = " +
           (fitsLiteral(value) ? "'''\n" + value + "'''" : basicString(value)) + "\n";
  }
  return out;
}

Result<crypto::DigestAlgorithm> parseAlgorithm(std::string_view name) {
  if (name == "sha256") {
    return crypto::DigestAlgorithm::kSha256;
  }
  if (name == "sha384") {
    return crypto::DigestAlgorithm::kSha384;
  }
  if (name == "sha512") {
    return crypto::DigestAlgorithm::kSha512;
  }
  return fail(Code::kInvalidArgument,
              "init-data: algorithm \"{}\" is not one of sha256, sha384, sha512", name);
}

// gzip of a document within both caps, so whatever we send the guest's parser accepts.
Result<Bytes> compressCapped(std::string_view toml) {
  if (toml.size() > kMaxInitDataTomlBytes) {
    return fail(Code::kResourceExhausted, "init-data: document of {} bytes exceeds {}", toml.size(),
                kMaxInitDataTomlBytes);
  }
  COCOON_ASSIGN_OR_RETURN(Bytes compressed, initdata::gzipCompress(asBytes(toml)));
  if (compressed.size() > kMaxInitDataCompressedBytes) {
    return fail(Code::kResourceExhausted, "init-data: {} compressed bytes exceed {}",
                compressed.size(), kMaxInitDataCompressedBytes);
  }
  return compressed;
}

Result<std::string> toText(Bytes bytes) {
  return std::string(bytes.begin(), bytes.end());
}

}  // namespace

InitDataDigest initDataDigest(crypto::DigestAlgorithm algorithm, std::string_view toml) {
  return {algorithm, crypto::digest(algorithm, asBytes(toml))};
}

Bytes initDataBinding(const InitDataDigest& digest, std::size_t field_size) {
  Bytes out(digest.value.begin(), digest.value.begin() + static_cast<std::ptrdiff_t>(std::min(
                                                             field_size, digest.value.size())));
  out.resize(field_size, 0);
  return out;
}

Result<InitData> parseInitDataToml(std::string_view toml) {
  COCOON_ASSIGN_OR_RETURN(toml::table table, parseToml(toml, "init-data", kMaxInitDataTomlBytes));
  COCOON_TRY(rejectUnknownKeys(table, {"version", "algorithm", "data"}, "init-data"));
  COCOON_ASSIGN_OR_RETURN(std::string version, getString(table, "version", ""));
  if (version != kInitDataVersion) {
    return fail(Code::kInvalidArgument, "init-data: version \"{}\" is not \"{}\"", version,
                kInitDataVersion);
  }
  InitData out;
  COCOON_ASSIGN_OR_RETURN(std::string algorithm, getString(table, "algorithm", ""));
  COCOON_ASSIGN_OR_RETURN(out.algorithm, parseAlgorithm(algorithm));
  COCOON_ASSIGN_OR_RETURN(const toml::table* data, getTable(table, "data"));
  if (data == nullptr) {
    return out;
  }
  if (data->size() > kMaxInitDataEntries) {
    return fail(Code::kInvalidArgument, "init-data: [data] has {} entries, at most {} allowed",
                data->size(), kMaxInitDataEntries);
  }
  for (const auto& [key, node] : *data) {
    const auto* value = node.as_string();
    if (value == nullptr) {
      return fail(Code::kInvalidArgument, "init-data:{}:{}: [data] \"{}\": expected string",
                  node.source().begin.line, node.source().begin.column, key.str());
    }
    if (key.str().empty()) {
      return fail(Code::kInvalidArgument, "init-data:{}: [data] has an empty key",
                  node.source().begin.line);
    }
    out.data.emplace(std::string(key.str()), value->get());
  }
  return out;
}

Result<InitDataBundle> buildInitData(const InitData& init_data) {
  if (init_data.algorithm == crypto::DigestAlgorithm::kSha1) {
    return fail(Code::kInvalidArgument, "init-data: algorithm sha1 is not allowed");
  }
  if (init_data.data.size() > kMaxInitDataEntries) {
    return fail(Code::kInvalidArgument, "init-data: {} entries, at most {} allowed",
                init_data.data.size(), kMaxInitDataEntries);
  }
  if (init_data.data.contains("")) {
    return fail(Code::kInvalidArgument, "init-data: [data] has an empty key");
  }
  InitDataBundle out;
  out.toml = renderToml(init_data);
  // What the guest will read must be what was meant (e.g. invalid UTF-8 fails here).
  COCOON_ASSIGN_OR_RETURN(InitData parsed, parseInitDataToml(out.toml));
  if (parsed != init_data) {
    return fail(Code::kInternal, "init-data: rendered document does not parse back");
  }
  out.digest = initDataDigest(init_data.algorithm, out.toml);
  COCOON_ASSIGN_OR_RETURN(out.annotation, encodeInitDataAnnotation(out.toml));
  COCOON_ASSIGN_OR_RETURN(out.block, encodeInitDataBlock(out.toml));
  return out;
}

Result<std::string> encodeInitDataAnnotation(std::string_view toml) {
  COCOON_ASSIGN_OR_RETURN(Bytes compressed, compressCapped(toml));
  return base64Encode(compressed);
}

Result<std::string> decodeInitDataAnnotation(std::string_view annotation) {
  // base64 grows by 4/3; check before decoding.
  if (annotation.size() > (kMaxInitDataCompressedBytes + 2) / 3 * 4) {
    return fail(Code::kResourceExhausted, "init-data annotation of {} characters exceeds the cap",
                annotation.size());
  }
  COCOON_ASSIGN_OR_RETURN(Bytes compressed,
                          withContext(base64Decode(annotation), "init-data annotation"));
  COCOON_ASSIGN_OR_RETURN(Bytes toml,
                          withContext(initdata::gzipDecompress(compressed, kMaxInitDataTomlBytes),
                                      "init-data annotation"));
  return toText(std::move(toml));
}

Result<Bytes> encodeInitDataBlock(std::string_view toml) {
  COCOON_ASSIGN_OR_RETURN(Bytes compressed, compressCapped(toml));
  Bytes out(kInitDataMagic.begin(), kInitDataMagic.end());
  std::uint64_t length = compressed.size();
  for (int i = 0; i < 8; ++i) {
    out.push_back(static_cast<std::uint8_t>(length & 0xff));
    length >>= 8;
  }
  out.insert(out.end(), compressed.begin(), compressed.end());
  const std::size_t padded =
      (out.size() + kInitDataSectorSize - 1) / kInitDataSectorSize * kInitDataSectorSize;
  out.resize(padded, 0);
  return out;
}

Result<std::string> decodeInitDataBlock(ByteSpan image) {
  ByteReader in(image);
  std::array<std::uint8_t, 8> magic{};
  if (in.remaining() < kInitDataHeaderSize) {
    return fail(Code::kInvalidArgument,
                "init-data block: {} bytes, shorter than its {}-byte "
                "header",
                image.size(), kInitDataHeaderSize);
  }
  COCOON_TRY(in.readArray(magic));
  if (toString(magic) != kInitDataMagic) {
    return fail(Code::kInvalidArgument,
                "init-data block: magic at offset 0 is {}, expected "
                "\"initdata\"",
                hexEncode(magic));
  }
  COCOON_ASSIGN_OR_RETURN(std::uint64_t length, in.readU64Le());
  if (length > kMaxInitDataCompressedBytes) {
    return fail(Code::kResourceExhausted,
                "init-data block: declared length {} at offset 8 exceeds the cap {}", length,
                kMaxInitDataCompressedBytes);
  }
  if (length == 0 || length > in.remaining()) {
    return fail(Code::kInvalidArgument,
                "init-data block: declared length {} at offset 8, but {} bytes follow the header",
                length, in.remaining());
  }
  COCOON_ASSIGN_OR_RETURN(ByteSpan compressed, in.readSpan(static_cast<std::size_t>(length)));
  const std::size_t padding_at = in.offset();
  COCOON_ASSIGN_OR_RETURN(ByteSpan padding, in.readSpan(in.remaining()));
  for (std::size_t i = 0; i < padding.size(); ++i) {
    if (padding[i] != 0) {
      return fail(Code::kInvalidArgument,
                  "init-data block: non-zero byte {:#04x} in the padding at offset {}", padding[i],
                  padding_at + i);
    }
  }
  COCOON_ASSIGN_OR_RETURN(
      Bytes toml,
      withContext(initdata::gzipDecompress(compressed, kMaxInitDataTomlBytes), "init-data block"));
  return toText(std::move(toml));
}

}  // namespace cocoon::runtime::tee
