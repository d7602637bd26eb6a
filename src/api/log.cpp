#include "lp2p/log.hpp"

#include <spdlog/sinks/base_sink.h>
#include <spdlog/sinks/stdout_color_sinks.h>
#include <spdlog/spdlog.h>

#include <atomic>
#include <mutex>

#include "api/log_setup.hpp"

namespace lp2p {
namespace {

// What the application chose; the Agent's defaults fill in the rest. Process-wide, as the log is.
// NOLINTBEGIN(cppcoreguidelines-avoid-non-const-global-variables)
std::atomic<bool> sink_chosen{false};
std::atomic<bool> level_chosen{false};
std::once_flag stderr_installed;
// NOLINTEND(cppcoreguidelines-avoid-non-const-global-variables)

LogLevel from_spdlog(spdlog::level::level_enum level) {
  switch (level) {
    case spdlog::level::trace:
      return LogLevel::trace;
    case spdlog::level::debug:
      return LogLevel::debug;
    case spdlog::level::info:
      return LogLevel::info;
    case spdlog::level::warn:
      return LogLevel::warn;
    case spdlog::level::err:
    case spdlog::level::critical:
      return LogLevel::error;
    default:
      return LogLevel::off;
  }
}

spdlog::level::level_enum to_spdlog(LogLevel level) {
  switch (level) {
    case LogLevel::trace:
      return spdlog::level::trace;
    case LogLevel::debug:
      return spdlog::level::debug;
    case LogLevel::info:
      return spdlog::level::info;
    case LogLevel::warn:
      return spdlog::level::warn;
    case LogLevel::error:
      return spdlog::level::err;
    case LogLevel::off:
      return spdlog::level::off;
  }
  return spdlog::level::warn;
}

// Hands formatted lines to the application's function (base_sink serialises the calls).
class FunctionSink : public spdlog::sinks::base_sink<std::mutex> {
 public:
  explicit FunctionSink(std::function<void(LogLevel, std::string_view)> to)
      : sink_(std::move(to)) {}

 protected:
  void sink_it_(const spdlog::details::log_msg& msg) override {
    spdlog::memory_buf_t formatted;
    formatter_->format(msg, formatted);
    std::string_view line(formatted.data(), formatted.size());
    while (!line.empty() && (line.back() == '\n' || line.back() == '\r')) line.remove_suffix(1);
    sink_(from_spdlog(msg.level), line);
  }
  void flush_() override {}

 private:
  std::function<void(LogLevel, std::string_view)> sink_;
};

std::shared_ptr<spdlog::logger> stderr_logger() {
  return std::make_shared<spdlog::logger>("lp2p",
                                          std::make_shared<spdlog::sinks::stderr_color_sink_mt>());
}

void install(std::shared_ptr<spdlog::logger> logger, spdlog::level::level_enum level) {
  logger->set_level(level);
  spdlog::set_default_logger(std::move(logger));
}

// spdlog's own default logger writes to standard output, which is the application's.
void leave_stdout() {
  if (sink_chosen) return;
  std::call_once(stderr_installed,
                 [] { install(stderr_logger(), spdlog::default_logger()->level()); });
}

}  // namespace

void set_log_level(LogLevel level) {
  level_chosen = true;
  leave_stdout();
  spdlog::set_level(to_spdlog(level));
}

void set_log_sink(std::function<void(LogLevel, std::string_view)> sink) {
  sink_chosen = true;
  const auto level = spdlog::default_logger()->level();
  if (!sink) return install(stderr_logger(), level);
  install(std::make_shared<spdlog::logger>("lp2p", std::make_shared<FunctionSink>(std::move(sink))),
          level);
}

namespace api {

void ensure_default_logging() {
  leave_stdout();
  if (!level_chosen.exchange(true)) spdlog::set_level(spdlog::level::warn);
}

}  // namespace api
}  // namespace lp2p
