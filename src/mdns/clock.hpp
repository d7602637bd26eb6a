// Time and randomness as inputs, so that the mDNS cores run the same under a fake clock in tests
// as under the real one.
#pragma once

#include <chrono>
#include <cstdint>
#include <random>

namespace lp2p::mdns {

using Clock = std::chrono::steady_clock;
using TimePoint = Clock::time_point;
using Duration = Clock::duration;
using std::chrono::milliseconds;
using std::chrono::seconds;

// Source of the random delays RFC 6762 asks for. Deterministic when seeded the same.
class Random {
 public:
  explicit Random(std::uint64_t seed) : engine_(seed) {}
  // A duration uniformly distributed in [low, high].
  Duration between(milliseconds low, milliseconds high) {
    std::uniform_int_distribution<std::int64_t> dist(low.count(), high.count());
    return milliseconds(dist(engine_));
  }
  // A number uniformly distributed in [0, 1).
  double unit() { return std::uniform_real_distribution<double>(0.0, 1.0)(engine_); }

 private:
  std::mt19937_64 engine_;
};

}  // namespace lp2p::mdns
