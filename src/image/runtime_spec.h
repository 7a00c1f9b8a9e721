// SPDX-License-Identifier: Apache-2.0
// Turns an image config into an OCI runtime spec (config.json) that crun/runc can run.
//
// Trust: the image config and the rootfs's /etc/passwd and /etc/group come from the image
// (digest-verified, but written by whoever built the image): user names are looked up with
// bounded reads inside the rootfs, never through symlinks that leave it.
#pragma once

#include <cstdint>
#include <filesystem>
#include <string>
#include <vector>

#include "common/result.h"
#include "image/oci/image_config.h"
#include "json/json.h"

namespace cocoon::image {

struct ProcessUser {
  std::uint32_t uid = 0;
  std::uint32_t gid = 0;
  std::vector<std::uint32_t> additional_gids;
  bool operator==(const ProcessUser&) const = default;
};

// Resolves an image config "User" ("", "uid", "uid:gid", "name", "name:group", "uid:group",
// "name:gid") against <rootfs>/etc/passwd and /etc/group, as runc/containerd do: a numeric
// uid without a passwd entry is allowed (gid 0 unless given); a name must exist; the
// user's supplementary groups come from /etc/group.
// Errors: kNotFound naming the user or group that does not exist in the image;
// kInvalidArgument for a malformed User string or an id above 2^32-2.
Result<ProcessUser> resolveImageUser(std::string_view user, const std::filesystem::path& rootfs);

struct RuntimeSpecOptions {
  std::string rootfs_path = "rootfs";  // root.path, relative to the bundle
  std::string hostname;                // empty: none set
  bool readonly_rootfs = false;
  bool terminal = false;
};

// Builds the runtime spec (runtime-spec v1.0.2) for `config`: process.args = Entrypoint +
// Cmd, env = Env (PATH added when the image has none, as Docker does), cwd = WorkingDir or
// "/", user = `user`; the default Linux namespaces, mounts, capabilities, masked and
// read-only paths of containerd's default spec; ExposedPorts, Volumes and Labels ignored.
// Errors: kInvalidArgument when the image has neither Entrypoint nor Cmd (nothing to run),
// or a WorkingDir that is not absolute.
Result<json::Json> makeRuntimeSpec(const oci::ImageConfig& config, const ProcessUser& user,
                                   const RuntimeSpecOptions& options = {});

}  // namespace cocoon::image
