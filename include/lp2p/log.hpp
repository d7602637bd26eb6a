// The library's log: one line per noteworthy event (a peer connected, a pairing failed, a
// malformed message refused), for people reading a terminal or a daemon's journal.
//
// By default an Agent logs warnings and errors to standard error, and nothing to standard
// output (which belongs to the application). These calls change that for the whole process;
// they are thread-safe and may be called at any time.
#pragma once

#include <functional>
#include <string_view>

namespace lp2p {

enum class LogLevel { trace, debug, info, warn, error, off };

// Lines at `level` and above are logged.
void set_log_level(LogLevel level);
// Every line goes to `sink` (called on the thread that logs, never concurrently) instead of
// standard error; nullptr restores standard error.
void set_log_sink(std::function<void(LogLevel level, std::string_view line)> sink);

}  // namespace lp2p
