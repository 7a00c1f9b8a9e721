// SPDX-License-Identifier: Apache-2.0
// The image_guest_pull storage entry as kata's runtime sends it, and what is refused.
#include "agent/guest_pull.h"

#include <gtest/gtest.h>

#include "support/expect.h"

namespace cocoon::agent {
namespace {

using cocoon::test::expectError;
using Storages = google::protobuf::RepeatedPtrField<grpc::Storage>;

// The entry of kata-containers src/runtime/virtcontainers/fs_share_linux_test.go
// ("force guest pull"), field for field.
grpc::Storage kataStorage() {
  grpc::Storage s;
  s.set_fstype("overlay");
  s.set_source("test-image-name");
  s.set_mount_point("/run/kata-containers/container-id-abc/test-suffix");
  s.set_driver("image_guest_pull");
  s.add_driver_options(
      R"(image_guest_pull={"metadata":{"io.kubernetes.cri.image-name":"test-image-name"}})");
  return s;
}

TEST(FindGuestPull, AcceptsKataRuntimeStorage) {
  Storages storages;
  *storages.Add() = kataStorage();
  auto pull = findGuestPull(storages);
  ASSERT_TRUE(pull) << pull.error().toString();
  EXPECT_EQ(pull->image, "test-image-name");
  EXPECT_EQ(pull->metadata["io.kubernetes.cri.image-name"], "test-image-name");
}

TEST(FindGuestPull, RequiresExactlyOneGuestPullStorage) {
  Storages storages;
  expectError(findGuestPull(storages), Code::kInvalidArgument, "no image_guest_pull storage");
  *storages.Add() = kataStorage();
  *storages.Add() = kataStorage();
  expectError(findGuestPull(storages), Code::kInvalidArgument, "storages[1]: a second");
}

TEST(FindGuestPull, RefusesOtherDrivers) {
  Storages storages;
  grpc::Storage* s = storages.Add();
  *s = kataStorage();
  s->set_driver("virtio-fs");
  expectError(findGuestPull(storages), Code::kUnimplemented,
              "storages[0]: driver \"virtio-fs\" is not supported");
}

TEST(FindGuestPull, RefusesBadSourceOptionAndMountPoint) {
  Storages storages;
  grpc::Storage* s = storages.Add();
  *s = kataStorage();
  s->set_source("");
  expectError(findGuestPull(storages), Code::kInvalidArgument, "empty source");
  s->set_source("Not A Reference!");
  expectError(findGuestPull(storages), Code::kInvalidArgument, "");
  *s = kataStorage();
  s->set_driver_options(0, "image_guest_pull={\"metadata\":[]}");
  expectError(findGuestPull(storages), Code::kInvalidArgument, "\"metadata\" is not an object");
  s->set_driver_options(0, "image_guest_pull={");
  expectError(findGuestPull(storages), Code::kInvalidArgument, "");
  *s = kataStorage();
  s->set_mount_point("/run/kata-containers/../../etc");
  expectError(findGuestPull(storages), Code::kInvalidArgument, "mount_point");
}

}  // namespace
}  // namespace cocoon::agent
