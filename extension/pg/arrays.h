// Arrays for C++ callers: a one-dimensional float8[] read into vectors.
#pragma once

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

}  // namespace pulse::pg
