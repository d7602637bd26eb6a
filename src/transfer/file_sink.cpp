#include "transfer/file_sink.hpp"

#include <spdlog/spdlog.h>

#include <algorithm>

#include "transfer/path_rules.hpp"

namespace lp2p::transfer {

FileSink::FileSink(SinkContext context, PlannedFile plan, const Entry& entry, bool trailer_only)
    : context_(std::move(context)),
      plan_(std::move(plan)),
      entry_(entry),
      position_(plan_.offset),
      trailer_only_(trailer_only) {}

Result<void> FileSink::open() {
  if (trailer_only_) return {};
  std::vector<std::string> path = plan_.dir;
  path.push_back(plan_.name);
  auto part = context_.dest->open_part(path, plan_.part_tag, plan_.offset > 0);
  if (!part) return std::move(part).error();
  part_.emplace(std::move(*part));
  if (part_->size() != plan_.offset) LP2P_TRY(part_->truncate(plan_.offset));
  journaled_ = plan_.offset;
  journal_progress();
  return {};
}

void FileSink::journal_progress() {
  if (context_.journal == nullptr || !plan_.journaled) return;
  store::PartRecord record;
  record.sha256_hex = plan_.content_key;
  record.size = entry_.size;
  record.dest_root = context_.dest->root().string();
  record.rel_path = plan_.rel_path;
  record.part_name = part_->name();
  record.peer = context_.peer;
  record.verified_bytes = journaled_;
  context_.journal->put(std::move(record));
}

Result<void> FileSink::write(std::span<const std::uint8_t> segment) {
  const std::uint64_t content_left = trailer_only_ ? 0 : entry_.size - position_;
  const std::span<const std::uint8_t> bytes = segment.first(
      static_cast<std::size_t>(std::min<std::uint64_t>(segment.size(), content_left)));
  if (const auto trailer = segment.subspan(bytes.size()); !trailer.empty()) {
    if (!entry_.digest_follows || trailer_bytes_ + trailer.size() > kSha256Size) {
      return make_error(Errc::protocol_error,
                        "\"" + display_path(entry_.path) + "\": more bytes than its size");
    }
    std::ranges::copy(trailer, trailer_.begin() + static_cast<std::ptrdiff_t>(trailer_bytes_));
    trailer_bytes_ += trailer.size();
  }
  if (bytes.empty()) return {};
  LP2P_TRY(part_->write_at(bytes, position_));
  plan_.prefix_hash->update(bytes);
  position_ += bytes.size();
  if (position_ - journaled_ >= kJournalEvery && position_ < entry_.size) {
    LP2P_TRY(part_->sync());
    journaled_ = position_;
    journal_progress();
  }
  return {};
}

Result<void> FileSink::verify() {
  const std::string name = "\"" + display_path(entry_.path) + "\": ";
  if (trailer_only_) {
    if (trailer_bytes_ != kSha256Size || !plan_.probe || trailer_ != *plan_.probe) {
      return make_error(Errc::protocol_error, name + "the sender's answer to the probe is wrong");
    }
    return {};
  }
  if (position_ != entry_.size || (entry_.digest_follows && trailer_bytes_ != kSha256Size)) {
    return make_error(Errc::protocol_error, name + "fewer bytes than its size");
  }
  const Sha256 expected = entry_.digest_follows ? trailer_ : entry_.sha256;
  const bool changed = entry_.digest_follows && expected == Sha256{};
  if (changed || plan_.prefix_hash->finish() != expected) {
    (void)context_.dest->remove_part(part_->dir(), part_->name());
    forget();
    return make_error(Errc::protocol_error,
                      name + (changed ? "the sender's file changed while it was sent; not saved"
                                      : "the content does not match its SHA-256 (the sender's "
                                        "file changed?); not saved"));
  }
  return {};
}

Result<std::string> FileSink::commit(DestDir::Durability durability) {
  std::string name = plan_.name;
  if (!context_.overwrite) {
    auto free = context_.dest->free_name(plan_.dir, plan_.name);
    if (!free) return std::move(free).error();
    name = std::move(*free);
  }
  const std::optional<std::int64_t> mtime =
      entry_.mtime_ns > 0 ? std::optional<std::int64_t>(entry_.mtime_ns) : std::nullopt;
  LP2P_TRY(context_.dest->commit(std::move(*part_), name, entry_.mode, mtime, context_.overwrite,
                                 durability));
  part_.reset();
  std::string saved;
  for (const std::string& d : plan_.dir) saved += d + "/";
  return saved + name;
}

void FileSink::forget() {
  if (context_.journal == nullptr || !plan_.journaled) return;
  context_.journal->forget(plan_.content_key, entry_.size, context_.dest->root().string(),
                           plan_.rel_path);
}

void FileSink::keep_for_resume() {
  if (!part_) return;
  if (!plan_.journaled) {  // too small to resume from a part: sent whole next time
    (void)context_.dest->remove_part(part_->dir(), part_->name());
    part_.reset();
    return;
  }
  if (part_->sync()) {
    journaled_ = position_;
    journal_progress();
  }
  part_.reset();
}

}  // namespace lp2p::transfer
