// Arrays for C++ callers (arrays.h).
#include <cstring>
#include <string>

#include "core/error.h"
#include "pg/arrays.h"
#include "pg/guard.h"

extern "C" {
#include "catalog/pg_type.h"
#include "utils/array.h"
#include "utils/memutils.h"
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

void float8_array_view(Datum d, const char* name, Float8ArrayView* out) {
  ArrayType* arr = static_cast<ArrayType*>(pg_guard([&] { return static_cast<void*>(DatumGetArrayTypeP(d)); }));
  if (ARR_NDIM(arr) > 1)
    throw Error(sqlstate::kInvalidParameterValue, std::string(name) + " must be a one-dimensional array");
  if (ARR_ELEMTYPE(arr) != FLOAT8OID)
    throw Error(sqlstate::kDatatypeMismatch, std::string(name) + " must be a float8 array");
  out->nulls.clear();
  out->copy.clear();
  if (ARR_NDIM(arr) == 0) {
    out->values = nullptr;
    out->size = 0;
    out->lower_bound = 1;
    return;
  }
  const std::size_t n = static_cast<std::size_t>(ARR_DIMS(arr)[0]);
  out->size = n;
  out->lower_bound = ARR_LBOUND(arr)[0];
  // float8 is 8-byte aligned in an array and MAXALIGN is 8: read in place.
  const double* data = reinterpret_cast<const double*>(ARR_DATA_PTR(arr));
  const bits8* bitmap = ARR_NULLBITMAP(arr);
  if (bitmap == nullptr) {
    out->values = data;
    return;
  }
  out->copy.assign(n, 0.0);
  out->nulls.assign(n, 0);
  std::size_t k = 0;  // NULL elements take no room in the data
  for (std::size_t i = 0; i < n; ++i) {
    if ((bitmap[i / 8] & (1 << (i % 8))) == 0) {
      out->nulls[i] = 1;
    } else {
      out->copy[i] = data[k++];
    }
  }
  out->values = out->copy.data();
}

Datum float8_array_datum(const double* values, const uint8_t* nulls, std::size_t n, int lower_bound) {
  if (n == 0) return PointerGetDatum(pg_guard([] { return construct_empty_array(FLOAT8OID); }));
  std::size_t present = n;
  if (nulls != nullptr) {
    present = 0;
    for (std::size_t i = 0; i < n; ++i) present += nulls[i] ? 0 : 1;
    if (present == n) nulls = nullptr;
  }
  const int nitems = static_cast<int>(n);
  const std::size_t offset = nulls != nullptr ? ARR_OVERHEAD_WITHNULLS(1, nitems) : ARR_OVERHEAD_NONULLS(1);
  const std::size_t bytes = offset + present * sizeof(double);
  if (n > MaxArraySize || bytes > MaxAllocSize)
    throw Error(sqlstate::kProgramLimitExceeded, "array size exceeds the maximum allowed",
                "The result would have " + std::to_string(n) + " elements.");
  auto* arr = static_cast<ArrayType*>(pg_guard([&] { return palloc0(bytes); }));
  SET_VARSIZE(arr, bytes);
  arr->ndim = 1;
  arr->dataoffset = nulls != nullptr ? static_cast<int32>(offset) : 0;
  arr->elemtype = FLOAT8OID;
  ARR_DIMS(arr)[0] = nitems;
  ARR_LBOUND(arr)[0] = lower_bound;
  auto* data = reinterpret_cast<double*>(ARR_DATA_PTR(arr));
  if (nulls == nullptr) {
    std::memcpy(data, values, n * sizeof(double));
  } else {
    bits8* bitmap = ARR_NULLBITMAP(arr);  // zeroed: every element NULL until set
    std::size_t k = 0;
    for (std::size_t i = 0; i < n; ++i) {
      if (nulls[i]) continue;
      bitmap[i / 8] |= static_cast<bits8>(1 << (i % 8));
      data[k++] = values[i];
    }
  }
  return PointerGetDatum(arr);
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
