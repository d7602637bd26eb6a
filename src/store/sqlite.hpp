// A thin RAII layer over the SQLite C API for the store: one connection, its prepared
// statements (cached by SQL text), and transactions that roll back unless committed.
//
// Contract: data only ever reaches SQL through bind(); SQL text is always a constant of the
// caller. Errors name the database file and the step that failed, e.g.
// "/home/u/.local/state/lp2p/lp2p.db: note_peer: database is locked". Not thread-safe (like
// the Store that owns it).
#pragma once

#include <cstdint>
#include <filesystem>
#include <memory>
#include <optional>
#include <span>
#include <string>
#include <string_view>
#include <unordered_map>
#include <vector>

#include "lp2p/result.hpp"

struct sqlite3;
struct sqlite3_stmt;

namespace lp2p::store::sqlite {

class Database;

// A cached prepared statement, borrowed for one execution: its bindings are cleared and it is
// reset when the Statement goes out of scope. Must not outlive its Database.
class Statement {
 public:
  Statement(const Statement&) = delete;
  Statement& operator=(const Statement&) = delete;
  Statement(Statement&& other) noexcept;
  Statement& operator=(Statement&&) = delete;
  ~Statement();

  // Parameters are numbered from 1, as in SQL's `?1`.
  Statement& bind(int index, std::string_view text);
  Statement& bind(int index, std::int64_t number);
  Statement& bind(int index, std::optional<std::int64_t> number);  // nullopt: NULL
  // A BLOB, zero-length when `bytes` is empty (never NULL).
  Statement& bind_blob(int index, std::span<const std::uint8_t> bytes);

  // Advances to the next row: true if there is one, false when done.
  Result<bool> step();
  // Runs a statement that returns no rows.
  Result<void> run();

  // Columns are numbered from 0.
  [[nodiscard]] std::string text(int column) const;
  [[nodiscard]] std::int64_t integer(int column) const;
  [[nodiscard]] std::optional<std::int64_t> optional_integer(int column) const;
  [[nodiscard]] std::vector<std::uint8_t> blob(int column) const;

 private:
  friend class Database;
  Statement(Database& db, sqlite3_stmt* statement, std::string_view what);

  Database* db_;
  sqlite3_stmt* statement_;
  std::string_view what_;  // the operation, for error messages (a string literal)
};

class Database {
 public:
  // Opens (creating if needed) the file with the store's connection settings: extended result
  // codes, busy timeout, WAL, synchronous=FULL, foreign keys. The file is created with mode
  // 0600 and narrowed to it if it was wider.
  static Result<std::unique_ptr<Database>> open(const std::filesystem::path& path);
  Database(const Database&) = delete;
  Database& operator=(const Database&) = delete;
  Database(Database&&) = delete;
  Database& operator=(Database&&) = delete;
  ~Database();

  // Prepares `sql` once per connection; `what` names the operation in error messages.
  Result<Statement> prepare(std::string_view sql, std::string_view what);
  // Runs constant SQL with no parameters (may hold several statements): pragmas, migrations.
  Result<void> exec(const char* sql, std::string_view what);
  // Rows changed by the last INSERT, UPDATE or DELETE.
  [[nodiscard]] std::int64_t changes() const;

  // An Error for the connection's last failure, naming the file and `what`.
  [[nodiscard]] Error error(std::string_view what) const;
  [[nodiscard]] const std::filesystem::path& path() const { return path_; }

 private:
  struct Finalizer {
    void operator()(sqlite3_stmt* statement) const;
  };
  Database(sqlite3* handle, std::filesystem::path path);

  sqlite3* handle_;
  std::filesystem::path path_;
  std::unordered_map<std::string, std::unique_ptr<sqlite3_stmt, Finalizer>> statements_;
};

// BEGIN IMMEDIATE ... COMMIT. Immediate: the write lock is taken at BEGIN, where the busy
// timeout applies; a deferred transaction that reads first and then writes can fail with
// SQLITE_BUSY at once when another connection wrote in between. Rolls back in the destructor
// unless commit() succeeded.
class Transaction {
 public:
  static Result<Transaction> begin(Database& db, std::string_view what);
  Transaction(const Transaction&) = delete;
  Transaction& operator=(const Transaction&) = delete;
  Transaction(Transaction&& other) noexcept;
  Transaction& operator=(Transaction&&) = delete;
  ~Transaction();

  Result<void> commit();

 private:
  Transaction(Database& db, std::string_view what) : db_(&db), what_(what) {}
  Database* db_;
  std::string_view what_;
};

// A read transaction (BEGIN DEFERRED): several SELECTs see one snapshot. Ends in the destructor.
class ReadTransaction {
 public:
  static Result<ReadTransaction> begin(Database& db, std::string_view what);
  ReadTransaction(const ReadTransaction&) = delete;
  ReadTransaction& operator=(const ReadTransaction&) = delete;
  ReadTransaction(ReadTransaction&& other) noexcept;
  ReadTransaction& operator=(ReadTransaction&&) = delete;
  ~ReadTransaction();

 private:
  explicit ReadTransaction(Database& db) : db_(&db) {}
  Database* db_;
};

}  // namespace lp2p::store::sqlite
