// Verified files waiting for their final names. Renaming each one durably costs two fsyncs (the
// file, its directory); a batch of many small files shares one sync of the file system's data
// (syncfs) before the renames and one fsync per directory after. The guarantee stays the same:
// no final name ever holds content that is not on disk. A batch of one file is committed alone
// (Durability::each), which for a big file syncs only that file.
#pragma once

#include <optional>
#include <vector>

#include "transfer/file_sink.hpp"
#include "transfer/messages.hpp"

namespace lp2p::transfer {

inline constexpr std::size_t kCommitFiles = 256;
inline constexpr std::uint64_t kCommitBytes = std::uint64_t{64} << 20;

class CommitBatch {
 public:
  explicit CommitBatch(DestDir& dest) : dest_(dest) {}

  // `sink` passed FileSink::verify.
  void add(std::uint64_t index, FileSink sink);
  [[nodiscard]] bool empty() const { return files_.empty(); }
  [[nodiscard]] bool full() const {
    return files_.size() >= kCommitFiles || bytes_ >= kCommitBytes;
  }

  struct Outcome {
    std::vector<FileResult> results;  // of the files saved, in the order added
    std::optional<Error> error;       // the first failure: the files after it stay parts
  };
  // Commits every file and empties the batch.
  Outcome commit();

 private:
  struct Pending {
    std::uint64_t index;
    FileSink sink;
  };

  DestDir& dest_;
  std::vector<Pending> files_;
  std::uint64_t bytes_ = 0;
};

}  // namespace lp2p::transfer
