// SPDX-License-Identifier: Apache-2.0
// MemorySessions: a KbsStore decorator that keeps RCAR sessions in memory and forwards
// everything else (resources, policies, reference values) to the wrapped store.
//
// For a single cocoon-kbs on SQLite: a session lives a few minutes and is worthless after a
// restart (the client just authenticates again), so writing each one through an fsynced
// SQLite transaction (two per handshake) only costs time. Replicas on PostgreSQL keep
// sessions in the shared store instead, where every replica sees them.
#pragma once

#include <functional>
#include <memory>

#include "kbs/store/store.h"

namespace cocoon::kbs {

// Same session semantics as the KbsStore contract (ids and nonces unique, expiry, the
// challenged -> attested transition happens once); countLiveSessions counts sessions not yet
// swept (expired ones go at the next sweepExpired). Thread-safe.
std::unique_ptr<store::KbsStore> withMemorySessions(std::unique_ptr<store::KbsStore> inner,
                                                    store::Clock clock);

}  // namespace cocoon::kbs
