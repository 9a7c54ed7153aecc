// See log.h.
#include "core/log.h"

#include <sys/ioctl.h>
#include <sys/stat.h>
#include <unistd.h>

#include <chrono>
#include <csignal>
#include <cstdio>
#include <cstdlib>
#include <ctime>

#include "core/json_scan.h"

namespace pulse::load {
namespace {

std::string now_iso() {
  auto now = std::chrono::system_clock::now();
  auto ms = std::chrono::duration_cast<std::chrono::milliseconds>(now.time_since_epoch()).count();
  std::time_t t = ms / 1000;
  std::tm tm{};
  gmtime_r(&t, &tm);
  char buf[64];
  std::snprintf(buf, sizeof buf, "%04d-%02d-%02dT%02d:%02d:%02d.%03dZ", tm.tm_year + 1900, tm.tm_mon + 1,
                tm.tm_mday, tm.tm_hour, tm.tm_min, tm.tm_sec, int(ms % 1000));
  return buf;
}

extern "C" void on_stop_signal(int) { stop_requested().store(true); }

}  // namespace

std::atomic<bool>& stop_requested() {
  static std::atomic<bool> flag{false};
  return flag;
}

void install_stop_handlers() {
  struct sigaction sa {};
  sa.sa_handler = on_stop_signal;
  sigemptyset(&sa.sa_mask);
  sa.sa_flags = 0;  // no SA_RESTART: blocking reads return EINTR and see the flag
  sigaction(SIGINT, &sa, nullptr);
  sigaction(SIGTERM, &sa, nullptr);
  std::signal(SIGPIPE, SIG_IGN);
}

bool stderr_is_journal() {
  const char* js = std::getenv("JOURNAL_STREAM");
  if (js == nullptr) return false;
  unsigned long long dev = 0, ino = 0;
  if (std::sscanf(js, "%llu:%llu", &dev, &ino) != 2) return false;
  struct stat st {};
  if (fstat(STDERR_FILENO, &st) != 0) return false;
  return static_cast<unsigned long long>(st.st_dev) == dev && static_cast<unsigned long long>(st.st_ino) == ino;
}

Logger::Logger(Format f, bool quiet)
    : format_(f), quiet_(quiet), tty_(isatty(STDERR_FILENO) == 1), journal_(stderr_is_journal()) {}

void Logger::clear_status_locked() {
  if (status_shown_) {
    std::fputs("\r\033[K", stderr);
    status_shown_ = false;
  }
}

std::string Logger::text_prefix(const char* level) const {
  std::string lv = level;
  std::string p;
  if (journal_) {
    // sd-daemon(3) priority prefixes; journald stores the priority and drops
    // the prefix (it adds the time and the program name itself).
    p = lv == "error" ? "<3>" : lv == "warn" ? "<4>" : "<6>";
  } else {
    p = now_iso() + " " + program_ + ": ";
  }
  if (lv != "info") p += lv + ": ";
  return p;
}

void Logger::log(const char* level, const std::string& msg,
                 std::initializer_list<std::pair<const char*, std::string>> fields) {
  std::lock_guard<std::mutex> lock(mu_);
  if (quiet_ && std::string(level) == "info") return;
  clear_status_locked();
  std::string line;
  if (format_ == Format::kJson) {
    line = "{\"ts\":" + json_quote(now_iso()) + ",\"level\":" + json_quote(level) + ",\"msg\":" + json_quote(msg);
    for (const auto& f : fields) line += "," + json_quote(f.first) + ":" + json_quote(f.second);
    line += "}";
  } else {
    line = text_prefix(level) + msg;
    for (const auto& f : fields) line += " " + std::string(f.first) + "=" + f.second;
  }
  line += "\n";
  std::fputs(line.c_str(), stderr);
}

void Logger::status_line(const std::string& text) {
  if (!redraws()) return;
  // A line longer than the terminal would wrap, and the carriage return
  // would redraw only its last row.
  std::string shown = text;
  struct winsize ws {};
  if (ioctl(STDERR_FILENO, TIOCGWINSZ, &ws) == 0 && ws.ws_col > 1 && shown.size() >= ws.ws_col)
    shown.resize(ws.ws_col - 1);
  std::lock_guard<std::mutex> lock(mu_);
  std::fputs(("\r\033[K" + shown).c_str(), stderr);
  status_shown_ = true;
}

void Logger::progress_line(const std::string& text, const std::string& json_members) {
  if (quiet_) return;
  std::lock_guard<std::mutex> lock(mu_);
  clear_status_locked();
  std::string line;
  if (format_ == Format::kJson) {
    line = "{\"ts\":" + json_quote(now_iso()) + ",\"level\":\"info\",\"msg\":\"progress\"," + json_members + "}\n";
  } else {
    line = text_prefix("info") + "progress: " + text + "\n";
  }
  std::fputs(line.c_str(), stderr);
}

void Logger::summary(const Counts& c, double seconds) {
  std::lock_guard<std::mutex> lock(mu_);
  clear_status_locked();
  double rate = seconds > 0 ? double(c.read) / seconds : 0;
  char buf[512];
  if (format_ == Format::kJson) {
    std::snprintf(buf, sizeof buf,
                  "{\"ts\":\"%s\",\"level\":\"info\",\"msg\":\"summary\",\"pages\":%lld,\"read\":%lld,"
                  "\"rejected\":%lld,\"inserted\":%lld,\"updated\":%lld,\"unchanged\":%lld,\"batches\":%lld,"
                  "\"seconds\":%.3f,\"records_per_s\":%.1f}\n",
                  now_iso().c_str(), (long long)c.pages, (long long)c.read, (long long)c.rejected,
                  (long long)c.inserted, (long long)c.updated, (long long)c.unchanged, (long long)c.batches, seconds,
                  rate);
    std::fputs(buf, stderr);
    return;
  }
  // Pages (what was fetched) apart from records (what was read and landed)
  // and rows (what the typed tables got): a search page of 100 tweets is one
  // page, one record and 100 rows.
  std::snprintf(buf, sizeof buf,
                "summary: pages %lld, records %lld, rejected %lld; rows inserted %lld, updated %lld, "
                "unchanged %lld; batches %lld, %.2f s, %.0f records/s\n",
                (long long)c.pages, (long long)c.read, (long long)c.rejected, (long long)c.inserted,
                (long long)c.updated, (long long)c.unchanged, (long long)c.batches, seconds, rate);
  std::fputs((text_prefix("info") + buf).c_str(), stderr);
}

}  // namespace pulse::load
