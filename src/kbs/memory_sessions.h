// SPDX-License-Identifier: Apache-2.0
// MemorySessions: a KbsStore decorator for a store that one process owns. It keeps RCAR
// sessions in memory, caches policies and reference values (read on every handshake and
// resource GET, written only through this decorator), and forwards the rest.
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
// swept (expired ones go at the next sweepExpired). getPolicy and listReferenceValues answer
// from memory after their first read (a failed read is not cached), a write through this
// decorator replaces the cached copy, and cached reference values are filtered by `clock`
// (system_clock when null) at every read. Writes by anyone else to `inner` go unseen:
// PostgreSQL replicas must not use it. Errors: those of the wrapped store. Thread-safe.
std::unique_ptr<store::KbsStore> withMemorySessions(std::unique_ptr<store::KbsStore> inner,
                                                    store::Clock clock);

}  // namespace cocoon::kbs
