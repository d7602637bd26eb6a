// store::Store, schema version 2: the transfer journal (transfer_parts), the sender's hash cache
// (file_hashes), and the migration of a version-1 database, on real files in a temporary state
// directory per test.
#include <gtest/gtest.h>
#include <sqlite3.h>
#include <unistd.h>

#include <atomic>
#include <filesystem>

#include "store/store.hpp"

namespace lp2p::store {
namespace {

using std::chrono::hours;
using std::chrono::seconds;

constexpr SystemTime kT0{seconds(1'700'000'000)};

// Schema version 1 exactly as released (src/store/schema.cpp, migration 1). A released migration
// is never edited, so this copy stays the database an older lp2p left behind.
constexpr const char* kSchemaV1 = R"sql(
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
)sql";

std::string fp(char first) {
  std::string f(43, 'A');
  f[0] = first;
  return f + "=";
}

std::string sha_hex(char digit) {
  std::string hex(64, digit);  // not a braced list: that would be the two characters 64, digit
  return hex;
}

// Runs SQL straight on the file, bypassing Store.
void raw_exec(const std::filesystem::path& file, const std::string& sql) {
  sqlite3* db = nullptr;
  ASSERT_EQ(sqlite3_open(file.c_str(), &db), SQLITE_OK);
  char* message = nullptr;
  const int rc = sqlite3_exec(db, sql.c_str(), nullptr, nullptr, &message);
  const std::string text = message != nullptr ? message : "";
  sqlite3_free(message);
  sqlite3_close(db);
  ASSERT_EQ(rc, SQLITE_OK) << text;
}

std::int64_t raw_count(const std::filesystem::path& file, const std::string& sql) {
  sqlite3* db = nullptr;
  EXPECT_EQ(sqlite3_open(file.c_str(), &db), SQLITE_OK);
  sqlite3_stmt* statement = nullptr;
  EXPECT_EQ(sqlite3_prepare_v2(db, sql.c_str(), -1, &statement, nullptr), SQLITE_OK);
  EXPECT_EQ(sqlite3_step(statement), SQLITE_ROW);
  const std::int64_t n = sqlite3_column_int64(statement, 0);
  sqlite3_finalize(statement);
  sqlite3_close(db);
  return n;
}

PartRecord part(char digest, std::string rel_path = "photos/a.jpg") {
  PartRecord p;
  p.sha256_hex = sha_hex(digest);
  p.size = 0xFFFF'FFFF'FFFF'FF00ULL;  // above INT64_MAX: stored as its bit pattern
  p.dest_root = "/home/u/Downloads";
  p.rel_path = std::move(rel_path);
  p.part_name = ".a.jpg." + std::string(8, digest) + ".lp2p-part";
  p.peer = fp('P');
  p.verified_bytes = 1 << 20;
  p.updated_at = kT0;
  return p;
}

HashRecord hashed(std::string path, std::uint64_t chunk_size = 1 << 20) {
  HashRecord h;
  h.path = std::move(path);
  h.chunk_size = chunk_size;
  h.dev = 0x803;
  h.ino = 0xFFFF'FFFF'0000'0001ULL;
  h.size = 3'000'000;
  h.mtime_ns = 1'700'000'000'123'456'789;
  h.ctime_ns = 1'700'000'001'000'000'000;
  for (std::size_t i = 0; i < h.sha256.size(); ++i) h.sha256.at(i) = static_cast<std::uint8_t>(i);
  h.chunk_hashes.assign(std::size_t{3} * 32, 0xAB);  // three chunks
  h.hashed_at = kT0;
  return h;
}

void expect_same(const PartRecord& got, const PartRecord& want) {
  EXPECT_EQ(got.sha256_hex, want.sha256_hex);
  EXPECT_EQ(got.size, want.size);
  EXPECT_EQ(got.dest_root, want.dest_root);
  EXPECT_EQ(got.rel_path, want.rel_path);
  EXPECT_EQ(got.part_name, want.part_name);
  EXPECT_EQ(got.peer, want.peer);
  EXPECT_EQ(got.verified_bytes, want.verified_bytes);
  EXPECT_EQ(got.updated_at, want.updated_at);
}

class TransferRecordsTest : public ::testing::Test {
 protected:
  void SetUp() override {
    static std::atomic<int> counter{0};
    dir_ = std::filesystem::temp_directory_path() /
           ("lp2p-store-v2-" + std::to_string(::getpid()) + "-" + std::to_string(counter++));
    std::filesystem::remove_all(dir_);
    store_ = open();
    ASSERT_NE(store_, nullptr);
  }
  void TearDown() override {
    store_.reset();
    std::filesystem::remove_all(dir_);
  }

  std::unique_ptr<Store> open() {
    auto opened = Store::open(dir_);
    EXPECT_TRUE(opened) << (opened ? "" : opened.error().describe());
    return opened ? std::move(*opened) : nullptr;
  }
  [[nodiscard]] std::filesystem::path file() const { return dir_ / Store::kFileName; }

  std::optional<PartRecord> find(const PartRecord& key) {
    auto found = store_->find_part(key.sha256_hex, key.size, key.dest_root, key.rel_path);
    EXPECT_TRUE(found) << found.error().describe();
    return found ? *found : std::nullopt;
  }

  std::optional<HashRecord> lookup(const HashRecord& h) {
    auto found =
        store_->cached_hash(h.path, h.chunk_size, h.dev, h.ino, h.size, h.mtime_ns, h.ctime_ns);
    EXPECT_TRUE(found) << found.error().describe();
    return found ? *found : std::nullopt;
  }

  std::filesystem::path dir_;
  std::unique_ptr<Store> store_;
};

TEST_F(TransferRecordsTest, PartRoundTripAndReopen) {
  const PartRecord p = part('a');
  ASSERT_TRUE(store_->put_part(p));
  auto got = find(p);
  ASSERT_TRUE(got.has_value());
  expect_same(*got, p);

  store_.reset();
  store_ = open();
  got = find(p);
  ASSERT_TRUE(got.has_value());
  expect_same(*got, p);
}

TEST_F(TransferRecordsTest, PutPartReplacesByKey) {
  PartRecord p = part('a');
  ASSERT_TRUE(store_->put_part(p));
  p.verified_bytes = 5 << 20;
  p.part_name = ".a.jpg.other.lp2p-part";
  p.peer = fp('Q');
  p.updated_at = kT0 + seconds(30);
  ASSERT_TRUE(store_->put_part(p));
  auto all = store_->parts();
  ASSERT_TRUE(all);
  ASSERT_EQ(all->size(), 1U);
  expect_same(all->front(), p);
}

TEST_F(TransferRecordsTest, EveryKeyFieldDistinguishes) {
  const PartRecord base = part('a');
  PartRecord other_size = base;
  other_size.size = 7;
  PartRecord other_root = base;
  other_root.dest_root = "/mnt/usb";
  for (const PartRecord& p : {base, part('b'), other_size, other_root, part('a', "photos/b.jpg")}) {
    ASSERT_TRUE(store_->put_part(p));
  }
  auto all = store_->parts();
  ASSERT_TRUE(all);
  EXPECT_EQ(all->size(), 5U);
  auto got = find(other_size);
  ASSERT_TRUE(got.has_value());
  EXPECT_EQ(got->size, 7U);
  // Same digest, size and path, another root: not found.
  PartRecord absent = base;
  absent.dest_root = "/elsewhere";
  EXPECT_FALSE(find(absent).has_value());
}

TEST_F(TransferRecordsTest, DigestsCompareInLowerCase) {
  PartRecord upper = part('a');
  upper.sha256_hex = sha_hex('A');
  ASSERT_TRUE(store_->put_part(upper));
  auto got = find(part('a'));
  ASSERT_TRUE(got.has_value());
  EXPECT_EQ(got->sha256_hex, sha_hex('a'));
  auto removed = store_->forget_part(sha_hex('A'), upper.size, upper.dest_root, upper.rel_path);
  ASSERT_TRUE(removed);
  EXPECT_TRUE(*removed);
}

TEST_F(TransferRecordsTest, PutPartRefusesABadDigest) {
  for (const std::string& bad :
       {std::string(), std::string(63, 'a'), std::string(65, 'a'), std::string(63, 'a') + "g"}) {
    PartRecord p = part('a');
    p.sha256_hex = bad;
    auto r = store_->put_part(p);
    ASSERT_FALSE(r) << bad;
    EXPECT_EQ(r.error().code, Errc::invalid_argument);
  }
  // The table refuses it too, if something bypassed put_part.
  sqlite3* db = nullptr;
  ASSERT_EQ(sqlite3_open(file().c_str(), &db), SQLITE_OK);
  const int rc =
      sqlite3_exec(db,
                   "INSERT INTO transfer_parts VALUES ('XYZ', 1, '/d', 'f', '.f.lp2p-part', "
                   "'p', 0, 0)",
                   nullptr, nullptr, nullptr);
  sqlite3_close(db);
  EXPECT_EQ(rc, SQLITE_CONSTRAINT);
}

TEST_F(TransferRecordsTest, PartsNewestFirstAndOlderThanOldestFirst) {
  for (int i = 0; i < 4; ++i) {
    PartRecord p = part('a', "f" + std::to_string(i));
    p.updated_at = kT0 + hours(i);
    ASSERT_TRUE(store_->put_part(p));
  }
  auto all = store_->parts();
  ASSERT_TRUE(all);
  ASSERT_EQ(all->size(), 4U);
  EXPECT_EQ((*all)[0].rel_path, "f3");
  EXPECT_EQ((*all)[3].rel_path, "f0");

  auto old = store_->parts_older_than(kT0 + hours(2));
  ASSERT_TRUE(old);
  ASSERT_EQ(old->size(), 2U);  // f0 and f1; f2 is exactly at the cutoff
  EXPECT_EQ((*old)[0].rel_path, "f0");
  EXPECT_EQ((*old)[1].rel_path, "f1");
}

TEST_F(TransferRecordsTest, ForgetPart) {
  const PartRecord p = part('a');
  ASSERT_TRUE(store_->put_part(p));
  auto removed = store_->forget_part(p.sha256_hex, p.size, p.dest_root, p.rel_path);
  ASSERT_TRUE(removed);
  EXPECT_TRUE(*removed);
  EXPECT_FALSE(find(p).has_value());
  removed = store_->forget_part(p.sha256_hex, p.size, p.dest_root, p.rel_path);
  ASSERT_TRUE(removed);
  EXPECT_FALSE(*removed);
}

TEST_F(TransferRecordsTest, ForgettingThePeerKeepsItsPartialFiles) {
  ASSERT_TRUE(store_->mark_authenticated(fp('P'), kT0));
  ASSERT_TRUE(store_->put_part(part('a')));
  auto forgotten = store_->forget_peer(fp('P'));
  ASSERT_TRUE(forgotten && *forgotten);
  EXPECT_TRUE(find(part('a')).has_value());
}

TEST_F(TransferRecordsTest, HashRoundTrip) {
  const HashRecord h = hashed("/home/u/big.iso");
  ASSERT_TRUE(store_->put_hash(h));
  auto got = lookup(h);
  ASSERT_TRUE(got.has_value());
  EXPECT_EQ(got->path, h.path);
  EXPECT_EQ(got->chunk_size, h.chunk_size);
  EXPECT_EQ(got->dev, h.dev);
  EXPECT_EQ(got->ino, h.ino);
  EXPECT_EQ(got->size, h.size);
  EXPECT_EQ(got->mtime_ns, h.mtime_ns);
  EXPECT_EQ(got->ctime_ns, h.ctime_ns);
  EXPECT_EQ(got->sha256, h.sha256);
  EXPECT_EQ(got->chunk_hashes, h.chunk_hashes);
  EXPECT_EQ(got->hashed_at, h.hashed_at);
}

TEST_F(TransferRecordsTest, EmptyChunkHashesAreAnEmptyBlob) {
  HashRecord h = hashed("/small");
  h.chunk_hashes.clear();
  ASSERT_TRUE(store_->put_hash(h));
  auto got = lookup(h);
  ASSERT_TRUE(got.has_value());
  EXPECT_TRUE(got->chunk_hashes.empty());
  EXPECT_EQ(raw_count(file(), "SELECT count(*) FROM file_hashes WHERE chunk_hashes IS NULL"), 0);
}

TEST_F(TransferRecordsTest, AnyChangedStatFieldMisses) {
  const HashRecord h = hashed("/f");
  ASSERT_TRUE(store_->put_hash(h));
  ASSERT_TRUE(lookup(h).has_value());
  auto changed = [&](auto mutate) {
    HashRecord other = h;
    mutate(other);
    return lookup(other);
  };
  EXPECT_FALSE(changed([](HashRecord& r) { ++r.dev; }));
  EXPECT_FALSE(changed([](HashRecord& r) { ++r.ino; }));
  EXPECT_FALSE(changed([](HashRecord& r) { ++r.size; }));
  EXPECT_FALSE(changed([](HashRecord& r) { ++r.mtime_ns; }));
  EXPECT_FALSE(changed([](HashRecord& r) { ++r.ctime_ns; }));
  EXPECT_FALSE(changed([](HashRecord& r) { r.chunk_size *= 2; }));
  EXPECT_FALSE(changed([](HashRecord& r) { r.path = "/g"; }));
}

TEST_F(TransferRecordsTest, PutHashReplacesByPathAndChunkSize) {
  HashRecord h = hashed("/f");
  ASSERT_TRUE(store_->put_hash(h));
  HashRecord other_chunks = hashed("/f", 4 << 20);
  ASSERT_TRUE(store_->put_hash(other_chunks));
  h.mtime_ns += 1;  // the file changed and was hashed again
  h.sha256.fill(0xEE);
  ASSERT_TRUE(store_->put_hash(h));
  EXPECT_EQ(raw_count(file(), "SELECT count(*) FROM file_hashes"), 2);
  auto got = lookup(h);
  ASSERT_TRUE(got.has_value());
  EXPECT_EQ(got->sha256[0], 0xEE);
  EXPECT_TRUE(lookup(other_chunks).has_value());
}

TEST_F(TransferRecordsTest, PutHashRefusesPartialChunkHashes) {
  HashRecord h = hashed("/f");
  h.chunk_hashes.resize(33);
  auto r = store_->put_hash(h);
  ASSERT_FALSE(r);
  EXPECT_EQ(r.error().code, Errc::invalid_argument);
}

// The real cap: kMaxHashRecords rows are inserted in one raw statement (fast), then put_hash()
// adds one more and must delete exactly the oldest.
TEST_F(TransferRecordsTest, HashCacheKeepsTheNewestHundredThousand) {
  const auto cap = static_cast<std::int64_t>(Store::kMaxHashRecords);
  raw_exec(file(),
           "WITH RECURSIVE n(i) AS (SELECT 0 UNION ALL SELECT i + 1 FROM n WHERE i + 1 < " +
               std::to_string(cap) +
               ") INSERT INTO file_hashes (path, chunk_size, dev, ino, size, mtime_ns, "
               "ctime_ns, sha256, chunk_hashes, hashed_at) "
               "SELECT '/bulk/' || i, 1, 1, i, 1, 1, 1, zeroblob(32), zeroblob(0), 1000 + i "
               "FROM n");
  ASSERT_EQ(raw_count(file(), "SELECT count(*) FROM file_hashes"), cap);

  HashRecord h = hashed("/new");
  h.hashed_at = kT0;
  ASSERT_TRUE(store_->put_hash(h));
  EXPECT_EQ(raw_count(file(), "SELECT count(*) FROM file_hashes"), cap);
  EXPECT_EQ(raw_count(file(), "SELECT count(*) FROM file_hashes WHERE path = '/bulk/0'"), 0);
  EXPECT_EQ(raw_count(file(), "SELECT count(*) FROM file_hashes WHERE path = '/bulk/1'"), 1);
  EXPECT_TRUE(lookup(h).has_value());

  // Replacing an existing record adds no row: nothing more goes.
  h.ctime_ns += 1;
  ASSERT_TRUE(store_->put_hash(h));
  EXPECT_EQ(raw_count(file(), "SELECT count(*) FROM file_hashes"), cap);
  EXPECT_EQ(raw_count(file(), "SELECT count(*) FROM file_hashes WHERE path = '/bulk/1'"), 1);
}

TEST(StoreMigration, Version1MigratesKeepingPeersAndGrants) {
  const auto dir =
      std::filesystem::temp_directory_path() / ("lp2p-store-v1-" + std::to_string(::getpid()));
  std::filesystem::remove_all(dir);
  std::filesystem::create_directories(dir);
  const auto file = dir / Store::kFileName;
  raw_exec(file, std::string(kSchemaV1) + "PRAGMA user_version = 1;" +
                     "INSERT INTO identity VALUES (1, '" + fp('I') + "', 1700000000);" +
                     "INSERT INTO peers VALUES ('" + fp('B') +
                     "', 'Laptop', 'Model', 'tok', 7, 1700000001, 1700000000, 1700000002);" +
                     "INSERT INTO peer_addresses VALUES ('" + fp('B') + "', 0, '[fe80::1]:4433');" +
                     "INSERT INTO grants VALUES ('" + fp('B') +
                     "', 'https://a.example', NULL, 1700000003);");
  {
    auto opened = Store::open(dir);
    ASSERT_TRUE(opened) << opened.error().describe();
    auto& store = **opened;
    EXPECT_EQ(store.schema_version(), 2);
    auto identity = store.identity_fingerprint();
    ASSERT_TRUE(identity && identity->has_value());
    EXPECT_EQ(**identity, fp('I'));
    auto peer = store.peer(fp('B'));
    ASSERT_TRUE(peer && peer->has_value());
    EXPECT_EQ((*peer)->display_name, "Laptop");
    EXPECT_EQ((*peer)->authenticated_at, SystemTime(seconds(1'700'000'001)));
    EXPECT_EQ((*peer)->last_addresses, std::vector<std::string>{"[fe80::1]:4433"});
    auto grant = store.grant(fp('B'), "https://a.example", kT0);
    ASSERT_TRUE(grant && grant->has_value());
    EXPECT_FALSE((*grant)->until.has_value());
    // The new tables are there and work.
    ASSERT_TRUE(store.put_part(part('c')));
    ASSERT_TRUE(store.put_hash(hashed("/x")));
  }
  EXPECT_EQ(raw_count(file, "PRAGMA user_version"), Store::kSchemaVersion);
  std::filesystem::remove_all(dir);
}

}  // namespace
}  // namespace lp2p::store
