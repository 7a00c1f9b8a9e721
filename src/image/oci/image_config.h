// SPDX-License-Identifier: Apache-2.0
// The image configuration JSON (image-spec config.md; Docker's container image v1 is the
// same shape): what to run, and the diff_ids that bind the unpacked layers to the image.
// Trust: the config comes from a registry (untrusted until its digest matches the
// manifest); it is size-capped and every field used is type-checked.
#pragma once

#include <cstddef>
#include <map>
#include <string>
#include <vector>

#include "common/bytes.h"
#include "common/result.h"
#include "image/oci/digest.h"
#include "image/oci/manifest.h"

namespace cocoon::image::oci {

// config.md "config": the defaults for a container run from the image. Absent and null
// members are empty.
struct ContainerConfig {
  std::string user;                           // "User"
  std::vector<std::string> env;               // "Env", "NAME=value" as written
  std::vector<std::string> entrypoint;        // "Entrypoint"
  std::vector<std::string> cmd;               // "Cmd"
  std::string working_dir;                    // "WorkingDir"
  std::vector<std::string> exposed_ports;     // keys of "ExposedPorts" ("80/tcp"), sorted
  std::map<std::string, std::string> labels;  // "Labels"
  std::string stop_signal;                    // "StopSignal"
  std::vector<std::string> volumes;           // keys of "Volumes", sorted
};

struct ImageConfig {
  std::string architecture;  // required
  std::string os;            // required
  std::string variant;
  std::string os_version;  // "os.version"
  std::string created;     // RFC 3339 text as written (not interpreted)
  ContainerConfig config;
  std::vector<Digest> diff_ids;  // rootfs.diff_ids, in layer order
};

struct ImageConfigLimits {
  std::size_t max_bytes = std::size_t{16} << 20;
};

// Parses an image config. rootfs.type must be "layers"; every diff_id must be a valid
// digest. Unknown members (history, container_config, ...) are ignored as the spec says.
// Errors: kResourceExhausted over limits.max_bytes; kInvalidArgument for malformed JSON,
// a missing or mistyped field (the message names it, e.g. "rootfs.diff_ids[3]"), a
// rootfs.type other than "layers"; parseDigest's kUnimplemented for a diff_id with an
// unsupported algorithm.
Result<ImageConfig> parseImageConfig(ByteSpan body, const ImageConfigLimits& limits = {});

// The config belongs with the manifest's layers: one diff_id per layer.
// Errors: kInvalidArgument "image config has N diff_ids but the manifest has M layers".
Status checkDiffIds(const ImageConfig& config, const ImageManifest& manifest);

}  // namespace cocoon::image::oci
