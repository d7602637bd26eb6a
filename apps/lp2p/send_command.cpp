// `lp2p send PEER PATH... | --text STR`, and `--group A,B,...`: one offer, to each peer at once.
#include <openssl/rand.h>

#include <CLI/CLI.hpp>
#include <iostream>
#include <thread>

#include "cli_agent.hpp"
#include "progress_view.hpp"
#include "store/store.hpp"
#include "transfer/constants.hpp"
#include "transfer/file_sender.hpp"
#include "transfer/sources.hpp"
#include "transfer_commands.hpp"
#include "transfer_runs.hpp"

namespace lp2p::cli {
namespace {

struct SendOptions {
  AgentOptions agent;
  std::string peer;
  std::vector<std::string> paths;
  std::optional<std::string> text;
  std::string group;
  std::optional<std::string> code;
  bool json = false;
  unsigned timeout = 30;  // seconds to find and reach each peer
};

constexpr const char* kSendFooter = R"(
PEER is a device's name (as `lp2p discover` shows it), the start of its fingerprint (4+
characters), or a ticket (`lp2p ticket` on that device). A device not paired yet is paired on
the way: one side shows a code, the other types it (or give it with --code).

Sending never overwrites: the receiver keeps both when a name is taken, skips files it already
has with the same content, and resumes an interrupted file from what it verified. Ctrl-C stops
cleanly; run the same command again to resume.

Examples:
  lp2p send Laptop ~/Pictures/2026-holiday      a folder, with everything below it
  lp2p send Laptop report.pdf notes.txt         two files
  lp2p send Laptop --text "see you at 8"        a short text, printed on the other side
  lp2p send --group Laptop,Phone,Tablet talk.mp4   one offer to three devices at once
  lp2p send Laptop big.iso --json               one JSON event per line, for scripts

Exit status: 0 sent (to every peer of a group); 1 failed; 2 bad usage or a path that cannot be
read; 3 a peer was not found, reached or paired; 4 declined; 5 some files failed on the other
side, the rest were saved; 130 interrupted (what arrived is kept; run it again to resume).)";

transfer::TransferId random_id() {
  transfer::TransferId id{};
  RAND_bytes(id.data(), static_cast<int>(id.size()));
  return id;
}

// Sends to one peer: connect, open the exchange, offer. Returns the exit status.
int send_to(Agent& agent, CliConsent& consent, EventPrinter& printer, const std::string& peer,
            const transfer::SourceSet& sources, const transfer::Offer& offer,
            const SendOptions& options, std::vector<std::shared_ptr<transfer::TransferLink>>& links,
            std::mutex& links_mutex) {
  Exchange exchange = open_exchange(agent, consent, printer, "lp2p send", peer,
                                    std::chrono::seconds(options.timeout));
  if (!exchange.link) return exchange.exit_code;
  {
    const std::lock_guard lock(links_mutex);
    links.push_back(exchange.link);
  }
  const std::string name = exchange.connection.peer().name;
  printer.event("offer",
                {{"peer", name},
                 {"files", sources.file_count()},
                 {"bytes", sources.total_bytes()},
                 {"text", offer.text.has_value()}},
                "Offered to " + name + "; waiting for an answer...");
  int code = kExitOk;
  if (offer.text) {
    auto sent = transfer::send_text(*exchange.link, offer);
    if (sent) {
      printer.event("done", {{"peer", name}, {"bytes", offer.text->size()}},
                    "Text delivered to " + name + ".");
    } else {
      code = exit_code_of(sent.error());
      printer.event("error", {{"peer", name}, {"message", sent.error().message}, {"exit", code}},
                    "lp2p send: " + name + ": " + sent.error().message);
    }
  } else {
    code = send_offer(printer, *exchange.link, name, sources, offer, state_dir_of(options.agent));
  }
  exchange.link->close();
  exchange.connection.close();
  return code;
}

int run_send(const SendOptions& options, const Io& io) {
  install_interrupt_flag();
  configure_logging(options.agent);
  EventPrinter printer(io, options.json);
  std::vector<std::string> peers;
  if (!options.group.empty()) {
    std::stringstream list(options.group);
    for (std::string p; std::getline(list, p, ',');) {
      if (!p.empty()) peers.push_back(p);
    }
    if (!options.peer.empty()) {
      // With --group every positional argument is a path.
      printer.event("error", {{"message", "with --group, name the peers only there"}},
                    "lp2p send: with --group, name the peers only in --group");
      return kExitBadUsage;
    }
  } else {
    peers.push_back(options.peer);
  }
  if (peers.empty() || peers.front().empty()) {
    printer.event("error", {{"message", "no peer"}}, "lp2p send: name a PEER (see --help)");
    return kExitBadUsage;
  }
  if (options.text.has_value() == !options.paths.empty()) {
    printer.event("error", {{"message", "give PATHs or --text"}},
                  "lp2p send: give PATHs to send, or --text, not both");
    return kExitBadUsage;
  }

  transfer::SourceSet sources;
  transfer::Offer offer;
  offer.id = random_id();
  if (options.text) {
    if (options.text->size() > transfer::kMaxTextBytes) {
      printer.event("error", {{"message", "text too long"}}, "lp2p send: --text is over 1 MiB");
      return kExitBadUsage;
    }
    offer.text = options.text;
  } else {
    std::vector<std::filesystem::path> paths(options.paths.begin(), options.paths.end());
    auto collected = transfer::collect_sources(paths);
    if (!collected) {
      printer.event("error", {{"message", collected.error().message}},
                    "lp2p send: " + collected.error().message);
      return kExitBadUsage;
    }
    sources = std::move(*collected);
    for (const std::string& s : sources.skipped) {
      printer.event("skipped", {{"message", s}}, "skipped: " + s);
    }
    auto cache = store::Store::open(state_dir_of(options.agent));
    // One peer: big files are hashed as they are sent. A group: once, here, for every peer.
    const auto big =
        peers.size() > 1 ? transfer::BigFiles::hash_now : transfer::BigFiles::digest_follows;
    auto hashed = transfer::hash_sources(
        sources, transfer::kDefaultChunkSize, cache ? cache->get() : nullptr, big, &interrupted(),
        [&](std::uint64_t done, std::uint64_t total) {
          printer.status("hashing " + human_bytes(done) + " / " + human_bytes(total));
        });
    printer.end_status();
    if (!hashed) {
      printer.event("error", {{"message", hashed.error().message}},
                    "lp2p send: " + hashed.error().message);
      return interrupted() ? kExitInterrupted : kExitBadUsage;
    }
    offer.entries = sources.entries;
    offer.chunk_size = transfer::kDefaultChunkSize;
  }

  ConsentOptions consent_options;
  consent_options.code = options.code;
  auto made = make_command_agent(options.agent, printer, consent_options);
  if (!made) {
    printer.event("error", {{"message", made.error().message}},
                  "lp2p send: " + made.error().message);
    return kExitError;
  }
  Agent& agent = *made->agent;
  CliConsent& consent = *made->consent;

  std::mutex links_mutex;
  std::vector<std::shared_ptr<transfer::TransferLink>> links;
  std::atomic<bool> finished{false};
  std::thread watcher([&] {
    while (!finished.load()) {
      if (interrupted()) {
        const std::lock_guard lock(links_mutex);
        for (auto& l : links) l->cancel("interrupted");
      }
      std::this_thread::sleep_for(std::chrono::milliseconds(100));
    }
  });
  std::vector<int> codes(peers.size(), kExitOk);
  if (peers.size() == 1) {
    codes[0] =
        send_to(agent, consent, printer, peers[0], sources, offer, options, links, links_mutex);
  } else {
    // A group: the same offer to every peer at once, each with its own answer and result.
    std::vector<std::thread> senders;
    for (std::size_t i = 0; i < peers.size(); ++i) {
      senders.emplace_back([&, i] {
        codes[i] =
            send_to(agent, consent, printer, peers[i], sources, offer, options, links, links_mutex);
      });
    }
    for (std::thread& t : senders) t.join();
  }
  finished = true;
  watcher.join();
  int worst = kExitOk;
  for (int c : codes) worst = std::max(worst, c);
  return worst;
}

}  // namespace

void add_send_command(CLI::App& app, const Io& io, int& exit_code) {
  auto options = std::make_shared<SendOptions>();
  CLI::App* command =
      app.add_subcommand("send", "Send files, folders or a text to a paired device");
  command->footer(kSendFooter);
  command->add_option("peer", options->peer,
                      "The device to send to (name, fingerprint prefix, ticket)");
  command->add_option("paths", options->paths, "Files and folders to send");
  command->add_option("--text,-t", options->text,
                      "Send this text instead of files (at most 1 MiB)");
  command->add_option("--group", options->group,
                      "Send to several devices at once: comma-separated PEERs");
  command->add_option("--code", options->code, "The pairing code the other device shows");
  command->add_flag("--json", options->json, "One JSON event per line on stdout");
  command->add_option("--timeout", options->timeout,
                      "Seconds to find and reach each device (default 30)");
  add_agent_options(*command, options->agent, AppGroupOption::app_group);
  command->callback([options, &io, &exit_code] {
    if (!options->group.empty() && !options->peer.empty()) {
      // CLI11 fills `peer` first: with --group it is the first path.
      options->paths.insert(options->paths.begin(), options->peer);
      options->peer.clear();
    }
    exit_code = run_send(*options, io);
  });
}

}  // namespace lp2p::cli
