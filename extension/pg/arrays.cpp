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

namespace {

struct Elements {
  Datum* values = nullptr;
  bool* isnull = nullptr;
  int n = 0;
};

// The elements of a one-dimensional array of type elem (len, byval, align
// as pg_type has them).
Elements elements(Datum d, const char* name, Oid elem, const char* type_name, int len, bool byval, char align) {
  ArrayType* arr = static_cast<ArrayType*>(pg_guard([&] { return static_cast<void*>(DatumGetArrayTypeP(d)); }));
  if (ARR_NDIM(arr) > 1)
    throw Error(sqlstate::kInvalidParameterValue, std::string(name) + " must be a one-dimensional array");
  if (ARR_ELEMTYPE(arr) != elem)
    throw Error(sqlstate::kDatatypeMismatch, std::string(name) + " must be a " + type_name + " array");
  Elements e;
  pg_guard([&] { deconstruct_array(arr, elem, len, byval, align, &e.values, &e.isnull, &e.n); });
  return e;
}

// A varlena element of an array: never compressed or out of line there.
std::string_view element_view(Datum v) {
  return std::string_view(VARDATA_ANY(DatumGetPointer(v)), VARSIZE_ANY_EXHDR(DatumGetPointer(v)));
}

}  // namespace

Float8Array float8_array(Datum d, const char* name) {
  Elements e = elements(d, name, FLOAT8OID, "float8", sizeof(float8), FLOAT8PASSBYVAL, TYPALIGN_DOUBLE);
  Datum* elems = e.values;
  bool* isnull = e.isnull;
  int n = e.n;
  Float8Array out;
  out.values.resize(static_cast<size_t>(n));
  out.nulls.assign(static_cast<size_t>(n), false);
  for (int i = 0; i < n; ++i) {
    out.nulls[static_cast<size_t>(i)] = isnull[i];
    out.values[static_cast<size_t>(i)] = isnull[i] ? 0.0 : DatumGetFloat8(elems[i]);
  }
  return out;
}

void text_array_items(Datum d, const char* name, std::vector<std::string_view>* out) {
  Elements e = elements(d, name, TEXTOID, "text", -1, false, TYPALIGN_INT);
  out->clear();
  for (int i = 0; i < e.n; ++i)
    if (!e.isnull[i]) out->push_back(element_view(e.values[i]));
}

std::vector<std::string_view> bytea_array(Datum d, const char* name) {
  Elements e = elements(d, name, BYTEAOID, "bytea", -1, false, TYPALIGN_INT);
  std::vector<std::string_view> out(static_cast<std::size_t>(e.n));
  for (int i = 0; i < e.n; ++i) {
    if (e.isnull[i]) throw Error(sqlstate::kNullValueNotAllowed, std::string(name) + " must not hold NULL");
    out[static_cast<std::size_t>(i)] = element_view(e.values[i]);
  }
  return out;
}

}  // namespace pulse::pg
