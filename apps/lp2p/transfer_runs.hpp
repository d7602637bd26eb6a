// The steps the transfer commands share: opening the exchange with a peer (the dialing side:
// send, pull; the accepting side: receive, share), sending an offer, and receiving one into a
// folder — each reported through the EventPrinter and ending in an exit status.
#pragma once

#include <chrono>
#include <memory>
#include <string>

#include "cli_agent.hpp"
#include "event_printer.hpp"
#include "lp2p/connection.hpp"
#include "transfer/dest_dir.hpp"
#include "transfer/journal.hpp"
#include "transfer/sources.hpp"
#include "transfer/transfer_link.hpp"

namespace lp2p::cli {

struct Exchange {
  Connection connection;
  std::shared_ptr<transfer::TransferLink> link;
  int exit_code = 0;  // when `link` is null: why not (the error event was printed)
};

// Dials `target` for the files origin and opens the exchange. On failure the error event is
// printed (as `command`) and Exchange::exit_code says why.
Exchange open_exchange(Agent& agent, CliConsent& consent, EventPrinter& printer,
                       const std::string& command, const std::string& target,
                       std::chrono::seconds timeout);

// The accepting side: waits for the peer's transport and control stream.
Result<std::shared_ptr<transfer::TransferLink>> accept_exchange(const Connection& connection);

// Sends the offer (files) and reports; returns the exit status. Digests computed while sending
// are remembered in the hash cache of `state_dir`.
int send_offer(EventPrinter& printer, transfer::TransferLink& link, const std::string& peer,
               const transfer::SourceSet& sources, const transfer::Offer& offer,
               const std::filesystem::path& state_dir);

// Plans and receives an accepted offer into `dest`; returns the exit status (0 when every file
// was saved).
int receive_offer(EventPrinter& printer, transfer::TransferLink& link, const PeerInfo& peer,
                  const transfer::Offer& offer, transfer::DestDir& dest, transfer::Journal* journal,
                  bool overwrite);

// Exit status of a transfer error (declined, interrupted, other).
int exit_code_of(const Error& error);

}  // namespace lp2p::cli
