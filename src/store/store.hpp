// The agent's persistent state in SQLite (`lp2p.db` in the state directory): this agent's
// identity record, the peers it knows (and whether they are authenticated), per-origin grants
// (osp-brief §4.11, §6), and file transfer's state: a receiver's partial files and a sender's
// cache of file hashes. The private key itself stays in agent-key.pem (mode 0600): the
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

#include <array>
#include <chrono>
#include <cstdint>
#include <filesystem>
#include <memory>
#include <optional>
#include <span>
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

// A receiver's partial file, so that an interrupted transfer resumes. Keyed by (sha256_hex,
// size, dest_root, rel_path): the same content to the same place.
struct PartRecord {
  std::string sha256_hex;  // of the whole file: 64 hex digits (stored in lower case)
  std::uint64_t size = 0;  // of the whole file
  std::string dest_root;   // absolute path of the destination root
  std::string rel_path;    // the final relative path, '/'-separated
  std::string part_name;   // the part file's name in rel_path's directory
  std::string peer;        // the sender's fingerprint (not a reference: outlives forget_peer)
  std::uint64_t verified_bytes = 0;  // the part file's prefix known to be good
  SystemTime updated_at{};
};

// A sender's hashes of one file, for one chunk size. Valid only while the file's dev, ino, size,
// mtime_ns and ctime_ns are the ones recorded (anything else: the file may have changed).
struct HashRecord {
  std::string path;  // absolute
  std::uint64_t chunk_size = 0;
  std::uint64_t dev = 0, ino = 0, size = 0;
  std::int64_t mtime_ns = 0, ctime_ns = 0;
  std::array<std::uint8_t, 32> sha256{};   // of the whole file
  std::vector<std::uint8_t> chunk_hashes;  // the SHA-256 of each chunk, concatenated; may be empty
  SystemTime hashed_at{};
};

class Store {
 public:
  static constexpr std::string_view kFileName = "lp2p.db";
  static constexpr int kSchemaVersion = 2;
  static constexpr std::size_t kMaxAddresses = 8;  // per peer, most recent first
  // Rows of the hash cache; put_hash() deletes the oldest (by hashed_at) beyond it.
  static constexpr std::size_t kMaxHashRecords = 100'000;

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

  // The transfer journal: a receiver's partial files. Hex digests are compared in lower case.
  // put_part() inserts or replaces by key; invalid_argument if sha256_hex is not 64 hex digits.
  Result<void> put_part(const PartRecord& part);
  Result<std::optional<PartRecord>> find_part(std::string_view sha256_hex, std::uint64_t size,
                                              std::string_view dest_root,
                                              std::string_view rel_path);
  Result<std::vector<PartRecord>> parts();  // all, newest first (by updated_at)
  // False if there was no such record.
  Result<bool> forget_part(std::string_view sha256_hex, std::uint64_t size,
                           std::string_view dest_root, std::string_view rel_path);
  // The records not updated since `cutoff` (updated_at < cutoff), oldest first: the part files
  // to clean up.
  Result<std::vector<PartRecord>> parts_older_than(SystemTime cutoff);

  // The sender's hash cache. cached_hash() returns the record of (path, chunk_size) only if dev,
  // ino, size, mtime_ns and ctime_ns all equal the stored ones; nullopt otherwise.
  Result<std::optional<HashRecord>> cached_hash(std::string_view path, std::uint64_t chunk_size,
                                                std::uint64_t dev, std::uint64_t ino,
                                                std::uint64_t size, std::int64_t mtime_ns,
                                                std::int64_t ctime_ns);
  // Inserts or replaces by (path, chunk_size), then deletes the oldest records (by hashed_at)
  // beyond kMaxHashRecords, in one transaction. invalid_argument if chunk_hashes is not a
  // multiple of 32 bytes.
  Result<void> put_hash(const HashRecord& record);
  // Many records in one transaction (one sync): a folder of 10 000 files costs one.
  Result<void> put_hashes(std::span<const HashRecord> records);

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
