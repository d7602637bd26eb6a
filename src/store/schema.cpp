#include "store/schema.hpp"

#include <array>
#include <string>

#include "store/store.hpp"

namespace lp2p::store {
namespace {

// kMigrations[i] takes the database from version i to version i + 1. Times are Unix seconds;
// metadata_version holds the uint64 bit pattern. STRICT tables reject values of the wrong type.
constexpr std::array<const char*, 1> kMigrations{
    // 1: the initial schema.
    R"sql(
CREATE TABLE identity (
  id INTEGER PRIMARY KEY CHECK (id = 1),
  fingerprint TEXT NOT NULL,
  recorded_at INTEGER NOT NULL
) STRICT;

CREATE TABLE peers (
  fingerprint TEXT PRIMARY KEY NOT NULL,
  display_name TEXT NOT NULL,
  model_name TEXT NOT NULL,
  state_token TEXT NOT NULL,
  metadata_version INTEGER NOT NULL,
  authenticated_at INTEGER,
  first_seen INTEGER NOT NULL,
  last_seen INTEGER NOT NULL
) STRICT, WITHOUT ROWID;
CREATE INDEX peers_by_last_seen ON peers (last_seen);

-- position 0 is the most recent; Store::kMaxAddresses rows at most per peer.
CREATE TABLE peer_addresses (
  peer TEXT NOT NULL REFERENCES peers (fingerprint) ON DELETE CASCADE,
  position INTEGER NOT NULL,
  address TEXT NOT NULL,
  PRIMARY KEY (peer, position)
) STRICT, WITHOUT ROWID;

-- until NULL: persistent until revoked.
CREATE TABLE grants (
  peer TEXT NOT NULL REFERENCES peers (fingerprint) ON DELETE CASCADE,
  origin TEXT NOT NULL,
  until INTEGER,
  granted_at INTEGER NOT NULL,
  PRIMARY KEY (peer, origin)
) STRICT, WITHOUT ROWID;
CREATE INDEX grants_by_until ON grants (until) WHERE until IS NOT NULL;
)sql",
};
static_assert(kMigrations.size() == Store::kSchemaVersion,
              "one migration per schema version: add the entry with the version");

Result<int> user_version(sqlite::Database& db) {
  auto statement = db.prepare("PRAGMA user_version", "read the schema version");
  if (!statement) return std::move(statement).error();
  auto row = statement->step();
  if (!row) return std::move(row).error();
  return *row ? static_cast<int>(statement->integer(0)) : 0;
}

Error too_new(const sqlite::Database& db, int version) {
  return make_error(Errc::invalid_argument,
                    db.path().string() + ": schema version " + std::to_string(version) +
                        " is newer than this lp2p understands (" +
                        std::to_string(Store::kSchemaVersion) +
                        "): use the newer lp2p that wrote it, or move the file away to start "
                        "with no known peers");
}

}  // namespace

Result<int> migrate(sqlite::Database& db) {
  auto version = user_version(db);
  if (!version) return version;
  if (*version == Store::kSchemaVersion) return *version;
  if (*version > Store::kSchemaVersion) return too_new(db, *version);

  // Read again under the write lock: another process may have migrated meanwhile.
  auto transaction = sqlite::Transaction::begin(db, "migrate");
  if (!transaction) return std::move(transaction).error();
  version = user_version(db);
  if (!version) return version;
  if (*version > Store::kSchemaVersion) return too_new(db, *version);
  for (int v = *version; v < Store::kSchemaVersion; ++v) {
    const std::string what = "migrate to schema version " + std::to_string(v + 1);
    LP2P_TRY(db.exec(kMigrations.at(static_cast<std::size_t>(v)), what));
  }
  // PRAGMA takes no bound parameters; the value is this build's constant, not data.
  const std::string set_version = "PRAGMA user_version = " + std::to_string(Store::kSchemaVersion);
  LP2P_TRY(db.exec(set_version.c_str(), "set the schema version"));
  LP2P_TRY(transaction->commit());
  return Store::kSchemaVersion;
}

}  // namespace lp2p::store
