// The agent's persistent state in SQLite (`lp2p.db` in the state directory): this agent's
// identity record, the peers it knows (and whether they are authenticated), and per-origin
// grants (osp-brief §4.11, §6). The private key itself stays in agent-key.pem (mode 0600): the
// database holds the fingerprint it belongs to.
//
// Durability: WAL mode, synchronous=FULL, every change one transaction, so a process killed at
// any point leaves a consistent database (the last change is there or not). Several processes
// may open the same database (the running agent and `lp2p peers`): writers wait up to
// busy_timeout for each other. The schema carries its version (PRAGMA user_version); open()
// migrates older versions forward in one transaction and refuses newer ones.
//
// Contract: a Store is used by one thread at a time (the agent's loop thread); it is not
// thread-safe. Fingerprints are the 44-character base64 strings. Times are Unix seconds (UTC).
#pragma once

#include <chrono>
#include <cstdint>
#include <filesystem>
#include <memory>
#include <optional>
#include <string>
#include <string_view>
#include <vector>

#include "lp2p/result.hpp"

namespace lp2p::store {

using SystemTime = std::chrono::sys_seconds;

struct KnownPeer {
  std::string fingerprint;
  std::string display_name;
  std::string model_name;
  std::string state_token;
  std::uint64_t metadata_version = 0;
  std::optional<SystemTime> authenticated_at;  // set: the peer is trusted (paired)
  std::vector<std::string> last_addresses;     // "[addr%if]:port" strings, most recent first
  SystemTime first_seen{};
  SystemTime last_seen{};
};

struct Grant {
  std::string peer_fingerprint;
  std::string origin;               // web origin, or an app id for native apps
  std::optional<SystemTime> until;  // nullopt: persistent until revoked
  SystemTime granted_at{};
};

class Store {
 public:
  static constexpr std::string_view kFileName = "lp2p.db";
  static constexpr int kSchemaVersion = 1;
  static constexpr std::size_t kMaxAddresses = 8;  // per peer, most recent first

  // Opens (creating if needed) `state_dir`/lp2p.db, mode 0600, and migrates it. Creates the
  // state directory (mode 0700) if it is missing. Errors: io_error (file system, "database is
  // locked" after the busy timeout), malformed (not a database, or corrupt), invalid_argument
  // (a schema newer than kSchemaVersion).
  static Result<std::unique_ptr<Store>> open(const std::filesystem::path& state_dir);
  Store(const Store&) = delete;
  Store& operator=(const Store&) = delete;
  Store(Store&&) = delete;
  Store& operator=(Store&&) = delete;
  ~Store();

  [[nodiscard]] int schema_version() const;

  // This agent's identity record. record_identity() on a different fingerprint than the stored
  // one replaces it and returns true: the key was replaced, peers will see a new device. The
  // first record, or the same fingerprint again, returns false (and keeps recorded_at). Known
  // peers and grants are left alone either way.
  Result<bool> record_identity(std::string_view fingerprint, SystemTime now);
  Result<std::optional<std::string>> identity_fingerprint();

  // Known peers. note_peer() inserts or updates what the peer said about itself (name, model,
  // state token, metadata version: overwritten) and where it was reached: seen.last_addresses
  // (most recent first) move to the front, the others follow, at most kMaxAddresses kept; an
  // empty list keeps the stored ones. last_seen becomes `now` (and first_seen, for a new peer);
  // seen.authenticated_at, first_seen and last_seen are ignored. It never changes trust.
  Result<void> note_peer(const KnownPeer& seen, SystemTime now);
  // Trusts the peer from `now` (paired again: the time moves). A peer not noted yet is added
  // with empty metadata, so that a successful pairing is never lost.
  Result<void> mark_authenticated(std::string_view fingerprint, SystemTime now);
  // A pairing that just succeeded: note_peer() and mark_authenticated() in one transaction (one
  // fsync), so the peer is never stored trusted without its verified metadata or the reverse.
  Result<void> note_paired_peer(const KnownPeer& seen, SystemTime now);
  Result<std::optional<KnownPeer>> peer(std::string_view fingerprint);
  Result<std::vector<KnownPeer>> peers();  // ordered by last_seen, newest first
  // Trusted peers whose display name equals `name` (case-insensitive ASCII) — for the
  // suspicious-agent check of osp-brief §1: same name, other fingerprint.
  Result<std::vector<KnownPeer>> trusted_peers_named(std::string_view name);
  // Removes the peer, its trust and all its grants. False if it was not known.
  Result<bool> forget_peer(std::string_view fingerprint);

  // Grants of a peer to an origin (insert or replace). invalid_argument if the peer is not known
  // (grants belong to known peers and go with them).
  Result<void> put_grant(const Grant& grant);
  // The grant if it exists and has not expired at `now`.
  Result<std::optional<Grant>> grant(std::string_view fingerprint, std::string_view origin,
                                     SystemTime now);
  // Every stored grant of the peer, by origin, expired ones included until prune_grants().
  Result<std::vector<Grant>> grants_of(std::string_view fingerprint);
  // False if there was no such grant.
  Result<bool> revoke_grant(std::string_view fingerprint, std::string_view origin);
  // Deletes the grants expired at `now` (until <= now); returns how many.
  Result<std::size_t> prune_grants(SystemTime now);

 private:
  struct Db;
  explicit Store(std::unique_ptr<Db> db);
  // note_peer's work inside the caller's transaction; `authenticated_at` set also trusts.
  Result<void> upsert_peer(const KnownPeer& seen, SystemTime now,
                           std::optional<SystemTime> authenticated_at, std::string_view what);
  std::unique_ptr<Db> db_;
};

// Resolves a fingerprint prefix (≥ 4 characters, case-sensitive like base64) against the known
// peers: exactly one match (a whole fingerprint always matches itself) or an invalid_argument
// error naming the ambiguity (with the candidates) or the absence. Store failures keep their
// own code (io_error, malformed).
inline constexpr std::size_t kMinFingerprintPrefix = 4;
Result<KnownPeer> find_known_peer(Store& store, std::string_view fingerprint_prefix);

}  // namespace lp2p::store
