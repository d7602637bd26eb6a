#include "store/sqlite.hpp"

#include <fcntl.h>
#include <sqlite3.h>
#include <sys/stat.h>
#include <unistd.h>

#include <cerrno>
#include <cstring>
#include <utility>

namespace lp2p::store::sqlite {
namespace {

// Long enough to ride out another process's transaction (they last milliseconds), short enough
// that a wedged writer is reported rather than waited for.
constexpr int kBusyTimeoutMs = 5000;

Errc errc_of(int code) {
  switch (code & 0xff) {  // the primary code of an extended one
    case SQLITE_CONSTRAINT:
      return Errc::invalid_argument;
    case SQLITE_CORRUPT:
    case SQLITE_NOTADB:
      return Errc::malformed;
    default:
      return Errc::io_error;
  }
}

}  // namespace

Statement::Statement(Database& db, sqlite3_stmt* statement, std::string_view what)
    : db_(&db), statement_(statement), what_(what) {}

Statement::Statement(Statement&& other) noexcept
    : db_(other.db_), statement_(std::exchange(other.statement_, nullptr)), what_(other.what_) {}

Statement::~Statement() {
  if (statement_ == nullptr) return;
  // The statement stays cached for the next use: release its read lock and its bound data.
  (void)sqlite3_reset(statement_);
  (void)sqlite3_clear_bindings(statement_);
}

Statement& Statement::bind(int index, std::string_view text) {
  // A failing bind (index out of range) is a programmer error; step() reports it anyway.
  (void)sqlite3_bind_text64(statement_, index, text.data(), text.size(), SQLITE_TRANSIENT,
                            SQLITE_UTF8);
  return *this;
}

Statement& Statement::bind(int index, std::int64_t number) {
  (void)sqlite3_bind_int64(statement_, index, number);
  return *this;
}

Statement& Statement::bind(int index, std::optional<std::int64_t> number) {
  if (number) return bind(index, *number);
  (void)sqlite3_bind_null(statement_, index);
  return *this;
}

Statement& Statement::bind_blob(int index, std::span<const std::uint8_t> bytes) {
  // sqlite3_bind_blob64 with a null pointer binds NULL: an empty span may have one.
  if (bytes.empty()) {
    (void)sqlite3_bind_zeroblob(statement_, index, 0);
  } else {
    (void)sqlite3_bind_blob64(statement_, index, bytes.data(), bytes.size(), SQLITE_TRANSIENT);
  }
  return *this;
}

Result<bool> Statement::step() {
  switch (sqlite3_step(statement_)) {
    case SQLITE_ROW:
      return true;
    case SQLITE_DONE:
      return false;
    default:
      return db_->error(what_);
  }
}

Result<void> Statement::run() {
  auto row = step();
  if (!row) return std::move(row).error();
  return {};
}

std::string Statement::text(int column) const {
  const auto* data = sqlite3_column_text(statement_, column);
  const int size = sqlite3_column_bytes(statement_, column);
  if (data == nullptr) return {};
  return {reinterpret_cast<const char*>(data), static_cast<std::size_t>(size)};
}

std::int64_t Statement::integer(int column) const {
  return sqlite3_column_int64(statement_, column);
}

std::optional<std::int64_t> Statement::optional_integer(int column) const {
  if (sqlite3_column_type(statement_, column) == SQLITE_NULL) return std::nullopt;
  return integer(column);
}

std::vector<std::uint8_t> Statement::blob(int column) const {
  const auto* data = static_cast<const std::uint8_t*>(sqlite3_column_blob(statement_, column));
  const int size = sqlite3_column_bytes(statement_, column);
  if (data == nullptr || size <= 0) return {};
  return {data, data + size};
}

void Database::Finalizer::operator()(sqlite3_stmt* statement) const {
  (void)sqlite3_finalize(statement);
}

Database::Database(sqlite3* handle, std::filesystem::path path)
    : handle_(handle), path_(std::move(path)) {}

Database::~Database() {
  statements_.clear();  // finalized before the connection closes, or close fails
  (void)sqlite3_close(handle_);
}

Result<std::unique_ptr<Database>> Database::open(const std::filesystem::path& path) {
  // SQLite would create the file 0644; created here 0600 instead, and its -wal and -shm files
  // inherit that mode from it. The database names the peers this device trusts.
  const int fd = ::open(path.c_str(), O_RDWR | O_CREAT | O_CLOEXEC, 0600);
  if (fd < 0) {
    return make_error(Errc::io_error, path.string() + ": cannot open: " + std::strerror(errno));
  }
  struct stat status {};
  if (::fstat(fd, &status) == 0 && (status.st_mode & 077) != 0) (void)::fchmod(fd, 0600);
  ::close(fd);

  sqlite3* handle = nullptr;
  const int rc = sqlite3_open_v2(path.c_str(), &handle, SQLITE_OPEN_READWRITE, nullptr);
  // Owned before checking rc: a failed open still hands out a handle to close.
  std::unique_ptr<Database> db(new Database(handle, path));
  if (rc != SQLITE_OK) {
    if (handle == nullptr) {
      return make_error(Errc::io_error, path.string() + ": open: " + sqlite3_errstr(rc));
    }
    return db->error("open");
  }
  (void)sqlite3_extended_result_codes(handle, 1);
  (void)sqlite3_busy_timeout(handle, kBusyTimeoutMs);
  // Per connection, and outside any transaction.
  LP2P_TRY(db->exec("PRAGMA foreign_keys = ON", "enable foreign keys"));
  {
    auto wal = db->prepare("PRAGMA journal_mode = WAL", "enable WAL");
    if (!wal) return std::move(wal).error();
    auto row = wal->step();
    if (!row) return std::move(row).error();
    if (!*row || wal->text(0) != "wal") {
      return make_error(Errc::io_error, path.string() + ": cannot enable WAL (journal mode stays " +
                                            (*row ? wal->text(0) : std::string("unknown")) +
                                            "); is the file on a network file system?");
    }
  }
  LP2P_TRY(db->exec("PRAGMA synchronous = FULL", "set synchronous"));
  return db;
}

Result<Statement> Database::prepare(std::string_view sql, std::string_view what) {
  auto found = statements_.find(std::string(sql));
  if (found == statements_.end()) {
    sqlite3_stmt* statement = nullptr;
    if (sqlite3_prepare_v3(handle_, sql.data(), static_cast<int>(sql.size()),
                           SQLITE_PREPARE_PERSISTENT, &statement, nullptr) != SQLITE_OK) {
      return error(what);
    }
    found = statements_.emplace(std::string(sql), statement).first;
  }
  return Statement(*this, found->second.get(), what);
}

Result<void> Database::exec(const char* sql, std::string_view what) {
  if (sqlite3_exec(handle_, sql, nullptr, nullptr, nullptr) != SQLITE_OK) return error(what);
  return {};
}

std::int64_t Database::changes() const {
  return sqlite3_changes64(handle_);
}

Error Database::error(std::string_view what) const {
  return make_error(errc_of(sqlite3_extended_errcode(handle_)),
                    path_.string() + ": " + std::string(what) + ": " + sqlite3_errmsg(handle_));
}

Result<Transaction> Transaction::begin(Database& db, std::string_view what) {
  LP2P_TRY(db.exec("BEGIN IMMEDIATE", what));
  return Transaction(db, what);
}

Transaction::Transaction(Transaction&& other) noexcept
    : db_(std::exchange(other.db_, nullptr)), what_(other.what_) {}

Transaction::~Transaction() {
  if (db_ == nullptr) return;
  // A failed statement may already have rolled back (SQLITE_FULL, SQLITE_IOERR): then there
  // is nothing to end, and ROLLBACK's own error says so harmlessly.
  (void)db_->exec("ROLLBACK", what_);
}

Result<void> Transaction::commit() {
  LP2P_TRY(db_->exec("COMMIT", what_));
  db_ = nullptr;
  return {};
}

Result<ReadTransaction> ReadTransaction::begin(Database& db, std::string_view what) {
  LP2P_TRY(db.exec("BEGIN", what));
  return ReadTransaction(db);
}

ReadTransaction::ReadTransaction(ReadTransaction&& other) noexcept
    : db_(std::exchange(other.db_, nullptr)) {}

ReadTransaction::~ReadTransaction() {
  if (db_ != nullptr) (void)db_->exec("COMMIT", "end read");
}

}  // namespace lp2p::store::sqlite
