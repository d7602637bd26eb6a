// SHA-256 of file contents, streamed or read from a file (OpenSSL; SHA-NI where the CPU has it).
#pragma once

#include <atomic>
#include <cstdint>
#include <functional>
#include <memory>
#include <span>
#include <string>

#include "lp2p/result.hpp"
#include "transfer/messages.hpp"

namespace lp2p::transfer {

// Incremental SHA-256.
class Sha256Stream {
 public:
  Sha256Stream();
  Sha256Stream(Sha256Stream&& other) noexcept;
  Sha256Stream& operator=(Sha256Stream&& other) noexcept;
  Sha256Stream(const Sha256Stream&) = delete;
  Sha256Stream& operator=(const Sha256Stream&) = delete;
  ~Sha256Stream();

  void update(std::span<const std::uint8_t> bytes);
  Sha256 finish();  // the stream starts over afterwards
  // The digest of what was fed so far; the stream goes on.
  [[nodiscard]] Sha256 peek() const;

 private:
  struct Ctx;
  std::unique_ptr<Ctx> ctx_;
};

Sha256 sha256_of(std::span<const std::uint8_t> bytes);

// Reads `size` bytes of `fd` from offset 0 (pread) into `into` (a resumed file's prefix, on
// either side). `progress` (may be empty) hears the bytes read so far; a set `cancel` stops with
// Errc::closed. io_error if the file is shorter than `size` (it changed while being read).
Result<void> hash_prefix(int fd, std::uint64_t size, Sha256Stream& into,
                         const std::atomic<bool>* cancel = nullptr,
                         const std::function<void(std::uint64_t)>& progress = {});

// The SHA-256 of the first `size` bytes of `fd`, in one pass; as hash_prefix.
Result<Sha256> hash_whole(int fd, std::uint64_t size, const std::atomic<bool>* cancel = nullptr,
                          const std::function<void(std::uint64_t)>& progress = {});

// Number of chunks a file of `size` has; chunk hashes are sent only when it is more than one.
constexpr std::uint64_t chunk_count(std::uint64_t size, std::uint64_t chunk_size) {
  return size == 0 ? 1 : (size + chunk_size - 1) / chunk_size;
}

std::string to_hex(const Sha256& digest);

}  // namespace lp2p::transfer
