// SPDX-License-Identifier: Apache-2.0
// parseBundleConfig: the few fields of an OCI runtime spec the shim forwards to the agent.
#include "runtime/shim/bundle.h"

#include <limits>
#include <type_traits>

#include "common/encoding.h"
#include "common/files.h"
#include "crypto/digest.h"
#include "json/json.h"
#include "runtime/tee/initdata.h"

namespace cocoon::runtime::shim {
namespace {

using json::Json;

Result<std::vector<std::string>> stringList(const Json& object, std::string_view key,
                                            std::string_view where) {
  std::vector<std::string> out;
  auto it = object.find(std::string(key));
  if (it == object.end() || it->is_null()) {
    return out;
  }
  if (!it->is_array()) {
    return fail(Code::kInvalidArgument, "{}.{} must be an array of strings", where, key);
  }
  for (const Json& item : *it) {
    if (!item.is_string()) {
      return fail(Code::kInvalidArgument, "{}.{} must hold only strings", where, key);
    }
    out.push_back(item.get<std::string>());
  }
  return out;
}

Result<std::uint32_t> optionalId(const Json& user, std::string_view key) {
  auto it = user.find(std::string(key));
  if (it == user.end()) {
    return 0u;
  }
  if (!it->is_number_unsigned() ||
      it->get<std::uint64_t>() > std::numeric_limits<std::uint32_t>::max()) {
    return fail(Code::kInvalidArgument, "process.user.{} must be a 32-bit unsigned integer", key);
  }
  return static_cast<std::uint32_t>(it->get<std::uint64_t>());
}

Result<std::string> optionalText(const Json& object, std::string_view key, std::string_view where) {
  auto it = object.find(std::string(key));
  if (it == object.end() || it->is_null()) {
    return std::string();
  }
  if (!it->is_string()) {
    return fail(Code::kInvalidArgument, "{}{} must be a string", where, key);
  }
  return it->get<std::string>();
}

Result<BundleProcess> processFrom(const Json& spec) {
  BundleProcess p;
  auto it = spec.find("process");
  if (it == spec.end() || it->is_null()) {
    return p;
  }
  if (!it->is_object()) {
    return fail(Code::kInvalidArgument, "process must be an object");
  }
  const Json& process = *it;
  COCOON_ASSIGN_OR_RETURN(p.args, stringList(process, "args", "process"));
  COCOON_ASSIGN_OR_RETURN(p.env, stringList(process, "env", "process"));
  COCOON_ASSIGN_OR_RETURN(std::string cwd, optionalText(process, "cwd", "process."));
  if (!cwd.empty()) {
    p.cwd = cwd;
  }
  if (auto t = process.find("terminal"); t != process.end() && !t->is_null()) {
    if (!t->is_boolean()) {
      return fail(Code::kInvalidArgument, "process.terminal must be a boolean");
    }
    p.terminal = t->get<bool>();
  }
  if (auto u = process.find("user"); u != process.end() && !u->is_null()) {
    if (!u->is_object()) {
      return fail(Code::kInvalidArgument, "process.user must be an object");
    }
    COCOON_ASSIGN_OR_RETURN(p.uid, optionalId(*u, "uid"));
    COCOON_ASSIGN_OR_RETURN(p.gid, optionalId(*u, "gid"));
  }
  return p;
}

// The annotation's TOML, checked to parse so a bad document fails Create on the host
// instead of reaching the guest.
Result<std::string> initDataToml(std::string_view annotation) {
  auto toml = tee::decodeInitDataAnnotation(annotation);
  if (!toml) {
    return fail(toml.error().code, "annotation {}: {}", tee::kInitDataAnnotation,
                toml.error().message);
  }
  if (auto parsed = tee::parseInitDataToml(*toml); !parsed) {
    return fail(parsed.error().code, "annotation {}: {}", tee::kInitDataAnnotation,
                parsed.error().message);
  }
  return std::move(*toml);
}

}  // namespace

Result<BundleInfo> parseBundleConfig(std::string_view config_json, std::string_view id) {
  COCOON_ASSIGN_OR_RETURN(Json spec, json::parseJson(config_json));
  if (!spec.is_object()) {
    return fail(Code::kInvalidArgument, "config.json is not a JSON object");
  }
  BundleInfo info;
  COCOON_ASSIGN_OR_RETURN(info.process, processFrom(spec));
  COCOON_ASSIGN_OR_RETURN(info.hostname, optionalText(spec, "hostname", ""));
  Json annotations = Json::object();
  if (auto it = spec.find("annotations"); it != spec.end() && !it->is_null()) {
    if (!it->is_object()) {
      return fail(Code::kInvalidArgument, "annotations must be an object of strings");
    }
    annotations = *it;
  }
  COCOON_ASSIGN_OR_RETURN(std::string cri_image,
                          optionalText(annotations, kCriImageName, "annotations."));
  COCOON_ASSIGN_OR_RETURN(std::string cocoon_image,
                          optionalText(annotations, kCocoonImage, "annotations."));
  COCOON_ASSIGN_OR_RETURN(std::string type,
                          optionalText(annotations, kCriContainerType, "annotations."));
  COCOON_ASSIGN_OR_RETURN(info.sandbox_id,
                          optionalText(annotations, kCriSandboxId, "annotations."));
  COCOON_ASSIGN_OR_RETURN(std::string initdata,
                          optionalText(annotations, tee::kInitDataAnnotation, "annotations."));
  if (!initdata.empty()) {
    COCOON_ASSIGN_OR_RETURN(info.initdata_toml, initDataToml(initdata));
  }
  info.is_pod_sandbox = type == "sandbox";
  if (info.sandbox_id.empty() || info.is_pod_sandbox) {
    info.sandbox_id = std::string(id);
  }
  // The cocoon annotation wins: it is what the workload's owner wrote for this runtime.
  info.image = !cocoon_image.empty() ? cocoon_image : cri_image;
  if (info.image.empty() && !info.is_pod_sandbox) {
    return fail(Code::kInvalidArgument,
                "no image reference for container '{}': the guest pulls the image itself, so "
                "it needs the annotation {} (CRI sets it) or {} (e.g. ctr run --annotation "
                "{}=REGISTRY/REPO:TAG --rootfs EMPTY_DIR ...)",
                id, kCriImageName, kCocoonImage, kCocoonImage);
  }
  return info;
}

Result<BundleProcess> parseProcessJson(std::string_view process_json) {
  COCOON_ASSIGN_OR_RETURN(Json process, json::parseJson(process_json));
  Json spec = Json::object();
  spec["process"] = std::move(process);
  return processFrom(spec);
}

namespace {

// `object`.`key` as an integer of type T, or `fallback` when absent or null.
template <class T>
Result<T> integerMember(const Json& object, const char* key, const char* where) {
  auto it = object.find(key);
  if (it == object.end() || it->is_null()) {
    return T{0};
  }
  if (!it->is_number_integer()) {
    return fail(Code::kInvalidArgument, "{}.{} must be an integer", where, key);
  }
  if constexpr (std::is_unsigned_v<T>) {
    if (!it->is_number_unsigned()) {
      return fail(Code::kInvalidArgument, "{}.{} must not be negative", where, key);
    }
    return static_cast<T>(it->get<std::uint64_t>());
  } else {
    if (it->is_number_unsigned() &&
        it->get<std::uint64_t>() > static_cast<std::uint64_t>(std::numeric_limits<T>::max())) {
      return fail(Code::kInvalidArgument, "{}.{} is out of range", where, key);
    }
    return static_cast<T>(it->get<std::int64_t>());
  }
}

Result<const Json*> objectMember(const Json& object, const char* key) {
  static const Json kEmpty = Json::object();
  auto it = object.find(key);
  if (it == object.end() || it->is_null()) {
    return &kEmpty;
  }
  if (!it->is_object()) {
    return fail(Code::kInvalidArgument, "resources.{} must be an object", key);
  }
  return &*it;
}

}  // namespace

Result<BundleResources> parseResourcesJson(std::string_view resources_json) {
  COCOON_ASSIGN_OR_RETURN(Json r, json::parseJson(resources_json));
  if (!r.is_object()) {
    return fail(Code::kInvalidArgument, "resources must be a JSON object");
  }
  BundleResources out;
  COCOON_ASSIGN_OR_RETURN(const Json* memory, objectMember(r, "memory"));
  COCOON_ASSIGN_OR_RETURN(out.memory_limit,
                          integerMember<std::int64_t>(*memory, "limit", "resources.memory"));
  COCOON_ASSIGN_OR_RETURN(out.memory_reservation,
                          integerMember<std::int64_t>(*memory, "reservation", "resources.memory"));
  COCOON_ASSIGN_OR_RETURN(out.memory_swap,
                          integerMember<std::int64_t>(*memory, "swap", "resources.memory"));
  COCOON_ASSIGN_OR_RETURN(const Json* cpu, objectMember(r, "cpu"));
  COCOON_ASSIGN_OR_RETURN(out.cpu_shares,
                          integerMember<std::uint64_t>(*cpu, "shares", "resources.cpu"));
  COCOON_ASSIGN_OR_RETURN(out.cpu_quota,
                          integerMember<std::int64_t>(*cpu, "quota", "resources.cpu"));
  COCOON_ASSIGN_OR_RETURN(out.cpu_period,
                          integerMember<std::uint64_t>(*cpu, "period", "resources.cpu"));
  COCOON_ASSIGN_OR_RETURN(out.cpu_cpus, optionalText(*cpu, "cpus", "resources.cpu."));
  COCOON_ASSIGN_OR_RETURN(out.cpu_mems, optionalText(*cpu, "mems", "resources.cpu."));
  COCOON_ASSIGN_OR_RETURN(const Json* pids, objectMember(r, "pids"));
  COCOON_ASSIGN_OR_RETURN(out.pids_limit,
                          integerMember<std::int64_t>(*pids, "limit", "resources.pids"));
  return out;
}

Result<BundleInfo> readBundle(const std::filesystem::path& bundle, std::string_view id) {
  const std::filesystem::path file = bundle / "config.json";
  COCOON_ASSIGN_OR_RETURN(std::string text, readTextFile(file, kMaxConfigJson));
  auto info = parseBundleConfig(text, id);
  if (!info) {
    return fail(info.error().code, "{}: {}", file.string(), info.error().message);
  }
  return info;
}

std::string sandboxKey(std::string_view sandbox_id) {
  const bool plain = !sandbox_id.empty() && sandbox_id.size() <= 64 &&
                     sandbox_id.find_first_not_of(
                         "ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz"
                         "0123456789_.-") == std::string_view::npos &&
                     sandbox_id != "." && sandbox_id != "..";
  return plain ? std::string(sandbox_id)
               : hexEncode(crypto::sha256(asBytes(sandbox_id))).substr(0, 64);
}

}  // namespace cocoon::runtime::shim
