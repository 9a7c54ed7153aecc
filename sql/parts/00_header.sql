-- pulse: the extension's install script, assembled by Makefile.pgxs from
-- sql/parts/*.sql in name order into pulse--<version>.sql.
\echo Use "CREATE EXTENSION pulse" to load this file. \quit
