// What a transfer tells its user interface (the CLI's progress bars and --json events, later
// the daemon). Called from the transfer's worker threads; implementations synchronise.
#pragma once

#include <cstdint>
#include <utility>
#include <vector>

#include "transfer/messages.hpp"

namespace lp2p::transfer {

class TransferObserver {
 public:
  TransferObserver() = default;
  TransferObserver(const TransferObserver&) = delete;
  TransferObserver& operator=(const TransferObserver&) = delete;
  TransferObserver(TransferObserver&&) = delete;
  TransferObserver& operator=(TransferObserver&&) = delete;
  virtual ~TransferObserver() = default;

  // The receiver's answer (seen by both sides): which files move, which are already there.
  virtual void answered(const Offer& offer, const Answer& answer) {
    (void)offer;
    (void)answer;
  }
  // Content bytes moved in this attempt so far (sent, or received and written), of `total`.
  virtual void progress(std::uint64_t bytes, std::uint64_t total) {
    (void)bytes;
    (void)total;
  }
  // A file was saved (ok) or failed, as the receiver reports it.
  virtual void file_done(const Entry& entry, const FileResult& result) {
    (void)entry;
    (void)result;
  }
};

// What an exchange did, seen from either side.
struct TransferReport {
  std::uint64_t files_saved = 0;  // this attempt
  std::uint64_t files_have = 0;   // already there with the same content
  std::uint64_t files_failed = 0;
  std::uint64_t bytes = 0;          // content bytes moved in this attempt
  std::uint64_t bytes_resumed = 0;  // verified earlier, not sent again
  double seconds = 0;               // from the answer to the end
  // The sender's SHA-256s of digest-follows files (by offer index), computed while sending: for
  // its cache (remember_digests), so the next offer of the same file carries its digest.
  std::vector<std::pair<std::uint64_t, Sha256>> digests;
};

}  // namespace lp2p::transfer
