// Brute-force resistance for pairing (osp-brief §4.3 "rotate PSK, increasing back-off, count
// failures"): a per-peer back-off that grows with consecutive failed attempts, and a global cap
// on attempts started per minute, since a new key (a new fingerprint) costs an attacker nothing.
//
// With the defaults a 20-bit code (10^6 values) takes an attacker at most 20 online guesses a
// minute: half the code space takes about 17 days, and every guess shows the user a new code.
//
// Contract: sans-I/O (the caller passes the time), single-threaded; memory is bounded
// (kMaxPeers peers remembered, the least recently failed forgotten first).
#pragma once

#include <chrono>
#include <cstddef>
#include <deque>
#include <string>
#include <string_view>
#include <unordered_map>

namespace lp2p::auth {

class AttemptLimiter {
 public:
  using Clock = std::chrono::steady_clock;
  using TimePoint = Clock::time_point;
  static constexpr std::size_t kMaxPeers = 1024;

  struct Options {
    unsigned free_failures = 3;                  // failures in a row before any back-off
    std::chrono::milliseconds base_delay{1000};  // the first back-off; doubles per failure
    std::chrono::milliseconds max_delay{60000};
    unsigned max_attempts_per_minute = 20;  // all peers together
  };
  struct Verdict {
    bool allowed = true;
    std::chrono::milliseconds retry_after{0};  // when not allowed
    std::string reason;                        // for the log and the close reason
  };

  AttemptLimiter() = default;
  explicit AttemptLimiter(Options options) : options_(options) {}

  // May an attempt with `peer` start now?
  [[nodiscard]] Verdict check(std::string_view peer, TimePoint now) const;
  // An attempt started (counts against the global cap).
  void started(TimePoint now);
  void failed(std::string_view peer, TimePoint now);
  void succeeded(std::string_view peer);
  [[nodiscard]] unsigned failures(std::string_view peer) const;
  // The back-off after `failures` consecutive failures.
  [[nodiscard]] std::chrono::milliseconds backoff(unsigned failures) const;

 private:
  struct PeerRecord {
    unsigned failures = 0;
    TimePoint last_failure{};
  };
  void forget_old_starts(TimePoint now) const;

  Options options_;
  std::unordered_map<std::string, PeerRecord> peers_;
  mutable std::deque<TimePoint> starts_;  // attempts started in the last minute
};

}  // namespace lp2p::auth
