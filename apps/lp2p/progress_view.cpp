#include "progress_view.hpp"

#include <array>
#include <cstdio>

#include "transfer/path_rules.hpp"

namespace lp2p::cli {
namespace {

constexpr auto kEvery = std::chrono::milliseconds(250);
constexpr int kBarWidth = 24;

}  // namespace

std::string human_duration(double seconds) {
  const auto s = static_cast<long long>(seconds + 0.5);
  std::array<char, 32> text{};
  if (s >= 3600) {
    std::snprintf(text.data(), text.size(), "%lld:%02lld:%02lld", s / 3600, s / 60 % 60, s % 60);
  } else {
    std::snprintf(text.data(), text.size(), "%lld:%02lld", s / 60, s % 60);
  }
  return text.data();
}

ProgressView::ProgressView(EventPrinter& printer, std::string peer, bool sending)
    : printer_(printer), peer_(std::move(peer)), sending_(sending) {}

void ProgressView::answered(const transfer::Offer& offer, const transfer::Answer& answer) {
  std::uint64_t bytes = 0;
  std::uint64_t resumed = 0;
  for (const transfer::Wanted& w : answer.wanted) {
    bytes += offer.entries[w.index].size - w.offset;
    resumed += w.offset;
  }
  {
    const std::lock_guard lock(mutex_);
    files_total_ = answer.wanted.size();
    started_ = std::chrono::steady_clock::now();
  }
  std::string text = (sending_ ? peer_ + " accepted: sending " : "Receiving ") +
                     std::to_string(answer.wanted.size()) + " file(s), " + human_bytes(bytes);
  if (!answer.have.empty()) {
    text += "; " + std::to_string(answer.have.size()) + " already there";
  }
  if (resumed > 0) text += "; resuming after " + human_bytes(resumed) + " kept from before";
  printer_.event("accepted",
                 {{"peer", peer_},
                  {"files", answer.wanted.size()},
                  {"bytes", bytes},
                  {"have", answer.have.size()},
                  {"resumed_bytes", resumed}},
                 text);
}

void ProgressView::progress(std::uint64_t bytes, std::uint64_t total) {
  const auto now = std::chrono::steady_clock::now();
  double elapsed = 0;
  std::uint64_t files_done = 0;
  std::uint64_t files_total = 0;
  {
    const std::lock_guard lock(mutex_);
    if (now - last_shown_ < kEvery && bytes < total) return;
    last_shown_ = now;
    elapsed = std::chrono::duration<double>(now - started_).count();
    files_done = files_done_;
    files_total = files_total_;
  }
  const double rate = elapsed > 0 ? static_cast<double>(bytes) / elapsed : 0;
  if (printer_.json()) {
    printer_.event("progress", {{"peer", peer_},
                                {"bytes", bytes},
                                {"total", total},
                                {"files", files_done},
                                {"files_total", files_total},
                                {"rate", rate}});
    return;
  }
  const double fraction =
      total == 0 ? 1.0 : static_cast<double>(bytes) / static_cast<double>(total);
  const int filled = static_cast<int>(fraction * kBarWidth);
  std::string bar(static_cast<std::size_t>(filled), '#');
  bar.resize(kBarWidth, '.');
  std::string line = "[" + bar + "] " + std::to_string(static_cast<int>(fraction * 100)) + "% " +
                     human_bytes(bytes) + " / " + human_bytes(total) + "  " +
                     human_bytes(static_cast<std::uint64_t>(rate)) + "/s";
  if (rate > 0 && bytes < total) {
    line += "  ETA " + human_duration(static_cast<double>(total - bytes) / rate);
  }
  if (files_total > 1) {
    line += "  " + std::to_string(files_done) + "/" + std::to_string(files_total) + " files";
  }
  printer_.status(line);
}

void ProgressView::file_done(const transfer::Entry& entry, const transfer::FileResult& result) {
  {
    const std::lock_guard lock(mutex_);
    ++files_done_;
  }
  if (result.ok) {
    if (printer_.json()) {
      printer_.event("file", {{"peer", peer_},
                              {"path", entry.path},
                              {"saved_as", result.saved_as},
                              {"bytes", entry.size}});
    }
    return;
  }
  printer_.event("file-error", {{"peer", peer_}, {"path", entry.path}, {"message", result.message}},
                 "  " + transfer::display_path(entry.path) + ": " + result.message);
}

}  // namespace lp2p::cli
