// LP2P data-channel extension: data-channel-open-request/response and data-frame
// (lp2p_extension_messages.cddl; type keys 1101, 1102, 24).
#include "wire/codec_detail.hpp"

namespace lp2p::wire::detail {

void encode_body(CborWriter& w, const DataChannelOpenRequest& m) {
  w.map(4);
  w.uint(0);
  w.uint(m.request_id);
  w.uint(1);
  w.uint(m.channel_id);
  w.uint(2);
  w.text(m.label);
  w.uint(3);
  w.text(m.protocol);
}

void encode_body(CborWriter& w, const DataChannelOpenResponse& m) {
  w.map(2);
  w.uint(0);
  w.uint(m.request_id);
  w.uint(1);
  w.uint(static_cast<std::uint64_t>(m.result));
}

void encode_body(CborWriter& w, const DataFrame& m) {
  w.map(2);
  w.uint(0);
  w.uint(static_cast<std::uint64_t>(m.encoding_id));
  w.uint(4);
  w.bytes(m.payload);
}

Result<Message> decode_data_channel_open_request(CborCursor& c, const Where& where) {
  DataChannelOpenRequest m;
  auto seen = read_map(c, where, [&](std::uint64_t key) -> Result<bool> {
    switch (key) {
      case 0:
        return store(m.request_id, read_uint(c, where.at(0, "request-id")));
      case 1:
        return store(m.channel_id, read_uint(c, where.at(1, "channel-id")));
      case 2:
        return store(m.label, read_text(c, where.at(2, "label")));
      case 3:
        return store(m.protocol, read_text(c, where.at(3, "protocol")));
      default:
        return false;
    }
  });
  if (!seen) return std::move(seen).error();
  LP2P_TRY(require(*seen, where, {{0, "request-id"}, {1, "channel-id"}, {2, "label"}}));
  return Message{std::move(m)};
}

Result<Message> decode_data_channel_open_response(CborCursor& c, const Where& where) {
  DataChannelOpenResponse m;
  auto seen = read_map(c, where, [&](std::uint64_t key) -> Result<bool> {
    switch (key) {
      case 0:
        return store(m.request_id, read_uint(c, where.at(0, "request-id")));
      case 1:
        return store(m.result, read_enum<ResultCode>(c, where.at(1, "result")));
      default:
        return false;
    }
  });
  if (!seen) return std::move(seen).error();
  LP2P_TRY(require(*seen, where, {{0, "request-id"}, {1, "result"}}));
  return Message{m};
}

Result<Message> decode_data_frame(CborCursor& c, const Where& where) {
  DataFrame m;
  auto seen = read_map(c, where, [&](std::uint64_t key) -> Result<bool> {
    switch (key) {
      case 0:
        return store(m.encoding_id, read_enum<EncodingId>(c, where.at(0, "encoding-id")));
      case 4: {
        auto view = read_bytes_view(c, where.at(4, "payload"));
        if (!view) return std::move(view).error();
        m.payload = view->bytes;
        m.payload_storage = std::move(view->storage);
        return true;
      }
      default:
        return false;  // OSP's optional streaming keys 1, 2, 3, 5 are not LP2P's
    }
  });
  if (!seen) return std::move(seen).error();
  LP2P_TRY(require(*seen, where, {{0, "encoding-id"}, {4, "payload"}}));
  return Message{std::move(m)};
}

}  // namespace lp2p::wire::detail
