// SPDX-License-Identifier: Apache-2.0
// Optional JSON members as Go's encoding/json reads them (absent or null = empty), shared
// by the manifest and image config parsers. Private to image/oci.
#pragma once

#include <map>
#include <string>
#include <string_view>
#include <vector>

#include "common/result.h"
#include "json/json.h"

namespace cocoon::image::oci::internal {

// Each returns the empty value when `key` is absent or null, and fails with
// kInvalidArgument naming the key (and the index or member) for a wrong type.
// REQUIRES: object.is_object().
Result<std::string> optionalString(const json::Json& object, std::string_view key);
Result<std::vector<std::string>> optionalStringArray(const json::Json& object,
                                                     std::string_view key);
Result<std::map<std::string, std::string>> optionalStringMap(const json::Json& object,
                                                             std::string_view key);
// The member names of an object whose values are objects (Docker's "set" encoding, e.g.
// "ExposedPorts": {"80/tcp": {}}), sorted.
Result<std::vector<std::string>> optionalObjectKeys(const json::Json& object, std::string_view key);
// nullptr when absent or null.
Result<const json::Json*> optionalObject(const json::Json& object, std::string_view key);

}  // namespace cocoon::image::oci::internal
