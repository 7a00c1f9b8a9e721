// SPDX-License-Identifier: Apache-2.0
// The layer stages chained as the image service chains them, with a download thread.
#include <gtest/gtest.h>

#include <thread>

#include "image/layer/bounded_pipe.h"
#include "image/layer/decompress.h"
#include "image/layer/digest_check.h"
#include "image/layer/test_sources.h"
#include "support/expect.h"

namespace cocoon::image::layer {
namespace {

using cocoon::test::expectError;

oci::Digest sha256Of(ByteSpan data) {
  return oci::computeDigest(data);
}

// Pushes `blob` into the pipe in network-sized pieces, then closes it; records the status
// of the first write that failed.
std::thread startDownload(BoundedPipe& pipe, const Bytes& blob, Status& status) {
  return std::thread([&pipe, &blob, &status] {
    for (std::size_t offset = 0; offset < blob.size(); offset += 16 * 1024) {
      status = pipe.write(
          ByteSpan(blob).subspan(offset, std::min<std::size_t>(16 * 1024, blob.size() - offset)));
      if (!status) {
        return;
      }
    }
    pipe.close();
  });
}

TEST(LayerPipeline, DownloadDigestDecompressDiffId) {
  const Bytes tar = test::makePayload(4 * 1024 * 1024);
  const Bytes blob = test::runCompressor({"gzip", "-c"}, tar);
  BoundedPipe pipe(64 * 1024);
  Status download;
  std::thread producer = startDownload(pipe, blob, download);

  DigestCheckSource blob_check(pipe.reader(), sha256Of(blob), "layer 0 blob", blob.size());
  auto decompressed = openDecompressor(Compression::kGzip, blob_check);
  ASSERT_TRUE(decompressed) << decompressed.error().toString();
  DigestCheckSource diff_id_check(**decompressed, sha256Of(tar), "layer 0 diff_id");
  cocoon::test::expectValue(drain(diff_id_check), std::uint64_t{tar.size()});
  producer.join();
  EXPECT_TRUE(download);
}

TEST(LayerPipeline, FailedExtractionStopsTheDownload) {
  const Bytes blob = test::runCompressor({"gzip", "-c"}, test::makePayload(2 * 1024 * 1024));
  BoundedPipe pipe(16 * 1024);
  Status download;
  std::thread producer = startDownload(pipe, blob, download);

  auto decompressed = openDecompressor(Compression::kGzip, pipe.reader());
  ASSERT_TRUE(decompressed);
  std::array<std::uint8_t, 512> header{};
  ASSERT_TRUE((*decompressed)->read(header));
  // The tar reader rejects an entry: it cancels, and the producer stops mid-blob.
  pipe.cancel(Error(Code::kInvalidArgument, "entry ../etc/shadow escapes the layer root"));
  producer.join();
  expectError(download, Code::kInvalidArgument, "escapes the layer root");
}

TEST(LayerPipeline, TruncatedDownloadIsDataLossAtTheDigestCheck) {
  const Bytes tar = test::makePayload(256 * 1024);
  const Bytes blob = test::runCompressor({"gzip", "-c"}, tar);
  const Bytes cut(blob.begin(), blob.begin() + static_cast<long>(blob.size() / 2));
  BoundedPipe pipe;
  Status download;
  std::thread producer = startDownload(pipe, cut, download);
  DigestCheckSource blob_check(pipe.reader(), sha256Of(blob), "layer 0 blob", blob.size());
  auto decompressed = openDecompressor(Compression::kGzip, blob_check);
  ASSERT_TRUE(decompressed);
  expectError(
      drain(**decompressed), Code::kDataLoss,
      fmt::format("stream ended after {} bytes, expected {} bytes", cut.size(), blob.size()));
  producer.join();
}

}  // namespace
}  // namespace cocoon::image::layer
