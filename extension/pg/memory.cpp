// Memory contexts for C++ callers (memory.h).
#include <string>

#include "core/error.h"
#include "pg/guard.h"
#include "pg/memory.h"

extern "C" {
#include "utils/memutils.h"
}

namespace pulse::pg {

MemoryContext aggregate_context(FunctionCallInfo fcinfo, const char* what) {
  MemoryContext ctx = nullptr;
  if (!AggCheckCallContext(fcinfo, &ctx))
    throw Error(sqlstate::kFeatureNotSupported, std::string(what) + " called in non-aggregate context");
  return ctx;
}

void* alloc_in(MemoryContext ctx, std::size_t size) {
  return pg_guard([&] { return MemoryContextAlloc(ctx, size); });
}

void* alloc_current(std::size_t size) {
  return pg_guard([&] { return palloc(size); });
}

void free_chunk(void* chunk) noexcept { pfree(chunk); }

void on_reset(MemoryContext ctx, void (*fn)(void*), void* arg) {
  auto* cb = static_cast<MemoryContextCallback*>(alloc_in(ctx, sizeof(MemoryContextCallback)));
  cb->func = fn;
  cb->arg = arg;
  MemoryContextRegisterResetCallback(ctx, cb);  // links it in; cannot fail
}

const void* current_memory_context() noexcept { return CurrentMemoryContext; }

}  // namespace pulse::pg
