// The sending side of an offer (push, or a share answering a pull): sends the offer, waits for
// the answer, streams the wanted files on up to kLanes lanes with bounded memory (one read
// block per lane in flight plus QUIC's send buffers), and returns when the receiver reports done.
#pragma once

#include "lp2p/result.hpp"
#include "transfer/observer.hpp"
#include "transfer/sources.hpp"
#include "transfer/transfer_link.hpp"

namespace lp2p::transfer {

struct SendOptions {
  Clock::duration answer_timeout = std::chrono::minutes(10);  // the person may be asked
  Clock::duration idle_timeout = std::chrono::minutes(2);     // no result while nothing moves
};

// Errors: refused (declined, with the receiver's reason), no_space / io_error (the receiver's
// failure, `resumable` in its message), closed (the link ended or was cancelled), protocol_error.
Result<TransferReport> send_files(TransferLink& link, const SourceSet& sources, const Offer& offer,
                                  TransferObserver& observer, const SendOptions& options = {});

// A text offer: delivered once the receiver answers accepted (and reports done).
Result<void> send_text(TransferLink& link, const Offer& offer, const SendOptions& options = {});

// The receiver's Failure as an error value (code kept recognisable).
Error failure_error(const Failure& failure);

}  // namespace lp2p::transfer
