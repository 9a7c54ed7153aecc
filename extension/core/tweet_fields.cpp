// See tweet_fields.h.
#include "core/tweet_fields.h"

#include <unordered_set>

namespace pulse {

std::optional<int64_t> parse_decimal(std::string_view s, int64_t max) {
  if (s.empty() || s.size() > 19) return std::nullopt;
  uint64_t v = 0;
  for (char c : s) {
    if (c < '0' || c > '9') return std::nullopt;
    v = v * 10 + static_cast<uint64_t>(c - '0');  // 19 digits fit in uint64
  }
  if (v > static_cast<uint64_t>(max)) return std::nullopt;
  return static_cast<int64_t>(v);
}

namespace {
size_t utf8_len(unsigned char lead) {
  if (lead < 0x80) return 1;
  if ((lead >> 5) == 0x6) return 2;
  if ((lead >> 4) == 0xE) return 3;
  if ((lead >> 3) == 0x1E) return 4;
  return 1;
}
}  // namespace

std::string_view strip_sigils(std::string_view s, std::string_view sigils) {
  for (;;) {
    if (s.empty()) return s;
    size_t n = std::min(utf8_len(static_cast<unsigned char>(s[0])), s.size());
    std::string_view ch = s.substr(0, n);
    bool found = false;
    for (size_t i = 0; i < sigils.size();) {
      size_t m = std::min(utf8_len(static_cast<unsigned char>(sigils[i])), sigils.size() - i);
      if (sigils.substr(i, m) == ch) {
        found = true;
        break;
      }
      i += m;
    }
    if (!found) return s;
    s.remove_prefix(n);
  }
}

std::vector<std::string> dedupe_in_order(std::vector<std::string> items) {
  std::vector<std::string> out;
  std::unordered_set<std::string> seen;
  for (auto& s : items) {
    if (s.empty() || !seen.insert(s).second) continue;
    out.push_back(std::move(s));
  }
  return out;
}

}  // namespace pulse
