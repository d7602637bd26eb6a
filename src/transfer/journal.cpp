#include "transfer/journal.hpp"

#include <spdlog/spdlog.h>

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

}  // namespace lp2p::transfer
