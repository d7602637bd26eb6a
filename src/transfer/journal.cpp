#include "transfer/journal.hpp"

#include <spdlog/spdlog.h>

#include "transfer/dest_dir.hpp"
#include "transfer/path_rules.hpp"

namespace lp2p::transfer {

Result<std::shared_ptr<Journal>> Journal::open(const std::filesystem::path& state_dir) {
  auto store = store::Store::open(state_dir);
  if (!store) return std::move(store).error();
  return std::shared_ptr<Journal>(new Journal(std::move(*store)));
}

std::optional<store::PartRecord> Journal::find(const std::string& sha256_hex, std::uint64_t size,
                                               const std::string& dest_root,
                                               const std::string& rel_path) {
  const std::lock_guard lock(mutex_);
  auto found = store_->find_part(sha256_hex, size, dest_root, rel_path);
  if (!found) {
    spdlog::warn("transfer journal: {}", found.error().message);
    return std::nullopt;
  }
  return *found;
}

void Journal::put(store::PartRecord record) {
  record.updated_at = std::chrono::floor<std::chrono::seconds>(std::chrono::system_clock::now());
  const std::lock_guard lock(mutex_);
  if (auto r = store_->put_part(record); !r)
    spdlog::warn("transfer journal: {}", r.error().message);
}

void Journal::forget(const std::string& sha256_hex, std::uint64_t size,
                     const std::string& dest_root, const std::string& rel_path) {
  const std::lock_guard lock(mutex_);
  if (auto r = store_->forget_part(sha256_hex, size, dest_root, rel_path); !r) {
    spdlog::warn("transfer journal: {}", r.error().message);
  }
}

std::size_t Journal::prune(std::chrono::hours max_age) {
  const auto cutoff = std::chrono::floor<std::chrono::seconds>(std::chrono::system_clock::now()) -
                      std::chrono::duration_cast<std::chrono::seconds>(max_age);
  const std::lock_guard lock(mutex_);
  auto old = store_->parts_older_than(cutoff);
  if (!old) {
    spdlog::warn("transfer journal: {}", old.error().message);
    return 0;
  }
  std::size_t removed = 0;
  for (const store::PartRecord& r : *old) {
    auto dir = check_relative_path(r.rel_path);
    if (auto dest = DestDir::open(r.dest_root, false); dest && dir) {
      dir->pop_back();  // the file's own name
      if (auto gone = dest->remove_part(*dir, r.part_name); !gone) {
        spdlog::warn("transfer journal: {}", gone.error().message);
        continue;  // kept, and tried again next time
      }
    }
    if (auto forgotten = store_->forget_part(r.sha256_hex, r.size, r.dest_root, r.rel_path);
        !forgotten) {
      spdlog::warn("transfer journal: {}", forgotten.error().message);
      continue;
    }
    ++removed;
  }
  return removed;
}

}  // namespace lp2p::transfer
