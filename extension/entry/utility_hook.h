// The ProcessUtility hook that lets pg_restore rebuild a Pulse database
// (see utility_hook.cpp).
#pragma once

namespace pulse::entry {

// Installs the hook in front of any other; from _PG_init.
void install_utility_hook() noexcept;

}  // namespace pulse::entry
