// The elements of a JSON array kept as text (pulse_internal.landing_chunks'
// payloads, issue 17): where each element starts and ends, found by a scan
// of the structure alone (strings, escapes, nesting), with no values built.
// The text is validated where it is stored (pg/landing.cpp, as jsonb's input
// would); this scan only cuts it, and stops at anything it cannot cut.
#pragma once

#include "core/no_postgres.h"

#include <cstddef>
#include <optional>
#include <string_view>
#include <vector>

namespace pulse {

struct Span {
  std::size_t begin;  // the element's first byte
  std::size_t end;    // one past its last byte (no white space around it)
};

// The elements of a JSON array text, in order: nullopt when the text (after
// leading white space) is not an array, or its brackets, braces or strings
// do not close, or anything but white space follows it.
std::optional<std::vector<Span>> json_array_spans(std::string_view text);

// Whether a JSON text may hold a number jsonb cannot take although the
// grammar does (numeric's range is reached only by an exponent or by more
// than 1,000 digits): true when, outside strings, a digit is followed by e
// or E, or a run of digits, '.', '-' and '+' is longer than 1,000 bytes.
// False means every number in the text is within numeric's range.
bool json_may_hold_wide_numbers(std::string_view text);

}  // namespace pulse
