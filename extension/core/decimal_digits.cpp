// See decimal_digits.h.
#include "core/decimal_digits.h"

namespace pulse {

namespace {
bool is_digit(char c) { return c >= '0' && c <= '9'; }
}  // namespace

std::optional<DecimalDigits> short_decimal_digits(std::string_view s) {
  DecimalDigits d;
  size_t i = 0;
  if (i < s.size() && s[i] == '-') {
    d.negative = true;
    ++i;
  }
  const size_t int_begin = i;
  while (i < s.size() && is_digit(s[i])) ++i;
  const size_t int_end = i;
  if (int_end == int_begin) return std::nullopt;
  size_t frac_begin = int_end, frac_end = int_end;
  if (i < s.size()) {
    if (s[i] != '.') return std::nullopt;
    frac_begin = ++i;
    while (i < s.size() && is_digit(s[i])) ++i;
    frac_end = i;
    if (frac_end == frac_begin || i != s.size()) return std::nullopt;
  }
  const size_t nfrac = frac_end - frac_begin;
  if (nfrac > 63) return std::nullopt;
  d.dscale = static_cast<int>(nfrac);
  // Integer digits without leading zeros: its groups end at the point.
  size_t ib = int_begin;
  while (ib < int_end && s[ib] == '0') ++ib;
  const size_t nint = int_end - ib;
  const size_t int_groups = (nint + 3) / 4;
  const size_t frac_groups = (nfrac + 3) / 4;
  if (int_groups > 64) return std::nullopt;
  // The decimal digits aligned on the point: the integer part padded on the
  // left to whole groups, then the fraction padded on the right.
  const size_t total = int_groups + frac_groups;
  std::array<int16_t, DecimalDigits::kMaxGroups> all{};
  std::array<uint8_t, DecimalDigits::kMaxGroups * 4> dec{};
  size_t n = int_groups * 4 - nint;
  for (size_t k = ib; k < int_end; ++k) dec[n++] = static_cast<uint8_t>(s[k] - '0');
  for (size_t k = frac_begin; k < frac_end; ++k) dec[n++] = static_cast<uint8_t>(s[k] - '0');
  for (size_t g = 0; g < total; ++g)
    all[g] = static_cast<int16_t>(dec[4 * g] * 1000 + dec[4 * g + 1] * 100 + dec[4 * g + 2] * 10 + dec[4 * g + 3]);
  size_t first = 0;
  while (first < total && all[first] == 0) ++first;
  size_t last = total;
  while (last > first && all[last - 1] == 0) --last;
  if (first == last) {  // zero: positive, weight 0, no digits
    d.negative = false;
    d.weight = 0;
    d.ngroups = 0;
    return d;
  }
  d.weight = static_cast<int>(int_groups) - 1 - static_cast<int>(first);
  if (d.weight < -64 || d.weight > 63) return std::nullopt;
  d.ngroups = static_cast<int>(last - first);
  for (size_t g = first; g < last; ++g) d.groups[g - first] = all[g];
  return d;
}

}  // namespace pulse
