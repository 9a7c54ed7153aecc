// In-place reads of jsonb values (jsonb_value.h).
#include "core/error.h"
#include "pg/guard.h"
#include "pg/jsonb_value.h"

extern "C" {
#include "utils/builtins.h"
#include "utils/numeric.h"
}

namespace pulse::pg {
namespace {

JsonKind scalar_kind(const JsonbValue& v) noexcept {
  switch (v.type) {
    case jbvNull: return JsonKind::kNull;
    case jbvString: return JsonKind::kString;
    case jbvNumeric: return JsonKind::kNumber;
    case jbvBool: return JsonKind::kBool;
    default: return JsonKind::kAbsent;
  }
}

}  // namespace

JsonRef::JsonRef(const JsonbValue& v, bool scalar_doc) : v_(v), scalar_doc_(scalar_doc) {
  if (v.type == jbvBinary) {
    JsonbContainer* c = v.val.binary.data;
    kind_ = JsonContainerIsObject(c) ? JsonKind::kObject : JsonKind::kArray;
  } else {
    kind_ = scalar_kind(v);
  }
}

JsonRef JsonRef::root(Datum d) {
  Jsonb* jb = static_cast<Jsonb*>(pg_guard([&] { return static_cast<void*>(DatumGetJsonbP(d)); }));
  JsonbValue v;
  if (JB_ROOT_IS_SCALAR(jb)) {
    bool ok = pg_guard([&] { return JsonbExtractScalar(&jb->root, &v); });
    if (!ok) return JsonRef();
    return JsonRef(v, true);
  }
  v.type = jbvBinary;
  v.val.binary.data = &jb->root;
  v.val.binary.len = static_cast<int>(VARSIZE(jb) - VARHDRSZ);
  return JsonRef(v, false);
}

JsonRef JsonRef::field(std::string_view key) const {
  if (kind_ != JsonKind::kObject) return JsonRef();
  JsonbValue out;
  JsonbValue* found = pg_guard([&] {
    return getKeyJsonValueFromContainer(v_.val.binary.data, key.data(), static_cast<int>(key.size()), &out);
  });
  if (found == nullptr) return JsonRef();
  return JsonRef(*found, found->type != jbvBinary);
}

JsonRef JsonRef::element(int i) const {
  if (scalar_doc_) return i == 0 ? *this : JsonRef();
  if (kind_ != JsonKind::kArray || i < 0) return JsonRef();
  JsonbValue* found = pg_guard([&] { return getIthJsonbValueFromContainer(v_.val.binary.data, static_cast<uint32>(i)); });
  if (found == nullptr) return JsonRef();
  JsonRef r(*found, found->type != jbvBinary);
  pfree(found);
  return r;
}

int JsonRef::array_length() const noexcept {
  if (kind_ != JsonKind::kArray) return 0;
  return static_cast<int>(JsonContainerSize(v_.val.binary.data));
}

std::optional<std::string> JsonRef::text() const {
  switch (kind_) {
    case JsonKind::kString: return std::string(v_.val.string.val, v_.val.string.len);
    case JsonKind::kNumber: return number_text();
    case JsonKind::kBool: return std::string(v_.val.boolean ? "true" : "false");
    case JsonKind::kObject:
    case JsonKind::kArray: {
      char* s = pg_guard([&] { return JsonbToCString(nullptr, v_.val.binary.data, v_.val.binary.len); });
      std::string out(s);
      pfree(s);
      return out;
    }
    default: return std::nullopt;
  }
}

std::string_view JsonRef::string() const noexcept {
  if (kind_ != JsonKind::kString) return {};
  return std::string_view(v_.val.string.val, static_cast<size_t>(v_.val.string.len));
}

Datum JsonRef::numeric() const noexcept {
  return kind_ == JsonKind::kNumber ? NumericGetDatum(v_.val.numeric) : static_cast<Datum>(0);
}

std::string JsonRef::number_text() const {
  if (kind_ != JsonKind::kNumber) return {};
  char* s = pg_guard([&] { return DatumGetCString(DirectFunctionCall1(numeric_out, NumericGetDatum(v_.val.numeric))); });
  std::string out(s);
  pfree(s);
  return out;
}

}  // namespace pulse::pg
