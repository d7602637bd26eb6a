#include "store/schema.hpp"

#include <array>
#include <string>

#include "store/store.hpp"

namespace lp2p::store {
namespace {

// kMigrations[i] takes the database from version i to version i + 1. Times are Unix seconds;
// metadata_version (and the transfer tables' uint64 columns) hold the uint64 bit pattern. STRICT
// tables reject values of the wrong type.
constexpr std::array<const char*, 2> kMigrations{
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

    // 2: file transfer — the receiver's partial files and the sender's hash cache.
    R"sql(
-- A partial file being received, so that an interrupted transfer resumes. peer is the sender's
-- fingerprint, deliberately not a foreign key: forgetting a peer must not drop partial data.
CREATE TABLE transfer_parts (
  sha256 TEXT NOT NULL CHECK (length(sha256) = 64 AND sha256 NOT GLOB '*[^0-9a-f]*'),
  size INTEGER NOT NULL,
  dest_root TEXT NOT NULL,
  rel_path TEXT NOT NULL,
  part_name TEXT NOT NULL,
  peer TEXT NOT NULL,
  verified_bytes INTEGER NOT NULL,
  updated_at INTEGER NOT NULL,
  PRIMARY KEY (sha256, size, dest_root, rel_path)
) STRICT;
CREATE INDEX transfer_parts_by_updated_at ON transfer_parts (updated_at);

-- A file's hashes, valid while dev, ino, size, mtime_ns and ctime_ns are unchanged. A rowid
-- table: chunk_hashes can be large, which WITHOUT ROWID tables handle badly.
CREATE TABLE file_hashes (
  path TEXT NOT NULL,
  chunk_size INTEGER NOT NULL,
  dev INTEGER NOT NULL,
  ino INTEGER NOT NULL,
  size INTEGER NOT NULL,
  mtime_ns INTEGER NOT NULL,
  ctime_ns INTEGER NOT NULL,
  sha256 BLOB NOT NULL CHECK (length(sha256) = 32),
  chunk_hashes BLOB NOT NULL CHECK (length(chunk_hashes) % 32 = 0),
  hashed_at INTEGER NOT NULL,
  PRIMARY KEY (path, chunk_size)
) STRICT;
CREATE INDEX file_hashes_by_hashed_at ON file_hashes (hashed_at);
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
