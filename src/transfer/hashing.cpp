#include "transfer/hashing.hpp"

#include <openssl/evp.h>

#include <algorithm>
#include <stdexcept>

#include "common/hex.hpp"
#include "transfer/file_read.hpp"

namespace lp2p::transfer {

struct Sha256Stream::Ctx {
  EVP_MD_CTX* md = EVP_MD_CTX_new();
  Ctx() {
    if (md == nullptr || EVP_DigestInit_ex(md, EVP_sha256(), nullptr) != 1) {
      throw std::bad_alloc();
    }
  }
  Ctx(const Ctx&) = delete;
  Ctx& operator=(const Ctx&) = delete;
  Ctx(Ctx&&) = delete;
  Ctx& operator=(Ctx&&) = delete;
  ~Ctx() { EVP_MD_CTX_free(md); }
};

Sha256Stream::Sha256Stream() : ctx_(std::make_unique<Ctx>()) {}
Sha256Stream::Sha256Stream(Sha256Stream&&) noexcept = default;
Sha256Stream& Sha256Stream::operator=(Sha256Stream&&) noexcept = default;
Sha256Stream::~Sha256Stream() = default;

void Sha256Stream::update(std::span<const std::uint8_t> bytes) {
  EVP_DigestUpdate(ctx_->md, bytes.data(), bytes.size());
}

Sha256 Sha256Stream::finish() {
  Sha256 out{};
  unsigned int length = 0;
  EVP_DigestFinal_ex(ctx_->md, out.data(), &length);
  EVP_DigestInit_ex(ctx_->md, EVP_sha256(), nullptr);
  return out;
}

Sha256 Sha256Stream::peek() const {
  const Ctx copy;
  Sha256 out{};
  unsigned int length = 0;
  if (EVP_MD_CTX_copy_ex(copy.md, ctx_->md) != 1) throw std::bad_alloc();
  EVP_DigestFinal_ex(copy.md, out.data(), &length);
  return out;
}

Sha256 sha256_of(std::span<const std::uint8_t> bytes) {
  Sha256 out{};
  unsigned int length = 0;
  EVP_Digest(bytes.data(), bytes.size(), out.data(), &length, EVP_sha256(), nullptr);
  return out;
}

Result<void> hash_prefix(int fd, std::uint64_t size, Sha256Stream& into,
                         const std::atomic<bool>* cancel,
                         const std::function<void(std::uint64_t)>& progress) {
  constexpr std::uint64_t kBlock = std::uint64_t{4} << 20;
  const ReadBuffer buffer(static_cast<std::size_t>(std::clamp<std::uint64_t>(size, 1, kBlock)));
  std::uint64_t at = 0;
  while (at < size) {
    if (cancel != nullptr && cancel->load(std::memory_order_relaxed)) {
      return make_error(Errc::closed, "hashing cancelled");
    }
    const auto want = static_cast<std::size_t>(std::min<std::uint64_t>(buffer.size(), size - at));
    auto read = read_at(fd, buffer.span().first(want), at);
    if (!read) return make_error(Errc::io_error, "SHA-256: " + read.error().message);
    if (*read < want) {
      return make_error(Errc::io_error, "the file became shorter while it was read (it changed)");
    }
    into.update({buffer.data(), *read});
    at += *read;
    if (progress) progress(at);
  }
  return {};
}

Result<Sha256> hash_whole(int fd, std::uint64_t size, const std::atomic<bool>* cancel,
                          const std::function<void(std::uint64_t)>& progress) {
  Sha256Stream stream;
  LP2P_TRY(hash_prefix(fd, size, stream, cancel, progress));
  return stream.finish();
}

std::string to_hex(const Sha256& digest) {
  return lp2p::to_hex(std::span<const std::uint8_t>(digest));
}

}  // namespace lp2p::transfer
