// libFuzzer target: osp::DataChannels (as the QUIC server) fed fuzzer-chosen pieces of
// bidirectional streams and resets, with the application opening, sending and closing channels in
// between; the DataChannelIo and the observer record what it does.
//
// Input layout: record*
//   record  op byte, then its operands:
//     op < 0x80: stream data. bits 0-2: stream slot (id = slot·4, streams the peer, the QUIC
//                client, opened; slot 7 is the stream of our last open()); bit 3: fin; bits 4-5:
//                length form — 0: one length byte, 1: two (big-endian), 2: the rest, 3: empty.
//     op ≥ 0x80: op & 0x0f — 0 open() (operand: id byte, 0xff = allocate); 1 send() on channel
//                (operand byte) of a length (operand byte); 2 close() (operand); 3 reset of stream
//                slot (operand); 4 connection closed; others nothing.
//
// Properties (abort on violation):
//   - every channel fires `close` exactly once, and nothing after it; `error` only before it;
//   - what is written on a stream parses as OSP messages, and nothing after its FIN or reset;
//   - a message handed to on_message is never larger than the configured limit.
#include <spdlog/spdlog.h>

#include <cstdint>
#include <map>
#include <set>
#include <span>
#include <vector>

#include "fuzz_check.hpp"
#include "osp/data_channels.hpp"
#include "wire/stream_reader.hpp"

namespace {

using lp2p::osp::DataChannels;
namespace wire = lp2p::wire;

constexpr std::size_t kMaxMessage = 4096;

class RecordingIo final : public lp2p::osp::DataChannelIo {
 public:
  lp2p::Result<std::int64_t> open_stream() override {
    const std::int64_t id = next_stream;
    next_stream += 4;
    last_opened = id;
    return id;
  }
  void write(std::int64_t stream_id, std::span<const std::uint8_t> bytes, bool fin) override {
    LP2P_FUZZ_CHECK(!ended.contains(stream_id), input);
    auto [it, added] = readers.try_emplace(stream_id);
    LP2P_FUZZ_CHECK(it->second.feed(bytes, [](const wire::Frame&) {}).has_value(), input);
    if (fin) {
      LP2P_FUZZ_CHECK(it->second.finish().has_value(), input);
      ended.insert(stream_id);
    }
  }
  void reset(std::int64_t stream_id, std::uint64_t /*code*/) override { ended.insert(stream_id); }

  std::span<const std::uint8_t> input;
  std::int64_t next_stream = 1;   // the server's bidirectional streams
  std::int64_t last_opened = -1;  // none yet: slot 7 records are skipped
  std::map<std::int64_t, wire::StreamReader> readers;
  std::set<std::int64_t> ended;
};

}  // namespace

extern "C" int LLVMFuzzerInitialize(int* /*argc*/, char*** /*argv*/) {
  spdlog::set_level(spdlog::level::off);
  return 0;
}

extern "C" int LLVMFuzzerTestOneInput(const std::uint8_t* data, std::size_t size) {
  const std::span<const std::uint8_t> input(data, size);
  RecordingIo io;
  io.input = input;
  std::uint64_t request_ids = 1;
  std::set<DataChannels::ChannelId> live;
  std::set<DataChannels::ChannelId> closed;
  DataChannels::Options options;
  options.we_are_client = false;
  options.max_message_size = kMaxMessage;
  options.next_request_id = [&request_ids] { return request_ids++; };
  DataChannels::Observer observer;
  observer.on_incoming = [&](const DataChannels::ChannelInfo& channel) {
    live.insert(channel.id);
    closed.erase(channel.id);  // an id may be used again after its close
  };
  observer.on_open = [&](DataChannels::ChannelId id) { LP2P_FUZZ_CHECK(live.contains(id), input); };
  observer.on_message = [&](DataChannels::ChannelId id, wire::EncodingId,
                            std::span<const std::uint8_t> payload) {
    LP2P_FUZZ_CHECK(live.contains(id), input);
    LP2P_FUZZ_CHECK(payload.size() <= kMaxMessage, input);
  };
  observer.on_closing = [&](DataChannels::ChannelId id) {
    LP2P_FUZZ_CHECK(live.contains(id), input);
  };
  observer.on_error = [&](DataChannels::ChannelId id, const std::string&) {
    LP2P_FUZZ_CHECK(live.contains(id), input);
  };
  observer.on_close = [&](DataChannels::ChannelId id) {
    LP2P_FUZZ_CHECK(live.erase(id) == 1, input);
    LP2P_FUZZ_CHECK(closed.insert(id).second, input);
  };
  DataChannels channels(options, io, observer);

  std::set<std::int64_t> peer_done;  // streams the peer ended (FIN or reset)
  std::size_t at = 0;
  auto next_byte = [&]() -> std::uint8_t { return at < input.size() ? input[at++] : 0; };
  const std::vector<std::uint8_t> filler(256, 0x61);
  while (at < input.size()) {
    const std::uint8_t op = input[at++];
    if (op < 0x80) {
      const unsigned slot = op & 0x07U;
      const bool fin = (op & 0x08U) != 0;
      const std::vector<std::uint8_t> chunk = lp2p::fuzz::take_chunk(op >> 4U, input, at);
      const std::int64_t stream = slot == 7 ? io.last_opened : static_cast<std::int64_t>(slot) * 4;
      // QUIC delivers nothing on a stream after its end, and never reuses a stream id.
      if (stream < 0 || peer_done.contains(stream)) continue;
      if (fin) peer_done.insert(stream);
      channels.on_stream_data(stream, chunk, fin);
    } else {
      switch (op & 0x0fU) {
        case 0: {
          const std::uint8_t id = next_byte();
          auto opened = channels.open("fuzz", "",
                                      id == 0xff ? std::nullopt : std::optional<std::uint16_t>(id));
          if (opened) {
            live.insert(*opened);
            closed.erase(*opened);
          }
          break;
        }
        case 1: {
          const auto id = static_cast<DataChannels::ChannelId>(next_byte());
          const std::size_t n = next_byte();
          (void)channels.send(id, wire::EncodingId::string, std::span(filler).first(n));
          break;
        }
        case 2:
          channels.close(static_cast<DataChannels::ChannelId>(next_byte()));
          break;
        case 3: {
          const unsigned slot = next_byte() & 0x07U;
          const std::int64_t stream =
              slot == 7 ? io.last_opened : static_cast<std::int64_t>(slot) * 4;
          if (stream >= 0 && peer_done.insert(stream).second) channels.on_stream_reset(stream, 7);
          break;
        }
        case 4:
          channels.on_connection_closed("fuzz");
          LP2P_FUZZ_CHECK(live.empty() && channels.size() == 0, input);
          break;
        default:
          break;
      }
    }
    LP2P_FUZZ_CHECK(channels.size() == live.size(), input);
  }
  return 0;
}
