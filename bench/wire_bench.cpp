// Wire-layer throughput: decoding and stream-reading 64 KiB data-frames (zero-copy), encoding and
// decoding small control messages, and writing a data-frame header.
#include <benchmark/benchmark.h>

#include <array>
#include <cstdint>
#include <span>
#include <vector>

#include "wire/codec.hpp"
#include "wire/messages.hpp"
#include "wire/stream_reader.hpp"

namespace {

using lp2p::wire::DataFrame;
using lp2p::wire::EncodingId;
using lp2p::wire::Message;

constexpr std::size_t kPayload = 64 * 1024;

std::vector<std::uint8_t> data_frame_message(std::size_t payload_size) {
  std::vector<std::uint8_t> bytes;
  lp2p::wire::encode_data_frame_header(EncodingId::array_buffer, payload_size, bytes);
  const std::size_t header = bytes.size();
  bytes.resize(header + payload_size);
  for (std::size_t i = 0; i < payload_size; ++i) {
    bytes[header + i] = static_cast<std::uint8_t>(i * 131);
  }
  return bytes;
}

bool points_into(std::span<const std::uint8_t> inner, std::span<const std::uint8_t> outer) {
  return inner.data() >= outer.data() && inner.data() + inner.size() <= outer.data() + outer.size();
}

void BM_DecodeDataFrame64KiB(benchmark::State& state) {
  const auto input = data_frame_message(kPayload);
  for (auto _ : state) {
    auto decoded = lp2p::wire::decode(input);
    const DataFrame* frame = decoded ? std::get_if<DataFrame>(&decoded.value()) : nullptr;
    if (frame == nullptr || frame->payload.size() != kPayload) {
      state.SkipWithError("decode failed");
      break;
    }
    if (!points_into(frame->payload, input)) {
      state.SkipWithError("payload was copied: it does not point into the input");
      break;
    }
    benchmark::DoNotOptimize(frame->payload.data());
  }
  state.SetBytesProcessed(static_cast<std::int64_t>(state.iterations()) *
                          static_cast<std::int64_t>(input.size()));
}
BENCHMARK(BM_DecodeDataFrame64KiB);

void BM_StreamReaderDataFrame64KiB(benchmark::State& state) {
  const auto input = data_frame_message(kPayload);
  lp2p::wire::StreamReader reader;
  std::size_t frames = 0;
  bool copied = false;
  const lp2p::wire::StreamReader::FrameHandler on_frame = [&](const lp2p::wire::Frame& f) {
    auto decoded = lp2p::wire::decode_body(f.type_key, f.body);
    if (!decoded) return;
    const auto& payload = std::get<DataFrame>(decoded.value()).payload;
    copied = copied || !points_into(payload, input);
    benchmark::DoNotOptimize(payload.data());
    ++frames;
  };
  for (auto _ : state) {
    // A whole message per feed: the reader hands it out from the fed buffer.
    if (!reader.feed(input, on_frame)) {
      state.SkipWithError("feed failed");
      break;
    }
  }
  if (copied) state.SkipWithError("payload was copied: it does not point into the fed chunk");
  if (frames != static_cast<std::size_t>(state.iterations()) && !copied) {
    state.SkipWithError("not one decoded frame per feed");
  }
  state.SetBytesProcessed(static_cast<std::int64_t>(state.iterations()) *
                          static_cast<std::int64_t>(input.size()));
}
BENCHMARK(BM_StreamReaderDataFrame64KiB);

void BM_SmallMessageRoundTrip(benchmark::State& state) {
  const std::array<Message, 3> messages = {
      lp2p::wire::AgentStatusRequest{42, std::nullopt},
      lp2p::wire::AuthCapabilities{50, {lp2p::wire::PskInputMethod::numeric}, 20},
      lp2p::wire::DataChannelOpenRequest{3, 0, "chat", ""},
  };
  std::vector<std::uint8_t> buffer;
  buffer.reserve(64);
  std::size_t i = 0;
  for (auto _ : state) {
    const Message& message = messages[i];
    i = i + 1 == messages.size() ? 0 : i + 1;
    buffer.clear();
    lp2p::wire::encode(message, buffer);
    auto decoded = lp2p::wire::decode(buffer);
    if (!decoded || decoded.value().index() != message.index()) {
      state.SkipWithError("round trip failed");
      break;
    }
    benchmark::DoNotOptimize(decoded);
  }
  state.SetItemsProcessed(static_cast<std::int64_t>(state.iterations()));
}
BENCHMARK(BM_SmallMessageRoundTrip);

void BM_EncodeDataFrameHeader(benchmark::State& state) {
  std::vector<std::uint8_t> header;
  header.reserve(16);
  for (auto _ : state) {
    header.clear();
    lp2p::wire::encode_data_frame_header(EncodingId::array_buffer, kPayload, header);
    benchmark::DoNotOptimize(header.data());
    benchmark::ClobberMemory();
  }
  state.SetItemsProcessed(static_cast<std::int64_t>(state.iterations()));
}
BENCHMARK(BM_EncodeDataFrameHeader);

}  // namespace

BENCHMARK_MAIN();
