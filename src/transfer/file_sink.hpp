// One file being received: its bytes go to a part file next to its final name while their
// SHA-256 is computed; at the end the digest is compared with the offer's (a digest-follows
// file's: the kSha256Size bytes that follow its content in the segment), the part is synced
// and renamed to its name (another free name on a clash unless overwriting). The destination
// never holds a partial or wrong file under a real name. Progress of a file that can resume
// (PlannedFile::journaled) is journaled (after a sync) every kJournalEvery bytes, so an
// interrupted file resumes from there or later.
#pragma once

#include <memory>
#include <optional>
#include <string>

#include "lp2p/result.hpp"
#include "transfer/dest_dir.hpp"
#include "transfer/journal.hpp"
#include "transfer/receive_plan.hpp"

namespace lp2p::transfer {

inline constexpr std::uint64_t kJournalEvery = std::uint64_t{64} << 20;

struct SinkContext {
  DestDir* dest = nullptr;
  Journal* journal = nullptr;  // may be null
  std::string peer;
  bool overwrite = false;
};

class FileSink {
 public:
  // trailer_only: the sender's answer to the plan's probe, a segment of the digest alone; no
  // part file is opened and verify() compares the digest with the probe (the file already here
  // is the result).
  FileSink(SinkContext context, PlannedFile plan, const Entry& entry, bool trailer_only = false);

  // Opens the part file (kept up to the plan's offset, else emptied).
  Result<void> open();
  [[nodiscard]] bool trailer_only() const { return trailer_only_; }
  [[nodiscard]] const std::string& rel_path() const { return plan_.rel_path; }
  // The segment's bytes as they come: content, then (digest-follows) the trailer.
  Result<void> write(std::span<const std::uint8_t> segment);
  [[nodiscard]] std::uint64_t position() const { return position_; }
  // All bytes are in: compares their SHA-256 with the offer's or the trailer's. On a mismatch
  // the part is removed (its content is wrong) and the error (protocol_error) says so; so it is
  // when the trailer is all zeros (the sender's file changed while it was sent).
  Result<void> verify();
  // Renames the verified part to its name (another free name on a clash unless overwriting);
  // returns the relative path it was saved as. Durability as in DestDir::commit; once the commit
  // is durable, the caller calls forget().
  Result<std::string> commit(DestDir::Durability durability);
  [[nodiscard]] const std::vector<std::string>& dir() const { return plan_.dir; }
  [[nodiscard]] std::uint64_t size() const { return entry_.size; }
  // The journal entry goes (the file is saved, or its part removed).
  void forget();
  // Stops without finishing: the part and its journal entry stay, for a later resume (a file of
  // one chunk or less cannot resume: its part is removed).
  void keep_for_resume();

 private:
  void journal_progress();

  SinkContext context_;
  PlannedFile plan_;
  const Entry& entry_;
  std::optional<PartFile> part_;
  std::uint64_t position_ = 0;
  std::uint64_t journaled_ = 0;
  bool trailer_only_ = false;
  Sha256 trailer_{};
  std::size_t trailer_bytes_ = 0;
};

}  // namespace lp2p::transfer
