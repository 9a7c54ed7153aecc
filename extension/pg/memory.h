// PostgreSQL memory for C++ callers: the aggregate's context, palloc in a
// given context, and the current context as an opaque handle (for checks).
#pragma once

#include <cstddef>

#include "pg/fmgr_glue.h"

namespace pulse::pg {

// The memory context of the aggregate call fcinfo belongs to; throws
// pulse::Error (0A000) when the function was not called as an aggregate
// support function (`what` names it in the message).
MemoryContext aggregate_context(FunctionCallInfo fcinfo, const char* what);

// palloc'd, uninitialized memory in ctx (guarded: out of memory throws).
void* alloc_in(MemoryContext ctx, std::size_t size);

// palloc'd, uninitialized memory in CurrentMemoryContext (guarded).
void* alloc_current(std::size_t size);

// Returns a chunk from alloc_in to its context (pfree of a valid chunk does
// not raise).
void free_chunk(void* chunk) noexcept;

// Calls fn(arg) when ctx is reset or deleted: the destructor of a C++ object
// built with placement new in ctx (an aggregate's state). fn must not throw.
void on_reset(MemoryContext ctx, void (*fn)(void*), void* arg);

// CurrentMemoryContext, only to compare: proves the guard restored it.
const void* current_memory_context() noexcept;

}  // namespace pulse::pg
