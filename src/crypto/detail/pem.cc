// SPDX-License-Identifier: Apache-2.0
// Strict PEM armor decoding and encoding on the project's strict base64 codec.
#include "crypto/detail/pem.h"

#include "common/encoding.h"

namespace cocoon::crypto::detail {
namespace {

constexpr std::string_view kBegin = "-----BEGIN ";
constexpr std::string_view kEnd = "-----END ";
constexpr std::string_view kDashes = "-----";
constexpr std::size_t kLineWidth = 64;
constexpr std::size_t kMaxLabel = 64;

bool isSpace(char c) {
  return c == ' ' || c == '\t' || c == '\r' || c == '\n';
}

std::size_t skipSpace(std::string_view text, std::size_t pos) {
  while (pos < text.size() && isSpace(text[pos])) {
    ++pos;
  }
  return pos;
}

// Reads "<prefix><label>-----" at pos; returns the label and advances pos past it.
Result<std::string> readBoundary(std::string_view text, std::size_t& pos, std::string_view prefix) {
  if (text.substr(pos, prefix.size()) != prefix) {
    return fail(Code::kInvalidArgument, "PEM: expected '{}' at offset {}", prefix, pos);
  }
  std::size_t start = pos + prefix.size();
  std::size_t close = text.find(kDashes, start);
  if (close == std::string_view::npos || close - start > kMaxLabel ||
      text.substr(start, close - start).find('\n') != std::string_view::npos) {
    return fail(Code::kInvalidArgument, "PEM: unterminated boundary line at offset {}", pos);
  }
  pos = close + kDashes.size();
  return std::string(text.substr(start, close - start));
}

Result<PemBlock> readBlock(std::string_view text, std::size_t& pos) {
  COCOON_ASSIGN_OR_RETURN(std::string label, readBoundary(text, pos, kBegin));
  std::size_t body_end = text.find(kEnd, pos);
  if (body_end == std::string_view::npos) {
    return fail(Code::kInvalidArgument, "PEM: no END line for '{}'", label);
  }
  std::string base64;
  for (std::size_t i = pos; i < body_end; ++i) {
    char c = text[i];
    if (c == ':') {
      return fail(Code::kInvalidArgument,
                  "PEM: '{}' has RFC 1421 headers (encrypted keys are not supported)", label);
    }
    if (!isSpace(c)) {
      base64.push_back(c);
    }
  }
  pos = body_end;
  COCOON_ASSIGN_OR_RETURN(std::string end_label, readBoundary(text, pos, kEnd));
  if (end_label != label) {
    return fail(Code::kInvalidArgument, "PEM: BEGIN '{}' closed by END '{}'", label, end_label);
  }
  auto der = base64Decode(base64);
  if (!der) {
    return fail(Code::kInvalidArgument, "PEM: '{}' body: {}", label, der.error().message);
  }
  if (der->empty()) {
    return fail(Code::kInvalidArgument, "PEM: '{}' body is empty", label);
  }
  return PemBlock{std::move(label), std::move(*der)};
}

}  // namespace

Result<std::vector<PemBlock>> decodePemBlocks(std::string_view text, std::size_t max_blocks) {
  std::vector<PemBlock> blocks;
  std::size_t pos = skipSpace(text, 0);
  if (pos == text.size()) {
    return fail(Code::kInvalidArgument, "PEM: no BEGIN line found");
  }
  while (pos < text.size()) {
    if (blocks.size() == max_blocks) {
      if (text.substr(pos, kBegin.size()) != kBegin) {
        return fail(Code::kInvalidArgument,
                    "PEM: unexpected text at offset {} after the last block", pos);
      }
      return fail(Code::kInvalidArgument, "PEM: more than {} blocks", max_blocks);
    }
    COCOON_ASSIGN_OR_RETURN(PemBlock block, readBlock(text, pos));
    blocks.push_back(std::move(block));
    pos = skipSpace(text, pos);
  }
  return blocks;
}

Result<PemBlock> decodePem(std::string_view text) {
  COCOON_ASSIGN_OR_RETURN(auto blocks, decodePemBlocks(text, 1));
  return std::move(blocks.front());
}

std::string encodePem(std::string_view label, ByteSpan der) {
  std::string body = base64Encode(der);
  std::string out;
  out.reserve(body.size() + body.size() / kLineWidth + 2 * label.size() + 40);
  out.append(kBegin).append(label).append(kDashes).push_back('\n');
  for (std::size_t i = 0; i < body.size(); i += kLineWidth) {
    out.append(body.substr(i, kLineWidth)).push_back('\n');
  }
  out.append(kEnd).append(label).append(kDashes).push_back('\n');
  return out;
}

}  // namespace cocoon::crypto::detail
