-- The extension installs into schema pulse with its built-in tables.
CREATE EXTENSION pulse;
CREATE EXTENSION pulse_test;
SELECT extname, extversion, extnamespace::regnamespace FROM pg_extension WHERE extname LIKE 'pulse%' ORDER BY 1;
SELECT c.relname, c.relkind
  FROM pg_class c
 WHERE c.relnamespace = 'pulse'::regnamespace AND c.relkind IN ('r', 'p') AND NOT c.relispartition
 ORDER BY 1;
-- the test hooks live in their own extension, never installed for users
SELECT count(*) > 0 AS has_functions FROM pg_proc WHERE pronamespace = 'pulse_test'::regnamespace;
