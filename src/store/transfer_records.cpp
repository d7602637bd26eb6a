// Store's file-transfer tables (schema version 2): transfer_parts, a receiver's partial files,
// and file_hashes, a sender's cache of file hashes (docs/store.md).
#include <algorithm>
#include <utility>

#include "common/ascii.hpp"
#include "store/sqlite.hpp"
#include "store/store.hpp"
#include "store/store_db.hpp"

namespace lp2p::store {
namespace {

using sqlite::Statement;
using sqlite::Transaction;

constexpr std::size_t kSha256HexDigits = 64;
constexpr std::size_t kSha256Bytes = 32;

constexpr const char* kPartColumns =
    "SELECT sha256, size, dest_root, rel_path, part_name, peer, verified_bytes, updated_at "
    "FROM transfer_parts ";

bool is_sha256_hex(std::string_view hex) {
  return hex.size() == kSha256HexDigits &&
         hex.find_first_not_of("0123456789abcdefABCDEF") == std::string_view::npos;
}

PartRecord part_of_row(const Statement& row) {
  PartRecord p;
  p.sha256_hex = row.text(0);
  p.size = unstored(row.integer(1));
  p.dest_root = row.text(2);
  p.rel_path = row.text(3);
  p.part_name = row.text(4);
  p.peer = row.text(5);
  p.verified_bytes = unstored(row.integer(6));
  p.updated_at = time_of(row.integer(7));
  return p;
}

// Runs `sql` (a SELECT of kPartColumns) with `cutoff` bound to ?1 if given.
Result<std::vector<PartRecord>> select_parts(sqlite::Database& db, const std::string& sql,
                                             std::optional<std::int64_t> cutoff,
                                             std::string_view what) {
  auto select = db.prepare(sql, what);
  if (!select) return std::move(select).error();
  if (cutoff) select->bind(1, *cutoff);
  std::vector<PartRecord> parts;
  for (;;) {
    auto row = select->step();
    if (!row) return std::move(row).error();
    if (!*row) break;
    parts.push_back(part_of_row(*select));
  }
  return parts;
}

// Runs a one-row-changing statement on the key of transfer_parts, bound to ?1..?4.
Statement& bind_part_key(Statement& statement, const std::string& sha256_lower, std::uint64_t size,
                         std::string_view dest_root, std::string_view rel_path) {
  return statement.bind(1, sha256_lower).bind(2, stored(size)).bind(3, dest_root).bind(4, rel_path);
}

}  // namespace

Result<void> Store::put_part(const PartRecord& part) {
  if (!is_sha256_hex(part.sha256_hex)) {
    return make_error(Errc::invalid_argument, "put_part: \"" + part.sha256_hex +
                                                  "\" is not a SHA-256 digest in hex (64 digits)");
  }
  auto& db = *db_->db;
  constexpr std::string_view kWhat = "put_part";
  auto transaction = Transaction::begin(db, kWhat);
  if (!transaction) return std::move(transaction).error();
  {
    auto upsert = db.prepare(
        "INSERT OR REPLACE INTO transfer_parts (sha256, size, dest_root, rel_path, part_name, "
        "peer, verified_bytes, updated_at) VALUES (?1, ?2, ?3, ?4, ?5, ?6, ?7, ?8)",
        kWhat);
    if (!upsert) return std::move(upsert).error();
    LP2P_TRY(bind_part_key(*upsert, ascii_lower(part.sha256_hex), part.size, part.dest_root,
                           part.rel_path)
                 .bind(5, part.part_name)
                 .bind(6, part.peer)
                 .bind(7, stored(part.verified_bytes))
                 .bind(8, seconds(part.updated_at))
                 .run());
  }
  return transaction->commit();
}

Result<std::optional<PartRecord>> Store::find_part(std::string_view sha256_hex, std::uint64_t size,
                                                   std::string_view dest_root,
                                                   std::string_view rel_path) {
  auto select =
      db_->db->prepare(std::string(kPartColumns) +
                           "WHERE sha256 = ?1 AND size = ?2 AND dest_root = ?3 AND rel_path = ?4",
                       "find_part");
  if (!select) return std::move(select).error();
  auto row = bind_part_key(*select, ascii_lower(std::string(sha256_hex)), size, dest_root, rel_path)
                 .step();
  if (!row) return std::move(row).error();
  if (!*row) return std::optional<PartRecord>();
  return std::optional<PartRecord>(part_of_row(*select));
}

Result<std::vector<PartRecord>> Store::parts() {
  return select_parts(
      *db_->db,
      std::string(kPartColumns) + "ORDER BY updated_at DESC, dest_root, rel_path, sha256, size",
      std::nullopt, "parts");
}

Result<std::vector<PartRecord>> Store::parts_older_than(SystemTime cutoff) {
  return select_parts(
      *db_->db,
      std::string(kPartColumns) + "WHERE updated_at < ?1 ORDER BY updated_at, dest_root, rel_path",
      seconds(cutoff), "parts_older_than");
}

Result<bool> Store::forget_part(std::string_view sha256_hex, std::uint64_t size,
                                std::string_view dest_root, std::string_view rel_path) {
  auto& db = *db_->db;
  constexpr std::string_view kWhat = "forget_part";
  auto transaction = Transaction::begin(db, kWhat);
  if (!transaction) return std::move(transaction).error();
  {
    auto remove = db.prepare(
        "DELETE FROM transfer_parts "
        "WHERE sha256 = ?1 AND size = ?2 AND dest_root = ?3 AND rel_path = ?4",
        kWhat);
    if (!remove) return std::move(remove).error();
    LP2P_TRY(bind_part_key(*remove, ascii_lower(std::string(sha256_hex)), size, dest_root, rel_path)
                 .run());
  }
  const bool removed = db.changes() > 0;
  LP2P_TRY(transaction->commit());
  return removed;
}

Result<std::optional<HashRecord>> Store::cached_hash(std::string_view path,
                                                     std::uint64_t chunk_size, std::uint64_t dev,
                                                     std::uint64_t ino, std::uint64_t size,
                                                     std::int64_t mtime_ns, std::int64_t ctime_ns) {
  auto select = db_->db->prepare(
      "SELECT sha256, chunk_hashes, hashed_at FROM file_hashes "
      "WHERE path = ?1 AND chunk_size = ?2 AND dev = ?3 AND ino = ?4 AND size = ?5 "
      "AND mtime_ns = ?6 AND ctime_ns = ?7",
      "cached_hash");
  if (!select) return std::move(select).error();
  auto row = select->bind(1, path)
                 .bind(2, stored(chunk_size))
                 .bind(3, stored(dev))
                 .bind(4, stored(ino))
                 .bind(5, stored(size))
                 .bind(6, mtime_ns)
                 .bind(7, ctime_ns)
                 .step();
  if (!row) return std::move(row).error();
  if (!*row) return std::optional<HashRecord>();
  const std::vector<std::uint8_t> digest = select->blob(0);
  if (digest.size() != kSha256Bytes) {
    // The table's CHECK makes this impossible unless the file was edited behind our back.
    return make_error(Errc::malformed, db_->db->path().string() + ": cached_hash: a " +
                                           std::to_string(digest.size()) + "-byte SHA-256");
  }
  HashRecord record;
  record.path = std::string(path);
  record.chunk_size = chunk_size;
  record.dev = dev;
  record.ino = ino;
  record.size = size;
  record.mtime_ns = mtime_ns;
  record.ctime_ns = ctime_ns;
  std::copy(digest.begin(), digest.end(), record.sha256.begin());
  record.chunk_hashes = select->blob(1);
  record.hashed_at = time_of(select->integer(2));
  return std::optional<HashRecord>(std::move(record));
}

Result<void> Store::put_hash(const HashRecord& record) {
  return put_hashes({&record, 1});
}

Result<void> Store::put_hashes(std::span<const HashRecord> records) {
  for (const HashRecord& record : records) {
    if (record.chunk_hashes.size() % kSha256Bytes != 0) {
      return make_error(Errc::invalid_argument,
                        "put_hash: chunk_hashes of " + std::to_string(record.chunk_hashes.size()) +
                            " bytes is not a whole number of 32-byte SHA-256 digests");
    }
  }
  auto& db = *db_->db;
  constexpr std::string_view kWhat = "put_hash";
  auto transaction = Transaction::begin(db, kWhat);
  if (!transaction) return std::move(transaction).error();
  for (const HashRecord& record : records) {
    auto upsert = db.prepare(
        "INSERT INTO file_hashes (path, chunk_size, dev, ino, size, mtime_ns, ctime_ns, sha256, "
        "chunk_hashes, hashed_at) VALUES (?1, ?2, ?3, ?4, ?5, ?6, ?7, ?8, ?9, ?10) "
        "ON CONFLICT (path, chunk_size) DO UPDATE SET dev = excluded.dev, ino = excluded.ino, "
        "size = excluded.size, mtime_ns = excluded.mtime_ns, ctime_ns = excluded.ctime_ns, "
        "sha256 = excluded.sha256, chunk_hashes = excluded.chunk_hashes, "
        "hashed_at = excluded.hashed_at",
        kWhat);
    if (!upsert) return std::move(upsert).error();
    LP2P_TRY(upsert->bind(1, record.path)
                 .bind(2, stored(record.chunk_size))
                 .bind(3, stored(record.dev))
                 .bind(4, stored(record.ino))
                 .bind(5, stored(record.size))
                 .bind(6, record.mtime_ns)
                 .bind(7, record.ctime_ns)
                 .bind_blob(8, record.sha256)
                 .bind_blob(9, record.chunk_hashes)
                 .bind(10, seconds(record.hashed_at))
                 .run());
  }
  {
    // Beyond the cap, the oldest go (rowid breaks ties: the earlier insert first). count(*)
    // reads the small hashed_at index, not the rows.
    auto trim = db.prepare(
        "DELETE FROM file_hashes WHERE rowid IN (SELECT rowid FROM file_hashes "
        "ORDER BY hashed_at, rowid LIMIT max(0, (SELECT count(*) FROM file_hashes) - ?1))",
        kWhat);
    if (!trim) return std::move(trim).error();
    LP2P_TRY(trim->bind(1, static_cast<std::int64_t>(kMaxHashRecords)).run());
  }
  return transaction->commit();
}

}  // namespace lp2p::store
