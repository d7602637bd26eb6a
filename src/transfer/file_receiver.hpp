// The receiving side of an accepted offer: answers with the plan, writes what arrives on the
// lanes through FileSinks (on one worker thread per lane; a lane whose queue passes
// kLaneQueueHigh is paused until it drains, so memory stays bounded whatever the disk's speed),
// reports each file, and ends with Done. A disk that fills up or refuses stops the exchange
// with a Failure (resumable: the parts are kept and journaled); a file whose content does not
// match its SHA-256 fails alone.
#pragma once

#include "lp2p/result.hpp"
#include "transfer/file_sink.hpp"
#include "transfer/observer.hpp"
#include "transfer/receive_plan.hpp"
#include "transfer/transfer_link.hpp"

namespace lp2p::transfer {

// Errors: no_space / io_error / refused (the disk), protocol_error (the peer), closed (the link
// ended or was cancelled; the parts are kept for a resume).
Result<TransferReport> receive_files(TransferLink& link, const Offer& offer, Plan plan,
                                     const SinkContext& context, TransferObserver& observer);

// The failure code ("no-space", "io", "protocol", "cancelled") that tells the peer about an error.
std::string failure_code(Errc code);

// Sends a refusal for an offer (declined by the person, or a plan that failed).
void refuse_offer(TransferLink& link, const Offer& offer, const std::string& code,
                  const std::string& reason);

// Accepts a text offer: answer, then done.
Result<void> accept_text(TransferLink& link, const Offer& offer);

}  // namespace lp2p::transfer
