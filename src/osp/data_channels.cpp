#include "osp/data_channels.hpp"

#include <spdlog/spdlog.h>

#include <cassert>
#include <type_traits>
#include <utility>
#include <variant>

#include "wire/codec.hpp"
#include "wire/names.hpp"

namespace lp2p::osp {
namespace {

// Room for a data-frame's type key and CBOR heads around the largest payload.
constexpr std::size_t kFrameOverhead = 32;

std::string name_of(const wire::Message& message) {
  return std::string(wire::name_of(wire::type_key_of(message)).value_or("message"));
}

}  // namespace

DataChannels::DataChannels(Options options, DataChannelIo& io, Observer observer)
    : options_(std::move(options)), io_(io), observer_(std::move(observer)) {
  assert(options_.next_request_id && "DataChannels::Options::next_request_id is required");
}

wire::StreamReader DataChannels::new_reader() const {
  wire::StreamReader::Options options;
  options.max_message_size = options_.max_message_size + kFrameOverhead;
  return wire::StreamReader(options);
}

DataChannels::Channel* DataChannels::find(ChannelId id) {
  const auto it = channels_.find(id);
  return it == channels_.end() ? nullptr : &it->second;
}

DataChannels::Channel* DataChannels::by_stream(std::int64_t stream_id) {
  const auto it = stream_channels_.find(stream_id);
  return it == stream_channels_.end() ? nullptr : find(it->second);
}

std::optional<DataChannels::ChannelId> DataChannels::free_id() const {
  for (unsigned id = options_.we_are_client ? 0U : 1U; id <= kMaxChannelId; id += 2) {
    if (!channels_.contains(static_cast<ChannelId>(id))) return static_cast<ChannelId>(id);
  }
  return std::nullopt;
}

std::optional<std::int64_t> DataChannels::stream_of(ChannelId id) const {
  const auto it = channels_.find(id);
  if (it == channels_.end()) return std::nullopt;
  return it->second.stream_id;
}

std::optional<DataChannels::State> DataChannels::state(ChannelId id) const {
  const auto it = channels_.find(id);
  if (it == channels_.end()) return std::nullopt;
  return it->second.state;
}

// ---- The application's calls ----

Result<DataChannels::ChannelId> DataChannels::open(const std::string& label,
                                                   const std::string& protocol,
                                                   std::optional<ChannelId> id) {
  if (connection_closed_) return make_error(Errc::closed, "the connection is closed");
  if (id && *id > kMaxChannelId) {
    return make_error(Errc::invalid_argument,
                      "a data channel id is 0 to 65534, not " + std::to_string(*id));
  }
  if (id && channels_.contains(*id)) {
    return make_error(Errc::invalid_argument,
                      "data channel id " + std::to_string(*id) + " is in use on this connection");
  }
  if (!id) id = free_id();
  if (!id) return make_error(Errc::would_block, "every data channel id of this side is in use");
  auto stream = io_.open_stream();
  if (!stream) return stream.error();
  Channel channel;
  channel.info = {*id, label, protocol};
  channel.stream_id = *stream;
  channel.ours = true;
  channel.request_id = options_.next_request_id();
  channels_.emplace(*id, channel);
  stream_channels_.emplace(*stream, *id);
  readers_.emplace(*stream, new_reader());
  write_message(*stream, wire::DataChannelOpenRequest{channel.request_id, *id, label, protocol},
                false);
  if (options_.open_without_response) {
    channels_.at(*id).state = State::open;
    if (observer_.on_open) observer_.on_open(*id);
  }
  return *id;
}

Result<void> DataChannels::send(ChannelId id, wire::EncodingId encoding,
                                std::span<const std::uint8_t> payload) {
  Channel* channel = find(id);
  if (channel == nullptr) {
    return make_error(Errc::closed, "data channel " + std::to_string(id) + " is closed");
  }
  if (channel->state == State::connecting) {
    return make_error(Errc::would_block, "data channel " + std::to_string(id) + " is not open yet");
  }
  if (channel->sent_fin) {
    return make_error(Errc::closed, "data channel " + std::to_string(id) + " is closing");
  }
  if (payload.size() > options_.max_message_size) {
    return make_error(Errc::too_large, "a message of " + std::to_string(payload.size()) +
                                           " bytes is over the data channel limit of " +
                                           std::to_string(options_.max_message_size));
  }
  header_.clear();  // reused: no allocation per message
  wire::encode_data_frame_header(encoding, payload.size(), header_);
  io_.write(channel->stream_id, header_, false);
  if (!payload.empty()) io_.write(channel->stream_id, payload, false);
  return {};
}

void DataChannels::close(ChannelId id) {
  Channel* channel = find(id);
  if (channel == nullptr || channel->sent_fin) return;
  finish_sending(*channel);
  channel->state = State::closing;
  if (observer_.on_closing) observer_.on_closing(id);
  maybe_closed(id);
}

// ---- The connection's input ----

void DataChannels::abort(ChannelId id, const std::string& reason) {
  if (find(id) != nullptr) fail(id, reason, true);
}

void DataChannels::on_stream_data(std::int64_t stream_id, std::span<const std::uint8_t> bytes,
                                  bool fin) {
  if (connection_closed_) return;
  if (ignored_.contains(stream_id)) {
    if (fin) ignored_.erase(stream_id);
    return;
  }
  if (!readers_.contains(stream_id)) readers_.emplace(stream_id, new_reader());
  // Fed outside the map: what the frames cause (a channel failing, the observer calling back)
  // may remove the stream's entry.
  auto node = readers_.extract(stream_id);
  const auto fed =
      node.mapped().feed(bytes, [&](const wire::Frame& frame) { on_frame(stream_id, frame); });
  if (ignored_.contains(stream_id)) {
    if (fin) ignored_.erase(stream_id);
    return;
  }
  Channel* channel = by_stream(stream_id);
  if (!fed) {
    const std::string reason = "malformed data channel stream: " + fed.error().describe();
    if (channel != nullptr) return fail(channel->info.id, reason, true);
    return refuse_stream(stream_id, reason);
  }
  if (!fin) {
    readers_.insert(std::move(node));
    return;
  }
  if (const auto finished = node.mapped().finish(); !finished) {
    const std::string reason = "the stream ended inside a message: " + finished.error().describe();
    if (channel != nullptr) return fail(channel->info.id, reason, false);
    spdlog::info("osp: data channel stream {}: {}", stream_id, reason);
    return;
  }
  if (channel == nullptr) {
    spdlog::info("osp: stream {} ended without a data-channel-open-request", stream_id);
    return;
  }
  on_peer_finished(*channel);
}

void DataChannels::on_frame(std::int64_t stream_id, const wire::Frame& frame) {
  if (ignored_.contains(stream_id)) return;  // refused earlier in this chunk
  auto message = wire::decode_body(frame.type_key, frame.body);
  Channel* channel = by_stream(stream_id);
  if (!message) {
    const std::string reason = "malformed message: " + message.error().describe();
    if (channel != nullptr) return fail(channel->info.id, reason, true);
    return refuse_stream(stream_id, reason);
  }
  if (const auto* request = std::get_if<wire::DataChannelOpenRequest>(&*message)) {
    if (channel != nullptr) {
      return fail(channel->info.id, "a second data-channel-open-request on one stream", true);
    }
    return on_open_request(stream_id, *request);
  }
  if (channel == nullptr) {
    return refuse_stream(stream_id, name_of(*message) + " before a data-channel-open-request");
  }
  if (const auto* response = std::get_if<wire::DataChannelOpenResponse>(&*message)) {
    return on_open_response(*channel, *response);
  }
  if (const auto* data = std::get_if<wire::DataFrame>(&*message)) {
    if (data->payload.size() > options_.max_message_size) {
      return fail(channel->info.id,
                  "a message of " + std::to_string(data->payload.size()) +
                      " bytes is over the limit of " + std::to_string(options_.max_message_size),
                  true);
    }
    if (observer_.on_message)
      observer_.on_message(channel->info.id, data->encoding_id, data->payload);
    return;
  }
  fail(channel->info.id, name_of(*message) + " does not belong on a data channel", true);
}

void DataChannels::on_open_request(std::int64_t stream_id,
                                   const wire::DataChannelOpenRequest& request) {
  const bool usable = request.channel_id <= kMaxChannelId &&
                      !channels_.contains(static_cast<ChannelId>(request.channel_id));
  if (!usable) {
    spdlog::info("osp: refusing data channel {} on stream {}: {}", request.channel_id, stream_id,
                 request.channel_id > kMaxChannelId ? "id out of range" : "id in use");
    write_message(
        stream_id,
        wire::DataChannelOpenResponse{request.request_id, wire::ResultCode::permanent_error}, true);
    readers_.erase(stream_id);
    ignored_.insert(stream_id);
    return;
  }
  const auto id = static_cast<ChannelId>(request.channel_id);
  Channel channel;
  channel.info = {id, request.label, request.protocol};
  channel.stream_id = stream_id;
  channel.state = State::open;
  channel.request_id = request.request_id;
  channels_.emplace(id, channel);
  stream_channels_.emplace(stream_id, id);
  write_message(stream_id,
                wire::DataChannelOpenResponse{request.request_id, wire::ResultCode::success},
                false);
  if (observer_.on_incoming) observer_.on_incoming(channels_.at(id).info);
}

void DataChannels::on_open_response(Channel& channel,
                                    const wire::DataChannelOpenResponse& response) {
  if (!channel.ours || response.request_id != channel.request_id) {
    spdlog::info("osp: ignoring an unexpected data-channel-open-response on channel {}",
                 channel.info.id);
    return;
  }
  if (response.result != wire::ResultCode::success) {
    return fail(channel.info.id,
                "the peer refused the channel (result " +
                    std::to_string(static_cast<std::uint64_t>(response.result)) + ")",
                true);
  }
  if (channel.state != State::connecting) return;  // opened at once (compatibility)
  channel.state = State::open;
  if (observer_.on_open) observer_.on_open(channel.info.id);
}

void DataChannels::on_peer_finished(Channel& channel) {
  channel.received_fin = true;
  readers_.erase(channel.stream_id);
  const ChannelId id = channel.info.id;
  if (!channel.sent_fin) {
    // The peer closed: close our half too (an RTCDataChannel closes both ways).
    finish_sending(channel);
    channel.state = State::closing;
    if (observer_.on_closing) observer_.on_closing(id);
  }
  maybe_closed(id);
}

void DataChannels::on_stream_reset(std::int64_t stream_id, std::uint64_t code) {
  if (connection_closed_) return;
  readers_.erase(stream_id);
  if (ignored_.erase(stream_id) > 0) return;
  if (Channel* channel = by_stream(stream_id)) {
    fail(channel->info.id,
         "the peer reset the channel's stream (code " + std::to_string(code) + ")", true);
  }
}

void DataChannels::on_connection_closed(const std::string& reason) {
  if (connection_closed_) return;
  connection_closed_ = true;
  std::vector<ChannelId> ids;
  for (const auto& [id, channel] : channels_) ids.push_back(id);
  for (const ChannelId id : ids) fail(id, "the connection closed: " + reason, false);
  readers_.clear();
  ignored_.clear();
}

// ---- Output and endings ----

void DataChannels::finish_sending(Channel& channel) {
  if (channel.sent_fin) return;
  channel.sent_fin = true;
  io_.write(channel.stream_id, {}, true);
}

void DataChannels::fail(ChannelId id, const std::string& reason, bool reset_stream) {
  Channel* channel = find(id);
  if (channel == nullptr) return;
  const std::int64_t stream_id = channel->stream_id;
  const bool peer_done = channel->received_fin;
  spdlog::info("osp: data channel {} failed: {}", id, reason);
  if (reset_stream) io_.reset(stream_id, kResetCode);
  forget(id);
  if (!peer_done) ignored_.insert(stream_id);
  if (observer_.on_error) observer_.on_error(id, reason);
  if (observer_.on_close) observer_.on_close(id);
}

void DataChannels::refuse_stream(std::int64_t stream_id, const std::string& reason) {
  spdlog::info("osp: refusing stream {}: {}", stream_id, reason);
  io_.reset(stream_id, kResetCode);
  readers_.erase(stream_id);
  ignored_.insert(stream_id);
}

void DataChannels::maybe_closed(ChannelId id) {
  Channel* channel = find(id);
  if (channel == nullptr || !channel->sent_fin || !channel->received_fin) return;
  forget(id);
  if (observer_.on_close) observer_.on_close(id);
}

void DataChannels::forget(ChannelId id) {
  const auto it = channels_.find(id);
  if (it == channels_.end()) return;
  stream_channels_.erase(it->second.stream_id);
  readers_.erase(it->second.stream_id);
  channels_.erase(it);
}

void DataChannels::write_message(std::int64_t stream_id, const wire::Message& message, bool fin) {
  const auto bytes = wire::encode(message);
  io_.write(stream_id, bytes, fin);
}

}  // namespace lp2p::osp
