// SPDX-License-Identifier: Apache-2.0
// Image config parsing.
#include "image/oci/image_config.h"

#include "image/oci/internal/json_fields.h"
#include "json/json.h"

namespace cocoon::image::oci {
namespace {

using json::Json;

Result<ContainerConfig> parseContainerConfig(const Json& object) {
  ContainerConfig c;
  COCOON_ASSIGN_OR_RETURN(c.user, internal::optionalString(object, "User"));
  COCOON_ASSIGN_OR_RETURN(c.env, internal::optionalStringArray(object, "Env"));
  COCOON_ASSIGN_OR_RETURN(c.entrypoint, internal::optionalStringArray(object, "Entrypoint"));
  COCOON_ASSIGN_OR_RETURN(c.cmd, internal::optionalStringArray(object, "Cmd"));
  COCOON_ASSIGN_OR_RETURN(c.working_dir, internal::optionalString(object, "WorkingDir"));
  COCOON_ASSIGN_OR_RETURN(c.exposed_ports, internal::optionalObjectKeys(object, "ExposedPorts"));
  COCOON_ASSIGN_OR_RETURN(c.labels, internal::optionalStringMap(object, "Labels"));
  COCOON_ASSIGN_OR_RETURN(c.stop_signal, internal::optionalString(object, "StopSignal"));
  COCOON_ASSIGN_OR_RETURN(c.volumes, internal::optionalObjectKeys(object, "Volumes"));
  return c;
}

Result<std::vector<Digest>> parseRootfs(const Json& rootfs) {
  COCOON_ASSIGN_OR_RETURN(const std::string type, json::getString(rootfs, "type"));
  if (type != "layers") {
    return fail(Code::kInvalidArgument, "rootfs.type is {:?}, expected \"layers\"",
                std::string_view(type).substr(0, 64));
  }
  COCOON_ASSIGN_OR_RETURN(const Json* ids, json::getArray(rootfs, "diff_ids"));
  std::vector<Digest> out;
  out.reserve(ids->size());
  for (std::size_t i = 0; i < ids->size(); ++i) {
    const Json& id = (*ids)[i];
    if (!id.is_string()) {
      return fail(Code::kInvalidArgument, "rootfs.diff_ids[{}]: expected string, found {}", i,
                  id.type_name());
    }
    COCOON_ASSIGN_OR_RETURN(Digest d, withContext(parseDigest(id.get_ref<const std::string&>()),
                                                  fmt::format("rootfs.diff_ids[{}]", i)));
    out.push_back(std::move(d));
  }
  return out;
}

}  // namespace

Result<ImageConfig> parseImageConfig(ByteSpan body, const ImageConfigLimits& limits) {
  if (body.size() > limits.max_bytes) {
    return fail(Code::kResourceExhausted, "image config is {} bytes, over the limit of {}",
                body.size(), limits.max_bytes);
  }
  COCOON_ASSIGN_OR_RETURN(const Json doc,
                          json::parseJson(toString(body), {.max_bytes = limits.max_bytes}));
  if (!doc.is_object()) {
    return fail(Code::kInvalidArgument, "image config: expected a JSON object, found {}",
                doc.type_name());
  }
  ImageConfig c;
  COCOON_ASSIGN_OR_RETURN(c.architecture, json::getString(doc, "architecture"));
  COCOON_ASSIGN_OR_RETURN(c.os, json::getString(doc, "os"));
  COCOON_ASSIGN_OR_RETURN(c.variant, internal::optionalString(doc, "variant"));
  COCOON_ASSIGN_OR_RETURN(c.os_version, internal::optionalString(doc, "os.version"));
  COCOON_ASSIGN_OR_RETURN(c.created, internal::optionalString(doc, "created"));
  COCOON_ASSIGN_OR_RETURN(const Json* config, internal::optionalObject(doc, "config"));
  if (config != nullptr) {
    COCOON_ASSIGN_OR_RETURN(c.config, withContext(parseContainerConfig(*config), "config"));
  }
  COCOON_ASSIGN_OR_RETURN(const Json* rootfs, json::getObject(doc, "rootfs"));
  COCOON_ASSIGN_OR_RETURN(c.diff_ids, parseRootfs(*rootfs));
  return c;
}

Status checkDiffIds(const ImageConfig& config, const ImageManifest& manifest) {
  if (config.diff_ids.size() != manifest.layers.size()) {
    return fail(Code::kInvalidArgument,
                "image config has {} diff_ids but the manifest has {} layers",
                config.diff_ids.size(), manifest.layers.size());
  }
  return okStatus();
}

}  // namespace cocoon::image::oci
