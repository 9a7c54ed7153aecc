// The header firewall of core/: every core header includes this first, so a
// core header read after postgres.h fails the build. PostgreSQL's headers
// redefine library names as macros (snprintf -> pg_snprintf, printf, strerror,
// gettext's _): core code compiled after them would mean one thing in pulse.so
// and another in the unit tests. Include core headers before any PostgreSQL
// header (pg/ headers include postgres.h), or move the call into pg/.
#pragma once

#if defined(POSTGRES_H) || defined(POSTGRES_FE_H) || defined(PG_VERSION_NUM)
#error "extension/core/ must not see PostgreSQL headers: include core/ headers before postgres.h (and before any pg/ header)"
#endif
