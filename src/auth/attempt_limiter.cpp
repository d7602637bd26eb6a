#include "auth/attempt_limiter.hpp"

#include <algorithm>

namespace lp2p::auth {
namespace {

constexpr std::chrono::minutes kCapWindow{1};

std::string seconds_text(std::chrono::milliseconds delay) {
  const auto seconds = (delay.count() + 999) / 1000;
  return std::to_string(seconds) + (seconds == 1 ? " second" : " seconds");
}

}  // namespace

std::chrono::milliseconds AttemptLimiter::backoff(unsigned failures) const {
  if (failures < options_.free_failures) return std::chrono::milliseconds{0};
  const unsigned doublings = std::min(failures - options_.free_failures, 30U);
  const auto delay = options_.base_delay * (std::int64_t{1} << doublings);
  return std::min<std::chrono::milliseconds>(delay, options_.max_delay);
}

void AttemptLimiter::forget_old_starts(TimePoint now) const {
  while (!starts_.empty() && now - starts_.front() >= kCapWindow) starts_.pop_front();
}

AttemptLimiter::Verdict AttemptLimiter::check(std::string_view peer, TimePoint now) const {
  if (const auto it = peers_.find(std::string(peer)); it != peers_.end()) {
    const auto ready_at = it->second.last_failure + backoff(it->second.failures);
    if (now < ready_at) {
      const auto wait = std::chrono::ceil<std::chrono::milliseconds>(ready_at - now);
      return {false, wait,
              std::to_string(it->second.failures) +
                  " failed pairing attempts in a row from this device; retry in " +
                  seconds_text(wait)};
    }
  }
  forget_old_starts(now);
  if (starts_.size() >= options_.max_attempts_per_minute) {
    const auto wait =
        std::chrono::ceil<std::chrono::milliseconds>(starts_.front() + kCapWindow - now);
    return {false, wait,
            std::to_string(starts_.size()) +
                " pairing attempts in the last minute (the limit); retry in " + seconds_text(wait)};
  }
  return {};
}

void AttemptLimiter::started(TimePoint now) {
  forget_old_starts(now);
  starts_.push_back(now);
}

void AttemptLimiter::failed(std::string_view peer, TimePoint now) {
  const std::string key(peer);
  if (!peers_.contains(key) && peers_.size() >= kMaxPeers) {
    peers_.erase(std::ranges::min_element(peers_, [](const auto& a, const auto& b) {
      return a.second.last_failure < b.second.last_failure;
    }));
  }
  PeerRecord& record = peers_[key];
  ++record.failures;
  record.last_failure = now;
}

void AttemptLimiter::succeeded(std::string_view peer) {
  peers_.erase(std::string(peer));
}

unsigned AttemptLimiter::failures(std::string_view peer) const {
  const auto it = peers_.find(std::string(peer));
  return it == peers_.end() ? 0 : it->second.failures;
}

}  // namespace lp2p::auth
