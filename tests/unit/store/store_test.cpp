// store::Store: the agent's SQLite state (identity, known peers, trust, grants) on real files,
// one temporary state directory per test.
#include "store/store.hpp"

#include <gtest/gtest.h>
#include <sqlite3.h>
#include <sys/stat.h>
#include <unistd.h>

#include <atomic>
#include <filesystem>

namespace lp2p::store {
namespace {

using std::chrono::hours;
using std::chrono::minutes;
using std::chrono::seconds;

const SystemTime kT0{seconds(1'700'000'000)};

// 44-character base64 fingerprints that differ from their first character on.
std::string fp(char first, char fill = 'A') {
  std::string f(43, fill);
  f[0] = first;
  return f + "=";
}

KnownPeer seen(const std::string& fingerprint, const std::string& name,
               std::vector<std::string> addresses = {}) {
  KnownPeer p;
  p.fingerprint = fingerprint;
  p.display_name = name;
  p.model_name = "Model of " + name;
  p.state_token = "tok" + name;
  p.metadata_version = 7;
  p.last_addresses = std::move(addresses);
  return p;
}

// Runs SQL straight on the file, bypassing Store (to set up what Store must cope with).
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

class StoreTest : public ::testing::Test {
 protected:
  void SetUp() override {
    static std::atomic<int> counter{0};
    dir_ = std::filesystem::temp_directory_path() /
           ("lp2p-store-" + std::to_string(::getpid()) + "-" + std::to_string(counter++));
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

  KnownPeer must_find(std::string_view fingerprint) {
    auto p = store_->peer(fingerprint);
    EXPECT_TRUE(p) << p.error().describe();
    EXPECT_TRUE(p && p->has_value()) << fingerprint << " not found";
    return p && p->has_value() ? **p : KnownPeer{};
  }

  std::filesystem::path dir_;
  std::unique_ptr<Store> store_;
};

TEST_F(StoreTest, CreatesPrivateDirectoryAndFileWithSchemaVersion) {
  EXPECT_EQ(store_->schema_version(), Store::kSchemaVersion);
  struct stat status {};
  ASSERT_EQ(::stat(dir_.c_str(), &status), 0);
  EXPECT_EQ(status.st_mode & 0777, 0700U);
  ASSERT_EQ(::stat(file().c_str(), &status), 0);
  EXPECT_EQ(status.st_mode & 0777, 0600U);

  sqlite3* db = nullptr;
  ASSERT_EQ(sqlite3_open(file().c_str(), &db), SQLITE_OK);
  sqlite3_stmt* statement = nullptr;
  ASSERT_EQ(sqlite3_prepare_v2(db, "PRAGMA user_version", -1, &statement, nullptr), SQLITE_OK);
  ASSERT_EQ(sqlite3_step(statement), SQLITE_ROW);
  EXPECT_EQ(sqlite3_column_int(statement, 0), Store::kSchemaVersion);
  sqlite3_finalize(statement);
  ASSERT_EQ(sqlite3_prepare_v2(db, "PRAGMA journal_mode", -1, &statement, nullptr), SQLITE_OK);
  ASSERT_EQ(sqlite3_step(statement), SQLITE_ROW);
  EXPECT_STREQ(reinterpret_cast<const char*>(sqlite3_column_text(statement, 0)), "wal");
  sqlite3_finalize(statement);
  sqlite3_close(db);
}

TEST_F(StoreTest, NarrowsAWiderFileModeTo0600) {
  store_.reset();
  std::filesystem::permissions(file(), std::filesystem::perms(0644));
  store_ = open();
  struct stat status {};
  ASSERT_EQ(::stat(file().c_str(), &status), 0);
  EXPECT_EQ(status.st_mode & 0777, 0600U);
}

TEST_F(StoreTest, PeerRoundTrip) {
  auto p = seen(fp('B'), "Laptop", {"[fe80::1%eth0]:4433"});
  p.metadata_version = 0xFFFF'FFFF'FFFF'FFF0ULL;  // above INT64_MAX: stored as its bit pattern
  ASSERT_TRUE(store_->note_peer(p, kT0));
  const KnownPeer got = must_find(fp('B'));
  EXPECT_EQ(got.fingerprint, fp('B'));
  EXPECT_EQ(got.display_name, "Laptop");
  EXPECT_EQ(got.model_name, "Model of Laptop");
  EXPECT_EQ(got.state_token, "tokLaptop");
  EXPECT_EQ(got.metadata_version, 0xFFFF'FFFF'FFFF'FFF0ULL);
  EXPECT_FALSE(got.authenticated_at);
  EXPECT_EQ(got.last_addresses, std::vector<std::string>{"[fe80::1%eth0]:4433"});
  EXPECT_EQ(got.first_seen, kT0);
  EXPECT_EQ(got.last_seen, kT0);

  auto none = store_->peer(fp('C'));
  ASSERT_TRUE(none);
  EXPECT_FALSE(none->has_value());
}

TEST_F(StoreTest, NotePeerUpdatesMetadataAndKeepsFirstSeen) {
  ASSERT_TRUE(store_->note_peer(seen(fp('B'), "Laptop"), kT0));
  auto renamed = seen(fp('B'), "Laptop 2");
  renamed.metadata_version = 8;
  ASSERT_TRUE(store_->note_peer(renamed, kT0 + hours(1)));
  const KnownPeer got = must_find(fp('B'));
  EXPECT_EQ(got.display_name, "Laptop 2");
  EXPECT_EQ(got.metadata_version, 8U);
  EXPECT_EQ(got.first_seen, kT0);
  EXPECT_EQ(got.last_seen, kT0 + hours(1));
}

TEST_F(StoreTest, NotePeerNeverChangesTrust) {
  auto p = seen(fp('B'), "Laptop");
  p.authenticated_at = kT0;  // ignored: only mark_authenticated trusts
  ASSERT_TRUE(store_->note_peer(p, kT0));
  EXPECT_FALSE(must_find(fp('B')).authenticated_at);

  ASSERT_TRUE(store_->mark_authenticated(fp('B'), kT0 + seconds(5)));
  p.authenticated_at.reset();
  ASSERT_TRUE(store_->note_peer(p, kT0 + seconds(10)));
  EXPECT_EQ(must_find(fp('B')).authenticated_at, kT0 + seconds(5));
}

TEST_F(StoreTest, MarkAuthenticated) {
  ASSERT_TRUE(store_->note_peer(seen(fp('B'), "Laptop"), kT0));
  ASSERT_TRUE(store_->mark_authenticated(fp('B'), kT0 + seconds(3)));
  KnownPeer got = must_find(fp('B'));
  EXPECT_EQ(got.authenticated_at, kT0 + seconds(3));
  EXPECT_EQ(got.display_name, "Laptop");
  // Paired again: the time moves.
  ASSERT_TRUE(store_->mark_authenticated(fp('B'), kT0 + seconds(9)));
  EXPECT_EQ(must_find(fp('B')).authenticated_at, kT0 + seconds(9));
}

TEST_F(StoreTest, MarkAuthenticatedAddsAPeerNotNotedYet) {
  ASSERT_TRUE(store_->mark_authenticated(fp('D'), kT0));
  const KnownPeer got = must_find(fp('D'));
  EXPECT_EQ(got.authenticated_at, kT0);
  EXPECT_EQ(got.display_name, "");
  EXPECT_EQ(got.first_seen, kT0);
}

TEST_F(StoreTest, NotePairedPeerStoresMetadataAndTrustTogether) {
  auto p = seen(fp('B'), "Laptop", {"10.0.0.2:1"});
  ASSERT_TRUE(store_->note_paired_peer(p, kT0));
  auto got = store_->peer(fp('B'));
  ASSERT_TRUE(got && *got);
  EXPECT_EQ((*got)->display_name, "Laptop");
  EXPECT_EQ((*got)->authenticated_at, kT0);
  EXPECT_EQ((*got)->last_addresses, std::vector<std::string>{"10.0.0.2:1"});
  // A later note_peer keeps the trust.
  p.display_name = "Laptop 2";
  ASSERT_TRUE(store_->note_peer(p, kT0 + seconds(5)));
  got = store_->peer(fp('B'));
  ASSERT_TRUE(got && *got);
  EXPECT_EQ((*got)->display_name, "Laptop 2");
  EXPECT_EQ((*got)->authenticated_at, kT0);
}

TEST_F(StoreTest, AddressesMostRecentFirstWithoutDuplicates) {
  ASSERT_TRUE(store_->note_peer(seen(fp('B'), "L", {"a:1", "b:2"}), kT0));
  ASSERT_TRUE(store_->note_peer(seen(fp('B'), "L", {"c:3"}), kT0 + seconds(1)));
  EXPECT_EQ(must_find(fp('B')).last_addresses, (std::vector<std::string>{"c:3", "a:1", "b:2"}));
  // Reached again at an old address: it moves to the front.
  ASSERT_TRUE(store_->note_peer(seen(fp('B'), "L", {"b:2"}), kT0 + seconds(2)));
  EXPECT_EQ(must_find(fp('B')).last_addresses, (std::vector<std::string>{"b:2", "c:3", "a:1"}));
  // No address given: the stored ones stay.
  ASSERT_TRUE(store_->note_peer(seen(fp('B'), "L"), kT0 + seconds(3)));
  EXPECT_EQ(must_find(fp('B')).last_addresses, (std::vector<std::string>{"b:2", "c:3", "a:1"}));
}

TEST_F(StoreTest, AddressesAreCappedAtEight) {
  for (int i = 0; i < 12; ++i) {
    ASSERT_TRUE(store_->note_peer(seen(fp('B'), "L", {"10.0.0." + std::to_string(i) + ":1"}), kT0));
  }
  const auto addresses = must_find(fp('B')).last_addresses;
  ASSERT_EQ(addresses.size(), Store::kMaxAddresses);
  EXPECT_EQ(addresses.front(), "10.0.0.11:1");
  EXPECT_EQ(addresses.back(), "10.0.0.4:1");

  std::vector<std::string> many;
  for (int i = 0; i < 10; ++i) many.push_back("many" + std::to_string(i));
  ASSERT_TRUE(store_->note_peer(seen(fp('B'), "L", many), kT0));
  const auto capped = must_find(fp('B')).last_addresses;
  EXPECT_EQ(capped, std::vector<std::string>(many.begin(), many.begin() + 8));
}

TEST_F(StoreTest, PeersNewestFirst) {
  ASSERT_TRUE(store_->note_peer(seen(fp('B'), "Old"), kT0));
  ASSERT_TRUE(store_->note_peer(seen(fp('C'), "New"), kT0 + seconds(5)));
  ASSERT_TRUE(store_->note_peer(seen(fp('D'), "Middle"), kT0 + seconds(2)));
  auto peers = store_->peers();
  ASSERT_TRUE(peers);
  ASSERT_EQ(peers->size(), 3U);
  EXPECT_EQ((*peers)[0].display_name, "New");
  EXPECT_EQ((*peers)[1].display_name, "Middle");
  EXPECT_EQ((*peers)[2].display_name, "Old");
}

TEST_F(StoreTest, TrustedPeersNamedIsCaseInsensitiveAsciiAndTrustedOnly) {
  ASSERT_TRUE(store_->note_peer(seen(fp('B'), "Kitchen Laptop"), kT0));
  ASSERT_TRUE(store_->note_peer(seen(fp('C'), "KITCHEN laptop"), kT0));
  ASSERT_TRUE(store_->note_peer(seen(fp('D'), "kitchen laptop"), kT0));  // never paired
  ASSERT_TRUE(store_->note_peer(seen(fp('E'), "Kitchen Laptop 2"), kT0));
  ASSERT_TRUE(store_->note_peer(seen(fp('F'), "KÜCHE"), kT0));
  for (char c : {'B', 'C', 'E', 'F'}) ASSERT_TRUE(store_->mark_authenticated(fp(c), kT0));

  auto named = store_->trusted_peers_named("kitchen LAPTOP");
  ASSERT_TRUE(named);
  ASSERT_EQ(named->size(), 2U);
  EXPECT_NE((*named)[0].fingerprint, fp('D'));
  EXPECT_NE((*named)[1].fingerprint, fp('D'));
  // Only ASCII folds: Ü and ü differ.
  auto folded = store_->trusted_peers_named("küche");
  ASSERT_TRUE(folded);
  EXPECT_TRUE(folded->empty());
}

TEST_F(StoreTest, ForgetRemovesPeerTrustAddressesAndGrants) {
  ASSERT_TRUE(store_->note_peer(seen(fp('B'), "Laptop", {"a:1"}), kT0));
  ASSERT_TRUE(store_->mark_authenticated(fp('B'), kT0));
  ASSERT_TRUE(store_->put_grant({fp('B'), "https://a.example", std::nullopt, kT0}));
  ASSERT_TRUE(store_->note_peer(seen(fp('C'), "Other"), kT0));
  ASSERT_TRUE(store_->put_grant({fp('C'), "https://a.example", std::nullopt, kT0}));

  auto forgot = store_->forget_peer(fp('B'));
  ASSERT_TRUE(forgot);
  EXPECT_TRUE(*forgot);
  auto gone = store_->peer(fp('B'));
  ASSERT_TRUE(gone);
  EXPECT_FALSE(gone->has_value());
  auto grants = store_->grants_of(fp('B'));
  ASSERT_TRUE(grants);
  EXPECT_TRUE(grants->empty());
  // Noted again, it is a stranger: no trust, no addresses, no grants.
  ASSERT_TRUE(store_->note_peer(seen(fp('B'), "Laptop"), kT0 + seconds(1)));
  const KnownPeer again = must_find(fp('B'));
  EXPECT_FALSE(again.authenticated_at);
  EXPECT_TRUE(again.last_addresses.empty());
  EXPECT_EQ(again.first_seen, kT0 + seconds(1));
  auto still = store_->grant(fp('B'), "https://a.example", kT0);
  ASSERT_TRUE(still);
  EXPECT_FALSE(still->has_value());
  // The other peer keeps its grant.
  auto other = store_->grant(fp('C'), "https://a.example", kT0);
  ASSERT_TRUE(other);
  EXPECT_TRUE(other->has_value());

  auto twice = store_->forget_peer(fp('Z'));
  ASSERT_TRUE(twice);
  EXPECT_FALSE(*twice);
}

TEST_F(StoreTest, GrantRoundTripAndReplace) {
  ASSERT_TRUE(store_->note_peer(seen(fp('B'), "Laptop"), kT0));
  ASSERT_TRUE(store_->put_grant({fp('B'), "https://b.example", std::nullopt, kT0}));
  ASSERT_TRUE(store_->put_grant({fp('B'), "https://a.example", kT0 + hours(1), kT0}));
  auto all = store_->grants_of(fp('B'));
  ASSERT_TRUE(all);
  ASSERT_EQ(all->size(), 2U);
  EXPECT_EQ((*all)[0].origin, "https://a.example");  // by origin
  EXPECT_EQ((*all)[0].until, kT0 + hours(1));
  EXPECT_EQ((*all)[1].origin, "https://b.example");
  EXPECT_FALSE((*all)[1].until);
  EXPECT_EQ((*all)[1].granted_at, kT0);
  EXPECT_EQ((*all)[1].peer_fingerprint, fp('B'));

  // Replace: the session grant becomes persistent.
  ASSERT_TRUE(store_->put_grant({fp('B'), "https://a.example", std::nullopt, kT0 + minutes(1)}));
  auto replaced = store_->grant(fp('B'), "https://a.example", kT0 + hours(5));
  ASSERT_TRUE(replaced);
  ASSERT_TRUE(replaced->has_value());
  EXPECT_FALSE((*replaced)->until);
  EXPECT_EQ((*replaced)->granted_at, kT0 + minutes(1));
}

TEST_F(StoreTest, GrantToUnknownPeerIsRefused) {
  auto r = store_->put_grant({fp('Q'), "https://a.example", std::nullopt, kT0});
  ASSERT_FALSE(r);
  EXPECT_EQ(r.error().code, Errc::invalid_argument);
  EXPECT_NE(r.error().message.find("not a known peer"), std::string::npos) << r.error().message;
}

TEST_F(StoreTest, GrantExpiresAndPruneDeletesExpiredOnly) {
  ASSERT_TRUE(store_->note_peer(seen(fp('B'), "Laptop"), kT0));
  ASSERT_TRUE(store_->put_grant({fp('B'), "https://short.example", kT0 + minutes(10), kT0}));
  ASSERT_TRUE(store_->put_grant({fp('B'), "https://long.example", kT0 + hours(10), kT0}));
  ASSERT_TRUE(store_->put_grant({fp('B'), "https://forever.example", std::nullopt, kT0}));

  auto before = store_->grant(fp('B'), "https://short.example", kT0 + minutes(10) - seconds(1));
  ASSERT_TRUE(before);
  EXPECT_TRUE(before->has_value());
  auto at = store_->grant(fp('B'), "https://short.example", kT0 + minutes(10));
  ASSERT_TRUE(at);
  EXPECT_FALSE(at->has_value()) << "a grant has expired at its `until`";

  auto pruned = store_->prune_grants(kT0 + minutes(10));
  ASSERT_TRUE(pruned);
  EXPECT_EQ(*pruned, 1U);
  auto left = store_->grants_of(fp('B'));
  ASSERT_TRUE(left);
  ASSERT_EQ(left->size(), 2U);
  EXPECT_EQ((*left)[0].origin, "https://forever.example");
  EXPECT_EQ((*left)[1].origin, "https://long.example");

  pruned = store_->prune_grants(kT0 + hours(1000));
  ASSERT_TRUE(pruned);
  EXPECT_EQ(*pruned, 1U);
  auto forever = store_->grant(fp('B'), "https://forever.example", kT0 + hours(1000));
  ASSERT_TRUE(forever);
  EXPECT_TRUE(forever->has_value());
}

TEST_F(StoreTest, Revoke) {
  ASSERT_TRUE(store_->note_peer(seen(fp('B'), "Laptop"), kT0));
  ASSERT_TRUE(store_->put_grant({fp('B'), "https://a.example", std::nullopt, kT0}));
  auto revoked = store_->revoke_grant(fp('B'), "https://a.example");
  ASSERT_TRUE(revoked);
  EXPECT_TRUE(*revoked);
  auto gone = store_->grant(fp('B'), "https://a.example", kT0);
  ASSERT_TRUE(gone);
  EXPECT_FALSE(gone->has_value());
  revoked = store_->revoke_grant(fp('B'), "https://a.example");
  ASSERT_TRUE(revoked);
  EXPECT_FALSE(*revoked);
  // The peer and its trust are untouched by a revoke.
  EXPECT_EQ(must_find(fp('B')).display_name, "Laptop");
}

TEST_F(StoreTest, IdentityReplaceIsDetected) {
  auto none = store_->identity_fingerprint();
  ASSERT_TRUE(none);
  EXPECT_FALSE(none->has_value());

  auto first = store_->record_identity(fp('I'), kT0);
  ASSERT_TRUE(first);
  EXPECT_FALSE(*first) << "the first record replaces nothing";
  auto same = store_->record_identity(fp('I'), kT0 + seconds(1));
  ASSERT_TRUE(same);
  EXPECT_FALSE(*same);
  auto replaced = store_->record_identity(fp('J'), kT0 + seconds(2));
  ASSERT_TRUE(replaced);
  EXPECT_TRUE(*replaced);
  auto now = store_->identity_fingerprint();
  ASSERT_TRUE(now);
  EXPECT_EQ(*now, fp('J'));
}

TEST_F(StoreTest, ReopenKeepsData) {
  ASSERT_TRUE(store_->record_identity(fp('I'), kT0));
  ASSERT_TRUE(store_->note_peer(seen(fp('B'), "Laptop", {"a:1", "b:2"}), kT0));
  ASSERT_TRUE(store_->mark_authenticated(fp('B'), kT0 + seconds(1)));
  ASSERT_TRUE(store_->put_grant({fp('B'), "https://a.example", kT0 + hours(1), kT0}));
  store_.reset();

  store_ = open();
  ASSERT_NE(store_, nullptr);
  auto identity = store_->identity_fingerprint();
  ASSERT_TRUE(identity);
  EXPECT_EQ(*identity, fp('I'));
  const KnownPeer got = must_find(fp('B'));
  EXPECT_EQ(got.display_name, "Laptop");
  EXPECT_EQ(got.authenticated_at, kT0 + seconds(1));
  EXPECT_EQ(got.last_addresses, (std::vector<std::string>{"a:1", "b:2"}));
  auto grant = store_->grant(fp('B'), "https://a.example", kT0);
  ASSERT_TRUE(grant);
  ASSERT_TRUE(grant->has_value());
  EXPECT_EQ((*grant)->until, kT0 + hours(1));
}

TEST_F(StoreTest, NewerSchemaIsRefusedAndLeftAlone) {
  store_.reset();
  raw_exec(file(), "PRAGMA user_version = " + std::to_string(Store::kSchemaVersion + 1));
  auto refused = Store::open(dir_);
  ASSERT_FALSE(refused);
  EXPECT_EQ(refused.error().code, Errc::invalid_argument);
  const auto& message = refused.error().message;
  EXPECT_NE(message.find("lp2p.db"), std::string::npos) << message;
  EXPECT_NE(message.find("newer"), std::string::npos) << message;
  EXPECT_NE(message.find(std::to_string(Store::kSchemaVersion + 1)), std::string::npos) << message;
}

TEST_F(StoreTest, NotADatabaseIsAnError) {
  store_.reset();
  std::filesystem::remove_all(dir_);
  std::filesystem::create_directories(dir_);
  {
    std::FILE* f = std::fopen(file().c_str(), "w");
    ASSERT_NE(f, nullptr);
    std::fputs("this is not an SQLite database, it is a text file of some length ........\n", f);
    std::fclose(f);
  }
  auto refused = Store::open(dir_);
  ASSERT_FALSE(refused);
  EXPECT_NE(refused.error().message.find("lp2p.db"), std::string::npos) << refused.error().message;
}

TEST_F(StoreTest, TwoConnectionsSeeEachOthersWrites) {
  auto second = open();
  ASSERT_NE(second, nullptr);
  ASSERT_TRUE(store_->note_peer(seen(fp('B'), "From first"), kT0));
  auto seen_by_second = second->peer(fp('B'));
  ASSERT_TRUE(seen_by_second);
  ASSERT_TRUE(seen_by_second->has_value());
  EXPECT_EQ((*seen_by_second)->display_name, "From first");

  ASSERT_TRUE(second->mark_authenticated(fp('B'), kT0 + seconds(1)));
  ASSERT_TRUE(second->put_grant({fp('B'), "https://a.example", std::nullopt, kT0}));
  EXPECT_EQ(must_find(fp('B')).authenticated_at, kT0 + seconds(1));
  auto grant = store_->grant(fp('B'), "https://a.example", kT0);
  ASSERT_TRUE(grant);
  EXPECT_TRUE(grant->has_value());

  auto forgot = store_->forget_peer(fp('B'));
  ASSERT_TRUE(forgot && *forgot);
  auto peers = second->peers();
  ASSERT_TRUE(peers);
  EXPECT_TRUE(peers->empty());
}

TEST_F(StoreTest, FindKnownPeerByPrefix) {
  ASSERT_TRUE(store_->note_peer(seen(fp('B', 'x'), "Laptop"), kT0));
  ASSERT_TRUE(store_->note_peer(seen("Bxxy" + std::string(39, 'A') + "=", "Phone"), kT0));
  ASSERT_TRUE(store_->note_peer(seen(fp('C'), "Tablet"), kT0));

  auto unique = find_known_peer(*store_, "CAAA");
  ASSERT_TRUE(unique) << unique.error().message;
  EXPECT_EQ(unique->display_name, "Tablet");
  auto whole = find_known_peer(*store_, fp('B', 'x'));
  ASSERT_TRUE(whole) << whole.error().message;
  EXPECT_EQ(whole->display_name, "Laptop");

  auto ambiguous = find_known_peer(*store_, "Bxxx");
  ASSERT_TRUE(ambiguous) << "Bxxx is the laptop only (the phone is Bxxy)";
  ambiguous = find_known_peer(*store_, "Bxx");
  ASSERT_FALSE(ambiguous);
  EXPECT_NE(ambiguous.error().message.find("at least 4"), std::string::npos);

  ASSERT_TRUE(store_->note_peer(seen("Bxxx" + std::string(39, 'B') + "=", "Watch"), kT0));
  ambiguous = find_known_peer(*store_, "Bxxx");
  ASSERT_FALSE(ambiguous);
  EXPECT_EQ(ambiguous.error().code, Errc::invalid_argument);
  EXPECT_NE(ambiguous.error().message.find("Laptop"), std::string::npos)
      << ambiguous.error().message;
  EXPECT_NE(ambiguous.error().message.find("Watch"), std::string::npos)
      << ambiguous.error().message;
  EXPECT_EQ(ambiguous.error().message.find("Phone"), std::string::npos)
      << ambiguous.error().message;

  auto absent = find_known_peer(*store_, "Zzzz");
  ASSERT_FALSE(absent);
  EXPECT_EQ(absent.error().code, Errc::invalid_argument);
  EXPECT_NE(absent.error().message.find("no known peer"), std::string::npos);
  // base64 is case-sensitive.
  EXPECT_FALSE(find_known_peer(*store_, "caaa"));
}

TEST_F(StoreTest, DataIsBoundNotSpliced) {
  const std::string hostile = "x'); DROP TABLE peers; --";
  ASSERT_TRUE(store_->note_peer(seen(fp('B'), hostile, {hostile}), kT0));
  ASSERT_TRUE(store_->put_grant({fp('B'), hostile, std::nullopt, kT0}));
  const KnownPeer got = must_find(fp('B'));
  EXPECT_EQ(got.display_name, hostile);
  EXPECT_EQ(got.last_addresses.front(), hostile);
  auto grant = store_->grant(fp('B'), hostile, kT0);
  ASSERT_TRUE(grant);
  EXPECT_TRUE(grant->has_value());
}

}  // namespace
}  // namespace lp2p::store
