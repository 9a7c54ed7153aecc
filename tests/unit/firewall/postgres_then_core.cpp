// Must NOT compile: a core/ header read after postgres.h trips the firewall
// (extension/core/no_postgres.h). CTest test firewall.postgres_h_then_core.
extern "C" {
#include "postgres.h"
}

#include "core/session.h"
