// Blocking access to a QuicStream for the transfer's worker threads. QuicStream calls its
// handlers on the agent's loop thread; these classes turn them into waits on a worker thread, so
// the protocol reads as straight-line code there while the loop keeps moving packets.
//
// Contract: one worker thread uses an object at a time; cancel(why) may come from any thread and
// wakes every wait (it then reports Errc::closed with `why`). Handlers set here hold only a weak
// reference, so a dropped object never receives.
#pragma once

#include <chrono>
#include <condition_variable>
#include <cstdint>
#include <deque>
#include <memory>
#include <mutex>
#include <optional>
#include <span>
#include <string>
#include <vector>

#include "lp2p/quic_transport.hpp"
#include "lp2p/result.hpp"
#include "transfer/messages.hpp"
#include "wire/stream_reader.hpp"

namespace lp2p::transfer {

using Clock = std::chrono::steady_clock;

// Writes whole buffers, waiting for `writable` when the stream's send buffer is full.
class StreamWriter {
 public:
  static std::shared_ptr<StreamWriter> attach(QuicStream stream);

  // Errors: closed (the stream or transport ended, or cancel()).
  Result<void> write_all(std::span<const std::uint8_t> bytes);
  Result<void> finish();
  void cancel(const std::string& why);
  QuicStream& stream() { return stream_; }

 private:
  explicit StreamWriter(QuicStream stream) : stream_(std::move(stream)) {}
  void on_writable();

  QuicStream stream_;
  std::mutex mutex_;
  std::condition_variable changed_;
  std::uint64_t writable_epoch_ = 0;
  std::optional<std::string> cancelled_;  // why
};

// The control stream (one bidirectional stream, docs/transfer.md): whole messages each way.
class ControlStream {
 public:
  static std::shared_ptr<ControlStream> attach(QuicStream stream);

  Result<void> send(const Control& message);
  // Several messages in one write.
  Result<void> send_all(std::span<const Control> messages);
  // The next message. Errors: timed_out, closed (the peer finished or reset the stream, the
  // transport ended, or cancel()), protocol_error (bytes that are not a message).
  Result<Control> receive(Clock::duration timeout);
  // Ends our half after what was sent.
  void finish();
  void cancel(const std::string& why);

 private:
  explicit ControlStream(QuicStream stream);
  void on_data(std::span<const std::uint8_t> bytes, bool fin);
  void on_reset(std::uint64_t code);

  std::shared_ptr<StreamWriter> writer_;
  std::mutex send_mutex_;      // whole messages from several threads never interleave
  wire::StreamReader reader_;  // loop thread only
  std::mutex mutex_;
  std::condition_variable arrived_;
  std::deque<Control> messages_;
  std::optional<Error> ended_;  // after the queued messages
};

}  // namespace lp2p::transfer
