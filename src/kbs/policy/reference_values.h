// SPDX-License-Identifier: Apache-2.0
// ReferenceValues: the named lists of accepted values (measurements, SVNs, ...) that a
// policy's {"reference": "name"} operand looks up; the KBS provides them from its store.
// The types live with the shared policy engine (policy/reference_values.h).
#pragma once

#include "policy/reference_values.h"

namespace cocoon::kbs::policy {

using ReferenceValues = cocoon::policy::ReferenceValues;
using MapReferenceValues = cocoon::policy::MapReferenceValues;
using NoReferenceValues = cocoon::policy::NoReferenceValues;

}  // namespace cocoon::kbs::policy
