// Defining the pulse.* settings (GUCs) from C++.
#pragma once

#include <cstddef>

#include "pg/fmgr_glue.h"

extern "C" {
#include "utils/guc.h"
}

namespace pulse::pg {

// Who may change a setting, and when it takes effect.
enum class GucScope {
  kUser,    // any session, SET (PGC_USERSET)
  kReload,  // postgresql.conf / ALTER SYSTEM, on reload (PGC_SIGHUP)
};

// Checks a proposed string value; on refusal writes why into err (a
// NUL-terminated message of at most errcap bytes).
using StringCheck = bool (*)(const char* value, char* err, std::size_t errcap) noexcept;

void define_bool_guc(const char* name, const char* short_desc, const char* long_desc, bool* value,
                     bool boot_value, GucScope scope);
// unit_seconds: the value is in seconds and may be written with a unit ("10min").
void define_int_guc(const char* name, const char* short_desc, const char* long_desc, int* value,
                    int boot_value, int min_value, int max_value, GucScope scope, bool unit_seconds);

namespace detail {
// PostgreSQL's check hook has no closure argument, so each StringCheck gets
// its own instance of this hook.
template <StringCheck kCheck>
bool string_check_hook(char** newval, void** extra, GucSource source) {
  char err[256];
  if (kCheck(*newval != nullptr ? *newval : "", err, sizeof err)) return true;
  GUC_check_errdetail("%s", err);
  return false;
}
void define_string_guc(const char* name, const char* short_desc, const char* long_desc, char** value,
                       const char* boot_value, GucScope scope, GucStringCheckHook hook);
}  // namespace detail

// A string setting whose every new value kCheck must accept.
template <StringCheck kCheck>
void define_string_guc(const char* name, const char* short_desc, const char* long_desc, char** value,
                       const char* boot_value, GucScope scope) {
  detail::define_string_guc(name, short_desc, long_desc, value, boot_value, scope,
                            &detail::string_check_hook<kCheck>);
}

}  // namespace pulse::pg
