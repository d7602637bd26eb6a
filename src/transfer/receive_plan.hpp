// The receiver's answer to an offer, worked out before a byte of content is accepted: every
// path checked (path_rules), limits and sizes checked, files already here with the same content
// skipped ("have"; for a digest-follows file, probed), interrupted files resumed from their
// verified prefix (chunk hashes, or the sender's check of a probe where the offer has none),
// and the space needed compared with the space free. A hostile or impossible offer is
// refused here, with nothing written.
#pragma once

#include <atomic>
#include <memory>
#include <string>
#include <vector>

#include "lp2p/result.hpp"
#include "transfer/dest_dir.hpp"
#include "transfer/hashing.hpp"
#include "transfer/journal.hpp"
#include "transfer/messages.hpp"

namespace lp2p::transfer {

struct PlannedFile {
  std::uint64_t index = 0;
  std::vector<std::string> dir;  // components below the destination
  std::string name;              // the offered name (a clash picks another at the end)
  std::string rel_path;          // as offered
  std::string content_key;       // the journal's key: hex SHA-256, or of the file's identity (v2)
  std::string part_tag;          // names the part file (the content key's first 8 hex digits)
  std::uint64_t offset = 0;      // resume from here
  std::shared_ptr<Sha256Stream> prefix_hash;  // SHA-256 state after `offset` bytes
  // Larger than one chunk: only such a file can resume (whole verified chunks before its end),
  // so only its part is journaled.
  bool journaled = false;
  // Asked with a probe (Wanted::probe): the sender may answer with the trailer alone (offset 0)
  // or start over from 0 (offset > 0).
  std::optional<Sha256> probe;
};

struct Plan {
  Answer answer;
  std::vector<PlannedFile> files;              // in answer.wanted's order
  std::vector<std::vector<std::string>> dirs;  // folders of the offer, to create
  std::uint64_t bytes_to_receive = 0;
  std::uint64_t bytes_resumed = 0;  // verified prefixes not sent again
};

struct PlanOptions {
  std::string peer;  // fingerprint, for the journal
  const std::atomic<bool>* cancel = nullptr;
};

// The journal's key of an offered file: its SHA-256 in hex; for a digest-follows file, the hex
// SHA-256 of its path, size and mtime (the same file offered again finds its part).
std::string content_key(const Entry& e);

// Checks the offer's shape: paths, duplicates, a file used as a folder, sizes, chunk sizes and
// hash lengths. Errors: invalid_argument / too_large with a message for the peer and the log.
Result<void> check_offer(const Offer& offer);

// check_offer, then the plan. Errors: as check_offer; no_space ("needs X, Y free"); io_error.
Result<Plan> plan_receive(const Offer& offer, DestDir& dest, Journal* journal,
                          const PlanOptions& options);

}  // namespace lp2p::transfer
