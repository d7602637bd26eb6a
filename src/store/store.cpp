#include "store/store.hpp"

#include <algorithm>
#include <system_error>
#include <utility>

#include "common/ascii.hpp"
#include "store/schema.hpp"
#include "store/sqlite.hpp"
#include "store/store_db.hpp"

namespace lp2p::store {
namespace {

using sqlite::Statement;
using sqlite::Transaction;

constexpr const char* kPeerColumns =
    "SELECT fingerprint, display_name, model_name, state_token, metadata_version, "
    "authenticated_at, first_seen, last_seen FROM peers ";

KnownPeer peer_of_row(const Statement& row) {
  KnownPeer p;
  p.fingerprint = row.text(0);
  p.display_name = row.text(1);
  p.model_name = row.text(2);
  p.state_token = row.text(3);
  p.metadata_version = unstored(row.integer(4));
  p.authenticated_at = time_of(row.optional_integer(5));
  p.first_seen = time_of(row.integer(6));
  p.last_seen = time_of(row.integer(7));
  return p;
}

Grant grant_of_row(const Statement& row) {
  return Grant{row.text(0), row.text(1), time_of(row.optional_integer(2)), time_of(row.integer(3))};
}

// Runs `sql` (a SELECT of kPeerColumns) with `fingerprint` bound to ?1 if not empty.
Result<std::vector<KnownPeer>> select_peers(sqlite::Database& db, const std::string& sql,
                                            std::string_view fingerprint, std::string_view what) {
  auto statement = db.prepare(sql, what);
  if (!statement) return std::move(statement).error();
  if (!fingerprint.empty()) statement->bind(1, fingerprint);
  std::vector<KnownPeer> peers;
  for (;;) {
    auto row = statement->step();
    if (!row) return std::move(row).error();
    if (!*row) break;
    peers.push_back(peer_of_row(*statement));
  }
  return peers;
}

Result<std::vector<std::string>> addresses_of(sqlite::Database& db, std::string_view fingerprint,
                                              std::string_view what) {
  auto statement =
      db.prepare("SELECT address FROM peer_addresses WHERE peer = ?1 ORDER BY position", what);
  if (!statement) return std::move(statement).error();
  statement->bind(1, fingerprint);
  std::vector<std::string> addresses;
  for (;;) {
    auto row = statement->step();
    if (!row) return std::move(row).error();
    if (!*row) break;
    addresses.push_back(statement->text(0));
  }
  return addresses;
}

// Reads the peers that `sql` selects, with their addresses, in one snapshot.
Result<std::vector<KnownPeer>> read_peers(sqlite::Database& db, const std::string& sql,
                                          std::string_view fingerprint, std::string_view what) {
  auto snapshot = sqlite::ReadTransaction::begin(db, what);
  if (!snapshot) return std::move(snapshot).error();
  auto peers = select_peers(db, sql, fingerprint, what);
  if (!peers) return peers;
  for (auto& p : *peers) {
    auto addresses = addresses_of(db, p.fingerprint, what);
    if (!addresses) return std::move(addresses).error();
    p.last_addresses = std::move(*addresses);
  }
  return peers;
}

// The peer's addresses after it was reached at `fresh` (most recent first).
std::vector<std::string> merged_addresses(const std::vector<std::string>& fresh,
                                          const std::vector<std::string>& old) {
  std::vector<std::string> merged;
  for (const auto* list : {&fresh, &old}) {
    for (const auto& a : *list) {
      if (merged.size() == Store::kMaxAddresses) return merged;
      if (std::find(merged.begin(), merged.end(), a) == merged.end()) merged.push_back(a);
    }
  }
  return merged;
}

Result<void> write_addresses(sqlite::Database& db, std::string_view fingerprint,
                             const std::vector<std::string>& addresses) {
  constexpr std::string_view kWhat = "note_peer: store addresses";
  {
    auto clear = db.prepare("DELETE FROM peer_addresses WHERE peer = ?1", kWhat);
    if (!clear) return std::move(clear).error();
    LP2P_TRY(clear->bind(1, fingerprint).run());
  }
  for (std::size_t i = 0; i < addresses.size(); ++i) {
    auto insert = db.prepare(
        "INSERT INTO peer_addresses (peer, position, address) VALUES (?1, ?2, ?3)", kWhat);
    if (!insert) return std::move(insert).error();
    LP2P_TRY(insert->bind(1, fingerprint)
                 .bind(2, static_cast<std::int64_t>(i))
                 .bind(3, addresses[i])
                 .run());
  }
  return {};
}

// Creates `dir` (mode 0700) if missing: it holds the agent's key and the peers it trusts.
Result<void> ensure_state_dir(const std::filesystem::path& dir) {
  std::error_code ec;
  if (std::filesystem::is_directory(dir, ec)) return {};
  std::filesystem::create_directories(dir, ec);
  if (!ec) {
    std::filesystem::permissions(dir, std::filesystem::perms::owner_all,
                                 std::filesystem::perm_options::replace, ec);
  }
  if (ec) {
    return make_error(Errc::io_error,
                      "cannot create state directory " + dir.string() + ": " + ec.message());
  }
  return {};
}

}  // namespace

Store::Store(std::unique_ptr<Db> db) : db_(std::move(db)) {}
Store::~Store() = default;

Result<std::unique_ptr<Store>> Store::open(const std::filesystem::path& state_dir) {
  LP2P_TRY(ensure_state_dir(state_dir));
  auto db = sqlite::Database::open(state_dir / kFileName);
  if (!db) return std::move(db).error();
  auto version = migrate(**db);
  if (!version) return std::move(version).error();
  auto state = std::make_unique<Db>();
  state->db = std::move(*db);
  state->schema_version = *version;
  return std::unique_ptr<Store>(new Store(std::move(state)));
}

int Store::schema_version() const {
  return db_->schema_version;
}

Result<bool> Store::record_identity(std::string_view fingerprint, SystemTime now) {
  auto& db = *db_->db;
  constexpr std::string_view kWhat = "record_identity";
  auto transaction = Transaction::begin(db, kWhat);
  if (!transaction) return std::move(transaction).error();
  std::optional<std::string> before;
  {
    auto select = db.prepare("SELECT fingerprint FROM identity WHERE id = 1", kWhat);
    if (!select) return std::move(select).error();
    auto row = select->step();
    if (!row) return std::move(row).error();
    if (*row) before = select->text(0);
  }
  if (before == fingerprint) return false;  // nothing to write; the transaction rolls back
  {
    auto upsert = db.prepare(
        "INSERT INTO identity (id, fingerprint, recorded_at) VALUES (1, ?1, ?2) "
        "ON CONFLICT (id) DO UPDATE SET fingerprint = excluded.fingerprint, "
        "recorded_at = excluded.recorded_at",
        kWhat);
    if (!upsert) return std::move(upsert).error();
    LP2P_TRY(upsert->bind(1, fingerprint).bind(2, seconds(now)).run());
  }
  LP2P_TRY(transaction->commit());
  return before.has_value();
}

Result<std::optional<std::string>> Store::identity_fingerprint() {
  auto select = db_->db->prepare("SELECT fingerprint FROM identity WHERE id = 1", "identity");
  if (!select) return std::move(select).error();
  auto row = select->step();
  if (!row) return std::move(row).error();
  if (!*row) return std::optional<std::string>();
  return std::optional<std::string>(select->text(0));
}

Result<void> Store::upsert_peer(const KnownPeer& seen, SystemTime now,
                                std::optional<SystemTime> authenticated_at, std::string_view what) {
  auto& db = *db_->db;
  {
    // A NULL ?7 leaves the stored trust as it is.
    auto upsert = db.prepare(
        "INSERT INTO peers (fingerprint, display_name, model_name, state_token, "
        "metadata_version, authenticated_at, first_seen, last_seen) "
        "VALUES (?1, ?2, ?3, ?4, ?5, ?7, ?6, ?6) "
        "ON CONFLICT (fingerprint) DO UPDATE SET display_name = excluded.display_name, "
        "model_name = excluded.model_name, state_token = excluded.state_token, "
        "metadata_version = excluded.metadata_version, last_seen = excluded.last_seen, "
        "authenticated_at = COALESCE(excluded.authenticated_at, peers.authenticated_at)",
        what);
    if (!upsert) return std::move(upsert).error();
    std::optional<std::int64_t> trusted_since;
    if (authenticated_at) trusted_since = seconds(*authenticated_at);
    LP2P_TRY(upsert->bind(1, seen.fingerprint)
                 .bind(2, seen.display_name)
                 .bind(3, seen.model_name)
                 .bind(4, seen.state_token)
                 .bind(5, stored(seen.metadata_version))
                 .bind(6, seconds(now))
                 .bind(7, trusted_since)
                 .run());
  }
  if (!seen.last_addresses.empty()) {
    auto old = addresses_of(db, seen.fingerprint, what);
    if (!old) return std::move(old).error();
    LP2P_TRY(write_addresses(db, seen.fingerprint, merged_addresses(seen.last_addresses, *old)));
  }
  return {};
}

Result<void> Store::note_peer(const KnownPeer& seen, SystemTime now) {
  constexpr std::string_view kWhat = "note_peer";
  auto transaction = Transaction::begin(*db_->db, kWhat);
  if (!transaction) return std::move(transaction).error();
  LP2P_TRY(upsert_peer(seen, now, std::nullopt, kWhat));
  return transaction->commit();
}

Result<void> Store::note_paired_peer(const KnownPeer& seen, SystemTime now) {
  constexpr std::string_view kWhat = "note_paired_peer";
  auto transaction = Transaction::begin(*db_->db, kWhat);
  if (!transaction) return std::move(transaction).error();
  LP2P_TRY(upsert_peer(seen, now, now, kWhat));
  return transaction->commit();
}

Result<void> Store::mark_authenticated(std::string_view fingerprint, SystemTime now) {
  auto& db = *db_->db;
  constexpr std::string_view kWhat = "mark_authenticated";
  auto transaction = Transaction::begin(db, kWhat);
  if (!transaction) return std::move(transaction).error();
  {
    auto upsert = db.prepare(
        "INSERT INTO peers (fingerprint, display_name, model_name, state_token, "
        "metadata_version, authenticated_at, first_seen, last_seen) "
        "VALUES (?1, '', '', '', 0, ?2, ?2, ?2) "
        "ON CONFLICT (fingerprint) DO UPDATE SET authenticated_at = excluded.authenticated_at",
        kWhat);
    if (!upsert) return std::move(upsert).error();
    LP2P_TRY(upsert->bind(1, fingerprint).bind(2, seconds(now)).run());
  }
  return transaction->commit();
}

Result<std::optional<KnownPeer>> Store::peer(std::string_view fingerprint) {
  auto found = read_peers(*db_->db, std::string(kPeerColumns) + "WHERE fingerprint = ?1",
                          fingerprint, "peer");
  if (!found) return std::move(found).error();
  if (found->empty()) return std::optional<KnownPeer>();
  return std::optional<KnownPeer>(std::move(found->front()));
}

Result<std::vector<KnownPeer>> Store::peers() {
  return read_peers(*db_->db, std::string(kPeerColumns) + "ORDER BY last_seen DESC, fingerprint",
                    {}, "peers");
}

Result<std::vector<KnownPeer>> Store::trusted_peers_named(std::string_view name) {
  // Compared here rather than with SQL's NOCASE so that one definition of ASCII folding
  // (common/ascii.hpp) decides, as for the names discovery matches.
  auto trusted = read_peers(*db_->db,
                            std::string(kPeerColumns) +
                                "WHERE authenticated_at IS NOT NULL "
                                "ORDER BY last_seen DESC, fingerprint",
                            {}, "trusted_peers_named");
  if (!trusted) return trusted;
  std::erase_if(*trusted,
                [name](const KnownPeer& p) { return !ascii_iequals(p.display_name, name); });
  return trusted;
}

Result<bool> Store::forget_peer(std::string_view fingerprint) {
  auto& db = *db_->db;
  constexpr std::string_view kWhat = "forget_peer";
  auto transaction = Transaction::begin(db, kWhat);
  if (!transaction) return std::move(transaction).error();
  {
    // Addresses and grants go with it (ON DELETE CASCADE).
    auto remove = db.prepare("DELETE FROM peers WHERE fingerprint = ?1", kWhat);
    if (!remove) return std::move(remove).error();
    LP2P_TRY(remove->bind(1, fingerprint).run());
  }
  const bool removed = db.changes() > 0;
  LP2P_TRY(transaction->commit());
  return removed;
}

Result<void> Store::put_grant(const Grant& grant) {
  auto& db = *db_->db;
  constexpr std::string_view kWhat = "put_grant";
  auto transaction = Transaction::begin(db, kWhat);
  if (!transaction) return std::move(transaction).error();
  {
    auto known = db.prepare("SELECT 1 FROM peers WHERE fingerprint = ?1", kWhat);
    if (!known) return std::move(known).error();
    auto row = known->bind(1, grant.peer_fingerprint).step();
    if (!row) return std::move(row).error();
    if (!*row) {
      return make_error(
          Errc::invalid_argument,
          db.path().string() + ": put_grant: " + grant.peer_fingerprint + " is not a known peer");
    }
  }
  {
    auto upsert = db.prepare(
        "INSERT INTO grants (peer, origin, until, granted_at) VALUES (?1, ?2, ?3, ?4) "
        "ON CONFLICT (peer, origin) DO UPDATE SET until = excluded.until, "
        "granted_at = excluded.granted_at",
        kWhat);
    if (!upsert) return std::move(upsert).error();
    std::optional<std::int64_t> until;
    if (grant.until) until = seconds(*grant.until);
    LP2P_TRY(upsert->bind(1, grant.peer_fingerprint)
                 .bind(2, grant.origin)
                 .bind(3, until)
                 .bind(4, seconds(grant.granted_at))
                 .run());
  }
  return transaction->commit();
}

Result<std::optional<Grant>> Store::grant(std::string_view fingerprint, std::string_view origin,
                                          SystemTime now) {
  auto select = db_->db->prepare(
      "SELECT peer, origin, until, granted_at FROM grants "
      "WHERE peer = ?1 AND origin = ?2 AND (until IS NULL OR until > ?3)",
      "grant");
  if (!select) return std::move(select).error();
  auto row = select->bind(1, fingerprint).bind(2, origin).bind(3, seconds(now)).step();
  if (!row) return std::move(row).error();
  if (!*row) return std::optional<Grant>();
  return std::optional<Grant>(grant_of_row(*select));
}

Result<std::vector<Grant>> Store::grants_of(std::string_view fingerprint) {
  auto select = db_->db->prepare(
      "SELECT peer, origin, until, granted_at FROM grants WHERE peer = ?1 ORDER BY origin",
      "grants_of");
  if (!select) return std::move(select).error();
  select->bind(1, fingerprint);
  std::vector<Grant> grants;
  for (;;) {
    auto row = select->step();
    if (!row) return std::move(row).error();
    if (!*row) break;
    grants.push_back(grant_of_row(*select));
  }
  return grants;
}

Result<bool> Store::revoke_grant(std::string_view fingerprint, std::string_view origin) {
  auto& db = *db_->db;
  constexpr std::string_view kWhat = "revoke_grant";
  auto transaction = Transaction::begin(db, kWhat);
  if (!transaction) return std::move(transaction).error();
  {
    auto remove = db.prepare("DELETE FROM grants WHERE peer = ?1 AND origin = ?2", kWhat);
    if (!remove) return std::move(remove).error();
    LP2P_TRY(remove->bind(1, fingerprint).bind(2, origin).run());
  }
  const bool removed = db.changes() > 0;
  LP2P_TRY(transaction->commit());
  return removed;
}

Result<std::size_t> Store::prune_grants(SystemTime now) {
  auto& db = *db_->db;
  constexpr std::string_view kWhat = "prune_grants";
  auto transaction = Transaction::begin(db, kWhat);
  if (!transaction) return std::move(transaction).error();
  {
    auto remove = db.prepare("DELETE FROM grants WHERE until IS NOT NULL AND until <= ?1", kWhat);
    if (!remove) return std::move(remove).error();
    LP2P_TRY(remove->bind(1, seconds(now)).run());
  }
  const auto removed = static_cast<std::size_t>(db.changes());
  LP2P_TRY(transaction->commit());
  return removed;
}

Result<KnownPeer> find_known_peer(Store& store, std::string_view fingerprint_prefix) {
  if (fingerprint_prefix.size() < kMinFingerprintPrefix) {
    return make_error(Errc::invalid_argument,
                      "\"" + std::string(fingerprint_prefix) + "\" is too short: give at least " +
                          std::to_string(kMinFingerprintPrefix) +
                          " characters of the fingerprint (`lp2p peers` lists them)");
  }
  auto peers = store.peers();
  if (!peers) return std::move(peers).error();
  std::vector<KnownPeer> found;
  for (auto& p : *peers) {
    if (p.fingerprint == fingerprint_prefix) return std::move(p);
    if (p.fingerprint.starts_with(fingerprint_prefix)) found.push_back(std::move(p));
  }
  if (found.size() == 1) return std::move(found.front());
  if (found.empty()) {
    return make_error(Errc::invalid_argument, "no known peer has a fingerprint starting with \"" +
                                                  std::string(fingerprint_prefix) +
                                                  "\" (`lp2p peers` lists them)");
  }
  // One candidate a line, for the terminal (`lp2p peers forget` prints this as it is).
  constexpr std::size_t kListed = 10;
  std::string message = "\"" + std::string(fingerprint_prefix) + "\" matches " +
                        std::to_string(found.size()) + " known peers:\n";
  for (std::size_t i = 0; i < found.size() && i < kListed; ++i) {
    const auto& p = found[i];
    message += "  " + p.fingerprint + "  " +
               (p.display_name.empty() ? std::string("(no name)") : p.display_name) + "\n";
  }
  if (found.size() > kListed) {
    message += "  and " + std::to_string(found.size() - kListed) + " more\n";
  }
  message += "Give more characters of the fingerprint.";
  return make_error(Errc::invalid_argument, std::move(message));
}

}  // namespace lp2p::store
