// Loader logging on stderr: one line per event, as text with a UTC timestamp
// or as a JSON object (--log-format json); under journald (stderr is the
// stream $JOURNAL_STREAM names) text lines carry a syslog priority prefix
// ("<3>") instead of the timestamp journald adds itself. Also the status line
// a terminal redraws, the summary, and the process-wide stop flag that
// SIGINT/SIGTERM raise.
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

// read: records handed to the database (each a landing row, or a reject);
// inserted/updated/unchanged: rows of the typed tables; pages: responses the
// source fetched (a page may hold many records, a search page many tweets).
struct Counts {
  int64_t read = 0, inserted = 0, updated = 0, unchanged = 0, rejected = 0, batches = 0, pages = 0;
};

// stderr is a journald stream: $JOURNAL_STREAM ("dev:inode") names it.
bool stderr_is_journal();

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

  // A terminal's status line (text format, not quiet): redrawn in place and
  // cleared before the next log line.
  bool redraws() const { return !quiet_ && tty_ && format_ == Format::kText; }
  void status_line(const std::string& text);
  // A progress log line ("progress: <text>", or a JSON object with msg
  // "progress" and `json_members`); nothing with --quiet.
  void progress_line(const std::string& text, const std::string& json_members);
  // The summary at exit (always printed, even with --quiet).
  void summary(const Counts& c, double seconds);

  Format format() const { return format_; }
  bool quiet() const { return quiet_; }
  // The program name in text lines ("pulse-load", "pulse-gateway").
  void set_program(std::string name) { program_ = std::move(name); }

 private:
  void clear_status_locked();
  // The start of a text line: "<ts> pulse-load: " or, under journald,
  // "<priority>pulse-load: ".
  std::string text_prefix(const char* level) const;
  Format format_;
  bool quiet_;
  bool tty_;
  bool journal_;
  std::string program_ = "pulse-load";
  bool status_shown_ = false;
  std::mutex mu_;
};

}  // namespace pulse::load
