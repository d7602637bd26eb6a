// What the Store's source files share: the state behind Store (its connection) and the
// conversions of its values to SQLite integers. Internal to src/store.
#pragma once

#include <cstdint>
#include <memory>
#include <optional>

#include "store/sqlite.hpp"
#include "store/store.hpp"

namespace lp2p::store {

struct Store::Db {
  std::unique_ptr<sqlite::Database> db;
  int schema_version = 0;
};

inline std::int64_t seconds(SystemTime t) {
  return t.time_since_epoch().count();
}

inline SystemTime time_of(std::int64_t s) {
  return SystemTime(std::chrono::seconds(s));
}

inline std::optional<SystemTime> time_of(std::optional<std::int64_t> s) {
  if (!s) return std::nullopt;
  return time_of(*s);
}

// SQLite integers are signed 64-bit: a uint64 is stored as its bit pattern.
inline std::int64_t stored(std::uint64_t v) {
  return static_cast<std::int64_t>(v);
}

inline std::uint64_t unstored(std::int64_t v) {
  return static_cast<std::uint64_t>(v);
}

}  // namespace lp2p::store
