#include "event_printer.hpp"

#include <unistd.h>

#include <chrono>

namespace lp2p::cli {
namespace {

double now_seconds() {
  return std::chrono::duration<double>(std::chrono::system_clock::now().time_since_epoch()).count();
}

}  // namespace

void EventPrinter::clear_status_locked() {
  if (status_shown_) {
    io_.err << "\r\033[K";
    status_shown_ = false;
  }
}

void EventPrinter::event(const std::string& name, nlohmann::json fields, const std::string& text) {
  const std::lock_guard lock(mutex_);
  if (json_) {
    nlohmann::json line = {{"event", name}, {"time", now_seconds()}};
    if (fields.is_object()) line.update(fields);
    io_.out << line.dump(-1, ' ', false, nlohmann::json::error_handler_t::replace) << '\n'
            << std::flush;
    return;
  }
  if (text.empty()) return;
  clear_status_locked();
  io_.err << text << '\n' << std::flush;
}

void EventPrinter::result(const std::string& name, nlohmann::json fields, const std::string& text) {
  if (json_) {
    event(name, std::move(fields));
    return;
  }
  const std::lock_guard lock(mutex_);
  clear_status_locked();
  io_.out << text << std::flush;
}

void EventPrinter::status(const std::string& line) {
  static const bool kTerminal = isatty(STDERR_FILENO) != 0;
  if (json_ || !kTerminal) return;
  const std::lock_guard lock(mutex_);
  io_.err << "\r\033[K" << line << std::flush;
  status_shown_ = true;
}

void EventPrinter::end_status() {
  const std::lock_guard lock(mutex_);
  if (status_shown_) {
    io_.err << '\n' << std::flush;
    status_shown_ = false;
  }
}

}  // namespace lp2p::cli
