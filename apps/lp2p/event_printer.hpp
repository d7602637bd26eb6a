// What the transfer commands tell the person: lines of text (stderr for chatter, stdout for
// results), or with --json one JSON object per line on stdout ({"event": ..., ...}) for scripts.
// Thread-safe: the agent's loop and the transfer's workers print through it.
#pragma once

#include <mutex>
#include <nlohmann/json.hpp>
#include <string>

#include "wire_command.hpp"

namespace lp2p::cli {

class EventPrinter {
 public:
  EventPrinter(const Io& io, bool json) : io_(io), json_(json) {}

  [[nodiscard]] bool json() const { return json_; }
  // An event: printed as JSON with --json, else `text` (if any) as a line on stderr.
  void event(const std::string& name, nlohmann::json fields, const std::string& text = {});
  // A result people want on stdout in text mode (a received text); JSON mode prints the event.
  void result(const std::string& name, nlohmann::json fields, const std::string& text);
  // A progress line, redrawn in place on a terminal (text mode only; nothing otherwise).
  void status(const std::string& line);
  void end_status();
  std::mutex& mutex() { return mutex_; }
  [[nodiscard]] const Io& io() const { return io_; }

 private:
  void clear_status_locked();
  const Io& io_;
  bool json_;
  std::mutex mutex_;
  bool status_shown_ = false;
};

}  // namespace lp2p::cli
