#include "auth/psk_code.hpp"

#include <openssl/rand.h>

#include <algorithm>

namespace lp2p::auth {
namespace {

constexpr std::size_t kMaxDigitsInGroupsOf3 = 9;

Error bad_code(std::string message) {
  return make_error(Errc::invalid_argument, std::move(message));
}

// Adds one digit (base 10 or 16) to `value`; false when the result would not fit in 64 bits.
bool push_digit(std::uint64_t& value, unsigned base, unsigned digit) {
  if (value > (UINT64_MAX - digit) / base) return false;
  value = value * base + digit;
  return true;
}

int hex_digit(char c) {
  if (c >= '0' && c <= '9') return c - '0';
  if (c >= 'a' && c <= 'f') return c - 'a' + 10;
  if (c >= 'A' && c <= 'F') return c - 'A' + 10;
  return -1;
}

}  // namespace

unsigned clamp_psk_bits(std::uint64_t bits) {
  return static_cast<unsigned>(std::clamp<std::uint64_t>(bits, kPskMinBits, kPskMaxAcceptedBits));
}

Result<std::uint64_t> generate_psk(unsigned bits) {
  if (bits < kPskMinBits || bits > kPskMaxGeneratedBits) {
    return bad_code("a pairing code has " + std::to_string(kPskMinBits) + " to " +
                    std::to_string(kPskMaxGeneratedBits) + " bits of entropy, not " +
                    std::to_string(bits));
  }
  std::array<unsigned char, sizeof(std::uint64_t)> random{};
  if (RAND_priv_bytes(random.data(), static_cast<int>(random.size())) != 1)
    return make_error(Errc::io_error, "the CSPRNG could not produce a pairing code");
  std::uint64_t psk = 0;
  for (const unsigned char byte : random) psk = (psk << 8U) | byte;
  // Masking uniform bits keeps the value uniform in [0, 2^bits).
  if (bits < kPskMaxGeneratedBits) psk &= (std::uint64_t{1} << bits) - 1;
  return psk;
}

std::string format_psk(std::uint64_t psk) {
  return format_psk(psk, 0);
}

std::string format_psk(std::uint64_t psk, unsigned bits) {
  std::string digits = std::to_string(psk);
  // Every code of a given strength has the same shape: as many digits as its largest value.
  if (bits > 0 && bits < 64) {
    const std::size_t width = std::to_string((std::uint64_t{1} << bits) - 1).size();
    if (digits.size() < width) digits.insert(0, width - digits.size(), '0');
  }
  // osp-brief §7 #29: exactly 9 digits stays in groups of 3, and no whole group of padding.
  const std::size_t group = digits.size() <= kMaxDigitsInGroupsOf3 ? 3 : 4;
  const std::string padded = std::string((group - digits.size() % group) % group, '0') + digits;
  std::string out;
  for (std::size_t i = 0; i < padded.size(); i += group) {
    if (i != 0) out.push_back('-');
    out.append(padded, i, group);
  }
  return out;
}

Result<std::uint64_t> parse_psk(std::string_view typed) {
  std::uint64_t value = 0;
  bool any_digit = false;
  for (const char c : typed) {
    if (c == '-' || c == ' ') continue;
    if (c < '0' || c > '9') {
      const bool printable = c > ' ' && c < 0x7f;
      return bad_code("a pairing code has only digits, dashes and spaces" +
                      (printable ? std::string(", not '") + c + "'" : std::string()));
    }
    if (!push_digit(value, 10, static_cast<unsigned>(c - '0')))
      return bad_code("this number is too long to be a pairing code");
    any_digit = true;
  }
  if (!any_digit)
    return bad_code("the pairing code is empty: type the digits shown on the other device");
  return value;
}

std::string psk_qr_text(std::uint64_t psk) {
  static constexpr std::string_view kDigits = "0123456789abcdef";
  std::string out;
  do {
    out.push_back(kDigits[psk & 0x0fU]);
    psk >>= 4U;
  } while (psk != 0);
  std::reverse(out.begin(), out.end());
  return out;
}

Result<std::uint64_t> parse_psk_qr_text(std::string_view text) {
  if (text.empty()) return bad_code("the pairing QR code holds no text");
  std::uint64_t value = 0;
  for (const char c : text) {
    const int digit = hex_digit(c);
    if (digit < 0) return bad_code("a pairing QR code holds only hexadecimal digits");
    if (!push_digit(value, 16, static_cast<unsigned>(digit)))
      return bad_code("the pairing QR code's number does not fit in 64 bits");
  }
  return value;
}

std::array<std::uint8_t, 8> psk_password(std::uint64_t psk) {
  std::array<std::uint8_t, 8> pw{};
  for (std::size_t i = pw.size(); i-- > 0; psk >>= 8U) pw.at(i) = static_cast<std::uint8_t>(psk);
  return pw;
}

}  // namespace lp2p::auth
