// Exception-to-ereport conversion for every SQL entry point (see boundary.h).
#include <exception>
#include <new>

#include "core/error.h"
#include "entry/boundary.h"
#include "pg/guard.h"

namespace pulse::entry {
namespace {

// Only copies into plain memory: called inside catch blocks.
void fill(pg::ErrorReport* r, int code, const char* message, const char* detail = nullptr,
          const char* hint = nullptr, const char* context = nullptr) noexcept {
  r->sqlerrcode = code;
  pg::copy_text(r->message, sizeof r->message, message);
  pg::copy_text(r->detail, sizeof r->detail, detail);
  pg::copy_text(r->hint, sizeof r->hint, hint);
  pg::copy_text(r->context, sizeof r->context, context);
}

}  // namespace

void report_current_exception(pg::ErrorReport* r) noexcept {
  try {
    throw;
  } catch (const pg::PgError& e) {
    fill(r, e.sqlerrcode(), e.what(), e.detail().c_str(), e.hint().c_str(), e.context().c_str());
  } catch (const Error& e) {
    fill(r, pg::sqlstate_code(e.sqlstate()), e.what(), e.detail().c_str(), e.hint().c_str());
  } catch (const std::bad_alloc&) {
    fill(r, pg::kOutOfMemoryCode, "out of memory");
  } catch (const std::exception& e) {
    fill(r, pg::kInternalErrorCode, e.what());
  } catch (...) {
    fill(r, pg::kInternalErrorCode, "unknown C++ exception");
  }
}

bool run(Body body, FunctionCallInfo fcinfo, Datum* result, pg::ErrorReport* report) noexcept {
  try {
    *result = body(fcinfo);
    return true;
  } catch (...) {
    report_current_exception(report);
  }
  return false;
}

}  // namespace pulse::entry
