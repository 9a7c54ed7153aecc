// jsonb values for C++ callers (jsonb.h).
#include "core/error.h"
#include "pg/guard.h"
#include "pg/interrupts.h"
#include "pg/jsonb.h"

extern "C" {
#include "utils/builtins.h"
#include "utils/jsonb.h"
#include "utils/numeric.h"
}

namespace pulse::pg {
namespace {

Jsonb* detoast(Datum d) {
  return static_cast<Jsonb*>(pg_guard([&] { return static_cast<void*>(DatumGetJsonbP(d)); }));
}

}  // namespace

std::optional<std::string> jsonb_scalar_text(Datum d) {
  Jsonb* jb = detoast(d);
  if (!JB_ROOT_IS_SCALAR(jb)) return std::nullopt;
  JsonbValue v;
  bool ok = pg_guard([&] { return JsonbExtractScalar(&jb->root, &v); });
  if (!ok) return std::nullopt;
  if (v.type == jbvString) return std::string(v.val.string.val, v.val.string.len);
  if (v.type == jbvNumeric) {
    char* s = pg_guard([&] { return DatumGetCString(DirectFunctionCall1(numeric_out, NumericGetDatum(v.val.numeric))); });
    return std::string(s);
  }
  return std::nullopt;
}

std::vector<std::string> jsonb_array_field_strings(Datum d, std::string_view field) {
  std::vector<std::string> out;
  Jsonb* jb = detoast(d);
  if (!JB_ROOT_IS_ARRAY(jb) || JB_ROOT_IS_SCALAR(jb)) return out;
  JsonbIterator* it = pg_guard([&] { return JsonbIteratorInit(&jb->root); });
  JsonbValue v;
  for (long i = 0;; ++i) {
    if (i % 4096 == 0) check_for_interrupts();  // a jsonb array may hold millions of elements
    JsonbIteratorToken tok = pg_guard([&] { return JsonbIteratorNext(&it, &v, true); });
    if (tok == WJB_DONE) break;
    if (tok != WJB_ELEM || v.type != jbvBinary || !JsonContainerIsObject(v.val.binary.data)) continue;
    JsonbValue member;
    JsonbValue* found = pg_guard([&] {
      return getKeyJsonValueFromContainer(v.val.binary.data, field.data(), static_cast<int>(field.size()), &member);
    });
    if (found == nullptr || found->type != jbvString) continue;
    out.emplace_back(found->val.string.val, found->val.string.len);
  }
  return out;
}

}  // namespace pulse::pg
