// Data channels between two in-memory sides (a QUIC client and a server): every byte one side
// writes reaches the other, in order, optionally in small pieces.
#include "osp/data_channels.hpp"

#include <gtest/gtest.h>

#include <deque>
#include <map>
#include <string>
#include <vector>

#include "wire/codec.hpp"
#include "wire/varint.hpp"

namespace lp2p::osp {
namespace {

using Bytes = std::vector<std::uint8_t>;
using ChannelId = DataChannels::ChannelId;

struct Write {
  std::int64_t stream_id;
  Bytes bytes;
  bool fin;
  bool reset;
  std::uint64_t code;
};

// One side: its I/O toward the other side and what its observer saw, as "event:id[:detail]".
class Side : public DataChannelIo {
 public:
  explicit Side(bool client) : next_stream_(client ? 0 : 1) {}

  Result<std::int64_t> open_stream() override {
    if (refuse_streams) return make_error(Errc::would_block, "no stream credit");
    const auto id = next_stream_;
    next_stream_ += 4;
    return id;
  }
  void write(std::int64_t stream_id, std::span<const std::uint8_t> bytes, bool fin) override {
    out.push_back({stream_id, Bytes(bytes.begin(), bytes.end()), fin, false, 0});
  }
  void reset(std::int64_t stream_id, std::uint64_t code) override {
    out.push_back({stream_id, {}, false, true, code});
  }

  DataChannels::Observer observer() {
    DataChannels::Observer o;
    o.on_incoming = [this](const DataChannels::ChannelInfo& c) {
      events.push_back("incoming:" + std::to_string(c.id) + ":" + c.label + "/" + c.protocol);
    };
    o.on_open = [this](ChannelId id) { events.push_back("open:" + std::to_string(id)); };
    o.on_message = [this](ChannelId id, wire::EncodingId encoding,
                          std::span<const std::uint8_t> payload) {
      messages[id].push_back({encoding, Bytes(payload.begin(), payload.end())});
    };
    o.on_closing = [this](ChannelId id) { events.push_back("closing:" + std::to_string(id)); };
    o.on_error = [this](ChannelId id, const std::string& reason) {
      events.push_back("error:" + std::to_string(id));
      errors.push_back(reason);
    };
    o.on_close = [this](ChannelId id) { events.push_back("close:" + std::to_string(id)); };
    return o;
  }

  struct Received {
    wire::EncodingId encoding;
    Bytes payload;
  };
  std::deque<Write> out;
  std::vector<std::string> events;
  std::vector<std::string> errors;
  std::map<ChannelId, std::vector<Received>> messages;
  bool refuse_streams = false;

 private:
  std::int64_t next_stream_;
};

class DataChannelsTest : public ::testing::Test {
 protected:
  void make(bool compatibility = false, std::size_t client_max = 0) {
    DataChannels::Options client_options;
    client_options.we_are_client = true;
    client_options.open_without_response = compatibility;
    if (client_max > 0) client_options.max_message_size = client_max;
    client_options.next_request_id = [this] { return request_ids_++; };
    DataChannels::Options server_options = client_options;
    server_options.we_are_client = false;
    server_options.open_without_response = false;
    server_options.max_message_size = DataChannels::kDefaultMaxMessageSize;
    client_ = std::make_unique<DataChannels>(client_options, client_io_, client_io_.observer());
    server_ = std::make_unique<DataChannels>(server_options, server_io_, server_io_.observer());
  }

  // Delivers everything written so far, both ways, whole or `piece` bytes at a time.
  void pump() { pump_in_pieces(0); }
  void pump_in_pieces(std::size_t piece) {
    while (!client_io_.out.empty() || !server_io_.out.empty()) {
      deliver(client_io_, *server_, piece);
      deliver(server_io_, *client_, piece);
    }
  }
  static void deliver(Side& from, DataChannels& to, std::size_t piece = 0) {
    while (!from.out.empty()) {
      const Write w = from.out.front();
      from.out.pop_front();
      if (w.reset) {
        to.on_stream_reset(w.stream_id, w.code);
        continue;
      }
      if (piece == 0 || w.bytes.empty()) {
        to.on_stream_data(w.stream_id, w.bytes, w.fin);
        continue;
      }
      for (std::size_t at = 0; at < w.bytes.size(); at += piece) {
        const std::size_t n = std::min(piece, w.bytes.size() - at);
        const bool last = at + n == w.bytes.size();
        to.on_stream_data(w.stream_id, std::span(w.bytes).subspan(at, n), w.fin && last);
      }
    }
  }

  static std::span<const std::uint8_t> bytes_of(const std::string& text) {
    return {reinterpret_cast<const std::uint8_t*>(text.data()), text.size()};
  }

  std::uint64_t request_ids_ = 1;
  Side client_io_{true};
  Side server_io_{false};
  std::unique_ptr<DataChannels> client_;
  std::unique_ptr<DataChannels> server_;
};

TEST_F(DataChannelsTest, OpenExchangeAndCloseInOrder) {
  make();
  const auto id = client_->open("chat", "v1");
  ASSERT_TRUE(id);
  EXPECT_EQ(*id, 0);
  EXPECT_EQ(client_->state(*id), DataChannels::State::connecting);
  pump();
  EXPECT_EQ(client_io_.events, std::vector<std::string>{"open:0"});
  EXPECT_EQ(server_io_.events, std::vector<std::string>{"incoming:0:chat/v1"});

  ASSERT_TRUE(client_->send(0, wire::EncodingId::string, bytes_of("hello")));
  ASSERT_TRUE(client_->send(0, wire::EncodingId::array_buffer, bytes_of(std::string("\0\1\2", 3))));
  ASSERT_TRUE(client_->send(0, wire::EncodingId::blob, {}));
  ASSERT_TRUE(server_->send(0, wire::EncodingId::string, bytes_of("Good day to you")));
  pump();
  const auto& got = server_io_.messages[0];
  ASSERT_EQ(got.size(), 3U);
  EXPECT_EQ(got[0].encoding, wire::EncodingId::string);
  EXPECT_EQ(std::string(got[0].payload.begin(), got[0].payload.end()), "hello");
  EXPECT_EQ(got[1].encoding, wire::EncodingId::array_buffer);
  EXPECT_EQ(got[1].payload, (Bytes{0, 1, 2}));
  EXPECT_EQ(got[2].encoding, wire::EncodingId::blob);
  EXPECT_TRUE(got[2].payload.empty());
  ASSERT_EQ(client_io_.messages[0].size(), 1U);

  client_->close(0);
  EXPECT_FALSE(client_->send(0, wire::EncodingId::string, bytes_of("late")));
  pump();
  EXPECT_EQ(client_io_.events, (std::vector<std::string>{"open:0", "closing:0", "close:0"}));
  EXPECT_EQ(server_io_.events,
            (std::vector<std::string>{"incoming:0:chat/v1", "closing:0", "close:0"}));
  EXPECT_EQ(client_->size(), 0U);
  EXPECT_EQ(server_->size(), 0U);
}

TEST_F(DataChannelsTest, MessagesSplitAtEveryByteArriveWhole) {
  make();
  ASSERT_TRUE(client_->open("bytes", ""));
  pump_in_pieces(1);
  std::string big(70000, 'x');
  ASSERT_TRUE(client_->send(0, wire::EncodingId::string, bytes_of("a")));
  ASSERT_TRUE(client_->send(0, wire::EncodingId::array_buffer, bytes_of(big)));
  pump_in_pieces(7);
  ASSERT_EQ(server_io_.messages[0].size(), 2U);
  EXPECT_EQ(server_io_.messages[0][1].payload.size(), big.size());
}

TEST_F(DataChannelsTest, IdsFollowTheSidesParityAndDuplicatesAreRefused) {
  make();
  EXPECT_EQ(client_->open("a", "").value(), 0);
  EXPECT_EQ(client_->open("b", "").value(), 2);
  EXPECT_EQ(server_->open("c", "").value(), 1);
  EXPECT_EQ(client_->open("d", "", 7).value(), 7);  // an id the application chose
  EXPECT_FALSE(client_->open("e", "", 2));          // in use here
  EXPECT_FALSE(client_->open("f", "", 65535));      // out of range
  // The server picks id 9 and so does the client before hearing of it: the second request to
  // arrive is refused with permanent-error.
  EXPECT_EQ(server_->open("g", "", 9).value(), 9);
  EXPECT_EQ(client_->open("h", "", 9).value(), 9);
  pump();
  EXPECT_NE(std::find(client_io_.events.begin(), client_io_.events.end(), "error:9"),
            client_io_.events.end());
  EXPECT_NE(std::find(server_io_.events.begin(), server_io_.events.end(), "error:9"),
            server_io_.events.end());
  EXPECT_FALSE(client_io_.errors.empty());
}

TEST_F(DataChannelsTest, CompatibilityOpensAtOnceAndTakesDataBeforeTheResponse) {
  make(true);
  ASSERT_TRUE(client_->open("go", ""));
  EXPECT_EQ(client_io_.events, std::vector<std::string>{"open:0"});
  ASSERT_TRUE(client_->send(0, wire::EncodingId::string, bytes_of("early")));
  pump();
  EXPECT_EQ(server_io_.messages[0].size(), 1U);
  EXPECT_EQ(client_io_.events, std::vector<std::string>{"open:0"});  // no second open
}

TEST_F(DataChannelsTest, SendingBeforeTheResponseWaits) {
  make();
  ASSERT_TRUE(client_->open("x", ""));
  const auto sent = client_->send(0, wire::EncodingId::string, bytes_of("too soon"));
  ASSERT_FALSE(sent);
  EXPECT_EQ(sent.error().code, Errc::would_block);
}

TEST_F(DataChannelsTest, APeerResetIsAnErrorThenAClose) {
  make();
  ASSERT_TRUE(client_->open("x", ""));
  pump();
  server_io_.reset(0, 7);
  pump();
  EXPECT_EQ(client_io_.events, (std::vector<std::string>{"open:0", "error:0", "close:0"}));
  ASSERT_EQ(client_io_.errors.size(), 1U);
  EXPECT_NE(client_io_.errors[0].find("code 7"), std::string::npos);
  EXPECT_EQ(client_->size(), 0U);
}

TEST_F(DataChannelsTest, GarbageOnAChannelIsAnErrorAndAReset) {
  make();
  ASSERT_TRUE(client_->open("x", ""));
  pump();
  const Bytes garbage{0x18, 0xff, 0xff};  // data-frame key, then a CBOR break where a map belongs
  server_->on_stream_data(0, garbage, false);
  EXPECT_EQ(server_io_.events, (std::vector<std::string>{"incoming:0:x/", "error:0", "close:0"}));
  ASSERT_FALSE(server_io_.out.empty());
  EXPECT_TRUE(server_io_.out.back().reset);
  server_->on_stream_data(0, garbage, true);  // the rest of that stream is ignored
  EXPECT_EQ(server_io_.events.size(), 3U);
}

TEST_F(DataChannelsTest, TooLargeMessagesAreRefusedBothWays) {
  make(false, 1000);  // the client takes at most 1000 bytes; the server 256 KiB
  ASSERT_TRUE(client_->open("x", ""));
  pump();
  const std::string big(1001, 'b');
  const auto refused = client_->send(0, wire::EncodingId::string, bytes_of(big));
  ASSERT_FALSE(refused);
  EXPECT_EQ(refused.error().code, Errc::too_large);
  ASSERT_TRUE(server_->send(0, wire::EncodingId::string, bytes_of(big)));
  pump();
  EXPECT_EQ(client_io_.events, (std::vector<std::string>{"open:0", "error:0", "close:0"}));
  EXPECT_TRUE(client_io_.messages[0].empty());
}

TEST_F(DataChannelsTest, DataBeforeAnOpenRequestIsRefused) {
  make();
  Bytes frame;
  wire::encode_data_frame_header(wire::EncodingId::string, 2, frame);
  frame.push_back('h');
  frame.push_back('i');
  server_->on_stream_data(0, frame, false);
  EXPECT_TRUE(server_io_.events.empty());
  ASSERT_EQ(server_io_.out.size(), 1U);
  EXPECT_TRUE(server_io_.out.front().reset);
}

TEST_F(DataChannelsTest, AThousandChannelsOnOneConnection) {
  make();
  for (int i = 0; i < 1000; ++i) ASSERT_TRUE(client_->open("c" + std::to_string(i), ""));
  pump();
  for (ChannelId id = 0; id < 2000; id += 2) {
    ASSERT_TRUE(client_->send(id, wire::EncodingId::string, bytes_of(std::to_string(id))));
  }
  pump();
  ASSERT_EQ(server_io_.messages.size(), 1000U);
  for (const auto& [id, received] : server_io_.messages) {
    ASSERT_EQ(received.size(), 1U);
    EXPECT_EQ(std::string(received[0].payload.begin(), received[0].payload.end()),
              std::to_string(id));
  }
}

TEST_F(DataChannelsTest, TheConnectionClosingClosesEveryChannelOnce) {
  make();
  ASSERT_TRUE(client_->open("a", ""));
  ASSERT_TRUE(client_->open("b", ""));
  pump();
  client_->close(0);
  client_->on_connection_closed("idle timeout");
  EXPECT_EQ(client_io_.events, (std::vector<std::string>{"open:0", "open:2", "closing:0", "error:0",
                                                         "close:0", "error:2", "close:2"}));
  EXPECT_EQ(client_->size(), 0U);
}

TEST_F(DataChannelsTest, NoStreamCreditIsAnErrorValue) {
  make();
  client_io_.refuse_streams = true;
  const auto id = client_->open("x", "");
  ASSERT_FALSE(id);
  EXPECT_EQ(id.error().code, Errc::would_block);
  EXPECT_EQ(client_->size(), 0U);
}

}  // namespace
}  // namespace lp2p::osp
