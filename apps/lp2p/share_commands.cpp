// `lp2p share DIR --for PEER` and `lp2p pull PEER PATH...`: a folder shared read-only with one
// paired device for a limited time (explainer R3, "per-session pull authorisation"); that
// device lists it and pulls what it chooses, with the same resume and checks as a push.
#include <openssl/rand.h>

#include <CLI/CLI.hpp>
#include <thread>

#include "cli_agent.hpp"
#include "lp2p/receiver.hpp"
#include "progress_view.hpp"
#include "store/store.hpp"
#include "transfer/constants.hpp"
#include "transfer/file_receiver.hpp"
#include "transfer/path_rules.hpp"
#include "transfer_commands.hpp"
#include "transfer_runs.hpp"

namespace lp2p::cli {
namespace {

constexpr auto kRequestWait = std::chrono::minutes(5);

struct ShareOptions {
  AgentOptions agent;
  std::string dir;
  std::string peer;
  unsigned minutes = 10;
  bool json = false;
};

struct PullOptions {
  AgentOptions agent;
  std::string peer;
  std::vector<std::string> paths;
  std::string dir = ".";
  bool list = false;
  bool json = false;
  bool overwrite = false;
  std::optional<std::string> code;
  unsigned timeout = 30;
};

constexpr const char* kShareFooter = R"(
Only PEER (a paired device: its name or the start of its fingerprint, see `lp2p peers`) may
list the folder and pull from it, read-only, until the time is up (--minutes, default 10) or
Ctrl-C. Nothing outside DIR can be named: paths are checked, and symbolic links are neither
followed nor offered.

Example:
  lp2p share ~/Pictures/2026-holiday --for Laptop --minutes 30
  (on Laptop)  lp2p pull Kitchen --list ;  lp2p pull Kitchen beach day2/ --dir ~/Downloads

Exit status: 0 the time was up or Ctrl-C; 1 could not start; 2 bad usage; 3 PEER is not paired.)";

constexpr const char* kPullFooter = R"(
PEER is the device sharing (`lp2p share DIR --for THIS-DEVICE` there). Without PATHs, or with
--list, shows what is shared. PATHs are relative to the shared folder ("." for all of it).
Files already here with the same content are skipped, interrupted ones resume, and nothing is
overwritten unless --overwrite (a name already taken keeps its file: "NAME (1).ext").

Exit status: 0 done; 1 failed; 2 bad usage; 3 PEER not found, reached or paired; 4 refused (not
shared with this device, or the share ended); 5 some files failed; 130 interrupted (kept).)";

// Resolves a paired peer by name or fingerprint prefix in the store.
Result<store::KnownPeer> paired_peer(const AgentOptions& agent, const std::string& peer) {
  auto opened = store::Store::open(state_dir_of(agent));
  if (!opened) return std::move(opened).error();
  store::Store& db = **opened;
  auto all = db.peers();
  if (!all) return std::move(all).error();
  std::vector<store::KnownPeer> found;
  for (store::KnownPeer& p : *all) {
    if (!p.authenticated_at) continue;
    const PeerCandidate c{p.fingerprint, p.display_name, true, false};
    if (CliConsent::matches(c, peer)) found.push_back(std::move(p));
  }
  if (found.size() != 1) {
    return make_error(Errc::not_found, found.empty()
                                           ? "no paired device \"" + peer +
                                                 "\" (pair first: `lp2p pair` or `lp2p send`)"
                                           : "\"" + peer +
                                                 "\" names several paired devices; use more "
                                                 "of its fingerprint");
  }
  return found.front();
}

class ShareServer {
 public:
  ShareServer(EventPrinter& printer, std::filesystem::path root, const AgentOptions& agent)
      : printer_(printer), root_(std::move(root)), agent_(agent) {}

  void serve(const Connection& connection) {
    const std::string peer = connection.peer().name;
    auto link = accept_exchange(connection);
    if (!link) {
      printer_.event("error", {{"peer", peer}, {"message", link.error().message}},
                     "lp2p share: " + peer + ": " + link.error().message);
      return;
    }
    {
      const std::lock_guard lock(mutex_);
      links_.push_back(*link);
    }
    while (true) {
      auto message = (*link)->control().receive(kRequestWait);
      if (!message) break;
      if (const auto* list = std::get_if<transfer::ListRequest>(&*message)) {
        (void)(*link)->control().send(listing(*list));
        printer_.event("listed", {{"peer", peer}, {"path", list->path}},
                       peer + " listed \"" + transfer::display_path(list->path) + "\".");
        continue;
      }
      if (const auto* pull = std::get_if<transfer::PullRequest>(&*message)) {
        serve_pull(**link, peer, *pull);
      } else {
        transfer::refuse_offer(**link, {}, "protocol", "expected list-request or pull-request");
      }
      break;
    }
    (*link)->close();
  }

  void cancel_all() {
    const std::lock_guard lock(mutex_);
    for (auto& weak : links_) {
      if (auto l = weak.lock()) l->cancel("the share ended");
    }
  }

 private:
  transfer::Listing listing(const transfer::ListRequest& request) {
    transfer::Listing out;
    out.request_id = request.request_id;
    auto set = transfer::collect_shared(root_, {request.path});
    if (!set) {
      out.error = set.error().message;
      return out;
    }
    out.entries = std::move(set->entries);
    return out;
  }

  void serve_pull(transfer::TransferLink& link, const std::string& peer,
                  const transfer::PullRequest& pull) {
    auto sources = transfer::collect_shared(root_, pull.paths);
    if (!sources) {
      (void)link.control().send(transfer::Failure{"not-shared", sources.error().message, false});
      link.control().finish();
      printer_.event("refused", {{"peer", peer}, {"message", sources.error().message}},
                     peer + " asked for something not shared: " + sources.error().message);
      return;
    }
    auto cache = store::Store::open(state_dir_of(agent_));
    if (auto hashed = transfer::hash_sources(*sources, transfer::kDefaultChunkSize,
                                             cache ? cache->get() : nullptr,
                                             transfer::BigFiles::digest_follows, nullptr, {});
        !hashed) {
      (void)link.control().send(transfer::Failure{"io", hashed.error().message, false});
      link.control().finish();
      return;
    }
    transfer::Offer offer;
    RAND_bytes(offer.id.data(), static_cast<int>(offer.id.size()));
    offer.entries = sources->entries;
    printer_.event("pull", {{"peer", peer}, {"files", sources->file_count()}},
                   peer + " pulls " + std::to_string(sources->file_count()) + " file(s).");
    (void)send_offer(printer_, link, peer, *sources, offer, state_dir_of(agent_));
  }

  EventPrinter& printer_;
  std::filesystem::path root_;
  const AgentOptions& agent_;
  std::mutex mutex_;
  std::vector<std::weak_ptr<transfer::TransferLink>> links_;
};

int run_share(const ShareOptions& options, const Io& io) {
  install_interrupt_flag();
  configure_logging(options.agent);
  EventPrinter printer(io, options.json);
  auto fail = [&](int code, const std::string& message) {
    printer.event("error", {{"message", message}}, "lp2p share: " + message);
    return code;
  };
  std::error_code ec;
  const std::filesystem::path root = std::filesystem::canonical(options.dir, ec);
  if (ec || !std::filesystem::is_directory(root)) {
    return fail(kExitBadUsage, options.dir + ": not a folder");
  }
  if (options.minutes == 0) return fail(kExitBadUsage, "--minutes must be at least 1");
  auto peer = paired_peer(options.agent, options.peer);
  if (!peer) return fail(kExitUnreachable, peer.error().message);
  ConsentOptions consent_options;
  consent_options.only_peer = peer->fingerprint;
  auto made = make_command_agent(options.agent, printer, consent_options);
  if (!made) return fail(kExitError, made.error().message);
  auto& agent = made->agent;

  ShareServer server(printer, root, options.agent);
  WorkerThreads threads;
  Receiver receiver(*agent, ReceiverOptions{std::string(transfer::kFilesOrigin), "lp2p share"});
  receiver.on_connection([&](Connection connection) {
    threads.add([&server, connection] { server.serve(connection); });
  });
  auto discoverable = start_receiver(*agent, receiver);
  if (!discoverable) return fail(kExitError, discoverable.error().message);
  const auto until = std::chrono::steady_clock::now() + std::chrono::minutes(options.minutes);
  printer.event("sharing",
                {{"dir", root.string()},
                 {"peer", peer->display_name},
                 {"fingerprint", peer->fingerprint},
                 {"minutes", options.minutes},
                 {"discoverable", *discoverable},
                 {"name", made->options.device_name}},
                "Sharing " + root.string() + " with " + peer->display_name + " (read-only) for " +
                    std::to_string(options.minutes) + " minute(s). Ctrl-C ends it sooner.");
  while (!interrupted() && std::chrono::steady_clock::now() < until) {
    std::this_thread::sleep_for(std::chrono::milliseconds(100));
  }
  receiver.stop();
  server.cancel_all();
  threads.join_all();
  agent->stop();
  printer.event(
      "share-ended", {{"reason", interrupted() ? "interrupted" : "time is up"}},
      std::string("The share ended (") + (interrupted() ? "interrupted" : "time is up") + ").");
  return kExitOk;
}

int run_pull(const PullOptions& options, const Io& io) {
  install_interrupt_flag();
  configure_logging(options.agent);
  EventPrinter printer(io, options.json);
  auto fail = [&](int code, const std::string& message) {
    printer.event("error", {{"message", message}, {"exit", code}}, "lp2p pull: " + message);
    return code;
  };
  for (const std::string& p : options.paths) {
    if (p == ".") continue;
    if (auto ok = transfer::check_relative_path(p); !ok) {
      return fail(kExitBadUsage, ok.error().message);
    }
  }
  std::optional<transfer::DestDir> dest;
  const bool listing = options.list || options.paths.empty();
  if (!listing) {
    auto opened = transfer::DestDir::open(options.dir, true);
    if (!opened) return fail(kExitBadUsage, opened.error().message);
    dest.emplace(std::move(*opened));
  }
  auto journal = transfer::Journal::open(state_dir_of(options.agent));
  if (!journal) return fail(kExitError, journal.error().message);
  ConsentOptions consent_options;
  consent_options.code = options.code;
  auto made = make_command_agent(options.agent, printer, consent_options);
  if (!made) return fail(kExitError, made.error().message);
  Exchange exchange = open_exchange(*made->agent, *made->consent, printer, "lp2p pull",
                                    options.peer, std::chrono::seconds(options.timeout));
  if (!exchange.link) return exchange.exit_code;
  transfer::TransferLink& link = *exchange.link;
  std::atomic<bool> finished{false};
  std::thread watcher([&] {
    while (!finished.load()) {
      if (interrupted()) link.cancel("interrupted");
      std::this_thread::sleep_for(std::chrono::milliseconds(100));
    }
  });
  int code = kExitOk;
  if (listing) {
    const std::string path = options.paths.empty() ? "" : options.paths.front();
    auto sent = link.control().send(transfer::ListRequest{1, path == "." ? "" : path});
    auto answer = sent ? link.control().receive(std::chrono::seconds(options.timeout))
                       : Result<transfer::Control>(sent.error());
    const auto* list = answer ? std::get_if<transfer::Listing>(&*answer) : nullptr;
    if (list == nullptr) {
      code = fail(kExitError,
                  answer ? "the device did not answer with a listing" : answer.error().message);
    } else if (!list->error.empty()) {
      code = fail(kExitDeclined, list->error);
    } else {
      std::string text;
      for (const transfer::Entry& e : list->entries) {
        printer.event("entry", {{"path", e.path}, {"size", e.size}, {"directory", e.directory}});
        text += (e.directory ? "      " + std::string("dir") : human_bytes(e.size)) + "  " +
                transfer::display_path(e.path) + (e.directory ? "/" : "") + "\n";
      }
      if (!printer.json()) printer.result("listing", {}, text);
    }
  } else {
    std::vector<std::string> paths;
    for (const std::string& p : options.paths) paths.push_back(p == "." ? "" : p);
    auto sent = link.control().send(transfer::PullRequest{1, paths});
    auto answer = sent ? link.control().receive(std::chrono::minutes(10))
                       : Result<transfer::Control>(sent.error());
    if (!answer) {
      code = fail(exit_code_of(answer.error()), answer.error().message);
    } else if (const auto* f = std::get_if<transfer::Failure>(&*answer)) {
      code = fail(f->code == "not-shared" ? kExitDeclined : kExitError, f->message);
    } else if (const auto* offer = std::get_if<transfer::Offer>(&*answer)) {
      code = receive_offer(printer, link, exchange.connection.peer(), *offer, *dest, journal->get(),
                           options.overwrite);
    } else {
      code = fail(kExitError, "the device answered neither with files nor a refusal");
    }
  }
  finished = true;
  watcher.join();
  link.close();
  exchange.connection.close();
  return interrupted() ? kExitInterrupted : code;
}

}  // namespace

void add_share_command(CLI::App& app, const Io& io, int& exit_code) {
  auto options = std::make_shared<ShareOptions>();
  CLI::App* command =
      app.add_subcommand("share", "Let one paired device list and pull files from a folder");
  command->footer(kShareFooter);
  command->add_option("dir", options->dir, "The folder to share (read-only)")->required();
  command->add_option("--for", options->peer, "The paired device that may pull")->required();
  command->add_option("--minutes", options->minutes, "How long the share lasts (default 10)");
  command->add_flag("--json", options->json, "One JSON event per line on stdout");
  add_agent_options(*command, options->agent);
  command->callback([options, &io, &exit_code] { exit_code = run_share(*options, io); });
}

void add_pull_command(CLI::App& app, const Io& io, int& exit_code) {
  auto options = std::make_shared<PullOptions>();
  CLI::App* command =
      app.add_subcommand("pull", "List or pull files a device shares with this one");
  command->footer(kPullFooter);
  command->add_option("peer", options->peer, "The sharing device")->required();
  command->add_option("paths", options->paths, "Paths in the share (\".\" for all)");
  command->add_option("--dir,-d", options->dir, "Where to save (default: here)");
  command->add_flag("--list,-l", options->list, "Only list (the first PATH, or the top)");
  command->add_flag("--overwrite", options->overwrite,
                    "Replace files of the same name instead of keeping both");
  command->add_option("--code", options->code, "The pairing code the other device shows");
  command->add_flag("--json", options->json, "One JSON event per line on stdout");
  command->add_option("--timeout", options->timeout,
                      "Seconds to find and reach the device (default 30)");
  add_agent_options(*command, options->agent);
  command->callback([options, &io, &exit_code] { exit_code = run_pull(*options, io); });
}

}  // namespace lp2p::cli
