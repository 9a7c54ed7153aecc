// Arrays for C++ callers (arrays.h).
#include <string>

#include "core/error.h"
#include "pg/arrays.h"
#include "pg/guard.h"

extern "C" {
#include "catalog/pg_type.h"
#include "utils/array.h"
}

namespace pulse::pg {

Float8Array float8_array(Datum d, const char* name) {
  ArrayType* arr = static_cast<ArrayType*>(pg_guard([&] { return static_cast<void*>(DatumGetArrayTypeP(d)); }));
  if (ARR_NDIM(arr) > 1)
    throw Error(sqlstate::kInvalidParameterValue, std::string(name) + " must be a one-dimensional array");
  if (ARR_ELEMTYPE(arr) != FLOAT8OID)
    throw Error(sqlstate::kDatatypeMismatch, std::string(name) + " must be a float8 array");
  Datum* elems = nullptr;
  bool* isnull = nullptr;
  int n = 0;
  pg_guard([&] {
    deconstruct_array(arr, FLOAT8OID, sizeof(float8), FLOAT8PASSBYVAL, TYPALIGN_DOUBLE, &elems, &isnull, &n);
  });
  Float8Array out;
  out.values.resize(static_cast<size_t>(n));
  out.nulls.assign(static_cast<size_t>(n), false);
  for (int i = 0; i < n; ++i) {
    out.nulls[static_cast<size_t>(i)] = isnull[i];
    out.values[static_cast<size_t>(i)] = isnull[i] ? 0.0 : DatumGetFloat8(elems[i]);
  }
  return out;
}

}  // namespace pulse::pg
