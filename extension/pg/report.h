// Raising and logging errors that crossed the C++ / PostgreSQL boundary. An
// ErrorReport is plain memory, so it can live in the frame that raise()
// longjmps out of (entry/boundary.h) without skipping a destructor.
#pragma once

#include <cstddef>

namespace pulse::pg {

struct ErrorReport {
  int sqlerrcode;  // PostgreSQL's packed SQLSTATE
  char message[2048];
  char detail[2048];
  char hint[1024];
  char context[1024];
};

// The packed form of a five-character SQLSTATE ("22023").
int sqlstate_code(const char* sqlstate) noexcept;

extern const int kInternalErrorCode;  // XX000
extern const int kOutOfMemoryCode;    // 53200

// Copies at most cap - 1 bytes of src (NULL: empty) into dst, NUL-terminated.
void copy_text(char* dst, std::size_t cap, const char* src) noexcept;

// ereport(ERROR) with the report's code and texts. Call only from a frame that
// holds no object with a destructor: it longjmps.
[[noreturn]] void raise(const ErrorReport& report);

enum class LogLevel { kDebug1, kLog, kNotice, kWarning };

// A server log line (a background worker's progress and trouble), or a
// NOTICE to the client (kNotice). Never throws, never raises.
void log(LogLevel level, const char* message, const char* hint = nullptr) noexcept;

// The report as a LOG line, with its SQLSTATE, after `prefix: ` (a background
// worker that carries on after a failed step).
void log_report(const char* prefix, const ErrorReport& report) noexcept;

}  // namespace pulse::pg
