// The LP2P data channels of one authenticated OSP connection (the LP2P data-channel extension,
// osp-brief §6 and §7 #14–#16), without I/O: the connection feeds it the bytes of bidirectional
// streams, and it answers through DataChannelIo and its observer.
//
// On the wire, one bidirectional QUIC stream per channel:
//   opener → data-channel-open-request {request-id, channel-id, label, protocol}
//   answer ← data-channel-open-response {request-id, result}   (success 1, else refused)
//   then data-frame {encoding-id (0 blob, 1 string, 2 array buffer), payload} both ways.
//
// Rules chosen where the spec is silent (brief §7):
// - Ids (#16): channels this side opens without an id get the lowest free id of its parity (even
//   for the QUIC client, odd for the server, as WebRTC does); an id the application picks may
//   have either parity. 0–65534. A request for an id in use (by either side) is refused with
//   permanent-error (102), and its stream is ended.
// - Opening (#14): `open` fires on success; with Options::open_without_response (go-lp2p never
//   answers) it fires at once, and data frames are accepted before any response either way.
// - Closing (#15): close() ends our half of the stream (FIN) and fires `closing`; `close` fires
//   when both halves have ended. The peer ending its half first is a close request: we end
//   ours. A reset stream, a malformed message or a message over Options::max_message_size fires
//   `error` (with the reason), resets the stream, then `close`. Every channel fires `close`
//   exactly once, last.
// - Messages are delivered in order per channel, whole, and sent the same way.
//
// Contract: single-threaded; the observer is called synchronously from the call that caused
// the event and may call back in (send, close, open). Payload views passed to on_message are
// valid only during the call.
#pragma once

#include <cstdint>
#include <functional>
#include <map>
#include <optional>
#include <set>
#include <span>
#include <string>
#include <vector>

#include "lp2p/result.hpp"
#include "wire/messages.hpp"
#include "wire/stream_reader.hpp"

namespace lp2p::osp {

// What the data channels need from the connection.
class DataChannelIo {
 public:
  DataChannelIo() = default;
  DataChannelIo(const DataChannelIo&) = delete;
  DataChannelIo& operator=(const DataChannelIo&) = delete;
  DataChannelIo(DataChannelIo&&) = delete;
  DataChannelIo& operator=(DataChannelIo&&) = delete;
  virtual ~DataChannelIo() = default;
  // A new bidirectional stream of ours (its id), or an error (e.g. the peer's stream limit).
  virtual Result<std::int64_t> open_stream() = 0;
  // Queues bytes on a stream (taken during the call: `bytes` need not outlive it); `fin` ends
  // our half after them.
  virtual void write(std::int64_t stream_id, std::span<const std::uint8_t> bytes, bool fin) = 0;
  // Abandons a stream both ways (RESET_STREAM and STOP_SENDING) with an application code.
  virtual void reset(std::int64_t stream_id, std::uint64_t code) = 0;
};

class DataChannels {
 public:
  using ChannelId = std::uint16_t;
  static constexpr ChannelId kMaxChannelId = 65534;
  static constexpr std::size_t kDefaultMaxMessageSize = std::size_t{256} << 10;
  static constexpr std::uint64_t kResetCode = 400;  // osp::CloseCode::bad_message's value

  struct Options {
    bool we_are_client = true;           // the QUIC client allocates even ids
    bool open_without_response = false;  // go-lp2p compatibility (§7 #14)
    std::size_t max_message_size = kDefaultMaxMessageSize;
    std::function<std::uint64_t()> next_request_id;  // required: the agent's counter
  };
  struct ChannelInfo {
    ChannelId id = 0;
    std::string label;
    std::string protocol;
  };
  struct Observer {
    std::function<void(const ChannelInfo& channel)> on_incoming;  // the peer opened one (open)
    std::function<void(ChannelId id)> on_open;                    // one we opened is open
    std::function<void(ChannelId id, wire::EncodingId encoding,
                       std::span<const std::uint8_t> payload)>
        on_message;
    std::function<void(ChannelId id)> on_closing;
    std::function<void(ChannelId id, const std::string& reason)> on_error;
    std::function<void(ChannelId id)> on_close;
  };
  enum class State { connecting, open, closing, closed };

  DataChannels(Options options, DataChannelIo& io, Observer observer);

  // Opens a channel: sends the open-request on a new stream. `id` empty: allocated.
  Result<ChannelId> open(const std::string& label, const std::string& protocol,
                         std::optional<ChannelId> id = std::nullopt);
  // Sends one message. Not before the channel is open (unless open_without_response), not
  // after close(); too_large beyond max_message_size.
  Result<void> send(ChannelId id, wire::EncodingId encoding, std::span<const std::uint8_t> payload);
  // Ends our half of the channel's stream (`closing`; `close` once the peer ends its half).
  void close(ChannelId id);
  // Gives a channel up now: `error` with the reason, the stream reset both ways, `close`.
  void abort(ChannelId id, const std::string& reason);

  // Bytes of a bidirectional stream (either side opened it), in order; `fin` with the last.
  void on_stream_data(std::int64_t stream_id, std::span<const std::uint8_t> bytes, bool fin);
  // The peer reset its half of a stream (or asked us to stop sending on it).
  void on_stream_reset(std::int64_t stream_id, std::uint64_t code);
  // The connection is gone: every channel still there errors and closes; later input is
  // ignored and open() fails.
  void on_connection_closed(const std::string& reason);

  [[nodiscard]] std::optional<State> state(ChannelId id) const;
  // The QUIC stream that carries a channel.
  [[nodiscard]] std::optional<std::int64_t> stream_of(ChannelId id) const;
  [[nodiscard]] std::size_t size() const { return channels_.size(); }

 private:
  struct Channel {
    ChannelInfo info;
    std::int64_t stream_id = -1;
    State state = State::connecting;
    bool ours = false;             // we sent the open-request
    std::uint64_t request_id = 0;  // of the open-request
    bool sent_fin = false;
    bool received_fin = false;
  };

  Channel* find(ChannelId id);
  Channel* by_stream(std::int64_t stream_id);
  [[nodiscard]] std::optional<ChannelId> free_id() const;
  [[nodiscard]] wire::StreamReader new_reader() const;
  void on_frame(std::int64_t stream_id, const wire::Frame& frame);
  void on_open_request(std::int64_t stream_id, const wire::DataChannelOpenRequest& request);
  void on_open_response(Channel& channel, const wire::DataChannelOpenResponse& response);
  void on_peer_finished(Channel& channel);
  // Ends our half (once).
  void finish_sending(Channel& channel);
  // Error event, reset (when asked), close event; the channel is gone afterwards.
  void fail(ChannelId id, const std::string& reason, bool reset_stream);
  // A stream that is not (or no longer) a channel: reset it and drop what else arrives on it.
  void refuse_stream(std::int64_t stream_id, const std::string& reason);
  // Both halves ended: close event; the channel is gone afterwards.
  void maybe_closed(ChannelId id);
  void forget(ChannelId id);
  void write_message(std::int64_t stream_id, const wire::Message& message, bool fin);

  Options options_;
  DataChannelIo& io_;
  Observer observer_;
  std::map<ChannelId, Channel> channels_;
  std::map<std::int64_t, ChannelId> stream_channels_;
  // A reader per live stream, ours and the peer's (a peer's stream before its open-request is
  // complete has a reader and no channel yet).
  std::map<std::int64_t, wire::StreamReader> readers_;
  // Streams whose remaining bytes are dropped (refused, failed) until their FIN or reset; at
  // most one entry per stream, so QUIC's stream limit bounds it.
  std::set<std::int64_t> ignored_;
  bool connection_closed_ = false;
  std::vector<std::uint8_t> header_;  // send()'s data-frame header; DataChannelIo::write copies
};

}  // namespace lp2p::osp
