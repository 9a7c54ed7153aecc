// Parsing of pulse.maintenance_databases (see maintenance_schedule.h).
#include "core/maintenance_schedule.h"

#include <algorithm>

#include "core/error.h"

namespace pulse {
namespace {

bool is_space(char c) { return c == ' ' || c == '\t' || c == '\n' || c == '\r'; }

[[noreturn]] void bad(const std::string& text, const std::string& why) {
  throw Error(sqlstate::kInvalidParameterValue, "invalid pulse.maintenance_databases: " + why,
              "The value was \"" + text + "\".",
              "Use \"*\" for every database, or a comma-separated list of names.");
}

}  // namespace

DatabaseSelection parse_database_selection(const std::string& text) {
  DatabaseSelection sel;
  size_t i = 0;
  const size_t n = text.size();
  auto skip_space = [&] { while (i < n && is_space(text[i])) ++i; };
  skip_space();
  if (i == n) return sel;  // nothing selected
  while (true) {
    skip_space();
    std::string name;
    bool quoted = false;
    if (i < n && text[i] == '"') {
      quoted = true;
      ++i;
      bool closed = false;
      while (i < n) {
        if (text[i] == '"') {
          if (i + 1 < n && text[i + 1] == '"') {  // "" is a literal quote
            name += '"';
            i += 2;
            continue;
          }
          ++i;
          closed = true;
          break;
        }
        name += text[i++];
      }
      if (!closed) bad(text, "unterminated quoted name");
      skip_space();
    } else {
      size_t start = i;
      while (i < n && text[i] != ',') ++i;
      size_t end = i;
      while (end > start && is_space(text[end - 1])) --end;
      name = text.substr(start, end - start);
    }
    if (name.empty()) bad(text, "empty database name");
    if (name.size() > 63) bad(text, "database name longer than 63 bytes");
    if (!quoted && name == "*") {
      sel.all = true;
    } else if (std::find(sel.names.begin(), sel.names.end(), name) == sel.names.end()) {
      sel.names.push_back(name);
    }
    if (i == n) break;
    if (text[i] != ',') bad(text, "expected a comma after a quoted name");
    ++i;
  }
  if (sel.all) {
    if (!sel.names.empty()) bad(text, "\"*\" cannot be combined with names");
  }
  return sel;
}

}  // namespace pulse
