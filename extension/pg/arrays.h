// Arrays for C++ callers: one-dimensional float8[], text[] and bytea[] read
// into vectors.
#pragma once

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

// The non-NULL elements of a text[] datum, appended to out (cleared first);
// the views point into the array, which lives as long as the current memory
// context. Throws like float8_array.
void text_array_items(Datum d, const char* name, std::vector<std::string_view>* out);

// The elements of a bytea[] datum (views into it); a NULL element throws
// (22004).
std::vector<std::string_view> bytea_array(Datum d, const char* name);

}  // namespace pulse::pg
