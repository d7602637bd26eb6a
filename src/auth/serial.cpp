#include "auth/serial.hpp"

#include <openssl/rand.h>

#include <fstream>

#include "common/base64.hpp"
#include "common/hex.hpp"

namespace lp2p::auth {
namespace {

constexpr const char* kSerialFile = "agent-serial";

Result<void> store(const std::filesystem::path& dir, const CertificateSerial& serial) {
  std::error_code ec;
  std::filesystem::create_directories(dir, ec);
  const auto path = dir / kSerialFile;
  const auto temporary = dir / (std::string(kSerialFile) + ".tmp");
  {
    std::ofstream out(temporary, std::ios::trunc);
    out << to_hex(serial.base) << ' ' << serial.counter << '\n';
    out.flush();
    if (!out) return make_error(Errc::io_error, "cannot write " + temporary.string());
  }
  std::filesystem::rename(temporary, path, ec);  // atomic: a crash leaves the old or the new one
  if (ec) return make_error(Errc::io_error, "cannot write " + path.string() + ": " + ec.message());
  return {};
}

Result<CertificateSerial> load(const std::filesystem::path& path) {
  std::ifstream in(path);
  std::string base_hex;
  std::uint64_t counter = 0;
  if (!(in >> base_hex >> counter) || counter > UINT32_MAX) {
    return make_error(Errc::malformed,
                      path.string() + " is damaged; remove it to start a new serial");
  }
  auto base = from_hex(base_hex);
  if (!base || base->size() != 16) {
    return make_error(Errc::malformed,
                      path.string() + " is damaged; remove it to start a new serial");
  }
  CertificateSerial serial;
  std::copy(base->begin(), base->end(), serial.base.begin());
  serial.counter = static_cast<std::uint32_t>(counter);
  return serial;
}

}  // namespace

std::array<std::uint8_t, 20> CertificateSerial::bytes() const {
  std::array<std::uint8_t, 20> out{};
  std::copy(base.begin(), base.end(), out.begin());
  for (int i = 0; i < 4; ++i)
    out[16 + static_cast<std::size_t>(i)] = static_cast<std::uint8_t>(counter >> (24 - 8 * i));
  return out;
}

std::string CertificateSerial::sn() const {
  return base64url(bytes());
}

bool CertificateSerial::sn_is_hostname_safe() const {
  return sn().find('_') == std::string::npos;
}

namespace {

constexpr std::uint32_t kCounterTries = 64;
constexpr int kBaseTries = 1000;

Result<void> random_base(CertificateSerial& serial) {
  if (RAND_bytes(serial.base.data(), static_cast<int>(serial.base.size())) != 1) {
    return make_error(Errc::io_error, "no randomness for the certificate serial");
  }
  serial.base[6] = static_cast<std::uint8_t>((serial.base[6] & 0x0fU) | 0x40U);  // UUID version 4
  serial.base[8] = static_cast<std::uint8_t>((serial.base[8] & 0x3fU) | 0x80U);  // RFC 4122 variant
  serial.base[0] &= 0x7fU;  // positive in DER within 20 bytes (osp-brief §7 #3)
  return {};
}

// Moves the counter on (each value is a new certificate's) until the `sn` is hostname-safe. The
// counter only shapes the last characters: when the '_' comes from the base, a new base (and
// counter 1) is the way out — a new serial, the same key and fingerprint.
Result<void> advance_to_safe(CertificateSerial& serial) {
  for (std::uint32_t i = 0; i < kCounterTries && serial.counter < UINT32_MAX; ++i) {
    ++serial.counter;
    if (serial.sn_is_hostname_safe()) return {};
  }
  for (int attempt = 0; attempt < kBaseTries; ++attempt) {
    LP2P_TRY(random_base(serial));
    serial.counter = 1;
    if (serial.sn_is_hostname_safe()) return {};
  }
  return make_error(Errc::io_error, "no hostname-safe certificate serial found");
}

Result<CertificateSerial> new_serial() {
  CertificateSerial serial;
  LP2P_TRY(random_base(serial));
  serial.counter = 0;
  LP2P_TRY(advance_to_safe(serial));
  return serial;
}

}  // namespace

Result<CertificateSerial> load_or_create_serial(const std::filesystem::path& dir) {
  const auto path = dir / kSerialFile;
  if (std::filesystem::exists(path)) {
    auto serial = load(path);
    if (!serial || serial->sn_is_hostname_safe()) return serial;
    // Written before the hostname rule existed: the next safe counter value.
    LP2P_TRY(advance_to_safe(*serial));
    LP2P_TRY(store(dir, *serial));
    return serial;
  }
  auto serial = new_serial();
  if (!serial) return serial;
  LP2P_TRY(store(dir, *serial));
  return serial;
}

Result<CertificateSerial> next_serial(const std::filesystem::path& dir) {
  auto serial = load_or_create_serial(dir);
  if (!serial) return serial;
  LP2P_TRY(advance_to_safe(*serial));
  LP2P_TRY(store(dir, *serial));
  return serial;
}

}  // namespace lp2p::auth
