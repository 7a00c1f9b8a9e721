// SPDX-License-Identifier: Apache-2.0
// An ImageDestination that writes an OCI image layout directory (image-spec
// image-layout.md: oci-layout, index.json, blobs/<alg>/<hex>), as `skopeo copy ...
// oci:DIR:TAG` writes it, readable by umoci, skopeo and openOciLayout.
//
// Trust: the directory belongs to the user; what is already in it is not trusted to be
// intact, so blobs are always rewritten from the producer's bytes, never assumed.
#pragma once

#include <filesystem>
#include <memory>
#include <string>

#include "image/image_destination.h"

namespace cocoon::image {

// Opens the layout at `dir` for writing; `tag` is the name putManifest("") gives a
// manifest (an image-spec ref name: components of [A-Za-z0-9] joined by [-._:@+] or "--",
// separated by '/'). A missing or empty directory becomes a new layout (oci-layout with
// imageLayoutVersion 1.0.0, an empty index.json); an existing one must hold an oci-layout
// file and an index.json that is an image index.
//
// The destination:
// - hasBlob: true when blobs/<alg>/<hex> is a regular file of the descriptor's size (its
//   content is not re-hashed);
// - putBlob: streams into a temp file in blobs/<alg>/ while hashing and counting, and
//   renames it into place only when digest and size match the descriptor (kDataLoss
//   otherwise, temp file removed). Writing a blob that exists replaces it with the same
//   bytes, so writes are idempotent and repair a damaged file;
// - putManifest: writes the manifest blob, then replaces index.json atomically (temp +
//   rename) with an entry for it: a tag replaces any entry carrying the same ref name, a
//   digest reference ("sha256:<hex>", which must be the body's digest) adds an unnamed
//   entry unless one exists. Entries and fields it does not understand are kept.
// Thread-safe: blobs may be written concurrently; index.json updates are serialised by a
// mutex (other processes writing the same layout at once are not coordinated with).
//
// Errors of open: kInvalidArgument for a bad tag, an index.json that is malformed or not
// an index; kFailedPrecondition for a non-empty directory without oci-layout; I/O errors
// mapped from errno (kPermissionDenied, kResourceExhausted, ...), naming the path.
// Errors of the calls: kDataLoss (digest or size mismatch); kInvalidArgument (bad tag or
// digest reference, or a descriptor size out of range); kUnimplemented for a digest
// algorithm other than sha256/sha512; I/O errors naming the path; errors of the producer.
Result<std::unique_ptr<ImageDestination>> openOciLayoutDestination(const std::filesystem::path& dir,
                                                                   std::string tag);

// Whether `name` is a valid image-spec ref name (see openOciLayoutDestination).
bool isOciRefName(std::string_view name);

}  // namespace cocoon::image
