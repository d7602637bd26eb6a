#include "transfer_runs.hpp"

#include "progress_view.hpp"
#include "store/store.hpp"
#include "transfer/constants.hpp"
#include "transfer/file_receiver.hpp"
#include "transfer/file_sender.hpp"
#include "transfer/receive_plan.hpp"
#include "transfer_commands.hpp"

namespace lp2p::cli {

int exit_code_of(const Error& error) {
  switch (error.code) {
    case Errc::refused:
      return kExitDeclined;
    case Errc::closed:
      return interrupted() ? kExitInterrupted : kExitError;
    default:
      return kExitError;
  }
}

Exchange open_exchange(Agent& agent, CliConsent& consent, EventPrinter& printer,
                       const std::string& command, const std::string& target,
                       std::chrono::seconds timeout) {
  auto fail = [&](int code, const std::string& message) {
    printer.event("error", {{"peer", target}, {"message", message}, {"exit", code}},
                  command + ": " + target + ": " + message);
    return Exchange{{}, nullptr, code};
  };
  auto connection = connect_to(agent, consent, target, std::string(transfer::kFilesOrigin),
                               std::chrono::duration_cast<std::chrono::milliseconds>(timeout));
  if (!connection) {
    return fail(interrupted() ? kExitInterrupted : kExitUnreachable, connection.error().message);
  }
  printer.event("connected",
                {{"peer", connection->peer().name}, {"fingerprint", connection->peer().id}},
                "Connected to " + connection->peer().name + ".");
  auto transport = QuicTransport::open(*connection);
  if (!transport) return fail(kExitUnreachable, transport.error().message);
  auto ready = transport->ready();
  if (ready.wait_for(timeout) != std::future_status::ready) {
    return fail(kExitUnreachable, "the transfer connection did not open in time");
  }
  if (auto r = ready.get(); !r) return fail(kExitUnreachable, r.error().message);
  auto link = transfer::TransferLink::open(*transport, timeout);
  if (!link) return fail(kExitError, link.error().message);
  return Exchange{*connection, *link, kExitOk};
}

Result<std::shared_ptr<transfer::TransferLink>> accept_exchange(const Connection& connection) {
  auto transport = QuicTransport::open(connection);
  if (!transport) return std::move(transport).error();
  auto ready = transport->ready();
  if (ready.wait_for(std::chrono::seconds(30)) != std::future_status::ready) {
    return make_error(Errc::timed_out, "the transfer connection did not open");
  }
  if (auto r = ready.get(); !r) return r.error();
  return transfer::TransferLink::accept(*transport, std::chrono::seconds(30));
}

int send_offer(EventPrinter& printer, transfer::TransferLink& link, const std::string& peer,
               const transfer::SourceSet& sources, const transfer::Offer& offer,
               const std::filesystem::path& state_dir) {
  ProgressView view(printer, peer, true);
  auto report = transfer::send_files(link, sources, offer, view);
  printer.end_status();
  if (report && !report->digests.empty()) {
    if (auto cache = store::Store::open(state_dir)) {
      transfer::remember_digests(sources, report->digests, offer.chunk_size, cache->get());
    }
  }
  if (!report) {
    std::string message = report.error().message;
    if (interrupted()) message = "interrupted; what arrived is kept: run the same command again";
    const int code = exit_code_of(report.error());
    printer.event("error", {{"peer", peer}, {"message", message}, {"exit", code}},
                  "lp2p: " + peer + ": " + message);
    return code;
  }
  const double rate =
      report->seconds > 0 ? static_cast<double>(report->bytes) / report->seconds : 0;
  std::string text = "Sent to " + peer + ": " + std::to_string(report->files_saved) + " file(s), " +
                     human_bytes(report->bytes) + " in " + human_duration(report->seconds) + " (" +
                     human_bytes(static_cast<std::uint64_t>(rate)) + "/s)";
  if (report->files_have > 0) {
    text += "; " + std::to_string(report->files_have) + " already there";
  }
  if (report->bytes_resumed > 0) text += "; " + human_bytes(report->bytes_resumed) + " resumed";
  if (report->files_failed > 0) text += "; " + std::to_string(report->files_failed) + " FAILED";
  printer.event("done",
                {{"peer", peer},
                 {"files", report->files_saved},
                 {"have", report->files_have},
                 {"failed", report->files_failed},
                 {"bytes", sources.total_bytes()},
                 {"bytes_sent", report->bytes},
                 {"bytes_resumed", report->bytes_resumed},
                 {"seconds", report->seconds},
                 {"rate", rate}},
                text);
  return report->files_failed > 0 ? kExitPartial : kExitOk;
}

int receive_offer(EventPrinter& printer, transfer::TransferLink& link, const PeerInfo& peer,
                  const transfer::Offer& offer, transfer::DestDir& dest, transfer::Journal* journal,
                  bool overwrite) {
  auto fail = [&](const std::string& message) {
    printer.event("error", {{"peer", peer.name}, {"message", message}},
                  "lp2p: " + peer.name + ": " + message);
    return kExitError;
  };
  transfer::PlanOptions plan_options;
  plan_options.peer = peer.id;
  auto plan = transfer::plan_receive(offer, dest, journal, plan_options);
  if (!plan) {
    // A plan that is not the disk's fault failed on the offer itself: "limit".
    const Errc why = plan.error().code;
    const std::string code =
        why == Errc::no_space || why == Errc::io_error ? transfer::failure_code(why) : "limit";
    transfer::refuse_offer(link, offer, code, plan.error().message);
    return fail("refused: " + plan.error().message);
  }
  transfer::SinkContext context{&dest, journal, peer.id, overwrite};
  ProgressView view(printer, peer.name, false);
  auto report = transfer::receive_files(link, offer, std::move(*plan), context, view);
  printer.end_status();
  if (!report) {
    return fail(report.error().message + "; what arrived is kept: the same transfer again resumes");
  }
  const double rate =
      report->seconds > 0 ? static_cast<double>(report->bytes) / report->seconds : 0;
  std::string text =
      "Received from " + peer.name + ": " + std::to_string(report->files_saved) + " file(s), " +
      human_bytes(report->bytes) + " in " + human_duration(report->seconds) + " (" +
      human_bytes(static_cast<std::uint64_t>(rate)) + "/s) into " + dest.root().string();
  if (report->files_have > 0) {
    text += "; " + std::to_string(report->files_have) + " already there";
  }
  if (report->files_failed > 0) text += "; " + std::to_string(report->files_failed) + " FAILED";
  printer.event("done",
                {{"peer", peer.name},
                 {"files", report->files_saved},
                 {"have", report->files_have},
                 {"failed", report->files_failed},
                 {"bytes", report->bytes},
                 {"bytes_resumed", report->bytes_resumed},
                 {"seconds", report->seconds},
                 {"rate", rate},
                 {"dir", dest.root().string()}},
                text);
  return report->files_failed > 0 ? kExitPartial : kExitOk;
}

}  // namespace lp2p::cli
