// The bytes an application wrote to one QUIC stream and the transport has not yet seen
// acknowledged. ngtcp2 does not copy stream data (NOTES §10): it reads the same memory again to
// retransmit, so every byte stays here, at a stable address, until it is acknowledged.
//
// Contract: capacity() bounds the bytes held (unsent + unacknowledged); append() takes what fits
// and says how much — the caller waits for space (the connection reports writability) for the
// rest. That bound is what keeps a sender's memory flat when its peer stops reading.
// Not thread-safe.
#pragma once

#include <cstddef>
#include <cstdint>
#include <deque>
#include <memory>
#include <span>
#include <vector>

namespace lp2p::quic {

class SendBuffer {
 public:
  static constexpr std::size_t kChunkSize = std::size_t{64} << 10;

  explicit SendBuffer(std::size_t capacity) : capacity_(capacity) {}

  // Copies as much of `data` as fits; returns how many bytes were taken.
  std::size_t append(std::span<const std::uint8_t> data);
  // No more data after what was appended: the stream's FIN goes with its last byte.
  void finish() { finished_ = true; }

  // The unsent bytes, from the send offset on, as up to out.size() contiguous pieces.
  [[nodiscard]] std::size_t unsent(std::span<std::span<const std::uint8_t>> out) const;
  // `count` bytes from the send offset went into packets.
  void mark_sent(std::size_t count);
  void mark_fin_sent() { fin_sent_ = true; }
  // The peer acknowledged everything before offset + length (ngtcp2 reports in order).
  void acknowledge(std::uint64_t offset, std::uint64_t length);

  [[nodiscard]] std::uint64_t unsent_bytes() const { return end_ - sent_; }
  [[nodiscard]] bool finished() const { return finished_; }
  [[nodiscard]] bool fin_pending() const { return finished_ && !fin_sent_; }
  [[nodiscard]] std::size_t held() const { return static_cast<std::size_t>(end_ - acked_); }
  [[nodiscard]] std::size_t space() const { return capacity_ > held() ? capacity_ - held() : 0; }
  [[nodiscard]] std::size_t capacity() const { return capacity_; }
  [[nodiscard]] bool all_acknowledged() const { return acked_ == end_; }
  [[nodiscard]] std::uint64_t end_offset() const { return end_; }

 private:
  struct Chunk {
    // Uninitialised storage of kChunkSize bytes (a vector would zero it first).
    std::unique_ptr<std::uint8_t[]> bytes;  // NOLINT(*-avoid-c-arrays)
    std::size_t used = 0;
  };
  void release_acknowledged();
  // Released chunks are kept up to the capacity, so a bulk sender never goes back to the
  // allocator: fresh pages cost a page fault each (expensive on VMs), and the stream reached that
  // much memory anyway. A stream's chunks and spares together stay within capacity + one chunk.
  [[nodiscard]] std::size_t max_spare() const { return capacity_ / kChunkSize; }

  std::size_t capacity_;
  std::deque<Chunk> chunks_;
  std::vector<std::unique_ptr<std::uint8_t[]>>
      spare_;                // NOLINT(*-avoid-c-arrays)  // released chunks kept for reuse
  std::uint64_t base_ = 0;   // stream offset of chunks_.front().bytes[0]
  std::uint64_t acked_ = 0;  // everything before this offset was acknowledged
  std::uint64_t sent_ = 0;   // everything before this offset went into packets
  std::uint64_t end_ = 0;    // offset after the last byte appended
  bool finished_ = false;
  bool fin_sent_ = false;
};

}  // namespace lp2p::quic
