// lp2p-spake2-bench: the cost of one SPAKE2 exchange (osp-brief §4.8) per side, in microseconds.
//
//   lp2p-spake2-bench [--runs N] [--json]
//
// Each run uses fresh parties, so every figure includes the allocation and CSPRNG draw a real
// pairing pays. "finish" = receive_peer_public_value + check_peer_confirmation; "exchange" = start
// + finish of one side (the peer's work is done outside the clock).
#include <CLI/CLI.hpp>
#include <algorithm>
#include <chrono>
#include <cmath>
#include <cstdio>
#include <cstdlib>
#include <iostream>
#include <nlohmann/json.hpp>
#include <string>
#include <vector>

#include "auth/spake2.hpp"

namespace {

using Clock = std::chrono::steady_clock;
using lp2p::auth::Spake2Party;
using lp2p::auth::Spake2Role;

constexpr std::uint64_t kPsk = 61488548833;

// Accumulates the time spent inside measure() calls of one run.
class Stopwatch {
 public:
  template <class F>
  auto measure(F&& work) {
    const auto begin = Clock::now();
    auto result = std::forward<F>(work)();
    elapsed_ += Clock::now() - begin;
    return result;
  }
  [[nodiscard]] double microseconds() const {
    return std::chrono::duration<double, std::micro>(elapsed_).count();
  }

 private:
  Clock::duration elapsed_{};
};

Spake2Party must(lp2p::Result<Spake2Party> party) {
  if (!party) {
    std::cerr << "lp2p-spake2-bench: " << party.error().describe() << '\n';
    std::exit(1);
  }
  return std::move(party).value();
}

void must(const lp2p::Result<void>& result) {
  if (!result) {
    std::cerr << "lp2p-spake2-bench: " << result.error().describe() << '\n';
    std::exit(1);
  }
}

void must_confirm(bool confirmed) {
  if (!confirmed) {
    std::cerr << "lp2p-spake2-bench: a confirmation did not check\n";
    std::exit(1);
  }
}

Spake2Party start(Spake2Role role) {
  static const Spake2Party::Params kAlice{Spake2Role::alice,
                                          "XNJS+wzokyQ2+vjM0QQJgbie5K1rn+niorfnGqyyfNM=",
                                          "3AzmM9vMkT2vr6S4msRNjOaD/fw/YMi98hITufK1NLo="};
  Spake2Party::Params params = kAlice;
  params.role = role;
  return must(Spake2Party::start(lp2p::auth::p256_sha256_suite(), params, kPsk));
}

// One run of everything; each entry is microseconds for that operation.
struct Run {
  double alice_start = 0;
  double bob_start = 0;
  double alice_finish = 0;
  double bob_finish = 0;
  double alice_exchange = 0;
  double bob_exchange = 0;
};

Run run_once() {
  Run run;
  // Alice's side: start, (Bob answers), receive pB and check cB.
  {
    Stopwatch clock;
    auto alice = clock.measure([] { return start(Spake2Role::alice); });
    run.alice_start = clock.microseconds();
    auto bob = start(Spake2Role::bob);
    must(bob.receive_peer_public_value(alice.public_value()));
    Stopwatch finish;
    const bool confirmed = finish.measure([&] {
      must(alice.receive_peer_public_value(bob.public_value()));
      return alice.check_peer_confirmation(bob.confirmation());
    });
    must_confirm(confirmed);
    run.alice_finish = finish.microseconds();
    run.alice_exchange = run.alice_start + run.alice_finish;
  }
  // Bob's side, the mirror image.
  {
    Stopwatch clock;
    auto bob = clock.measure([] { return start(Spake2Role::bob); });
    run.bob_start = clock.microseconds();
    auto alice = start(Spake2Role::alice);
    must(alice.receive_peer_public_value(bob.public_value()));
    Stopwatch finish;
    const bool confirmed = finish.measure([&] {
      must(bob.receive_peer_public_value(alice.public_value()));
      return bob.check_peer_confirmation(alice.confirmation());
    });
    must_confirm(confirmed);
    run.bob_finish = finish.microseconds();
    run.bob_exchange = run.bob_start + run.bob_finish;
  }
  return run;
}

struct Summary {
  double median;
  double p90;
};

double tenths(double microseconds) {
  return std::round(microseconds * 10) / 10;
}

// Nearest-rank percentiles.
Summary summarize(std::vector<double> samples) {
  std::sort(samples.begin(), samples.end());
  const auto at = [&](double q) {
    const auto rank =
        static_cast<std::size_t>(std::lround(q * static_cast<double>(samples.size() - 1)));
    return samples.at(rank);
  };
  return {at(0.5), at(0.9)};
}

int run(int argc, char** argv) {
  CLI::App app{"SPAKE2 (P-256, RFC 9382) cost per operation: median and p90 microseconds"};
  std::size_t runs = 1000;
  bool json = false;
  app.add_option("--runs", runs, "exchanges to time (default 1000)")
      ->check(CLI::Range(std::size_t{1}, std::size_t{10000000}));
  app.add_flag("--json", json, "print one JSON object instead of a table");
  CLI11_PARSE(app, argc, argv);

  (void)run_once();  // warm-up: the suite's constants, OpenSSL's fetches and the CSPRNG
  std::vector<Run> results;
  results.reserve(runs);
  for (std::size_t i = 0; i < runs; ++i) results.push_back(run_once());

  const std::vector<std::pair<const char*, double Run::*>> operations = {
      {"alice_start", &Run::alice_start},       {"bob_start", &Run::bob_start},
      {"alice_finish", &Run::alice_finish},     {"bob_finish", &Run::bob_finish},
      {"alice_exchange", &Run::alice_exchange}, {"bob_exchange", &Run::bob_exchange},
  };
  nlohmann::ordered_json out = {
      {"suite", lp2p::auth::p256_sha256_suite().name()}, {"runs", runs}, {"unit", "us"}};
  if (!json)
    std::printf("%-16s %10s %10s   (%zu runs, microseconds)\n", "operation", "median", "p90", runs);
  for (const auto& [name, field] : operations) {
    std::vector<double> samples;
    samples.reserve(results.size());
    for (const Run& run : results) samples.push_back(run.*field);
    const Summary summary = summarize(std::move(samples));
    if (json) {
      out["operations"][name] = {{"median", tenths(summary.median)}, {"p90", tenths(summary.p90)}};
    } else {
      std::printf("%-16s %10.1f %10.1f\n", name, summary.median, summary.p90);
    }
  }
  if (json) std::cout << out.dump() << '\n';
  return 0;
}

}  // namespace

int main(int argc, char** argv) {
  // What gets here is a bug or exhaustion (std::bad_alloc); errors of the code under test exit(1).
  try {
    return run(argc, argv);
  } catch (const std::exception& e) {
    std::cerr << "lp2p-spake2-bench: " << e.what() << '\n';
    return 1;
  }
}
