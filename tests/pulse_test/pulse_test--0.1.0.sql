\echo Use "CREATE EXTENSION pulse_test" to load this file. \quit

CREATE FUNCTION pulse_test.raise(kind text) RETURNS text
  LANGUAGE c CALLED ON NULL INPUT AS 'MODULE_PATHNAME', 'pulse_test_raise';
CREATE FUNCTION pulse_test.catch_pg() RETURNS text
  LANGUAGE c AS 'MODULE_PATHNAME', 'pulse_test_catch_pg';
CREATE FUNCTION pulse_test.destructor_count() RETURNS bigint
  LANGUAGE c AS 'MODULE_PATHNAME', 'pulse_test_destructor_count';
