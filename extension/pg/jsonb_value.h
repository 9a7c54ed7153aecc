// Reading one value inside an already parsed jsonb in place, with the
// semantics of SQL's -> / ->> / jsonb_typeof, for projections written in C++
// (entry/candles.cpp). Nothing is copied: views and numerics point into the
// (detoasted) jsonb, which lives as long as the current memory context.
#pragma once

#include <cstdint>
#include <optional>
#include <string>
#include <string_view>

#include "pg/fmgr_glue.h"

extern "C" {
#include "utils/jsonb.h"
}

namespace pulse::pg {

enum class JsonKind { kAbsent, kNull, kString, kNumber, kBool, kObject, kArray };

class JsonRef {
 public:
  // The root of a jsonb datum (detoasted here).
  static JsonRef root(Datum jsonb);
  JsonRef() = default;

  // jsonb_typeof, kAbsent for SQL NULL (a missing key or index).
  JsonKind kind() const noexcept { return kind_; }
  bool absent() const noexcept { return kind_ == JsonKind::kAbsent; }
  // -> 'key': absent unless this is an object holding key.
  JsonRef field(std::string_view key) const;
  // -> i: the i-th element of an array; a scalar answers as an array of one
  // (as jsonb's -> does on a scalar document).
  JsonRef element(int i) const;
  // jsonb_array_length (arrays only; 0 for anything else).
  int array_length() const noexcept;
  // ->>: a string as is, a number or boolean as printed, an object or array
  // as its JSON text; nullopt for JSON null and absent.
  std::optional<std::string> text() const;
  // The bytes of a string (empty for anything else).
  std::string_view string() const noexcept;
  // A number's numeric datum (0 for anything else), and its numeric_out.
  Datum numeric() const noexcept;
  std::string number_text() const;

 private:
  JsonRef(const JsonbValue& v, bool scalar_doc);
  JsonKind kind_ = JsonKind::kAbsent;
  JsonbValue v_{};
  // A scalar taken out of its container by -> is a document of its own, to
  // which -> 0 answers itself (jsonb stores it as a one-element array).
  bool scalar_doc_ = false;
};

}  // namespace pulse::pg
