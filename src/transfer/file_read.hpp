// Reading file contents for the transfer: whole blocks at an offset, and sizes for people.
#pragma once

#include <cstdint>
#include <span>
#include <string>

#include "lp2p/result.hpp"

namespace lp2p::transfer {

// Reads up to out.size() bytes at `offset` (pread, retried on EINTR and short reads); fewer
// only at the end of the file. io_error with strerror otherwise.
Result<std::size_t> read_at(int fd, std::span<std::uint8_t> out, std::uint64_t offset);

// "1.5 GB", "640 kB", "12 B" (SI units, as transfer rates are quoted).
std::string human_bytes(std::uint64_t bytes);

}  // namespace lp2p::transfer
