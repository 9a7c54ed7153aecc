// See log.h.
#include "core/log.h"

#include <unistd.h>

#include <chrono>
#include <csignal>
#include <cstdio>
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

int64_t steady_ms() {
  return std::chrono::duration_cast<std::chrono::milliseconds>(std::chrono::steady_clock::now().time_since_epoch())
      .count();
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

Logger::Logger(Format f, bool quiet) : format_(f), quiet_(quiet), tty_(isatty(STDERR_FILENO) == 1) {}

void Logger::clear_progress_locked() {
  if (progress_shown_) {
    std::fputs("\r\033[K", stderr);
    progress_shown_ = false;
  }
}

void Logger::log(const char* level, const std::string& msg,
                 std::initializer_list<std::pair<const char*, std::string>> fields) {
  std::lock_guard<std::mutex> lock(mu_);
  if (quiet_ && std::string(level) == "info") return;
  clear_progress_locked();
  std::string line;
  if (format_ == Format::kJson) {
    line = "{\"ts\":" + json_quote(now_iso()) + ",\"level\":" + json_quote(level) + ",\"msg\":" + json_quote(msg);
    for (const auto& f : fields) line += "," + json_quote(f.first) + ":" + json_quote(f.second);
    line += "}";
  } else {
    line = program_ + ": ";
    if (std::string(level) != "info") line += std::string(level) + ": ";
    line += msg;
    for (const auto& f : fields) line += " " + std::string(f.first) + "=" + f.second;
  }
  line += "\n";
  std::fputs(line.c_str(), stderr);
}

void Logger::progress(const Counts& c) {
  if (quiet_ || !tty_ || format_ == Format::kJson) return;
  std::lock_guard<std::mutex> lock(mu_);
  int64_t now = steady_ms();
  if (now - last_progress_ms_ < 200) return;
  last_progress_ms_ = now;
  std::fprintf(stderr, "\r\033[Kread %lld  inserted %lld  updated %lld  unchanged %lld  rejected %lld  batches %lld",
               (long long)c.read, (long long)c.inserted, (long long)c.updated, (long long)c.unchanged,
               (long long)c.rejected, (long long)c.batches);
  progress_shown_ = true;
}

void Logger::summary(const Counts& c, double seconds) {
  std::lock_guard<std::mutex> lock(mu_);
  clear_progress_locked();
  double rate = seconds > 0 ? double(c.read) / seconds : 0;
  char buf[512];
  if (format_ == Format::kJson) {
    std::snprintf(buf, sizeof buf,
                  "{\"ts\":\"%s\",\"level\":\"info\",\"msg\":\"summary\",\"read\":%lld,\"inserted\":%lld,"
                  "\"updated\":%lld,\"unchanged\":%lld,\"rejected\":%lld,\"batches\":%lld,\"seconds\":%.3f,"
                  "\"rows_per_s\":%.1f}\n",
                  now_iso().c_str(), (long long)c.read, (long long)c.inserted, (long long)c.updated,
                  (long long)c.unchanged, (long long)c.rejected, (long long)c.batches, seconds, rate);
  } else {
    std::snprintf(buf, sizeof buf,
                  "pulse-load: read %lld, inserted %lld, updated %lld, unchanged %lld, rejected %lld "
                  "(%lld batches, %.2f s, %.0f rows/s)\n",
                  (long long)c.read, (long long)c.inserted, (long long)c.updated, (long long)c.unchanged,
                  (long long)c.rejected, (long long)c.batches, seconds, rate);
  }
  std::fputs(buf, stderr);
}

}  // namespace pulse::load
