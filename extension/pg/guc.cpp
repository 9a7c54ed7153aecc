// Defining the pulse.* settings from C++ (guc.h).
#include "core/error.h"
#include "pg/guard.h"
#include "pg/guc.h"

namespace pulse::pg {
namespace {

GucContext context(GucScope scope) { return scope == GucScope::kReload ? PGC_SIGHUP : PGC_USERSET; }

}  // namespace

void define_bool_guc(const char* name, const char* short_desc, const char* long_desc, bool* value,
                     bool boot_value, GucScope scope) {
  pg_guard([&] {
    DefineCustomBoolVariable(name, short_desc, long_desc, value, boot_value, context(scope), 0, nullptr, nullptr,
                             nullptr);
  });
}

void define_int_guc(const char* name, const char* short_desc, const char* long_desc, int* value,
                    int boot_value, int min_value, int max_value, GucScope scope, bool unit_seconds) {
  pg_guard([&] {
    DefineCustomIntVariable(name, short_desc, long_desc, value, boot_value, min_value, max_value, context(scope),
                            unit_seconds ? GUC_UNIT_S : 0, nullptr, nullptr, nullptr);
  });
}

void detail::define_string_guc(const char* name, const char* short_desc, const char* long_desc, char** value,
                               const char* boot_value, GucScope scope, GucStringCheckHook hook) {
  pg_guard([&] {
    DefineCustomStringVariable(name, short_desc, long_desc, value, boot_value, context(scope), 0, hook, nullptr,
                               nullptr);
  });
}

}  // namespace pulse::pg
