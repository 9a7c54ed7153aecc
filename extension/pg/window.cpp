// The window function API for C++ callers (window.h).
#include "core/error.h"
#include "pg/guard.h"
#include "pg/window.h"

extern "C" {
#include "utils/timestamp.h"
#include "windowapi.h"
}

namespace pulse::pg {
namespace {

WindowObject object(void* p) { return static_cast<WindowObject>(p); }

}  // namespace

WindowCall::WindowCall(FunctionCallInfo fcinfo) : winobj_(PG_WINDOW_OBJECT()) {}

void* WindowCall::partition_memory(std::size_t size) {
  return pg_guard([&] { return WinGetPartitionLocalMemory(object(winobj_), size); });
}

int64_t WindowCall::current_position() {
  return pg_guard([&] { return WinGetCurrentPosition(object(winobj_)); });
}

void WindowCall::set_mark(int64_t pos) {
  pg_guard([&] { WinSetMarkPosition(object(winobj_), pos); });
}

Datum WindowCall::arg(int argno, bool* isnull) {
  return pg_guard([&] { return WinGetFuncArgCurrent(object(winobj_), argno, isnull); });
}

std::optional<int64_t> WindowCall::timestamptz_arg(int argno) {
  bool isnull = false;
  Datum d = arg(argno, &isnull);
  if (isnull) return std::nullopt;
  return DatumGetTimestampTz(d);
}

std::optional<IntervalParts> WindowCall::interval_arg(int argno) {
  bool isnull = false;
  Datum d = arg(argno, &isnull);
  if (isnull) return std::nullopt;
  return interval_parts(d);
}

}  // namespace pulse::pg
