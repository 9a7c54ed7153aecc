// Plain-aggregation state of pulse.moving_corr (see corr_agg.h).
#include "core/corr_agg.h"

#include <cstring>

#include "core/corr_fixed.h"
#include "core/error.h"
#include "core/moving_corr.h"

namespace pulse {
namespace {

CorrState* new_wide(const CorrArena& a) {
  auto* s = static_cast<CorrState*>(a.alloc(a.arena, sizeof(CorrState)));
  corr_init(s);
  return s;
}

// The same rows in the next larger kind; the old chunk is given back.
void* promote(const CorrArena& a, void* state) {
  switch (corr_agg_kind(state)) {
    case kCorrCompact: {
      auto* m = static_cast<CorrMedium*>(a.alloc(a.arena, sizeof(CorrMedium)));
      fixed_widen(static_cast<CorrCompact*>(state), m);
      a.release(state);
      return m;
    }
    case kCorrMedium: {
      CorrState* w = new_wide(a);
      fixed_to_wide(static_cast<CorrMedium*>(state), w);
      a.release(state);
      return w;
    }
    default:
      throw Error(sqlstate::kInternalError, "moving_corr: no larger state");
  }
}

}  // namespace

uint32_t corr_agg_kind(const void* state) {
  uint32_t kind;
  std::memcpy(&kind, state, sizeof kind);
  return kind;
}

std::size_t corr_agg_size(uint32_t kind) {
  switch (kind) {
    case kCorrCompact: return sizeof(CorrCompact);
    case kCorrMedium: return sizeof(CorrMedium);
    case kCorrWide: return sizeof(CorrState);
    default: return 0;
  }
}

void* corr_agg_new(const CorrArena& a, bool wide) {
  if (wide) return new_wide(a);
  auto* c = static_cast<CorrCompact*>(a.alloc(a.arena, sizeof(CorrCompact)));
  fixed_init(c);
  return c;
}

void* corr_agg_add(const CorrArena& a, void* state, double x, double y) {
  for (;;) {
    switch (corr_agg_kind(state)) {
      case kCorrCompact:
        if (fixed_add(static_cast<CorrCompact*>(state), x, y)) return state;
        break;
      case kCorrMedium:
        if (fixed_add(static_cast<CorrMedium*>(state), x, y)) return state;
        break;
      case kCorrWide:
        corr_add(static_cast<CorrState*>(state), x, y);
        return state;
      default:
        throw Error(sqlstate::kInternalError, "moving_corr: unknown state");
    }
    state = promote(a, state);
  }
}

void* corr_agg_combine(const CorrArena& a, void* into, const void* other) {
  for (;;) {
    uint32_t ka = corr_agg_kind(into), kb = corr_agg_kind(other);
    if (corr_agg_size(ka) == 0 || corr_agg_size(kb) == 0)
      throw Error(sqlstate::kInternalError, "moving_corr: unknown state");
    if (ka == kCorrWide) {
      auto* w = static_cast<CorrState*>(into);
      if (kb == kCorrCompact) {
        fixed_to_wide(static_cast<const CorrCompact*>(other), w);
      } else if (kb == kCorrMedium) {
        fixed_to_wide(static_cast<const CorrMedium*>(other), w);
      } else {
        corr_combine(w, static_cast<const CorrState*>(other));
      }
      return into;
    }
    if (ka == kb && ka == kCorrCompact) {
      if (fixed_combine(static_cast<CorrCompact*>(into), static_cast<const CorrCompact*>(other))) return into;
    } else if (ka == kb && ka == kCorrMedium) {
      if (fixed_combine(static_cast<CorrMedium*>(into), static_cast<const CorrMedium*>(other))) return into;
    } else if (ka == kCorrMedium && kb == kCorrCompact) {
      CorrMedium m;
      fixed_widen(static_cast<const CorrCompact*>(other), &m);
      if (fixed_combine(static_cast<CorrMedium*>(into), &m)) return into;
    }
    into = promote(a, into);
  }
}

CorrResult corr_agg_result(void* state) {
  switch (corr_agg_kind(state)) {
    case kCorrCompact: return fixed_result(static_cast<CorrCompact*>(state));
    case kCorrMedium: return fixed_result(static_cast<CorrMedium*>(state));
    case kCorrWide: return corr_result(static_cast<CorrState*>(state));
    default: throw Error(sqlstate::kInternalError, "moving_corr: unknown state");
  }
}

void corr_agg_prepare_serialize(void* state) {
  if (corr_agg_kind(state) == kCorrWide) corr_normalize(static_cast<CorrState*>(state));
}

}  // namespace pulse
