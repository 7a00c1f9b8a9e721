// SPDX-License-Identifier: Apache-2.0
#include "image/layer/decompress.h"

#include <gtest/gtest.h>
#include <zlib.h>

#include "image/layer/span_source.h"
#include "image/layer/test_sources.h"
#include "support/expect.h"

namespace cocoon::image::layer {
namespace {

using cocoon::test::expectError;
using cocoon::test::unhex;
using test::makePayload;
using test::runCompressor;

// `printf 'hello\n' | gzip -n` (gzip 1.12): CRC-32 of "hello\n" is 0x363a3020, ISIZE 6.
constexpr std::string_view kHelloGzip = "1f8b0800000000000003cb48cdc9c9e7020020303a3606000000";
// `printf 'hello\n' | zstd -c` (zstd 1.5.4): one frame with a content checksum.
constexpr std::string_view kHelloZstd = "28b52ffd045831000068656c6c6f0a5388bd91";

// Decompresses `compressed`, handing it to the decoder in reads of at most `chunk` bytes.
Result<Bytes> decompress(Compression compression, ByteSpan compressed, std::size_t chunk = SIZE_MAX,
                         DecompressLimits limits = {}) {
  SpanSource in(compressed, chunk);
  COCOON_ASSIGN_OR_RETURN(auto source, openDecompressor(compression, in, limits));
  return test::readAll(*source, 10000);
}

Bytes concat(ByteSpan a, ByteSpan b) {
  Bytes out(a.begin(), a.end());
  out.insert(out.end(), b.begin(), b.end());
  return out;
}

// gzip through zlib's deflate with a full header (RFC 1952 FEXTRA, FNAME, FCOMMENT, FHCRC).
Bytes zlibGzip(ByteSpan data, const char* name = "layer.tar") {
  z_stream z{};
  EXPECT_EQ(deflateInit2(&z, 6, Z_DEFLATED, 15 + 16, 8, Z_DEFAULT_STRATEGY), Z_OK);
  std::string extra("AB\x04\x00cocn", 8);  // one RFC 1952 §2.3.1.1 subfield
  gz_header header{};
  header.extra = reinterpret_cast<Bytef*>(extra.data());
  header.extra_len = static_cast<uInt>(extra.size());
  header.name = reinterpret_cast<Bytef*>(const_cast<char*>(name));
  header.comment = reinterpret_cast<Bytef*>(const_cast<char*>("made by zlib"));
  header.hcrc = 1;
  EXPECT_EQ(deflateSetHeader(&z, &header), Z_OK);
  Bytes out(deflateBound(&z, static_cast<uLong>(data.size())) + 64);
  z.next_in = const_cast<Bytef*>(data.data());
  z.avail_in = static_cast<uInt>(data.size());
  z.next_out = out.data();
  z.avail_out = static_cast<uInt>(out.size());
  EXPECT_EQ(deflate(&z, Z_FINISH), Z_STREAM_END);
  out.resize(z.total_out);
  deflateEnd(&z);
  return out;
}

TEST(Decompress, GzipKnownVector) {
  cocoon::test::expectValue(decompress(Compression::kGzip, unhex(kHelloGzip)), toBytes("hello\n"));
}

TEST(Decompress, ZstdKnownVector) {
  cocoon::test::expectValue(decompress(Compression::kZstd, unhex(kHelloZstd)), toBytes("hello\n"));
}

TEST(Decompress, GzipRoundTripsTheGzipCliAtLevels1And9) {
  const Bytes payload = makePayload(3 * 1024 * 1024);
  for (const char* level : {"-1", "-9"}) {
    const Bytes gz = runCompressor({"gzip", level, "-c"}, payload);
    cocoon::test::expectValue(decompress(Compression::kGzip, gz), payload);
    // Short reads from the network must not change the result.
    cocoon::test::expectValue(decompress(Compression::kGzip, gz, 1500), payload);
  }
}

TEST(Decompress, GzipDecodesOneByteAtATime) {
  const Bytes payload = makePayload(40 * 1024);
  const Bytes gz = runCompressor({"gzip", "-c"}, payload);
  cocoon::test::expectValue(decompress(Compression::kGzip, gz, 1), payload);
}

TEST(Decompress, GzipReadsAllMembersOfAConcatenation) {
  const Bytes a = makePayload(200 * 1024, 1);
  const Bytes b = makePayload(300 * 1024, 2);
  // As `cat a.gz b.gz`: RFC 1952 §2.2 members one after the other.
  const Bytes gz = concat(runCompressor({"gzip", "-c"}, a), runCompressor({"gzip", "-1", "-c"}, b));
  cocoon::test::expectValue(decompress(Compression::kGzip, gz), concat(a, b));
  cocoon::test::expectValue(decompress(Compression::kGzip, gz, 333), concat(a, b));
}

TEST(Decompress, GzipAcceptsZlibOutputWithEveryHeaderField) {
  const Bytes payload = makePayload(500 * 1024);
  const Bytes gz = zlibGzip(payload);
  cocoon::test::expectValue(decompress(Compression::kGzip, gz, 4096), payload);
  // The header arrives one byte at a time (isa-l needs it whole: intel/isa-l#224).
  cocoon::test::expectValue(decompress(Compression::kGzip, gz, 1), payload);
  cocoon::test::expectValue(decompress(Compression::kGzip, concat(gz, gz), 7),
                            concat(payload, payload));
}

TEST(Decompress, GzipRejectsACorruptedHeaderCrc) {
  Bytes gz = zlibGzip(asBytes("hello\n"));
  gz[44] ^= 0x01;  // FHCRC: 10 fixed + 2+8 extra + 10 name + 13 comment = offset 43..44
  expectError(decompress(Compression::kGzip, gz), Code::kDataLoss,
              "gzip CRC-32 or length does not match the data");
}

TEST(Decompress, GzipRefusesAHeaderLongerThan4KiB) {
  const std::string name(5000, 'n');
  expectError(decompress(Compression::kGzip, zlibGzip(asBytes("hello\n"), name.c_str())),
              Code::kResourceExhausted, "gzip header at offset 0 is longer than 4096 bytes");
}

TEST(Decompress, GzipOfEmptyInput) {
  cocoon::test::expectValue(decompress(Compression::kGzip, runCompressor({"gzip", "-c"}, {})),
                            Bytes{});
}

TEST(Decompress, ZstdRoundTripsTheZstdCliAndMultipleFrames) {
  const Bytes a = makePayload(2 * 1024 * 1024, 3);
  const Bytes b = makePayload(100 * 1024, 4);
  const Bytes za = runCompressor({"zstd", "-q", "-19", "-c"}, a);
  const Bytes zb = runCompressor({"zstd", "-q", "-1", "--no-check", "-c"}, b);
  cocoon::test::expectValue(decompress(Compression::kZstd, za), a);
  cocoon::test::expectValue(decompress(Compression::kZstd, concat(za, zb), 777), concat(a, b));
}

TEST(Decompress, ZstdSkipsASkippableFirstFrame) {
  // RFC 8878 §3.1.2: magic 0x184D2A50 (little-endian), 4-byte size, user data.
  const Bytes skippable = unhex("502a4d1803000000414243");
  cocoon::test::expectValue(decompress(Compression::kZstd, concat(skippable, unhex(kHelloZstd))),
                            toBytes("hello\n"));
}

TEST(Decompress, NonePassesATarStreamThrough) {
  const Bytes tar = toBytes(std::string(1024, '\0'));
  cocoon::test::expectValue(decompress(Compression::kNone, tar, 100), tar);
  cocoon::test::expectValue(decompress(Compression::kNone, asBytes("ab")), toBytes("ab"));
  cocoon::test::expectValue(decompress(Compression::kNone, {}), Bytes{});
}

TEST(Decompress, EveryTruncationOfAGzipStreamIsDataLoss) {
  const Bytes gz = unhex(kHelloGzip);
  for (std::size_t size = 0; size < gz.size(); ++size) {
    SCOPED_TRACE(size);
    for (std::size_t chunk : {std::size_t{1}, SIZE_MAX}) {
      expectError(decompress(Compression::kGzip, ByteSpan(gz).first(size), chunk), Code::kDataLoss,
                  "truncated gzip stream");
    }
  }
}

TEST(Decompress, EveryTruncationOfAZstdStreamIsDataLoss) {
  const Bytes zst = unhex(kHelloZstd);
  for (std::size_t size = 0; size < zst.size(); ++size) {
    SCOPED_TRACE(size);
    for (std::size_t chunk : {std::size_t{1}, SIZE_MAX}) {
      expectError(decompress(Compression::kZstd, ByteSpan(zst).first(size), chunk), Code::kDataLoss,
                  "truncated zstd stream");
    }
  }
}

TEST(Decompress, GzipRejectsACorruptedCrc) {
  Bytes gz = unhex(kHelloGzip);
  gz[gz.size() - 8] ^= 0x01;  // first byte of the CRC-32 trailer
  expectError(decompress(Compression::kGzip, gz), Code::kDataLoss,
              "gzip CRC-32 or length does not match the data");
}

TEST(Decompress, GzipRejectsACorruptedLength) {
  Bytes gz = unhex(kHelloGzip);
  gz[gz.size() - 4] ^= 0x01;  // ISIZE
  expectError(decompress(Compression::kGzip, gz), Code::kDataLoss,
              "gzip CRC-32 or length does not match the data");
}

TEST(Decompress, GzipRejectsCorruptDeflateData) {
  Bytes gz = unhex(kHelloGzip);
  gz[10] = 0xff;  // first deflate byte: BTYPE 11 is reserved (RFC 1951 §3.2.3)
  expectError(decompress(Compression::kGzip, gz), Code::kDataLoss, "invalid deflate block");
}

TEST(Decompress, GzipRejectsAnUnsupportedMethod) {
  Bytes gz = unhex(kHelloGzip);
  gz[2] = 0x07;  // CM: only 8 (deflate) is defined
  expectError(decompress(Compression::kGzip, gz), Code::kDataLoss,
              "gzip compression method is not deflate");
}

TEST(Decompress, GzipRejectsTrailingData) {
  const Bytes gz = unhex(kHelloGzip);
  expectError(decompress(Compression::kGzip, concat(gz, asBytes("x"))), Code::kDataLoss,
              "trailing data after the gzip stream at offset 26 (starts 78)");
  expectError(decompress(Compression::kGzip, concat(gz, Bytes(512, 0))), Code::kDataLoss,
              "trailing data after the gzip stream at offset 26 (starts 00000000)");
  // A lone 0x1f may be the start of a member cut short.
  expectError(decompress(Compression::kGzip, concat(gz, unhex("1f"))), Code::kDataLoss,
              "truncated gzip stream: input ends at offset 26");
}

TEST(Decompress, ZstdRejectsTrailingData) {
  expectError(decompress(Compression::kZstd, concat(unhex(kHelloZstd), asBytes("garbage!"))),
              Code::kDataLoss, "corrupt zstd stream near offset 19");
}

TEST(Decompress, ZstdRejectsABadChecksum) {
  Bytes zst = unhex(kHelloZstd);
  zst.back() ^= 0x01;
  expectError(decompress(Compression::kZstd, zst), Code::kDataLoss, "checksum");
}

TEST(Decompress, MagicMustMatchTheDeclaredCompression) {
  const Bytes gz = unhex(kHelloGzip);
  const Bytes zst = unhex(kHelloZstd);
  expectError(decompress(Compression::kGzip, zst), Code::kInvalidArgument,
              "layer is declared gzip but its stream starts with the zstd magic 28b52ffd");
  expectError(decompress(Compression::kZstd, gz), Code::kInvalidArgument,
              "layer is declared zstd but its stream starts with the gzip magic 1f8b");
  expectError(decompress(Compression::kNone, gz), Code::kInvalidArgument,
              "layer is declared none but its stream starts with the gzip magic 1f8b");
  expectError(decompress(Compression::kNone, zst), Code::kInvalidArgument,
              "layer is declared none but its stream starts with the zstd magic 28b52ffd");
  expectError(decompress(Compression::kGzip, asBytes("bin/sh")), Code::kInvalidArgument,
              "layer is declared gzip but its stream does not start with the gzip magic 1f8b "
              "(found 62696e2f)");
  expectError(decompress(Compression::kZstd, asBytes("x")), Code::kInvalidArgument,
              "does not start with the zstd magic 28b52ffd (found 78)");
}

TEST(Decompress, GzipBombStopsAtTheOutputLimit) {
  const Bytes zeros(4 * 1024 * 1024, 0);
  const Bytes gz = runCompressor({"gzip", "-9", "-c"}, zeros);
  ASSERT_LT(gz.size(), 10000u);
  DecompressLimits limits;
  limits.max_output_bytes = 1024 * 1024;
  expectError(decompress(Compression::kGzip, gz, SIZE_MAX, limits), Code::kResourceExhausted,
              "decompressed size exceeds the limit of 1048576 bytes");
  limits.max_output_bytes = zeros.size();
  cocoon::test::expectValue(decompress(Compression::kGzip, gz, SIZE_MAX, limits), zeros);
}

TEST(Decompress, ZstdBombStopsAtTheOutputLimit) {
  const Bytes zst = runCompressor({"zstd", "-q", "-c"}, Bytes(4 * 1024 * 1024, 0));
  DecompressLimits limits;
  limits.max_output_bytes = 1024 * 1024;
  expectError(decompress(Compression::kZstd, zst, SIZE_MAX, limits), Code::kResourceExhausted,
              "decompressed size exceeds the limit of 1048576 bytes");
}

TEST(Decompress, UncompressedLayerHasTheSameLimit) {
  DecompressLimits limits;
  limits.max_output_bytes = 1000;
  expectError(decompress(Compression::kNone, Bytes(1001, 'a'), 300, limits),
              Code::kResourceExhausted, "limit of 1000 bytes");
}

TEST(Decompress, ZstdWindowLargerThanTheLimitIsRefused) {
  // From stdin the CLI does not know the size, so the frame keeps the 8 MiB window.
  const Bytes zst = runCompressor({"zstd", "-q", "-c", "--zstd=wlog=23"}, makePayload(64 * 1024));
  DecompressLimits limits;
  limits.max_zstd_window_log = 20;
  expectError(decompress(Compression::kZstd, zst, SIZE_MAX, limits), Code::kResourceExhausted,
              "needs a window larger than the limit of 2^20 bytes");
}

TEST(Decompress, ErrorsOfTheInputPassThrough) {
  for (Compression compression : {Compression::kNone, Compression::kGzip, Compression::kZstd}) {
    test::FailingSource in(Error(Code::kUnavailable, "connection reset"));
    expectError(openDecompressor(compression, in), Code::kUnavailable, "connection reset");
  }
}

}  // namespace
}  // namespace cocoon::image::layer
