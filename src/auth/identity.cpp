#include "auth/identity.hpp"

#include <fcntl.h>
#include <openssl/evp.h>
#include <openssl/pem.h>
#include <openssl/sha.h>
#include <openssl/x509.h>
#include <unistd.h>

#include <array>
#include <cerrno>
#include <cstdio>
#include <cstring>

#include "common/base64.hpp"

namespace lp2p::auth {
namespace {

constexpr const char* kKeyFile = "agent-key.pem";

struct FileCloser {
  void operator()(std::FILE* f) const {
    (void)std::fclose(f);
  }  // NOLINT(cppcoreguidelines-owning-memory)
};

}  // namespace

void Identity::KeyDeleter::operator()(EVP_PKEY* key) const {
  EVP_PKEY_free(key);
}

std::string fingerprint_of_spki(std::span<const std::uint8_t> spki_der) {
  std::array<std::uint8_t, SHA256_DIGEST_LENGTH> digest{};
  SHA256(spki_der.data(), spki_der.size(), digest.data());
  return base64(digest);
}

Identity::Identity(std::unique_ptr<EVP_PKEY, KeyDeleter> key, std::vector<std::uint8_t> spki)
    : key_(std::move(key)), spki_(std::move(spki)), fingerprint_(fingerprint_of_spki(spki_)) {}

Result<Identity> Identity::load_or_create(const std::filesystem::path& dir) {
  std::error_code ec;
  std::filesystem::create_directories(dir, ec);
  if (ec)
    return make_error(Errc::io_error,
                      "cannot create state directory " + dir.string() + ": " + ec.message());
  const auto path = dir / kKeyFile;
  std::unique_ptr<EVP_PKEY, KeyDeleter> key;
  if (std::unique_ptr<std::FILE, FileCloser> f(std::fopen(path.c_str(), "r")); f) {
    key.reset(PEM_read_PrivateKey(f.get(), nullptr, nullptr, nullptr));
    if (!key || EVP_PKEY_get_base_id(key.get()) != EVP_PKEY_EC) {
      return make_error(
          Errc::malformed,
          path.string() +
              " does not hold a P-256 private key; move it away to start a new identity");
    }
  } else {
    key.reset(EVP_EC_gen("P-256"));
    if (!key) return make_error(Errc::io_error, "could not generate a P-256 key");
    // Written to a temporary file with mode 0600, then renamed: a crash leaves no half key.
    const auto temporary = dir / (std::string(kKeyFile) + ".tmp");
    const int fd = ::open(temporary.c_str(), O_WRONLY | O_CREAT | O_TRUNC, 0600);
    if (fd < 0)
      return make_error(Errc::io_error,
                        "cannot write " + temporary.string() + ": " + std::strerror(errno));
    std::unique_ptr<std::FILE, FileCloser> out(fdopen(fd, "w"));
    if (!out ||
        PEM_write_PrivateKey(out.get(), key.get(), nullptr, nullptr, 0, nullptr, nullptr) != 1 ||
        std::fflush(out.get()) != 0 || fsync(fd) != 0) {
      return make_error(Errc::io_error, "cannot write " + temporary.string());
    }
    out.reset();
    std::filesystem::rename(temporary, path, ec);
    if (ec)
      return make_error(Errc::io_error, "cannot create " + path.string() + ": " + ec.message());
  }
  const int size = i2d_PUBKEY(key.get(), nullptr);
  if (size <= 0) return make_error(Errc::malformed, "cannot encode the public key");
  std::vector<std::uint8_t> spki(static_cast<std::size_t>(size));
  unsigned char* p = spki.data();
  i2d_PUBKEY(key.get(), &p);
  return Identity(std::move(key), std::move(spki));
}

}  // namespace lp2p::auth
