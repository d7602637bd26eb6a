#include "transfer/commit_batch.hpp"

#include <set>

namespace lp2p::transfer {

void CommitBatch::add(std::uint64_t index, FileSink sink) {
  bytes_ += sink.size();
  files_.push_back({index, std::move(sink)});
}

CommitBatch::Outcome CommitBatch::commit() {
  std::vector<Pending> files;
  files.swap(files_);
  bytes_ = 0;
  Outcome outcome;
  if (files.empty()) return outcome;
  const auto durability =
      files.size() == 1 ? DestDir::Durability::each : DestDir::Durability::batched;
  if (durability == DestDir::Durability::batched) {
    if (auto synced = dest_.sync_data(); !synced) {
      outcome.error = synced.error();
      return outcome;
    }
  }
  std::set<std::vector<std::string>> dirs;
  std::size_t saved = 0;
  for (; saved < files.size(); ++saved) {
    Pending& p = files[saved];
    auto name = p.sink.commit(durability);
    if (!name) {
      outcome.error = name.error();
      break;
    }
    dirs.insert(p.sink.dir());
    outcome.results.push_back(FileResult{p.index, true, std::move(*name), ""});
  }
  if (durability == DestDir::Durability::batched) {
    for (const auto& dir : dirs) {
      if (auto synced = dest_.sync_dir(dir); !synced) {
        // The renames happened; only their durability is in doubt. Said, not undone.
        if (!outcome.error) outcome.error = synced.error();
      }
    }
  }
  for (std::size_t i = 0; i < saved; ++i) files[i].sink.forget();
  return outcome;
}

}  // namespace lp2p::transfer
