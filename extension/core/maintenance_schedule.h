// What the maintenance background worker should visit: the parsed value of
// pulse.maintenance_databases. Pure C++ so it is unit-tested without a server.
#pragma once

#include "core/no_postgres.h"

#include <string>
#include <vector>

namespace pulse {

struct DatabaseSelection {
  bool all = false;                 // "*": every database that allows connections
  std::vector<std::string> names;   // otherwise these, in the order given, no duplicates
};

// Parses a comma-separated list of database names; "*" alone means all, and
// an empty or blank list means none. Names are trimmed; a name may be written
// in double quotes to keep commas, spaces or case ("My DB"). Throws
// pulse::Error (22023) on an unterminated quote, an empty item or a name
// longer than 63 bytes.
DatabaseSelection parse_database_selection(const std::string& text);

}  // namespace pulse
