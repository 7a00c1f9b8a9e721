// SPDX-License-Identifier: Apache-2.0
// ReferenceValues: the named lists of accepted values (measurements, SVNs, ...) that a
// policy's {"reference": "name"} operand looks up (the KBS provides them from its store).
#pragma once

#include <map>
#include <string>
#include <string_view>
#include <vector>

#include "json/json.h"

namespace cocoon::policy {

// Read-only view of reference values during one evaluation. find() must not block: the
// KBS passes a snapshot, not a live database handle. Implementations used from several
// threads at once must be safe for concurrent find() calls.
class ReferenceValues {
 public:
  virtual ~ReferenceValues() = default;
  // The accepted values of `name`, or nullptr when no such reference value exists (or it
  // has expired). The pointer stays valid as long as this object is alive and unchanged.
  virtual const std::vector<json::Json>* find(std::string_view name) const = 0;
};

// An in-memory map: the snapshot type the KBS fills from its store, and what tests use.
// Not synchronized: mutate only while no evaluation uses it.
class MapReferenceValues final : public ReferenceValues {
 public:
  MapReferenceValues() = default;
  explicit MapReferenceValues(std::map<std::string, std::vector<json::Json>, std::less<>> values)
      : values_(std::move(values)) {}

  // Replaces the values of `name`.
  void set(std::string name, std::vector<json::Json> values) {
    values_[std::move(name)] = std::move(values);
  }
  const std::vector<json::Json>* find(std::string_view name) const override {
    auto it = values_.find(name);
    return it == values_.end() ? nullptr : &it->second;
  }

 private:
  std::map<std::string, std::vector<json::Json>, std::less<>> values_;
};

// No reference values at all (every lookup misses).
class NoReferenceValues final : public ReferenceValues {
 public:
  const std::vector<json::Json>* find(std::string_view /*name*/) const override { return nullptr; }
};

}  // namespace cocoon::policy
