// SPDX-License-Identifier: Apache-2.0
// A small OCI image built in memory for destination and copy tests: one uncompressed tar
// layer (made by GNU tar, so umoci can unpack it), its config and its manifest.
#pragma once

#include <cstddef>
#include <string>
#include <vector>

#include "common/bytes.h"
#include "common/result.h"
#include "image/image_destination.h"
#include "image/oci/manifest.h"

namespace cocoon::image::test {

struct TestBlob {
  oci::Descriptor descriptor;
  Bytes bytes;
};

struct TestImage {
  TestBlob config;
  std::vector<TestBlob> layers;
  Bytes manifest;
  oci::Digest manifest_digest;
};

// A layer holding hello.txt ("hello cocoon\n") and noise.bin (`noise_bytes` random bytes),
// tarred under `work_dir`. Errors: tar failures, file writes.
Result<TestImage> makeTestImage(const std::string& work_dir, std::size_t noise_bytes);

// A producer that hands `bytes` over in pieces of at most `piece` bytes.
BlobProducer producerOf(const Bytes& bytes, std::size_t piece = 64 * 1024);

// Writes every blob, then the manifest under `reference`. Errors: the destination's.
Result<oci::Digest> writeTestImage(ImageDestination& destination, const TestImage& image,
                                   std::string_view reference);

}  // namespace cocoon::image::test
