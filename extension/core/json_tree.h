// A small JSON record read with simdjson's On-Demand parser into a tree of
// its values, numbers kept as the text they were written with (issue 17).
// The candle projections (entry/candles.cpp) read landing records with it
// instead of parsing each into jsonb: a price that arrives as a JSON number
// (Upbit's) must reach numeric exactly, which a reader that turns numbers
// into doubles (json_record.h's DOM) cannot give, while numeric_in of the
// number's own text gives what jsonb's input gives.
// parse() refuses (the caller goes the jsonb way) whatever jsonb could read
// apart: an escaped NUL or a lone surrogate, nesting deeper than kMaxDepth,
// a number that could leave numeric's range (one with an exponent or over
// 1,000 characters), text over kMaxText, or anything simdjson finds
// malformed. An object's key
// holds the last of its duplicates, as in jsonb. Strings are UTF-8: use it
// in a UTF-8 database only.
#pragma once

#include "core/no_postgres.h"

#include <cstddef>
#include <cstdint>
#include <memory>
#include <string_view>

namespace pulse::json {

enum class TreeKind { kAbsent, kNull, kString, kNumber, kBool, kObject, kArray };

class Tree {
 public:
  // A value of the record parsed last; kNone is no value.
  using Node = int32_t;
  static constexpr Node kNone = -1;
  static constexpr std::size_t kMaxText = 1 << 20;
  static constexpr int kMaxDepth = 64;

  Tree();
  ~Tree();
  Tree(const Tree&) = delete;
  Tree& operator=(const Tree&) = delete;

  // Reads text; false when it must be read as jsonb (see above). Nodes and
  // views of an earlier parse become invalid.
  bool parse(std::string_view text);

  Node root() const { return 0; }
  TreeKind kind(Node n) const;
  // An object's value for key (its last), kNone if absent or not an object.
  Node field(Node n, std::string_view key) const;
  // An array's i-th element, kNone when there is none.
  Node element(Node n, int i) const;
  // An array's length (0 for anything else).
  int size(Node n) const;
  // A string's unescaped text; a number's text as written (no white space).
  std::string_view text(Node n) const;
  bool boolean(Node n) const;

 private:
  struct Impl;
  std::unique_ptr<Impl> impl_;
};

}  // namespace pulse::json
