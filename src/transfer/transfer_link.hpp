// One file-transfer exchange between two devices: a QUIC transport (ALPN "q2q") of a Connection,
// its control stream and its lanes (docs/transfer.md). The side that dials opens the control
// stream and says hello first; the other side waits for it. Either side may send files (pull
// makes the accepting side the sender), so lanes are opened by whoever sends.
//
// Contract: thread-safe. cancel() — or the transport closing — wakes every blocking call of
// the link (they report Errc::closed with the reason).
#pragma once

#include <atomic>
#include <functional>
#include <memory>
#include <mutex>
#include <string>
#include <vector>

#include "lp2p/quic_transport.hpp"
#include "lp2p/result.hpp"
#include "transfer/stream_io.hpp"

namespace lp2p::transfer {

class TransferLink : public std::enable_shared_from_this<TransferLink> {
 public:
  // The dialing side, on a ready transport: opens the control stream, exchanges hellos.
  static Result<std::shared_ptr<TransferLink>> open(QuicTransport transport,
                                                    Clock::duration timeout);
  // The accepting side: waits for the peer's control stream and hello, answers it.
  static Result<std::shared_ptr<TransferLink>> accept(QuicTransport transport,
                                                      Clock::duration timeout);
  ~TransferLink();
  TransferLink(const TransferLink&) = delete;
  TransferLink& operator=(const TransferLink&) = delete;
  TransferLink(TransferLink&&) = delete;
  TransferLink& operator=(TransferLink&&) = delete;

  ControlStream& control() { return *control_; }
  // A new lane to send on.
  Result<std::shared_ptr<StreamWriter>> open_lane();
  // Lanes the peer opens (held until a handler is set). Called on the agent's loop thread.
  void on_lane(const std::function<void(QuicStream)>& handler);

  void cancel(const std::string& why);
  [[nodiscard]] bool cancelled() const { return cancelled_.load(); }
  // Set by cancel(): for long work on the link's behalf (hashing) to stop with it.
  [[nodiscard]] const std::atomic<bool>& cancel_flag() const { return cancelled_; }
  [[nodiscard]] std::string why() const;
  // Ends our half of the control stream and closes the transport once the exchange is over: at
  // once after cancel(), otherwise when the peer has ended its half of the control stream or the
  // connection, or after kCloseLinger. Messages still arriving then are dropped.
  void close();

 private:
  explicit TransferLink(QuicTransport transport) : transport_(std::move(transport)) {}
  void incoming(QuicStream stream);
  void watch_close();
  Result<void> hello_exchange(bool first, Clock::duration timeout);

  QuicTransport transport_;
  std::shared_ptr<ControlStream> control_;
  mutable std::mutex mutex_;
  std::condition_variable control_arrived_;
  std::optional<QuicStream> pending_control_;
  bool control_claimed_ = false;  // a control stream exists (read on the loop thread)
  std::vector<QuicStream> pending_lanes_;
  std::function<void(QuicStream)> lane_handler_;
  std::vector<std::weak_ptr<StreamWriter>> writers_;
  std::atomic<bool> cancelled_{false};
  std::string why_;
};

}  // namespace lp2p::transfer
