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

-- Helpers the later test files share (pg_regress gives each file a session
-- of its own, so pg_temp functions cannot be shared). Schema regress exists
-- only in the regression database.
CREATE SCHEMA regress;
GRANT USAGE ON SCHEMA regress TO PUBLIC;
-- regress.try runs a statement and shows the SQLSTATE, message, detail and
-- hint it raised (stable output, unlike VERBOSITY verbose's source lines),
-- with OIDs masked as they differ from run to run; with detail => false only
-- the SQLSTATE and message.
CREATE FUNCTION regress.try(stmt text, detail boolean DEFAULT true) RETURNS text LANGUAGE plpgsql AS $$
DECLARE
  st text; msg text; det text; hnt text;
BEGIN
  EXECUTE stmt;
  RETURN 'no error';
EXCEPTION WHEN OTHERS THEN
  GET STACKED DIAGNOSTICS st = RETURNED_SQLSTATE, msg = MESSAGE_TEXT, det = PG_EXCEPTION_DETAIL, hnt = PG_EXCEPTION_HINT;
  IF NOT detail THEN
    RETURN st || ': ' || msg;
  END IF;
  RETURN regexp_replace(st || ': ' || msg || coalesce(nullif(' | detail: ' || det, ' | detail: '), '')
                        || coalesce(nullif(' | hint: ' || hnt, ' | hint: '), ''), 'OID \d+', 'OID <n>', 'g');
END $$;
-- regress.cover makes public.<name> the partition of parent for [lo, hi),
-- unless a partition already covers the range.
CREATE FUNCTION regress.cover(parent regclass, name text, lo timestamptz, hi timestamptz) RETURNS void
LANGUAGE plpgsql AS $$
BEGIN
  EXECUTE format('CREATE TABLE public.%I PARTITION OF %s FOR VALUES FROM (%L) TO (%L)', name, parent, lo, hi);
EXCEPTION WHEN invalid_object_definition THEN
  NULL;  -- the range is already covered by a partition
END
$$;
