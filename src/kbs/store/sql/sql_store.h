// SPDX-License-Identifier: Apache-2.0
// The KbsStore written once over the SQL driver seam, and the schema migration.
#pragma once

#include <memory>

#include "kbs/store/sql/connection.h"
#include "kbs/store/store.h"

namespace cocoon::kbs::store::sql {

// Brings the schema of the connection's database to kSchemaVersion in one transaction
// that also serialises concurrent migrations. Errors: kFailedPrecondition when the
// database is newer than this build; those of the connection.
Status migrateSchema(SqlConnection& connection);

// The store over `source` (which it owns); validation and caps happen here, so both
// databases behave identically.
std::unique_ptr<KbsStore> makeSqlStore(std::unique_ptr<ConnectionSource> source,
                                       StoreOptions options);

}  // namespace cocoon::kbs::store::sql
