-- pulse: the install script of the current version, assembled by
-- Makefile.pgxs: this header, install/tables.sql (the objects that hold
-- data), every code/*.sql in name order (functions, views, comments,
-- privileges: also the tail of every upgrade script), install/builtin.sql.
\echo Use "CREATE EXTENSION pulse" to load this file. \quit

-- What only Pulse's own functions use: not part of the public surface.
CREATE SCHEMA pulse_internal;
