// SPDX-License-Identifier: Apache-2.0
// Optional JSON members with Go encoding/json semantics for null.
#include "image/oci/internal/json_fields.h"

namespace cocoon::image::oci::internal {
namespace {

// The member, or nullptr when absent or null.
const json::Json* member(const json::Json& object, std::string_view key) {
  const auto it = object.find(key);
  if (it == object.end() || it->is_null()) {
    return nullptr;
  }
  return &*it;
}

Error wrongType(std::string_view key, std::string_view expected, const json::Json& found) {
  return makeError(Code::kInvalidArgument, "field \"{}\": expected {}, found {}", key, expected,
                   found.type_name());
}

}  // namespace

Result<std::string> optionalString(const json::Json& object, std::string_view key) {
  const json::Json* m = member(object, key);
  if (m == nullptr) {
    return std::string();
  }
  if (!m->is_string()) {
    return fail(wrongType(key, "string", *m));
  }
  return m->get_ref<const std::string&>();
}

Result<std::vector<std::string>> optionalStringArray(const json::Json& object,
                                                     std::string_view key) {
  std::vector<std::string> out;
  const json::Json* m = member(object, key);
  if (m == nullptr) {
    return out;
  }
  if (!m->is_array()) {
    return fail(wrongType(key, "array of strings", *m));
  }
  for (std::size_t i = 0; i < m->size(); ++i) {
    const json::Json& item = (*m)[i];
    if (!item.is_string()) {
      return fail(Code::kInvalidArgument, "field \"{}\"[{}]: expected string, found {}", key, i,
                  item.type_name());
    }
    out.push_back(item.get_ref<const std::string&>());
  }
  return out;
}

Result<std::map<std::string, std::string>> optionalStringMap(const json::Json& object,
                                                             std::string_view key) {
  std::map<std::string, std::string> out;
  const json::Json* m = member(object, key);
  if (m == nullptr) {
    return out;
  }
  if (!m->is_object()) {
    return fail(wrongType(key, "object of strings", *m));
  }
  for (const auto& [name, value] : m->items()) {
    if (!value.is_string()) {
      return fail(Code::kInvalidArgument, "field \"{}\" member {:?}: expected string, found {}",
                  key, std::string_view(name).substr(0, 64), value.type_name());
    }
    out.emplace(name, value.get_ref<const std::string&>());
  }
  return out;
}

Result<std::vector<std::string>> optionalObjectKeys(const json::Json& object,
                                                    std::string_view key) {
  std::vector<std::string> out;
  const json::Json* m = member(object, key);
  if (m == nullptr) {
    return out;
  }
  if (!m->is_object()) {
    return fail(wrongType(key, "object", *m));
  }
  for (const auto& [name, value] : m->items()) {
    if (!value.is_object()) {
      return fail(Code::kInvalidArgument, "field \"{}\" member {:?}: expected object, found {}",
                  key, std::string_view(name).substr(0, 64), value.type_name());
    }
    out.push_back(name);
  }
  return out;
}

Result<const json::Json*> optionalObject(const json::Json& object, std::string_view key) {
  const json::Json* m = member(object, key);
  if (m != nullptr && !m->is_object()) {
    return fail(wrongType(key, "object", *m));
  }
  return m;
}

}  // namespace cocoon::image::oci::internal
