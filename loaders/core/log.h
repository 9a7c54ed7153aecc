// Loader logging on stderr: one line per event, as text or as a JSON object
// (--log-format json), a progress line on a terminal unless --quiet, and the
// process-wide stop flag that SIGINT/SIGTERM raise.
#pragma once

#include <atomic>
#include <cstdint>
#include <initializer_list>
#include <mutex>
#include <string>
#include <utility>

namespace pulse::load {

// Raised by SIGINT/SIGTERM (install_stop_handlers) or by code that must stop.
std::atomic<bool>& stop_requested();
void install_stop_handlers();

struct Counts {
  int64_t read = 0, inserted = 0, updated = 0, unchanged = 0, rejected = 0, batches = 0;
};

class Logger {
 public:
  enum class Format { kText, kJson };
  Logger(Format f = Format::kText, bool quiet = false);

  // level: "info", "warn", "error". Fields are extra key/values (strings).
  void log(const char* level, const std::string& msg,
           std::initializer_list<std::pair<const char*, std::string>> fields = {});
  void info(const std::string& m) { log("info", m); }
  void warn(const std::string& m) { log("warn", m); }
  void error(const std::string& m) { log("error", m); }

  // Redraws the progress line (TTY only, not quiet, not json), at most 5/s.
  void progress(const Counts& c);
  // The summary at exit (always printed, even with --quiet).
  void summary(const Counts& c, double seconds);

  Format format() const { return format_; }
  // The prefix of text lines ("pulse-load", "pulse-gateway").
  void set_program(std::string name) { program_ = std::move(name); }

 private:
  void clear_progress_locked();
  Format format_;
  bool quiet_;
  bool tty_;
  std::string program_ = "pulse-load";
  bool progress_shown_ = false;
  int64_t last_progress_ms_ = 0;
  std::mutex mu_;
};

}  // namespace pulse::load
