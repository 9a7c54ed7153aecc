// Compiles: the same headers with core/ first, the order pg/ and entry/ use.
// The control for firewall.postgres_h_then_core (the include paths work).
#include "core/session.h"

extern "C" {
#include "postgres.h"
}
