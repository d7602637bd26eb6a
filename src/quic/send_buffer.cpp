#include "quic/send_buffer.hpp"

#include <algorithm>
#include <cstring>

namespace lp2p::quic {

std::size_t SendBuffer::append(std::span<const std::uint8_t> data) {
  const std::size_t take = std::min(data.size(), space());
  std::size_t done = 0;
  while (done < take) {
    if (chunks_.empty() || chunks_.back().used == kChunkSize) {
      Chunk chunk;
      if (spare_.empty()) {
        chunk.bytes = std::make_unique_for_overwrite<std::uint8_t[]>(kChunkSize);
      } else {
        chunk.bytes = std::move(spare_.back());
        spare_.pop_back();
      }
      chunks_.push_back(std::move(chunk));
    }
    Chunk& last = chunks_.back();
    const std::size_t n = std::min(take - done, kChunkSize - last.used);
    std::memcpy(last.bytes.get() + last.used, data.data() + done, n);
    last.used += n;
    done += n;
  }
  end_ += take;
  return take;
}

std::size_t SendBuffer::unsent(std::span<std::span<const std::uint8_t>> out) const {
  std::size_t count = 0;
  std::uint64_t relative = sent_ - base_;
  auto index = static_cast<std::size_t>(relative / kChunkSize);
  auto offset = static_cast<std::size_t>(relative % kChunkSize);
  while (count < out.size() && index < chunks_.size()) {
    const Chunk& chunk = chunks_[index];
    if (offset < chunk.used) {
      out[count++] = {chunk.bytes.get() + offset, chunk.used - offset};
    }
    ++index;
    offset = 0;
  }
  return count;
}

void SendBuffer::mark_sent(std::size_t count) {
  sent_ = std::min(end_, sent_ + count);
}

void SendBuffer::acknowledge(std::uint64_t offset, std::uint64_t length) {
  acked_ = std::max(acked_, std::min(end_, offset + length));
  release_acknowledged();
}

// Frees whole chunks below the acknowledged offset; only full chunks (all but maybe the last).
void SendBuffer::release_acknowledged() {
  while (!chunks_.empty() && chunks_.front().used == kChunkSize && base_ + kChunkSize <= acked_) {
    if (spare_.size() < max_spare()) spare_.push_back(std::move(chunks_.front().bytes));
    chunks_.pop_front();
    base_ += kChunkSize;
  }
  if (chunks_.size() == 1 && acked_ == end_ && base_ + chunks_.front().used == end_ &&
      sent_ == end_) {
    // Everything is acknowledged: start the next write at a fresh chunk boundary.
    if (spare_.size() < max_spare()) spare_.push_back(std::move(chunks_.front().bytes));
    chunks_.pop_front();
    base_ = end_;
  }
}

}  // namespace lp2p::quic
