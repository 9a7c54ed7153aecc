// text, text[] and bytea values for C++ callers (text.h).
#include <cstdint>
#include <cstring>

#include "core/error.h"
#include "pg/guard.h"
#include "pg/text.h"

extern "C" {
#include "catalog/pg_collation.h"
#include "catalog/pg_type.h"
#include "mb/pg_wchar.h"
#include "utils/array.h"
#include "utils/builtins.h"
#include "utils/formatting.h"
}

namespace pulse::pg {
namespace {

std::string_view varlena_view(Datum d) {
  auto* v = reinterpret_cast<struct varlena*>(DatumGetPointer(d));
  // Only a compressed or out-of-line value needs detoasting (and a guard,
  // which costs a sigsetjmp): PG_DETOAST_DATUM_PACKED returns the others as
  // they are, and most values a function reads a row at a time are those.
  if (VARATT_IS_COMPRESSED(v) || VARATT_IS_EXTERNAL(v))
    v = static_cast<struct varlena*>(pg_guard([&] { return static_cast<void*>(PG_DETOAST_DATUM_PACKED(d)); }));
  return std::string_view(VARDATA_ANY(v), VARSIZE_ANY_EXHDR(v));
}

Datum varlena_datum(const void* data, std::size_t size) {
  void* mem = pg_guard([&] { return palloc(VARHDRSZ + size); });
  auto* v = static_cast<struct varlena*>(mem);
  SET_VARSIZE(v, VARHDRSZ + size);
  if (size > 0) std::memcpy(VARDATA(v), data, size);
  return PointerGetDatum(v);
}

}  // namespace

std::string_view text_view(Datum d) { return varlena_view(d); }
std::string_view bytea_view(Datum d) { return varlena_view(d); }

Datum text_datum(std::string_view s) {
  // palloc refuses more than 1 GB itself (an ERROR, turned into PgError).
  return varlena_datum(s.data(), s.size());
}

Datum bytea_datum(const void* data, std::size_t size) { return varlena_datum(data, size); }

void* bytea_own_chunk(Datum d) noexcept {
  auto* v = reinterpret_cast<struct varlena*>(DatumGetPointer(d));
  if (v == nullptr || reinterpret_cast<std::uintptr_t>(v) % 8 != 0 || !VARATT_IS_4B_U(v)) return nullptr;
  return v;
}

void set_bytea_size(void* chunk, std::size_t total) noexcept { SET_VARSIZE(chunk, total); }

std::size_t bytea_chunk_size(const void* chunk) noexcept { return VARSIZE(chunk); }

Datum text_array_datum(const std::vector<std::string>& items) {
  const int n = static_cast<int>(items.size());
  auto* elems = static_cast<Datum*>(pg_guard([&] { return palloc(sizeof(Datum) * (items.size() + 1)); }));
  for (int i = 0; i < n; ++i) elems[i] = text_datum(items[static_cast<std::size_t>(i)]);
  ArrayType* arr = pg_guard([&] { return construct_array(elems, n, TEXTOID, -1, false, TYPALIGN_INT); });
  return PointerGetDatum(arr);
}

bool database_is_utf8() noexcept { return GetDatabaseEncoding() == PG_UTF8; }
const char* database_encoding_name() noexcept { return GetDatabaseEncodingName(); }

std::string lower(std::string_view s) {
  char* out = pg_guard([&] { return str_tolower(s.data(), s.size(), DEFAULT_COLLATION_OID); });
  return std::string(out);
}

int32_t int4_from_cstring(const char* s) {
  Datum d = pg_guard([&] { return DirectFunctionCall1(int4in, CStringGetDatum(s)); });
  return DatumGetInt32(d);
}

}  // namespace pulse::pg
