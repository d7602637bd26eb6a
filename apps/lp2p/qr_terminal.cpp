#include "qr_terminal.hpp"

#include <qrencode.h>

#include <memory>

namespace lp2p::cli {
namespace {

constexpr int kQuietZone =
    2;  // modules of light border (4 is the standard; 2 scans fine on screens)

struct QrDeleter {
  void operator()(QRcode* code) const { QRcode_free(code); }
};

}  // namespace

Result<std::string> qr_for_terminal(std::string_view text) {
  const std::string copy(text);
  const std::unique_ptr<QRcode, QrDeleter> code(
      QRcode_encodeString8bit(copy.c_str(), 0, QR_ECLEVEL_L));
  if (!code) return make_error(Errc::too_large, "text too long for a QR code");
  const int width = code->width;
  auto dark = [&](int x, int y) {
    if (x < 0 || y < 0 || x >= width || y >= width) return false;
    return (code->data[static_cast<std::size_t>(y * width + x)] & 1U) != 0;
  };
  std::string out;
  // Light background drawn as full blocks, dark modules as spaces: right on dark terminals, where
  // most people look at it. Each line of text covers two rows of modules.
  for (int y = -kQuietZone; y < width + kQuietZone; y += 2) {
    for (int x = -kQuietZone; x < width + kQuietZone; ++x) {
      const bool top = dark(x, y);
      const bool bottom = dark(x, y + 1);
      if (!top && !bottom) {
        out += "\u2588";  // █ both light
      } else if (!top) {
        out += "\u2580";  // ▀ top light
      } else if (!bottom) {
        out += "\u2584";  // ▄ bottom light
      } else {
        out += ' ';
      }
    }
    out += '\n';
  }
  return out;
}

}  // namespace lp2p::cli
