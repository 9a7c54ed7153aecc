// Turns a caught PostgreSQL error into pulse::pg::PgError (see guard.h).
#include "core/error.h"
#include "pg/guard.h"

namespace pulse::pg::detail {

void throw_pg_error(ErrorData* edata) {
  // Copy into std::string first: the strings live in palloc'd memory that we
  // free before throwing, and std::string may throw bad_alloc, which is fine
  // here because we are outside any PG_TRY frame.
  int code = edata->sqlerrcode;
  std::string message = edata->message ? edata->message : "unknown PostgreSQL error";
  std::string detail = edata->detail ? edata->detail : "";
  std::string hint = edata->hint ? edata->hint : "";
  std::string context = edata->context ? edata->context : "";
  FreeErrorData(edata);
  throw PgError(code, message, std::move(detail), std::move(hint), std::move(context));
}

}  // namespace pulse::pg::detail
