// pulse-load's version: the release it belongs to, which is also the
// version of the pulse extension it needs (pulse.control's
// default_version, passed in by CMake as PULSE_VERSION).
#pragma once

#include <string>

#ifndef PULSE_VERSION
#error "PULSE_VERSION must be defined by the build (CMakeLists.txt reads it from pulse.control)"
#endif

namespace pulse::load {

inline constexpr const char* kPulseVersion = PULSE_VERSION;

// Older extension versions this loader still loads into, without what came
// later (0.1.0 has no pulse.declare_coverage: such a load records no
// coverage). Any other version than these and kPulseVersion is refused.
inline constexpr const char* kOlderLoadableVersions[] = {"0.1.0"};
bool is_older_loadable(const std::string& extension_version);

// `pulse-load --version`: its version, the extension version it needs, and
// the libpq, libcurl and jansson it runs with.
std::string version_text();

// -1, 0 or 1 as a is older, the same as or newer than b (dotted numbers;
// a missing part counts as 0, other text compares as text).
int compare_versions(const std::string& a, const std::string& b);

}  // namespace pulse::load
