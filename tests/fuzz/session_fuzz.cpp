// libFuzzer target: osp::Session fed fuzzer-chosen stream pieces, with authentication, time and
// timers in between; the SessionIo records what the session does.
//
// Input layout:  control ‖ record*
//   control  bit 0: max_control_message 512 instead of 64 KiB; bit 1: start() before the records.
//   record   op byte, then its operands:
//     op < 0x80: stream data. bits 0-2: stream slot (id = slot·4 + 1 if bidirectional, + 3 if
//                not: streams the peer, a QUIC server, opened); bit 3: bidirectional; bit 4: fin;
//                bits 5-6: length form — 0: one length byte, 1: two (big-endian), 2: the rest of
//                the input, 3: empty. Then the chunk (cut at the end of the input).
//     op ≥ 0x80: op & 0x0f — 0 start(); 1 set_authenticated(); 2 on_timer() at the time the session
//                asked for; 3 let (operand byte)·100 ms pass, then on_timer(); 4
//                on_stream_reset(slot of the operand byte, both kinds); 5 update_local_info()
//                (operand: name length, then the name); 6 note_sent(); 7 pair(); 8 enter_code()
//                (operand: 3 bytes of code); 9 cancel_pairing(); 10 on_connection_closed();
//                others nothing. Auth messages reach the real Authenticator (as QUIC server,
//                token "fuzz-at", token check on; the peer's proofs cannot be forged, so
//                authentication itself comes from set_authenticated).
//
// Properties (abort on violation):
//   - every message the session sends decodes, and re-encodes to the same bytes;
//   - after it asked for close(), the session is silent: no sends, refusals or second close, and
//     no timer;
//   - a started, open session always has a timer; a stream is refused only with 403;
//   - peer info is reported verified exactly when the session is authenticated, and bidirectional
//     bytes reach the observer only after authentication;
//   - stats agree with what the SessionIo saw.
#include <spdlog/spdlog.h>

#include <chrono>
#include <cstddef>
#include <cstdint>
#include <span>
#include <string>
#include <variant>
#include <vector>

#include "fuzz_check.hpp"
#include "osp/session.hpp"
#include "wire/codec.hpp"

namespace {

using lp2p::osp::CloseCode;
using lp2p::osp::Session;
using lp2p::osp::TimePoint;
namespace wire = lp2p::wire;

class RecordingIo final : public lp2p::osp::SessionIo {
 public:
  void send_message(std::vector<std::uint8_t> message) override {
    LP2P_FUZZ_CHECK(closes == 0, message);
    const auto decoded = wire::decode(message);
    LP2P_FUZZ_CHECK(decoded.has_value(), message);
    LP2P_FUZZ_CHECK(wire::encode(decoded.value()) == message, message);
    ++sent;
  }
  void refuse_stream(std::int64_t /*stream_id*/, CloseCode code) override {
    LP2P_FUZZ_CHECK(closes == 0, input);
    LP2P_FUZZ_CHECK(code == CloseCode::not_authenticated, input);
    ++refused;
  }
  void close(CloseCode /*code*/, std::string /*reason*/) override {
    LP2P_FUZZ_CHECK(closes == 0, input);
    ++closes;
  }

  std::span<const std::uint8_t> input;  // for reports
  std::uint64_t sent = 0;
  std::uint64_t refused = 0;
  int closes = 0;
};

std::int64_t stream_id(unsigned slot, bool bidirectional) {
  return static_cast<std::int64_t>(slot & 7U) * 4 + (bidirectional ? 1 : 3);
}

wire::AgentInfo local_info(std::string name) {
  return {std::move(name), "lp2p fuzz", {wire::AgentCapability::data_channels}, "aB3dE6gH", {"en"}};
}

}  // namespace

// The session logs every refusal and close: millions of lines that slow the fuzzer down.
extern "C" int LLVMFuzzerInitialize(int* /*argc*/, char*** /*argv*/) {
  spdlog::set_level(spdlog::level::off);
  return 0;
}

extern "C" int LLVMFuzzerTestOneInput(const std::uint8_t* data, std::size_t size) {
  if (size == 0) return 0;
  const std::span<const std::uint8_t> input(data, size);
  const std::uint8_t control = input[0];

  RecordingIo io;
  io.input = input;
  std::uint64_t request_ids = 1;
  Session::Options options;
  options.local_info = local_info("Fuzz");
  options.keepalive_interval = std::chrono::milliseconds(15000);
  options.next_request_id = [&request_ids] { return request_ids++; };
  options.max_control_message = (control & 0x01U) != 0 ? 512 : std::size_t{64} << 10;
  options.auth.local_fingerprint = "XNJS+wzokyQ2+vjM0QQJgbie5K1rn+niorfnGqyyfNM=";
  options.auth.peer_fingerprint = "3AzmM9vMkT2vr6S4msRNjOaD/fw/YMi98hITufK1NLo=";
  options.auth.we_are_server = true;
  options.auth.token = "fuzz-at";

  TimePoint now = TimePoint{} + std::chrono::hours(1);
  Session* session_ptr = nullptr;  // for the observer's calls back into the session
  Session::Observer observer;
  observer.on_peer_info = [&](const wire::AgentInfo& /*info*/, bool verified) {
    LP2P_FUZZ_CHECK(io.closes == 0, input);
    LP2P_FUZZ_CHECK(verified == session_ptr->authenticated(), input);
    // The observer may call back in: an application answering with its own info.
    session_ptr->update_local_info(local_info("Fuzz again"), now);
  };
  observer.on_auth_message = [&](const wire::Message& /*message*/) {
    LP2P_FUZZ_CHECK(io.closes == 0, input);
  };
  observer.on_code_needed = [&] { LP2P_FUZZ_CHECK(io.closes == 0, input); };
  observer.on_show_code = [&](std::uint64_t code, unsigned bits) {
    LP2P_FUZZ_CHECK(io.closes == 0, input);
    LP2P_FUZZ_CHECK(bits >= 20 && bits <= 60 && code < (std::uint64_t{1} << bits), input);
  };
  observer.on_bidi_stream_data = [&](std::int64_t stream, std::span<const std::uint8_t>, bool) {
    LP2P_FUZZ_CHECK(io.closes == 0, input);
    LP2P_FUZZ_CHECK(session_ptr->authenticated(), input);
    LP2P_FUZZ_CHECK((stream & 0x2) == 0, input);
  };
  observer.on_status_response = [&](std::chrono::nanoseconds round_trip) {
    LP2P_FUZZ_CHECK(io.closes == 0, input);
    LP2P_FUZZ_CHECK(round_trip.count() >= 0, input);
  };
  Session session(options, io, observer);
  session_ptr = &session;
  bool started = false;
  bool connection_closed = false;
  if ((control & 0x02U) != 0) {
    session.start(now);
    started = true;
  }

  std::size_t at = 1;
  auto next_byte = [&]() -> std::uint8_t { return at < input.size() ? input[at++] : 0; };
  while (at < input.size()) {
    const std::uint8_t op = input[at++];
    if (op < 0x80) {
      const bool bidi = (op & 0x08U) != 0;
      const bool fin = (op & 0x10U) != 0;
      const std::vector<std::uint8_t> chunk = lp2p::fuzz::take_chunk(op >> 5U, input, at);
      session.on_stream_data(stream_id(op, bidi), bidi, chunk, fin, now);
    } else {
      switch (op & 0x0fU) {
        case 0:
          session.start(now);
          started = !connection_closed;
          break;
        case 1:
          session.set_authenticated();
          LP2P_FUZZ_CHECK(session.authenticated(), input);
          break;
        case 2:
          if (const auto due = session.next_timer()) {
            now = std::max(now, *due);
            session.on_timer(now);
          }
          break;
        case 3:
          now += std::chrono::milliseconds(100) * next_byte();
          session.on_timer(now);
          break;
        case 4: {
          const std::uint8_t slot = next_byte();
          session.on_stream_reset(stream_id(slot, false));
          session.on_stream_reset(stream_id(slot, true));
          break;
        }
        case 5: {
          const std::size_t n = std::min<std::size_t>(next_byte() % 32U, input.size() - at);
          std::string name(input.begin() + static_cast<std::ptrdiff_t>(at),
                           input.begin() + static_cast<std::ptrdiff_t>(at + n));
          at += n;
          session.update_local_info(local_info(std::move(name)), now);
          break;
        }
        case 6:
          session.note_sent(now);
          break;
        case 7:
          session.pair(now);
          break;
        case 8: {
          std::uint64_t code = next_byte();
          code = (code << 8U) | next_byte();
          code = (code << 8U) | next_byte();
          session.enter_code(code, now);
          break;
        }
        case 9:
          session.cancel_pairing(now);
          break;
        case 10:
          session.on_connection_closed(now);
          connection_closed = true;
          started = false;  // a closed connection asks for no timer
          break;
        default:
          break;
      }
    }
    // Invariants after every step.
    if (io.closes > 0) {
      LP2P_FUZZ_CHECK(!session.next_timer().has_value(), input);
    } else if (started) {
      LP2P_FUZZ_CHECK(session.next_timer().has_value(), input);
    }
    LP2P_FUZZ_CHECK(session.stats().messages_sent == io.sent, input);
    LP2P_FUZZ_CHECK(session.stats().streams_refused == io.refused, input);
  }
  return 0;
}
