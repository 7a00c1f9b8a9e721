// SPDX-License-Identifier: Apache-2.0
// The AR4SI trustworthiness vector of an EAR appraisal (draft-ietf-rats-ar4si §2.3), its
// tiers and its JSON form in an EAR token ("ear.trustworthiness-vector").
#pragma once

#include <array>
#include <cstdint>
#include <optional>
#include <string_view>

#include "common/result.h"
#include "json/json.h"

namespace cocoon::kbs::policy {

// The eight trustworthiness claims, in AR4SI order (their CBOR keys are 0..7).
enum class TrustComponent : std::uint8_t {
  kInstanceIdentity,
  kConfiguration,
  kExecutables,
  kFileSystem,
  kHardware,
  kRuntimeOpaque,
  kStorageOpaque,
  kSourcedData,
};
inline constexpr std::size_t kTrustComponentCount = 8;

// The JSON names: "instance-identity", "configuration", "executables", "file-system",
// "hardware", "runtime-opaque", "storage-opaque", "sourced-data".
std::string_view trustComponentName(TrustComponent component);
// The component of a JSON name; also accepts the snake_case spelling of the policy
// language ("file_system"). nullopt for any other name.
std::optional<TrustComponent> parseTrustComponent(std::string_view name);

// AR4SI tiers, ordered from least to most severe (an appraisal's status is the most
// severe tier of its claims).
enum class TrustTier : std::uint8_t { kNone, kAffirming, kWarning, kContraindicated };

// "none", "affirming", "warning", "contraindicated" (the EAR "ear.status" values).
std::string_view trustTierName(TrustTier tier);
std::optional<TrustTier> parseTrustTier(std::string_view name);
// AR4SI §2.3.1: -1..1 none (0 = no claim, 1 = unexpected evidence, -1 = verifier
// malfunction), 2..31 and -32..-2 affirming, 32..95 and -96..-33 warning, 96..127 and
// -128..-97 contraindicated.
TrustTier trustTierOf(std::int8_t value);

// Common claim values (AR4SI §2.3.3 ff.); every component gives 2 its "approved" meaning.
inline constexpr std::int8_t kNoClaim = 0;
inline constexpr std::int8_t kAffirmingValue = 2;        // approved / genuine / encrypted
inline constexpr std::int8_t kApprovedBoot = 3;          // executables: approved boot-time
inline constexpr std::int8_t kWarningValue = 32;         // unsafe / unrecognized files
inline constexpr std::int8_t kUnrecognizedRuntime = 33;  // executables
inline constexpr std::int8_t kUnavailableConfig = 36;    // configuration
inline constexpr std::int8_t kContraindicatedValue = 96;
inline constexpr std::int8_t kUnrecognizedHardware = 97;  // hardware, instance-identity

// A trustworthiness vector. Components are unset until assigned; an unset component
// reads as 0 ("no claim") and is left out of the JSON form, as the EAR libraries do.
// A plain value type.
class TrustVector {
 public:
  void set(TrustComponent component, std::int8_t value);
  // The value, or nullopt while unset.
  std::optional<std::int8_t> get(TrustComponent component) const;
  // The value, 0 while unset.
  std::int8_t value(TrustComponent component) const;
  bool isSet(TrustComponent component) const;
  bool anySet() const;
  // The most severe tier over all components (unset ones count as "none").
  TrustTier status() const;

  // {"hardware": 2, ...} with the set components only, in AR4SI order.
  json::Json toJson() const;
  // Parses the JSON form. Fails with kInvalidArgument for a non-object, an unknown
  // component name, or a value that is not an integer in -128..127 (naming the member).
  static Result<TrustVector> fromJson(const json::Json& object);

  friend bool operator==(const TrustVector&, const TrustVector&) = default;

 private:
  std::array<std::optional<std::int8_t>, kTrustComponentCount> values_{};
};

}  // namespace cocoon::kbs::policy
