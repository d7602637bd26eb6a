// One data-channel message: its bytes and how the sender typed them (the LP2P data-frame's
// encoding-id). A web peer's `send(string)` arrives as text, `send(ArrayBuffer)` as
// array_buffer, `send(Blob)` as blob; the kind travels with the bytes and is kept as sent.
#pragma once

#include <cstddef>
#include <cstdint>
#include <span>
#include <string>
#include <string_view>
#include <vector>

namespace lp2p {

// The LP2P data-channel-encoding-id values.
enum class MessageKind : std::uint8_t { blob = 0, text = 1, array_buffer = 2 };

class Message {
 public:
  Message() = default;
  Message(MessageKind kind, std::vector<std::uint8_t> bytes)
      : kind_(kind), bytes_(std::move(bytes)) {}

  [[nodiscard]] MessageKind kind() const { return kind_; }
  [[nodiscard]] bool is_text() const { return kind_ == MessageKind::text; }
  // The bytes; for text, UTF-8 as the peer sent it (not validated).
  [[nodiscard]] std::span<const std::uint8_t> bytes() const { return bytes_; }
  [[nodiscard]] std::string_view text() const {
    return {reinterpret_cast<const char*>(bytes_.data()), bytes_.size()};
  }
  [[nodiscard]] std::size_t size() const { return bytes_.size(); }
  // Takes the bytes out (the message is empty afterwards).
  std::vector<std::uint8_t> take() && { return std::move(bytes_); }

 private:
  MessageKind kind_ = MessageKind::blob;
  std::vector<std::uint8_t> bytes_;
};

}  // namespace lp2p
