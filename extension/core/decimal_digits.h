// A plain decimal's digits in base 10,000, the way PostgreSQL's numeric
// stores them (utils/adt/numeric.c): groups of four decimal digits aligned
// on the decimal point, leading and trailing zero groups dropped, the
// weight of the first group (10000^weight), the count of digits after the
// point (dscale), and zero always positive with weight 0. numeric_in makes
// exactly this of such a text; pg/projection.cpp packs it into a numeric
// without calling numeric_in (about a quarter of the candle projection's
// time went into numeric_in's general parser, issue 17).
#pragma once

#include "core/no_postgres.h"

#include <array>
#include <cstdint>
#include <optional>
#include <string_view>

namespace pulse {

struct DecimalDigits {
  // A numeric's short form holds weights -64..63 and dscale 0..63: at most
  // 64 integer groups and 16 fraction groups.
  static constexpr int kMaxGroups = 80;
  bool negative = false;
  int weight = 0;
  int dscale = 0;
  int ngroups = 0;
  std::array<int16_t, kMaxGroups> groups{};
};

// The digits of -?[0-9]+(\.[0-9]+)? whose numeric fits PostgreSQL's short
// form (weight -64..63, at most 63 digits after the point); nullopt for any
// other text, which then goes to numeric_in.
std::optional<DecimalDigits> short_decimal_digits(std::string_view s);

}  // namespace pulse
