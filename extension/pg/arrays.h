// Arrays for C++ callers: one-dimensional float8[] read into vectors or
// viewed in place, a float8[] made from C++ values, and text[] and bytea[]
// read as views.
#pragma once

#include <cstddef>
#include <cstdint>
#include <string_view>
#include <vector>

#include "pg/fmgr_glue.h"

namespace pulse::pg {

struct Float8Array {
  std::vector<double> values;  // 0 where NULL
  std::vector<bool> nulls;
};

// The elements of a float8[] datum. Throws pulse::Error naming the argument
// (`name`) when it has more than one dimension or another element type.
Float8Array float8_array(Datum d, const char* name);

// The elements of a float8[] without copying them when it has no NULL:
// values points into the (detoasted) array, valid for the current call.
struct Float8ArrayView {
  const double* values = nullptr;  // 0 where NULL
  std::size_t size = 0;
  std::vector<uint8_t> nulls;      // empty when no element is NULL, else 1 per NULL
  std::vector<double> copy;        // backs values when the array has NULLs
  int lower_bound = 1;
};
// Throws pulse::Error like float8_array.
void float8_array_view(Datum d, const char* name, Float8ArrayView* out);

// A one-dimensional float8[] (lower bound lower_bound) of n values; nulls:
// nullptr or n flags (non-zero: NULL). palloc'd in the current context.
Datum float8_array_datum(const double* values, const uint8_t* nulls, std::size_t n, int lower_bound);

// The non-NULL elements of a text[] datum, appended to out (cleared first);
// the views point into the array, which lives as long as the current memory
// context. Throws like float8_array.
void text_array_items(Datum d, const char* name, std::vector<std::string_view>* out);

// The elements of a bytea[] datum (views into it); a NULL element throws
// (22004).
std::vector<std::string_view> bytea_array(Datum d, const char* name);

}  // namespace pulse::pg
