// A value of a record read from its text (core/json_tree.h) with the reading
// semantics of pg/jsonb_value.h's JsonRef (-> / ->> / jsonb_typeof), so a
// projection written once over either reads the same values: the candle
// projections (entry/candles.cpp) read landing chunks' text with it and go
// the jsonb way for a record when TextRef cannot answer as jsonb would (a
// container asked for its text throws NeedsJsonb, whose printing is
// jsonb's own). Numbers are numeric_in of their text, as jsonb's input
// makes them.
#pragma once

#include <optional>
#include <string>
#include <string_view>

#include "core/json_tree.h"
#include "pg/fmgr_glue.h"
#include "pg/jsonb_value.h"

namespace pulse::pg {

// Thrown where a text reading could differ from jsonb's.
struct NeedsJsonb {};

class TextRef {
 public:
  // The root of the record `tree` parsed last.
  static TextRef root(const json::Tree& tree) { return TextRef(&tree, tree.root()); }
  TextRef() = default;

  JsonKind kind() const noexcept;
  TextRef field(std::string_view key) const;
  // As JsonRef::element: a scalar answers -> 0 with itself.
  TextRef element(int i) const;
  int array_length() const noexcept;
  // ->>; throws NeedsJsonb for an object or array.
  std::optional<std::string> text() const;
  std::string_view string() const noexcept;
  // numeric_in of the number's text (0 for anything else).
  Datum numeric() const;
  // numeric_out of numeric(), without making it: the text itself (it has no
  // exponent), but for a negative zero, which numeric keeps unsigned.
  std::string number_text() const;

 private:
  TextRef(const json::Tree* t, json::Tree::Node n) : tree_(t), node_(n) {}
  const json::Tree* tree_ = nullptr;
  json::Tree::Node node_ = json::Tree::kNone;
};

}  // namespace pulse::pg
