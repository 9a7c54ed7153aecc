-- Search-path hardening, after every other part so it sees every function.
-- Each PL/pgSQL function of the extension runs with search_path pinned to
-- pg_catalog, pg_temp: an object a user creates in a schema that comes first
-- in someone's search_path (an operator =(text,text), a function format(text,
-- text)) can then never stand in for the built-in one inside Pulse, even when
-- an administrator or the maintenance worker runs the function. Functions
-- keep their caller's rights; SECURITY DEFINER ones already pin the path.
-- SQL-language helpers are left alone: a SET clause would stop the planner
-- from inlining them, and they are only reached through pinned callers or
-- hold nothing but schema-qualified or built-in names.
DO $$
DECLARE
  f regprocedure;
BEGIN
  FOR f IN
    SELECT p.oid FROM pg_catalog.pg_proc p
     WHERE p.pronamespace = 'pulse'::regnamespace
       AND (p.prolang = (SELECT oid FROM pg_catalog.pg_language WHERE lanname = 'plpgsql')
            OR p.oid = 'pulse.run_maintenance(regclass)'::regprocedure)
       AND NOT EXISTS (SELECT 1 FROM pg_catalog.unnest(p.proconfig) c WHERE c LIKE 'search\_path=%')
  LOOP
    EXECUTE pg_catalog.format('ALTER FUNCTION %s SET search_path = pg_catalog, pg_temp', f);
  END LOOP;
END $$;

-- Internal functions that write are not for PUBLIC: the definer entry points
-- (apply_batch, reapply, ensure_partitions) call them as the extension's
-- owner; nobody else needs them.
DO $$
DECLARE
  f regprocedure;
BEGIN
  FOR f IN
    SELECT p.oid FROM pg_catalog.pg_proc p
     WHERE p.pronamespace = 'pulse'::regnamespace AND p.proname LIKE '\_%' AND p.provolatile = 'v'
       AND pg_catalog.has_function_privilege('public', p.oid, 'EXECUTE')
  LOOP
    EXECUTE pg_catalog.format('REVOKE EXECUTE ON FUNCTION %s FROM PUBLIC', f);
  END LOOP;
END $$;
