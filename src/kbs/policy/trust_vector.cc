// SPDX-License-Identifier: Apache-2.0
// TrustVector: AR4SI components, tiers and the EAR JSON form.
#include "kbs/policy/trust_vector.h"

#include <algorithm>
#include <limits>
#include <string>

namespace cocoon::kbs::policy {
namespace {

constexpr std::array<std::string_view, kTrustComponentCount> kNames = {
    "instance-identity", "configuration",  "executables",    "file-system",
    "hardware",          "runtime-opaque", "storage-opaque", "sourced-data",
};
constexpr std::array<std::string_view, 4> kTierNames = {"none", "affirming", "warning",
                                                        "contraindicated"};

std::size_t indexOf(TrustComponent component) {
  return static_cast<std::size_t>(component);
}

}  // namespace

std::string_view trustComponentName(TrustComponent component) {
  return kNames[indexOf(component)];
}

std::optional<TrustComponent> parseTrustComponent(std::string_view name) {
  std::string dashed(name);
  std::replace(dashed.begin(), dashed.end(), '_', '-');
  for (std::size_t i = 0; i < kNames.size(); ++i) {
    if (kNames[i] == dashed) {
      return static_cast<TrustComponent>(i);
    }
  }
  return std::nullopt;
}

std::string_view trustTierName(TrustTier tier) {
  return kTierNames[static_cast<std::size_t>(tier)];
}

std::optional<TrustTier> parseTrustTier(std::string_view name) {
  for (std::size_t i = 0; i < kTierNames.size(); ++i) {
    if (kTierNames[i] == name) {
      return static_cast<TrustTier>(i);
    }
  }
  return std::nullopt;
}

TrustTier trustTierOf(std::int8_t value) {
  if (value >= -1 && value <= 1) {
    return TrustTier::kNone;
  }
  if (value >= -32 && value <= 31) {
    return TrustTier::kAffirming;
  }
  if (value >= -96 && value <= 95) {
    return TrustTier::kWarning;
  }
  return TrustTier::kContraindicated;
}

void TrustVector::set(TrustComponent component, std::int8_t value) {
  values_[indexOf(component)] = value;
}

std::optional<std::int8_t> TrustVector::get(TrustComponent component) const {
  return values_[indexOf(component)];
}

std::int8_t TrustVector::value(TrustComponent component) const {
  return values_[indexOf(component)].value_or(kNoClaim);
}

bool TrustVector::isSet(TrustComponent component) const {
  return values_[indexOf(component)].has_value();
}

bool TrustVector::anySet() const {
  return std::any_of(values_.begin(), values_.end(), [](const auto& v) { return v.has_value(); });
}

TrustTier TrustVector::status() const {
  TrustTier worst = TrustTier::kNone;
  for (const auto& v : values_) {
    worst = std::max(worst, trustTierOf(v.value_or(kNoClaim)));
  }
  return worst;
}

json::Json TrustVector::toJson() const {
  // nlohmann's object sorts keys; AR4SI order is kept by ordered_json only, and order
  // has no meaning in JSON, so the sorted form is what we emit.
  json::Json out = json::Json::object();
  for (std::size_t i = 0; i < kNames.size(); ++i) {
    if (values_[i]) {
      out[std::string(kNames[i])] = *values_[i];
    }
  }
  return out;
}

Result<TrustVector> TrustVector::fromJson(const json::Json& object) {
  if (!object.is_object()) {
    return fail(Code::kInvalidArgument, "trustworthiness vector: expected an object, found {}",
                object.type_name());
  }
  TrustVector vector;
  for (const auto& [name, value] : object.items()) {
    auto component = parseTrustComponent(name);
    if (!component || name.find('_') != std::string::npos) {
      return fail(Code::kInvalidArgument, "trustworthiness vector: unknown component \"{}\"", name);
    }
    if (!value.is_number_integer() || value.get<std::int64_t>() < -128 ||
        value.get<std::int64_t>() > 127 ||
        (value.is_number_unsigned() &&
         value.get<std::uint64_t>() > static_cast<std::uint64_t>(127))) {
      return fail(Code::kInvalidArgument,
                  "trustworthiness vector: \"{}\" must be an integer in -128..127, found {}", name,
                  json::dumpCompact(value));
    }
    vector.set(*component, static_cast<std::int8_t>(value.get<std::int64_t>()));
  }
  return vector;
}

}  // namespace cocoon::kbs::policy
