// jsonb values for C++ callers: what the tweet projections read of them.
#pragma once

#include <optional>
#include <string>
#include <string_view>
#include <vector>

#include "pg/fmgr_glue.h"

namespace pulse::pg {

// The text of a JSON scalar string or number (a number as jsonb prints it);
// nullopt for any other value.
std::optional<std::string> jsonb_scalar_text(Datum jsonb);

// For a JSON array: the string value of `field` in each element that is an
// object with that field holding a string, in array order. Anything else
// (not an array, other elements, other types) contributes nothing.
std::vector<std::string> jsonb_array_field_strings(Datum jsonb, std::string_view field);

}  // namespace pulse::pg
