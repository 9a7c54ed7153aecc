// The state of pulse.moving_corr's plain aggregation (GROUP BY, parallel
// partials, frames that only grow) as one opaque pointer: it starts as the
// 128-byte CorrCompact and moves to CorrMedium, then to the wide CorrState,
// only when the values need it (corr_fixed.h). Memory comes from the caller's
// arena (the aggregate's memory context), so this stays free of PostgreSQL.
#pragma once

#include "core/no_postgres.h"

#include <cstddef>
#include <cstdint>

#include "core/corr_math.h"

namespace pulse {

struct CorrArena {
  void* (*alloc)(void* arena, std::size_t size);  // may throw; never returns null
  void (*release)(void* chunk);                     // gives back a chunk of alloc
  void* arena;
};

// The kind every state struct starts with (moving_corr.h's CorrKind).
uint32_t corr_agg_kind(const void* state);
// Bytes of a state of that kind (its serialized form); 0 for an unknown kind.
std::size_t corr_agg_size(uint32_t kind);

// An empty state: compact, or wide when `wide` (0.1.0's state, for tests).
void* corr_agg_new(const CorrArena& arena, bool wide);
// Adds a pair (neither side NULL); returns the state, which may have moved.
void* corr_agg_add(const CorrArena& arena, void* state, double x, double y);
// into += other, states of any kinds; returns into, which may have moved.
void* corr_agg_combine(const CorrArena& arena, void* into, const void* other);
// corr() of the state (a wide state's digits may be normalized in place).
CorrResult corr_agg_result(void* state);
// Makes the state's bytes canonical for serialization (wide: normalized).
void corr_agg_prepare_serialize(void* state);

}  // namespace pulse
