// The receiver's journal of partial files (the store's transfer_parts table): where an
// interrupted file's part lies and how much of it was written and synced, so a later offer of
// the same content resumes instead of starting over. Thread-safe (one store connection behind a
// mutex). The journal is an aid, not the data: a failed journal write is logged and the
// transfer goes on (the next attempt then verifies the part file from its start).
#pragma once

#include <chrono>
#include <filesystem>
#include <memory>
#include <mutex>
#include <optional>
#include <string>

#include "lp2p/result.hpp"
#include "store/store.hpp"

namespace lp2p::transfer {

// How long an interrupted transfer's part file waits to be resumed before prune() removes it.
inline constexpr std::chrono::hours kPartsKeptFor{24 * 7};

class Journal {
 public:
  static Result<std::shared_ptr<Journal>> open(const std::filesystem::path& state_dir);

  std::optional<store::PartRecord> find(const std::string& sha256_hex, std::uint64_t size,
                                        const std::string& dest_root, const std::string& rel_path);
  void put(store::PartRecord record);
  void forget(const std::string& sha256_hex, std::uint64_t size, const std::string& dest_root,
              const std::string& rel_path);
  // Removes the part files not written to for `max_age` (their transfer was abandoned) and their
  // records; returns how many. A part whose destination is gone is only forgotten.
  std::size_t prune(std::chrono::hours max_age);

 private:
  explicit Journal(std::unique_ptr<store::Store> store) : store_(std::move(store)) {}
  std::mutex mutex_;
  std::unique_ptr<store::Store> store_;
};

}  // namespace lp2p::transfer
