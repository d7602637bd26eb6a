// lp2p_store_writer: a test-only process for store_kill_test.py. It opens the store in a state
// directory and makes random changes until it is killed, announcing each one so that the test
// can replay them against a model of the database:
//
//   do N OP ARGS...   before the call (N: sequence number; the call's `now` is kBase + N s)
//   ok N              after the call returned: its transaction is committed
//   refused N         the call returned invalid_argument and changed nothing
//
// OPs: note FP NAME ADDR|-, auth FP, grant FP ORIGIN UNTIL|-, revoke FP ORIGIN, forget FP,
// prune, identity FP. Every line is flushed before the next call, so a line that reached the
// test describes the past. Exit status 1 on any other store error.
//
// Usage: lp2p_store_writer DIR [--seed S] [--start N]    loop until killed
//        lp2p_store_writer DIR --check                   open the store (recovery, migration)
//                                                        and print "ok schema V peers P"
#include <unistd.h>

#include <cstdint>
#include <cstdlib>
#include <exception>
#include <initializer_list>
#include <iostream>
#include <random>
#include <string>
#include <string_view>

#include "store/store.hpp"

namespace {

using lp2p::store::SystemTime;

constexpr std::int64_t kBase = 1'700'000'000;
constexpr int kPeers = 10;
constexpr int kOrigins = 4;
constexpr int kAddresses = 12;

std::string fingerprint(int i) {
  std::string fp = "peer" + std::to_string(i);
  fp.resize(43, 'A');
  return fp + "=";
}

// Writes one whole line with one write(2): a kill never leaves half of it in the pipe.
void say(const std::string& line) {
  const std::string text = line + "\n";
  std::size_t done = 0;
  while (done < text.size()) {
    const ssize_t n = ::write(STDOUT_FILENO, text.data() + done, text.size() - done);
    if (n <= 0) std::exit(1);
    done += static_cast<std::size_t>(n);
  }
}

// "do 12 note FP name1 -": the words joined by spaces.
std::string words(std::initializer_list<std::string_view> list) {
  std::string line;
  for (const auto word : list) {
    if (!line.empty()) line += ' ';
    line += word;
  }
  return line;
}

int check(const std::string& dir) {
  auto store = lp2p::store::Store::open(dir);
  if (!store) {
    std::cerr << "lp2p_store_writer: " << store.error().describe() << '\n';
    return 1;
  }
  auto peers = (*store)->peers();
  if (!peers) {
    std::cerr << "lp2p_store_writer: " << peers.error().describe() << '\n';
    return 1;
  }
  say("ok schema " + std::to_string((*store)->schema_version()) + " peers " +
      std::to_string(peers->size()));
  return 0;
}

// Says how the call ended; exits on a store error.
template <class T>
void report(std::int64_t n, const lp2p::Result<T>& result) {
  if (result) return say("ok " + std::to_string(n));
  if (result.error().code == lp2p::Errc::invalid_argument) {
    return say("refused " + std::to_string(n));
  }
  say("error " + std::to_string(n) + " " + result.error().describe());
  std::exit(1);
}

int run(int argc, char** argv) {
  if (argc < 2) {
    std::cerr << "usage: lp2p_store_writer DIR [--seed S] [--start N] | DIR --check\n";
    return 2;
  }
  const std::string dir = argv[1];
  std::uint64_t seed = std::random_device{}();
  std::int64_t n = 0;
  for (int i = 2; i < argc; ++i) {
    const std::string_view arg = argv[i];
    if (arg == "--check") return check(dir);
    if (arg == "--seed" && i + 1 < argc) {
      seed = std::stoull(argv[++i]);
    } else if (arg == "--start" && i + 1 < argc) {
      n = std::stoll(argv[++i]);
    } else {
      std::cerr << "lp2p_store_writer: unknown argument " << arg << '\n';
      return 2;
    }
  }
  auto opened = lp2p::store::Store::open(dir);
  if (!opened) {
    std::cerr << "lp2p_store_writer: " << opened.error().describe() << '\n';
    return 1;
  }
  auto& store = **opened;
  std::mt19937_64 random(seed);
  auto pick = [&random](int count) {
    return std::uniform_int_distribution<int>(0, count - 1)(random);
  };
  for (;; ++n) {
    const SystemTime now{std::chrono::seconds(kBase + n)};
    const std::string id = std::to_string(n);
    const std::string fp = fingerprint(pick(kPeers));
    const std::string origin = "https://o" + std::to_string(pick(kOrigins)) + ".example";
    const int op = pick(100);
    if (op < 35) {
      lp2p::store::KnownPeer seen;
      seen.fingerprint = fp;
      seen.display_name = "name" + std::to_string(pick(3));
      seen.model_name = "model" + id;
      seen.state_token = "token" + id;
      seen.metadata_version = static_cast<std::uint64_t>(n);
      std::string address = "-";
      if (pick(4) != 0) {
        address = "10.0.0." + std::to_string(pick(kAddresses)) + ":4433";
        seen.last_addresses.push_back(address);
      }
      say(words({"do", id, "note", fp, seen.display_name, address}));
      report(n, store.note_peer(seen, now));
    } else if (op < 45) {
      say(words({"do", id, "auth", fp}));
      report(n, store.mark_authenticated(fp, now));
    } else if (op < 70) {
      std::optional<SystemTime> until;
      std::string until_text = "-";
      if (pick(3) != 0) {
        until = now + std::chrono::seconds(pick(30) - 5);  // some already expired
        until_text = std::to_string(until->time_since_epoch().count());
      }
      say(words({"do", id, "grant", fp, origin, until_text}));
      report(n, store.put_grant({fp, origin, until, now}));
    } else if (op < 80) {
      say(words({"do", id, "revoke", fp, origin}));
      report(n, store.revoke_grant(fp, origin));
    } else if (op < 85) {
      say(words({"do", id, "forget", fp}));
      report(n, store.forget_peer(fp));
    } else if (op < 95) {
      say(words({"do", id, "prune"}));
      report(n, store.prune_grants(now));
    } else {
      const std::string self = "self" + std::to_string(pick(2));
      say(words({"do", id, "identity", self}));
      report(n, store.record_identity(self, now));
    }
  }
}

}  // namespace

int main(int argc, char** argv) {
  try {
    return run(argc, argv);
  } catch (const std::exception& e) {  // std::stoll on a bad argument, std::bad_alloc
    std::cerr << "lp2p_store_writer: " << e.what() << '\n';
    return 2;
  }
}
