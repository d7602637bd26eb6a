// The store's schema and its migrations (docs/store.md).
//
// Migration rule: a released schema is never edited. A change is one more entry in the list in
// schema.cpp (version N takes the database from N-1 to N) and Store::kSchemaVersion goes up by
// one; open() runs the missing entries in one transaction. A database newer than this build is
// refused, never downgraded.
#pragma once

#include "lp2p/result.hpp"
#include "store/sqlite.hpp"

namespace lp2p::store {

// Brings the database to Store::kSchemaVersion and returns that version; fails without
// changing anything if the database is newer than this build, or a migration fails.
Result<int> migrate(sqlite::Database& db);

}  // namespace lp2p::store
