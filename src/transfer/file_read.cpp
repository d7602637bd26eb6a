#include "transfer/file_read.hpp"

#include <unistd.h>

#include <algorithm>
#include <array>
#include <cerrno>
#include <cstdio>
#include <cstring>
#include <new>

namespace lp2p::transfer {

ReadBuffer::ReadBuffer(std::size_t size)
    // NOLINTNEXTLINE(*-no-malloc): aligned storage, freed by Free
    : bytes_(static_cast<std::uint8_t*>(std::aligned_alloc(
          kPageSize, (std::max<std::size_t>(size, 1) + kPageSize - 1) / kPageSize * kPageSize))),
      size_(size) {
  if (!bytes_) throw std::bad_alloc();
}

Result<std::size_t> read_at(int fd, std::span<std::uint8_t> out, std::uint64_t offset) {
  std::size_t got = 0;
  while (got < out.size()) {
    const ssize_t n =
        ::pread(fd, out.data() + got, out.size() - got, static_cast<off_t>(offset + got));
    if (n < 0 && errno == EINTR) continue;
    if (n < 0) return make_error(Errc::io_error, std::string("reading: ") + std::strerror(errno));
    if (n == 0) break;
    got += static_cast<std::size_t>(n);
  }
  return got;
}

std::string human_bytes(std::uint64_t bytes) {
  constexpr std::array<const char*, 5> kUnits{"B", "kB", "MB", "GB", "TB"};
  auto value = static_cast<double>(bytes);
  std::size_t unit = 0;
  while (value >= 1000 && unit + 1 < kUnits.size()) {
    value /= 1000;
    ++unit;
  }
  std::array<char, 32> text{};
  (void)std::snprintf(text.data(), text.size(), unit == 0 ? "%.0f %s" : "%.1f %s", value,
                      kUnits[unit]);
  return text.data();
}

}  // namespace lp2p::transfer
