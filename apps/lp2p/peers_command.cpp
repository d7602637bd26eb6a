#include "peers_command.hpp"

#include <CLI/CLI.hpp>
#include <algorithm>
#include <chrono>
#include <ctime>
#include <functional>
#include <memory>
#include <nlohmann/json.hpp>
#include <ostream>

#include "agent_options.hpp"
#include "store/store.hpp"

namespace lp2p::cli {
namespace {

using Json = nlohmann::ordered_json;
using store::SystemTime;

// Exit statuses, as `lp2p peers --help` documents them (parse errors exit 2 from main).
constexpr int kExitNotFound = 1;
constexpr int kExitUsage = 2;
constexpr int kExitStoreError = 3;

// A grant given for longer is given persistently instead.
constexpr unsigned kMaxMinutes = 60U * 24U * 366U;

struct PeersOptions {
  AgentOptions agent;  // only --state-dir is used
  bool json = false;
  std::string fingerprint;
  std::string origin;
  unsigned minutes = 0;  // 0: persistent
};

SystemTime now() {
  return std::chrono::time_point_cast<std::chrono::seconds>(std::chrono::system_clock::now());
}

std::string local_time(SystemTime t, const char* format) {
  const std::time_t time = t.time_since_epoch().count();
  std::tm tm{};
  localtime_r(&time, &tm);
  std::array<char, 64> buffer{};
  const std::size_t n = std::strftime(buffer.data(), buffer.size(), format, &tm);
  return {buffer.data(), n};
}

// RFC 3339, UTC: for --json.
std::string utc_time(SystemTime t) {
  const std::time_t time = t.time_since_epoch().count();
  std::tm tm{};
  gmtime_r(&time, &tm);
  std::array<char, 32> buffer{};
  const std::size_t n = std::strftime(buffer.data(), buffer.size(), "%Y-%m-%dT%H:%M:%SZ", &tm);
  return {buffer.data(), n};
}

Json utc_or_null(const std::optional<SystemTime>& t) {
  return t ? Json(utc_time(*t)) : Json(nullptr);
}

std::string name_of(const store::KnownPeer& p) {
  return p.display_name.empty() ? "(no name)" : p.display_name;
}

// "Laptop (XNJS+wzokyQ2+vjM0QQJgbie5K1rn+niorfnGqyyfNM=)"
std::string who(const store::KnownPeer& p) {
  return name_of(p) + " (" + p.fingerprint + ")";
}

std::string until_text(const std::optional<SystemTime>& until) {
  return until ? "until " + local_time(*until, "%Y-%m-%d %H:%M") : "until revoked";
}

// Columns are padded by characters, not bytes: names are UTF-8.
std::size_t width_of(std::string_view text) {
  return static_cast<std::size_t>(
      std::count_if(text.begin(), text.end(), [](char c) { return (c & 0xC0) != 0x80; }));
}

struct Row {
  store::KnownPeer peer;
  std::vector<store::Grant> grants;  // those in force
};

Json row_json(const Row& row) {
  const auto& p = row.peer;
  Json grants = Json::array();
  for (const auto& g : row.grants) {
    grants.push_back(Json{{"origin", g.origin},
                          {"until", utc_or_null(g.until)},
                          {"granted_at", utc_time(g.granted_at)}});
  }
  return Json{{"fingerprint", p.fingerprint},
              {"name", p.display_name},
              {"model", p.model_name},
              {"paired", p.authenticated_at.has_value()},
              {"paired_at", utc_or_null(p.authenticated_at)},
              {"first_seen", utc_time(p.first_seen)},
              {"last_seen", utc_time(p.last_seen)},
              {"addresses", p.last_addresses},
              {"state_token", p.state_token},
              {"metadata_version", p.metadata_version},
              {"grants", std::move(grants)}};
}

void print_table(const std::vector<Row>& rows, std::ostream& out) {
  std::vector<std::array<std::string, 7>> cells;
  cells.push_back({"NAME", "FINGERPRINT", "MODEL", "TRUST", "LAST SEEN", "ADDRESS", "GRANTS"});
  for (const auto& row : rows) {
    const auto& p = row.peer;
    std::string grants;
    for (const auto& g : row.grants) {
      if (!grants.empty()) grants += ", ";
      grants += g.origin + (g.until ? " (" + until_text(g.until) + ")" : "");
    }
    cells.push_back({name_of(p), p.fingerprint.substr(0, 8) + "…", p.model_name,
                     p.authenticated_at ? "paired " + local_time(*p.authenticated_at, "%Y-%m-%d")
                                        : "not paired",
                     local_time(p.last_seen, "%Y-%m-%d %H:%M"),
                     p.last_addresses.empty() ? "-" : p.last_addresses.front(),
                     grants.empty() ? "-" : grants});
  }
  std::array<std::size_t, 7> widths{};
  for (const auto& line : cells) {
    for (std::size_t i = 0; i < line.size(); ++i)
      widths.at(i) = std::max(widths.at(i), width_of(line.at(i)));
  }
  for (const auto& line : cells) {
    for (std::size_t i = 0; i < line.size(); ++i) {
      out << line.at(i);
      if (i + 1 < line.size()) out << std::string(widths.at(i) - width_of(line.at(i)) + 2, ' ');
    }
    out << '\n';
  }
}

// Opens the store named by --state-dir (after checking the fingerprint prefix of the
// subcommands); on failure says why and sets `exit_code`.
std::unique_ptr<store::Store> open_store(const PeersOptions& options, const Io& io,
                                         std::string_view command, int& exit_code) {
  if (command != "peers" && options.fingerprint.size() < store::kMinFingerprintPrefix) {
    io.err << "lp2p " << command << ": \"" << options.fingerprint
           << "\" is too short: give at least " << store::kMinFingerprintPrefix
           << " characters of the fingerprint (`lp2p peers` lists them)\n";
    exit_code = kExitUsage;
    return nullptr;
  }
  auto opened = store::Store::open(state_dir_of(options.agent));
  if (!opened) {
    io.err << "lp2p " << command << ": " << opened.error().message << '\n';
    exit_code = kExitStoreError;
    return nullptr;
  }
  return std::move(*opened);
}

// Reports a failed store call: not found / ambiguous (invalid_argument) or a store error.
int failed(const Error& error, const Io& io, std::string_view command) {
  io.err << "lp2p " << command << ": " << error.message << '\n';
  return error.code == Errc::invalid_argument ? kExitNotFound : kExitStoreError;
}

// Opens the store, finds the peer that options.fingerprint names and runs `action` on both; or
// says why not and returns the exit status.
int with_peer(const PeersOptions& options, const Io& io, std::string_view command,
              const std::function<int(store::Store&, const store::KnownPeer&)>& action) {
  int exit_code = 0;
  auto db = open_store(options, io, command, exit_code);
  if (!db) return exit_code;
  auto peer = store::find_known_peer(*db, options.fingerprint);
  if (!peer) return failed(peer.error(), io, command);
  return action(*db, *peer);
}

int run_list(const PeersOptions& options, const Io& io) {
  int exit_code = 0;
  auto db = open_store(options, io, "peers", exit_code);
  if (!db) return exit_code;
  auto peers = db->peers();
  if (!peers) return failed(peers.error(), io, "peers");
  const SystemTime t = now();
  std::vector<Row> rows;
  for (auto& p : *peers) {
    auto grants = db->grants_of(p.fingerprint);
    if (!grants) return failed(grants.error(), io, "peers");
    std::erase_if(*grants, [t](const store::Grant& g) { return g.until && *g.until <= t; });
    rows.push_back({std::move(p), std::move(*grants)});
  }
  if (options.json) {
    for (const auto& row : rows) io.out << row_json(row).dump() << '\n';
  } else if (rows.empty()) {
    io.out << "No known peers yet: a device is listed once this agent has connected to it.\n";
  } else {
    print_table(rows, io.out);
  }
  io.out.flush();
  return 0;
}

int run_forget(const PeersOptions& options, const Io& io) {
  constexpr std::string_view kCommand = "peers forget";
  return with_peer(options, io, kCommand, [&](store::Store& db, const store::KnownPeer& peer) {
    auto forgot = db.forget_peer(peer.fingerprint);
    if (!forgot) return failed(forgot.error(), io, kCommand);
    if (!*forgot) {
      io.err << "lp2p " << kCommand << ": " << who(peer) << " was forgotten meanwhile\n";
      return kExitNotFound;
    }
    if (options.json) {
      io.out << Json{{"event", "forgot"},
                     {"fingerprint", peer.fingerprint},
                     {"name", peer.display_name},
                     {"was_paired", peer.authenticated_at.has_value()}}
                    .dump()
             << '\n';
    } else {
      io.out << "forgot " << who(peer)
             << (peer.authenticated_at ? ": it must pair again" : ": it was not paired") << '\n';
    }
    return 0;
  });
}

int run_grant(const PeersOptions& options, const Io& io) {
  constexpr std::string_view kCommand = "peers grant";
  return with_peer(options, io, kCommand, [&](store::Store& db, const store::KnownPeer& peer) {
    const SystemTime t = now();
    store::Grant grant{peer.fingerprint, options.origin, std::nullopt, t};
    if (options.minutes > 0) grant.until = t + std::chrono::minutes(options.minutes);
    if (auto put = db.put_grant(grant); !put) return failed(put.error(), io, kCommand);
    if (options.json) {
      io.out << Json{{"event", "granted"},
                     {"fingerprint", peer.fingerprint},
                     {"name", peer.display_name},
                     {"origin", grant.origin},
                     {"until", utc_or_null(grant.until)}}
                    .dump()
             << '\n';
    } else {
      io.out << "granted " << who(peer) << " to " << grant.origin << ", " << until_text(grant.until)
             << '\n';
    }
    if (!peer.authenticated_at) {
      io.err << "note: " << name_of(peer)
             << " is not paired: the grant counts once the two devices have paired\n";
    }
    return 0;
  });
}

int run_revoke(const PeersOptions& options, const Io& io) {
  constexpr std::string_view kCommand = "peers revoke";
  return with_peer(options, io, kCommand, [&](store::Store& db, const store::KnownPeer& peer) {
    auto revoked = db.revoke_grant(peer.fingerprint, options.origin);
    if (!revoked) return failed(revoked.error(), io, kCommand);
    if (!*revoked) {
      io.err << "lp2p " << kCommand << ": " << who(peer) << " has no grant for " << options.origin
             << '\n';
      return kExitNotFound;
    }
    if (options.json) {
      io.out << Json{{"event", "revoked"},
                     {"fingerprint", peer.fingerprint},
                     {"name", peer.display_name},
                     {"origin", options.origin}}
                    .dump()
             << '\n';
    } else {
      io.out << "revoked the grant of " << who(peer) << " to " << options.origin << '\n';
    }
    return 0;
  });
}

constexpr const char* kFingerprintHelp =
    "The peer: its fingerprint, or the first characters of it (at least 4, as `lp2p peers` "
    "shows them) if no other known peer starts so";

}  // namespace

void add_peers_command(CLI::App& parent, const Io& io, int& exit_code) {
  auto options = std::make_shared<PeersOptions>();
  CLI::App* peers = parent.add_subcommand(
      "peers", "The devices this agent knows: paired or not, last seen where, granted to whom");
  peers->require_subcommand(0, 1);
  peers->fallthrough();  // --state-dir and --json also after `forget`, `grant`, `revoke`
  add_state_dir_option(*peers, options->agent);
  peers->add_flag("--json", options->json,
                  "One JSON object per line instead of text (times in UTC, RFC 3339)");
  peers->footer(R"(
Without a subcommand, lists the known peers, most recently seen first: name, fingerprint (its
first characters), model, whether it is paired (and since when), when and where it was last
seen, and the origins it is granted to. A device becomes known when this agent connects to it
or it connects here; it becomes trusted by pairing (a short code on both screens). Grants say
which web origins (or apps) may use a peer: persistent until revoked, or for some minutes.

Exit status: 0 done; 1 no such peer, an ambiguous fingerprint prefix, or no such grant;
2 usage error (also a fingerprint prefix under 4 characters); 3 the state database could not be
opened, read or written (the message names the file and why, e.g. "database is locked").

Examples:
  lp2p peers
  lp2p peers --json
  lp2p peers forget XNJS+wzo
  lp2p peers grant XNJS --origin https://drop.example --minutes 60
  lp2p peers revoke XNJS --origin https://drop.example)");

  CLI::App* forget = peers->add_subcommand(
      "forget", "Forget a peer: its trust, its grants, everything this agent knows of it");
  forget->add_option("fingerprint", options->fingerprint, kFingerprintHelp)->required();
  forget->footer(R"(
A forgotten device is a stranger again: to be trusted it must pair again. It may still be
discovered and connect, like any device nearby.)");
  forget->callback([options, &io, &exit_code] { exit_code = run_forget(*options, io); });

  CLI::App* grant =
      peers->add_subcommand("grant", "Grant a peer to an origin (a web origin or an app id)");
  grant->add_option("fingerprint", options->fingerprint, kFingerprintHelp)->required();
  grant->add_option("--origin", options->origin, "e.g. https://drop.example")
      ->required()
      ->check(CLI::Validator(
          [](const std::string& origin) {
            return origin.empty() ? std::string("the origin must not be empty") : std::string();
          },
          "ORIGIN"));
  grant
      ->add_option("--minutes", options->minutes,
                   "For this many minutes only (default: until revoked)")
      ->check(CLI::Range(1U, kMaxMinutes));
  grant->footer(R"(
Granting again replaces the earlier grant for that origin (e.g. a timed one becomes persistent).)");
  grant->callback([options, &io, &exit_code] { exit_code = run_grant(*options, io); });

  CLI::App* revoke = peers->add_subcommand("revoke", "Take back a peer's grant to an origin");
  revoke->add_option("fingerprint", options->fingerprint, kFingerprintHelp)->required();
  revoke->add_option("--origin", options->origin, "The origin granted")->required();
  revoke->callback([options, &io, &exit_code] { exit_code = run_revoke(*options, io); });

  peers->callback([peers, options, &io, &exit_code] {
    if (peers->get_subcommands().empty()) exit_code = run_list(*options, io);
  });
}

}  // namespace lp2p::cli
