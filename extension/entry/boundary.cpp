// Exception-to-ereport conversion for every SQL entry point (see boundary.h).
#include "entry/boundary.h"

#include <cstring>
#include <exception>
#include <new>

#include "core/error.h"
#include "pg/guard.h"

namespace pulse::entry {
namespace {

void copy_text(char* dst, size_t cap, const char* src) noexcept {
  if (src == nullptr) {
    dst[0] = '\0';
    return;
  }
  size_t n = std::strlen(src);
  if (n >= cap) n = cap - 1;
  std::memcpy(dst, src, n);
  dst[n] = '\0';
}

int pack(const char* s) noexcept {
  return MAKE_SQLSTATE(s[0], s[1], s[2], s[3], s[4]);
}

void clear(ErrorSlot* slot) noexcept {
  slot->sqlerrcode = ERRCODE_INTERNAL_ERROR;
  slot->message[0] = slot->detail[0] = slot->hint[0] = slot->context[0] = '\0';
}

}  // namespace

bool run(Body body, FunctionCallInfo fcinfo, Datum* result, ErrorSlot* slot) noexcept {
  clear(slot);
  try {
    *result = body(fcinfo);
    return true;
  } catch (const pg::PgError& e) {
    slot->sqlerrcode = e.sqlerrcode();
    copy_text(slot->message, sizeof slot->message, e.what());
    copy_text(slot->detail, sizeof slot->detail, e.detail().c_str());
    copy_text(slot->hint, sizeof slot->hint, e.hint().c_str());
    copy_text(slot->context, sizeof slot->context, e.context().c_str());
  } catch (const Error& e) {
    slot->sqlerrcode = pack(e.sqlstate());
    copy_text(slot->message, sizeof slot->message, e.what());
    copy_text(slot->detail, sizeof slot->detail, e.detail().c_str());
    copy_text(slot->hint, sizeof slot->hint, e.hint().c_str());
  } catch (const std::bad_alloc&) {
    slot->sqlerrcode = ERRCODE_OUT_OF_MEMORY;
    copy_text(slot->message, sizeof slot->message, "out of memory");
  } catch (const std::exception& e) {
    slot->sqlerrcode = ERRCODE_INTERNAL_ERROR;
    copy_text(slot->message, sizeof slot->message, e.what());
  } catch (...) {
    slot->sqlerrcode = ERRCODE_INTERNAL_ERROR;
    copy_text(slot->message, sizeof slot->message, "unknown C++ exception");
  }
  return false;
}

void raise(const ErrorSlot* slot) {
  ereport(ERROR,
          (errcode(slot->sqlerrcode), errmsg_internal("%s", slot->message),
           slot->detail[0] ? errdetail_internal("%s", slot->detail) : 0,
           slot->hint[0] ? errhint("%s", slot->hint) : 0,
           slot->context[0] ? errcontext("%s", slot->context) : 0));
  pg_unreachable();
}

}  // namespace pulse::entry
