// ereport for errors carried across the boundary as plain memory (report.h).
#include <cstring>

#include "pg/report.h"

extern "C" {
#include "postgres.h"
#include "utils/elog.h"
#include "utils/memutils.h"
}

namespace pulse::pg {

const int kInternalErrorCode = ERRCODE_INTERNAL_ERROR;
const int kOutOfMemoryCode = ERRCODE_OUT_OF_MEMORY;

int sqlstate_code(const char* s) noexcept { return MAKE_SQLSTATE(s[0], s[1], s[2], s[3], s[4]); }

void copy_text(char* dst, std::size_t cap, const char* src) noexcept {
  if (src == nullptr) {
    dst[0] = '\0';
    return;
  }
  std::size_t n = std::strlen(src);
  if (n >= cap) n = cap - 1;
  std::memcpy(dst, src, n);
  dst[n] = '\0';
}

void raise(const ErrorReport& r) {
  ereport(ERROR,
          (errcode(r.sqlerrcode), errmsg_internal("%s", r.message),
           r.detail[0] ? errdetail_internal("%s", r.detail) : 0, r.hint[0] ? errhint("%s", r.hint) : 0,
           r.context[0] ? errcontext("%s", r.context) : 0));
  pg_unreachable();
}

namespace {

int elevel(LogLevel level) noexcept {
  switch (level) {
    case LogLevel::kDebug1: return DEBUG1;
    case LogLevel::kNotice: return NOTICE;
    case LogLevel::kWarning: return WARNING;
    case LogLevel::kLog: break;
  }
  return LOG;
}

}  // namespace

// Below ERROR, ereport returns; PG_TRY only keeps an error inside elog itself
// (out of memory while formatting) from unwinding through C++ frames.
void log(LogLevel level, const char* message, const char* hint) noexcept {
  MemoryContext saved = CurrentMemoryContext;
  PG_TRY();
  {
    ereport(elevel(level), (errmsg_internal("%s", message), hint ? errhint("%s", hint) : 0));
  }
  PG_CATCH();
  {
    MemoryContextSwitchTo(saved);
    FlushErrorState();
  }
  PG_END_TRY();
}

void log_report(const char* prefix, const ErrorReport& r) noexcept {
  MemoryContext saved = CurrentMemoryContext;
  PG_TRY();
  {
    ereport(LOG, (errcode(r.sqlerrcode), errmsg_internal("%s: %s", prefix, r.message),
                  r.detail[0] ? errdetail_internal("%s", r.detail) : 0, r.hint[0] ? errhint("%s", r.hint) : 0,
                  r.context[0] ? errcontext("%s", r.context) : 0));
  }
  PG_CATCH();
  {
    MemoryContextSwitchTo(saved);
    FlushErrorState();
  }
  PG_END_TRY();
}

}  // namespace pulse::pg
