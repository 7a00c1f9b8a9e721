// SPDX-License-Identifier: Apache-2.0
// Builds the destination tests' image: GNU tar layer, config and manifest JSON.
#include "image/test_image.h"

#include <algorithm>
#include <filesystem>

#include "common/files.h"
#include "crypto/random.h"
#include "http/peer_process.h"
#include "json/json.h"

namespace cocoon::image::test {

namespace fs = std::filesystem;

namespace {

TestBlob blobOf(std::string_view media_type, Bytes bytes) {
  TestBlob blob;
  blob.descriptor.media_type = std::string(media_type);
  blob.descriptor.digest = oci::computeDigest(bytes);
  blob.descriptor.size = static_cast<std::int64_t>(bytes.size());
  blob.bytes = std::move(bytes);
  return blob;
}

json::Json descriptorJson(const oci::Descriptor& d) {
  return {{"mediaType", d.media_type}, {"digest", d.digest.toString()}, {"size", d.size}};
}

}  // namespace

Result<TestImage> makeTestImage(const std::string& work_dir, std::size_t noise_bytes) {
  const fs::path rootfs = fs::path(work_dir) / "rootfs";
  COCOON_TRY(createDirectories(rootfs));
  COCOON_TRY(writeFileAtomic(rootfs / "hello.txt", asBytes("hello cocoon\n")));
  COCOON_TRY(writeFileAtomic(rootfs / "noise.bin", crypto::randomBytes(noise_bytes)));
  COCOON_ASSIGN_OR_RETURN(std::string tar,
                          cocoon::test::runTool({"tar", "--numeric-owner", "--owner=0", "--group=0",
                                                 "-C", rootfs.string(), "-cf", "-", "."}));
  TestImage image;
  image.layers.push_back(blobOf(oci::kOciLayerTar, toBytes(tar)));
  const json::Json config = {
      {"architecture", "amd64"},
      {"os", "linux"},
      {"config", {{"Cmd", {"/hello.txt"}}}},
      {"rootfs",
       {{"type", "layers"}, {"diff_ids", {image.layers[0].descriptor.digest.toString()}}}}};
  image.config = blobOf(oci::kOciConfig, toBytes(json::dumpCompact(config)));
  json::Json layers = json::Json::array();
  for (const auto& layer : image.layers) {
    layers.push_back(descriptorJson(layer.descriptor));
  }
  const json::Json manifest = {{"schemaVersion", 2},
                               {"mediaType", oci::kOciManifest},
                               {"config", descriptorJson(image.config.descriptor)},
                               {"layers", layers}};
  image.manifest = toBytes(json::dumpCompact(manifest));
  image.manifest_digest = oci::computeDigest(image.manifest);
  return image;
}

BlobProducer producerOf(const Bytes& bytes, std::size_t piece) {
  return [&bytes, piece](const std::function<Status(ByteSpan)>& sink) -> Status {
    for (std::size_t at = 0; at < bytes.size(); at += piece) {
      COCOON_TRY(sink(ByteSpan(bytes).subspan(at, std::min(piece, bytes.size() - at))));
    }
    return okStatus();
  };
}

Result<oci::Digest> writeTestImage(ImageDestination& destination, const TestImage& image,
                                   std::string_view reference) {
  COCOON_TRY(destination.putBlob(image.config.descriptor, producerOf(image.config.bytes)));
  for (const auto& layer : image.layers) {
    COCOON_TRY(destination.putBlob(layer.descriptor, producerOf(layer.bytes)));
  }
  return destination.putManifest(reference, image.manifest, oci::kOciManifest);
}

}  // namespace cocoon::image::test
