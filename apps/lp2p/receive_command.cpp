// `lp2p receive`: be discoverable and take what paired devices send (files, folders, texts).
#include <unistd.h>

#include <CLI/CLI.hpp>
#include <iostream>
#include <thread>

#include "cli_agent.hpp"
#include "lp2p/receiver.hpp"
#include "progress_view.hpp"
#include "transfer/constants.hpp"
#include "transfer/dest_dir.hpp"
#include "transfer/file_receiver.hpp"
#include "transfer/journal.hpp"
#include "transfer/path_rules.hpp"
#include "transfer/receive_plan.hpp"
#include "transfer_commands.hpp"
#include "transfer_runs.hpp"

namespace lp2p::cli {
namespace {

struct ReceiveOptions {
  AgentOptions agent;
  std::string dir = ".";
  std::string auto_accept = "none";
  bool once = false;
  bool json = false;
  bool overwrite = false;
  std::optional<std::string> code;
};

constexpr const char* kReceiveFooter = R"(
Waits until Ctrl-C (or, with --once, until one transfer is complete). Devices that are not
paired yet pair first: this side shows a code (or asks for one) — only paired devices can send.

Each offer is shown with what it holds. On a terminal you are asked to accept it; with
--auto-accept trusted, offers from paired devices are accepted without asking (the way to run
unattended); without a terminal and without --auto-accept, offers are declined.

Files are written next to their final name as ".NAME.XXXXXXXX.lp2p-part", checked against the
sender's SHA-256, synced, and only then renamed: a name in --dir never holds a partial or wrong
file. A name already taken keeps its file; the new one becomes "NAME (1).ext" (or --overwrite).
An interrupted transfer keeps its part: sending the same files again resumes it.

Examples:
  lp2p receive                                   into the current folder, asking each time
  lp2p receive --dir ~/Downloads --auto-accept trusted
  lp2p receive --once --json                     one transfer, JSON events (scripts, tests)

Exit status: 0 (--once: the transfer completed; otherwise stopped by Ctrl-C); 1 could not start
or (--once) the transfer failed; 2 bad usage.)";

class Session {
 public:
  Session(EventPrinter& printer, const ReceiveOptions& options, transfer::DestDir& dest,
          transfer::Journal* journal)
      : printer_(printer), options_(options), dest_(dest), journal_(journal) {}

  // One connection: its transport, its offer. Runs on a thread of its own.
  void serve(Connection connection) {
    const std::string peer = connection.peer().name;
    auto link = accept_exchange(connection);
    if (!link) return report_error(peer, link.error().message);
    track(*link);
    auto message = (*link)->control().receive(std::chrono::minutes(2));
    if (!message) return report_error(peer, message.error().message);
    if (const auto* offer = std::get_if<transfer::Offer>(&*message)) {
      handle_offer(**link, connection, *offer);
    } else {
      transfer::refuse_offer(**link, {}, "protocol", "expected an offer");
      report_error(peer, "the peer sent no offer");
    }
    (*link)->close();
  }

  void cancel_all(const std::string& why) {
    const std::lock_guard lock(mutex_);
    for (auto& weak : links_) {
      if (auto l = weak.lock()) l->cancel(why);
    }
  }

  [[nodiscard]] int completed() const { return completed_.load(); }
  [[nodiscard]] int failed() const { return failed_.load(); }

 private:
  void track(const std::shared_ptr<transfer::TransferLink>& link) {
    const std::lock_guard lock(mutex_);
    links_.push_back(link);
  }

  void report_error(const std::string& peer, const std::string& message) {
    ++failed_;
    printer_.event("error", {{"peer", peer}, {"message", message}},
                   "lp2p receive: " + peer + ": " + message);
  }

  bool decide(const std::string& peer, const std::string& summary) {
    if (options_.auto_accept == "trusted") return true;  // every connection here is paired
    if (isatty(STDIN_FILENO) == 0) {
      printer_.event("declined", {{"peer", peer}, {"reason", "no terminal to ask"}},
                     "Declined (no terminal to ask; use --auto-accept trusted to accept "
                     "offers from paired devices unattended).");
      return false;
    }
    const std::lock_guard ask(ask_mutex_);
    printer_.event("question", {}, peer + " offers " + summary + ". Accept? [y/N] ");
    std::string line;
    if (!std::getline(std::cin, line)) return false;
    return !line.empty() && (line[0] == 'y' || line[0] == 'Y');
  }

  void handle_offer(transfer::TransferLink& link, Connection& connection,
                    const transfer::Offer& offer) {
    const std::string peer = connection.peer().name;
    if (auto checked = transfer::check_offer(offer); !checked) {
      transfer::refuse_offer(link, offer, "limit", checked.error().message);
      return report_error(peer, "refused a malformed offer: " + checked.error().message);
    }
    std::uint64_t bytes = 0;
    std::size_t files = 0;
    for (const transfer::Entry& e : offer.entries) {
      if (!e.directory) {
        bytes += e.size;
        ++files;
      }
    }
    std::string summary =
        offer.text ? "a text (" + std::to_string(offer.text->size()) + " bytes)"
                   : std::to_string(files) + " file(s), " + human_bytes(bytes) +
                         (offer.entries.empty()
                              ? ""
                              : " (" + transfer::display_path(offer.entries.front().path) +
                                    (offer.entries.size() > 1 ? ", ..." : "") + ")");
    printer_.event("offer",
                   {{"peer", peer},
                    {"fingerprint", connection.peer().id},
                    {"files", files},
                    {"bytes", bytes},
                    {"text", offer.text.has_value()}},
                   peer + " offers " + summary + ".");
    if (!decide(peer, summary)) {
      transfer::refuse_offer(link, offer, "declined", "the person declined");
      printer_.event("declined", {{"peer", peer}}, "Declined.");
      return;
    }
    if (offer.text) {
      if (auto sent = transfer::accept_text(link, offer); !sent) {
        return report_error(peer, sent.error().message);
      }
      printer_.result("text", {{"peer", peer}, {"text", *offer.text}},
                      "Text from " + peer + ":\n" + *offer.text + "\n");
      ++completed_;
      return;
    }
    const int code = receive_offer(printer_, link, connection.peer(), offer, dest_, journal_,
                                   options_.overwrite);
    (code == kExitOk ? completed_ : failed_) += 1;
  }

  EventPrinter& printer_;
  const ReceiveOptions& options_;
  transfer::DestDir& dest_;
  transfer::Journal* journal_;
  std::mutex mutex_;
  std::mutex ask_mutex_;
  std::vector<std::weak_ptr<transfer::TransferLink>> links_;
  std::atomic<int> completed_{0};
  std::atomic<int> failed_{0};
};

int run_receive(const ReceiveOptions& options, const Io& io) {
  install_interrupt_flag();
  configure_logging(options.agent);
  EventPrinter printer(io, options.json);
  auto fail = [&](int code, const std::string& message) {
    printer.event("error", {{"message", message}}, "lp2p receive: " + message);
    return code;
  };
  if (options.auto_accept != "none" && options.auto_accept != "trusted") {
    return fail(kExitBadUsage, "--auto-accept takes \"trusted\" or \"none\"");
  }
  auto dest = transfer::DestDir::open(options.dir, true);
  if (!dest) return fail(kExitBadUsage, dest.error().message);
  auto journal = transfer::Journal::open(state_dir_of(options.agent));
  if (!journal) return fail(kExitError, journal.error().message);
  if (const std::size_t pruned = (*journal)->prune(transfer::kPartsKeptFor); pruned > 0) {
    printer.event("pruned", {{"parts", pruned}},
                  "Removed " + std::to_string(pruned) +
                      " part file(s) of transfers abandoned more than a week ago.");
  }
  ConsentOptions consent_options;
  consent_options.code = options.code;
  auto made = make_command_agent(options.agent, printer, consent_options);
  if (!made) return fail(kExitError, made.error().message);
  auto& agent = made->agent;

  Session session(printer, options, *dest, journal->get());
  WorkerThreads threads;
  Receiver receiver(*agent, ReceiverOptions{std::string(transfer::kFilesOrigin), "lp2p receive"});
  receiver.on_connection([&](Connection connection) {
    printer.event("connected",
                  {{"peer", connection.peer().name}, {"fingerprint", connection.peer().id}},
                  connection.peer().name + " connected.");
    threads.add([&session, connection] { session.serve(connection); });
  });
  auto discoverable = start_receiver(*agent, receiver);
  if (!discoverable) return fail(kExitError, discoverable.error().message);
  printer.event("listening",
                {{"name", made->options.device_name},
                 {"discoverable", *discoverable},
                 {"fingerprint", agent->fingerprint()},
                 {"port", agent->port()},
                 {"dir", (*dest).root().string()},
                 {"ticket", agent->ticket()}},
                "Receiving into " + (*dest).root().string() + " as \"" + made->options.device_name +
                    "\". Ctrl-C to stop.");
  while (!interrupted() && !(options.once && session.completed() > 0)) {
    std::this_thread::sleep_for(std::chrono::milliseconds(100));
  }
  if (interrupted()) {
    session.cancel_all("interrupted");
    printer.event("stopped", {}, "Stopped; unfinished files are kept and resume next time.");
  }
  receiver.stop();
  threads.join_all();
  agent->stop();
  if (options.once) return session.completed() > 0 ? kExitOk : kExitError;
  return kExitOk;
}

}  // namespace

void add_receive_command(CLI::App& app, const Io& io, int& exit_code) {
  auto options = std::make_shared<ReceiveOptions>();
  CLI::App* command =
      app.add_subcommand("receive", "Receive files and texts from paired devices until Ctrl-C");
  command->footer(kReceiveFooter);
  command->add_option("--dir,-d", options->dir, "Where to save what arrives (default: here)");
  command->add_option("--auto-accept", options->auto_accept,
                      "\"trusted\": accept offers from paired devices without asking");
  command->add_flag("--once", options->once, "Exit after one completed transfer");
  command->add_flag("--overwrite", options->overwrite,
                    "Replace files of the same name instead of keeping both");
  command->add_option("--code", options->code, "The pairing code the other device shows");
  command->add_flag("--json", options->json, "One JSON event per line on stdout");
  add_agent_options(*command, options->agent);
  command->callback([options, &io, &exit_code] { exit_code = run_receive(*options, io); });
}

}  // namespace lp2p::cli
