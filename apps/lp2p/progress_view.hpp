// A transfer's progress for people and scripts: the answer ("accepted"), a bar with rate and ETA
// redrawn on a terminal, "progress" events every 250 ms with --json, and each file that failed.
#pragma once

#include <chrono>
#include <mutex>
#include <string>

#include "event_printer.hpp"
#include "transfer/file_read.hpp"
#include "transfer/observer.hpp"

namespace lp2p::cli {

using transfer::human_bytes;
// "0:42", "1:02:03".
std::string human_duration(double seconds);

class ProgressView : public transfer::TransferObserver {
 public:
  ProgressView(EventPrinter& printer, std::string peer, bool sending);

  void answered(const transfer::Offer& offer, const transfer::Answer& answer) override;
  void progress(std::uint64_t bytes, std::uint64_t total) override;
  void file_done(const transfer::Entry& entry, const transfer::FileResult& result) override;

 private:
  EventPrinter& printer_;
  std::string peer_;
  bool sending_;
  std::mutex mutex_;
  std::chrono::steady_clock::time_point started_ = std::chrono::steady_clock::now();
  std::chrono::steady_clock::time_point last_shown_{};
  std::uint64_t files_total_ = 0;
  std::uint64_t files_done_ = 0;
};

}  // namespace lp2p::cli
