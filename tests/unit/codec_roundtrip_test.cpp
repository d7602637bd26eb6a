// Randomised messages of every type: encode → decode gives the same message, the encoding is the
// canonical one (compared with the test's own reference encoder), and re-encoding the decoded
// message gives the same bytes.
#include <gtest/gtest.h>

#include <array>
#include <cstdint>
#include <deque>
#include <random>
#include <string>
#include <vector>

#include "test_support.hpp"
#include "wire/codec.hpp"
#include "wire/messages.hpp"

namespace lp2p::wire {
namespace {

using test::describe_result;
using test::hex;

constexpr std::uint64_t kMax64 = ~std::uint64_t{0};
constexpr std::array<std::uint64_t, 14> kBoundaries = {0,
                                                       1,
                                                       23,
                                                       24,
                                                       255,
                                                       256,
                                                       65535,
                                                       65536,
                                                       0xffffffffULL,
                                                       0x100000000ULL,
                                                       kMax64 - 1,
                                                       kMax64,
                                                       1000,
                                                       (std::uint64_t{1} << 62) - 1};
constexpr std::array<std::size_t, 7> kLengths = {0, 1, 23, 24, 255, 256, 65536};

class Generator {
 public:
  explicit Generator(std::uint64_t seed) : rng_(seed) {}

  std::uint64_t below(std::uint64_t n) {
    return std::uniform_int_distribution<std::uint64_t>(0, n - 1)(rng_);
  }
  bool chance(std::uint64_t one_in) { return below(one_in) == 0; }

  std::uint64_t u64() {
    if (chance(2)) return kBoundaries[below(kBoundaries.size())];
    const auto bits = static_cast<unsigned>(below(65));  // value of 0..64 significant bits
    const std::uint64_t value = rng_();
    return bits == 64 ? value : value & ((std::uint64_t{1} << bits) - 1);
  }

  std::size_t length() {
    if (chance(3)) {
      const std::size_t n = kLengths[below(kLengths.size())];
      // The big one is rare so that the test stays fast.
      return n == 65536 && !chance(8) ? 256 : n;
    }
    return static_cast<std::size_t>(below(40));
  }

  // Valid UTF-8 of `length()` code points: ASCII, 2-, 3- and 4-byte sequences (no surrogates).
  std::string text() {
    const std::size_t n = length();
    std::string out;
    const bool ascii_only = chance(3);  // exact byte lengths at the boundaries
    for (std::size_t i = 0; i < n; ++i) {
      std::uint32_t cp = 0;
      switch (ascii_only ? 0 : below(4)) {
        case 0:
          cp = static_cast<std::uint32_t>(below(0x80));
          break;
        case 1:
          cp = static_cast<std::uint32_t>(0x80 + below(0x800 - 0x80));
          break;
        case 2:
          cp = static_cast<std::uint32_t>(0x800 + below(0x10000 - 0x800 - 0x800));
          if (cp >= 0xd800) cp += 0x800;  // skip the surrogates
          break;
        default:
          cp = static_cast<std::uint32_t>(0x10000 + below(0x110000 - 0x10000));
          break;
      }
      append_utf8(cp, out);
    }
    return out;
  }

  Bytes bytes() {
    Bytes out(length());
    for (auto& b : out) b = static_cast<std::uint8_t>(rng_());
    return out;
  }

  template <class E, std::size_t N>
  E pick(const std::array<E, N>& values) {
    return values[below(N)];
  }

  AgentInfo agent_info() {
    AgentInfo info;
    info.display_name = text();
    info.model_name = text();
    const auto caps = below(6);
    for (std::uint64_t i = 0; i < caps; ++i) {
      // Known ids and unknown ones (kept as their number).
      info.capabilities.push_back(chance(2) ? pick(kCapabilities) : AgentCapability{u64()});
    }
    info.state_token = text();
    const auto locales = below(4);
    for (std::uint64_t i = 0; i < locales; ++i) info.locales.push_back(text());
    return info;
  }

  std::optional<Status> status() {
    if (chance(2)) return std::nullopt;
    return Status{text()};
  }

  // A message of type number `which` (0..11). DataFrame payloads are kept in `storage`.
  Message message(std::size_t which, std::deque<Bytes>& storage) {
    switch (which) {
      case 0:
        return AgentInfoRequest{u64()};
      case 1:
        return AgentInfoResponse{u64(), agent_info()};
      case 2:
        return AgentInfoEvent{agent_info()};
      case 3:
        return AgentStatusRequest{u64(), status()};
      case 4:
        return AgentStatusResponse{u64(), status()};
      case 5: {
        AuthCapabilities m{u64(), {}, u64()};
        const auto n = below(4);
        for (std::uint64_t i = 0; i < n; ++i) m.psk_input_methods.push_back(pick(kPskMethods));
        return m;
      }
      case 6: {
        AuthSpake2Handshake m;
        if (!chance(4)) m.initiation_token.token = text();
        m.psk_status = pick(kPskStatuses);
        if (!chance(4)) m.public_value = bytes();
        return m;
      }
      case 7:
        return AuthSpake2Confirmation{bytes()};
      case 8:
        return AuthStatus{pick(kAuthResults)};
      case 9:
        return DataChannelOpenRequest{u64(), u64(), text(), text()};
      case 10:
        return DataChannelOpenResponse{u64(), pick(kResultCodes)};
      default: {
        storage.push_back(bytes());
        return DataFrame{pick(kEncodings), storage.back(), nullptr};
      }
    }
  }

  static constexpr std::array<AgentCapability, 10> kCapabilities = {
      AgentCapability::receive_audio,           AgentCapability::receive_video,
      AgentCapability::receive_presentation,    AgentCapability::control_presentation,
      AgentCapability::receive_remote_playback, AgentCapability::control_remote_playback,
      AgentCapability::receive_streaming,       AgentCapability::send_streaming,
      AgentCapability::data_channels,           AgentCapability::quick_transport};
  static constexpr std::array<PskInputMethod, 2> kPskMethods = {PskInputMethod::numeric,
                                                                PskInputMethod::qr_code};
  static constexpr std::array<PskStatus, 3> kPskStatuses = {
      PskStatus::psk_needs_presentation, PskStatus::psk_shown, PskStatus::psk_input};
  static constexpr std::array<AuthStatusResult, 6> kAuthResults = {
      AuthStatusResult::authenticated,
      AuthStatusResult::unknown_error,
      AuthStatusResult::timeout,
      AuthStatusResult::secret_unknown,
      AuthStatusResult::validation_took_too_long,
      AuthStatusResult::proof_invalid};
  static constexpr std::array<ResultCode, 8> kResultCodes = {
      ResultCode::success,     ResultCode::invalid_url,     ResultCode::invalid_presentation_id,
      ResultCode::timeout,     ResultCode::transient_error, ResultCode::permanent_error,
      ResultCode::terminating, ResultCode::unknown_error};
  static constexpr std::array<EncodingId, 3> kEncodings = {EncodingId::blob, EncodingId::string,
                                                           EncodingId::array_buffer};

 private:
  static void append_utf8(std::uint32_t cp, std::string& out) {
    auto put = [&out](std::uint32_t byte) { out.push_back(static_cast<char>(byte)); };
    if (cp < 0x80) {
      put(cp);
    } else if (cp < 0x800) {
      put(0xc0 | (cp >> 6));
      put(0x80 | (cp & 0x3f));
    } else if (cp < 0x10000) {
      put(0xe0 | (cp >> 12));
      put(0x80 | ((cp >> 6) & 0x3f));
      put(0x80 | (cp & 0x3f));
    } else {
      put(0xf0 | (cp >> 18));
      put(0x80 | ((cp >> 12) & 0x3f));
      put(0x80 | ((cp >> 6) & 0x3f));
      put(0x80 | (cp & 0x3f));
    }
  }

  std::mt19937_64 rng_;
};

constexpr std::size_t kTypes = 12;

TEST(CodecRoundTrip, RandomMessagesOfEveryType) {
  constexpr int kIterations = 4000;
  Generator gen(0x6c703270'77697265ULL);  // fixed seed: failures reproduce
  std::array<int, kTypes> per_type{};
  for (int i = 0; i < kIterations; ++i) {
    std::deque<Bytes> storage;
    const auto which = static_cast<std::size_t>(i) % kTypes;
    const Message message = gen.message(which, storage);
    ASSERT_EQ(message.index(), which);

    const auto bytes = encode(message);
    const auto expected = test::ref_encode(message);
    ASSERT_EQ(hex(bytes), hex(expected)) << "iteration " << i << ": not the canonical encoding of "
                                         << test::describe_message(message);

    const auto decoded = decode(bytes);
    ASSERT_TRUE(decoded.has_value()) << "iteration " << i << ": " << test::describe_message(message)
                                     << " -> " << describe_result(decoded);
    ASSERT_EQ(decoded.value(), message) << "iteration " << i;
    ASSERT_EQ(encode(decoded.value()), bytes) << "iteration " << i;

    // decode_body agrees with decode.
    const auto key = decode_varint(bytes);
    ASSERT_TRUE(key.has_value());
    EXPECT_EQ(key->value, static_cast<std::uint64_t>(type_key_of(message)));
    const auto body = decode_body(key->value, std::span(bytes).subspan(key->length));
    ASSERT_TRUE(body.has_value()) << describe_result(body);
    ASSERT_EQ(body.value(), message);
    ++per_type[which];
  }
  for (std::size_t t = 0; t < kTypes; ++t) EXPECT_GT(per_type[t], 300) << "type " << t;
}

TEST(CodecRoundTrip, BoundaryValuesInEveryIntegerField) {
  for (const std::uint64_t v : kBoundaries) {
    SCOPED_TRACE(v);
    const Message messages[] = {
        AgentInfoRequest{v},
        AgentStatusRequest{v, Status{"s"}},
        AgentStatusResponse{v, std::nullopt},
        AgentInfoResponse{v, AgentInfo{"", "", {AgentCapability{v}}, "", {}}},
        AuthCapabilities{v, {}, v},
        DataChannelOpenRequest{v, v, "", ""},
        DataChannelOpenResponse{v, ResultCode::unknown_error},
    };
    for (const auto& message : messages) {
      const auto bytes = encode(message);
      EXPECT_EQ(hex(bytes), hex(test::ref_encode(message)));
      const auto decoded = decode(bytes);
      ASSERT_TRUE(decoded.has_value()) << describe_result(decoded);
      EXPECT_EQ(decoded.value(), message);
    }
  }
}

TEST(CodecRoundTrip, ByteAndTextLengthsAtHeadBoundaries) {
  for (const std::size_t n : {0UL, 23UL, 24UL, 255UL, 256UL, 65535UL, 65536UL, 100000UL}) {
    SCOPED_TRACE(n);
    const Bytes blob(n, 0xa5);
    const std::string text(n, 'x');
    std::deque<Bytes> keep;
    const Message messages[] = {
        AuthSpake2Confirmation{blob},
        AuthSpake2Handshake{AuthInitiationToken{text}, PskStatus::psk_input, blob},
        DataChannelOpenRequest{1, 2, text, text},
        DataFrame{EncodingId::blob, blob, nullptr},
        AgentInfoEvent{AgentInfo{text, text, {}, text, {text}}},
    };
    for (const auto& message : messages) {
      const auto bytes = encode(message);
      EXPECT_EQ(bytes, test::ref_encode(message));
      const auto decoded = decode(bytes);
      ASSERT_TRUE(decoded.has_value()) << describe_result(decoded);
      EXPECT_EQ(decoded.value(), message);
    }
  }
}

}  // namespace
}  // namespace lp2p::wire
