-- One line per fact of the pulse extension's catalog, with no OIDs, so that
-- two databases can be compared with diff: the extension and its members,
-- schemas, tables and their columns, constraints, indexes, triggers,
-- policies and rules, views, functions (full definitions with their
-- settings), aggregates, types, sequences, privileges, comments, the tables
-- registered with pg_extension_config_dump, and the rows the extension
-- itself installs into its registries (formats, built-in managed tables). Partitions are data, not catalog:
-- left out.
\set ON_ERROR_STOP on
SET search_path = pg_catalog;
-- An ACL as a set: the order of its items says nothing.
CREATE FUNCTION pg_temp.acl(a aclitem[]) RETURNS text LANGUAGE sql IMMUTABLE
  AS 'SELECT array_agg(x::text ORDER BY x::text)::text FROM unnest(a) AS x';
WITH ext AS (
  SELECT e.oid, e.extname, e.extversion, e.extrelocatable, e.extnamespace, e.extconfig, e.extcondition
    FROM pg_extension e WHERE e.extname = 'pulse'
), member AS (
  SELECT d.classid, d.objid, d.objsubid
    FROM pg_depend d, ext WHERE d.refclassid = 'pg_extension'::regclass AND d.refobjid = ext.oid AND d.deptype = 'e'
), nsp AS (
  SELECT n.oid, n.nspname FROM pg_namespace n
   WHERE n.oid IN (SELECT extnamespace FROM ext)
      OR n.oid IN (SELECT objid FROM member WHERE classid = 'pg_namespace'::regclass)
), rel AS (
  SELECT c.oid, c.relkind, format('%I.%I', n.nspname, c.relname) AS name, c.relacl, c.reloptions,
         c.relpersistence, c.relrowsecurity, c.relforcerowsecurity, c.reltablespace
    FROM pg_class c JOIN nsp n ON n.oid = c.relnamespace
   WHERE NOT c.relispartition AND c.relkind IN ('r', 'p', 'v', 'm', 'S', 'f', 'c')
), fn AS (
  SELECT p.oid, p.oid::regprocedure::text AS name, p.prokind, p.proacl
    FROM pg_proc p JOIN nsp n ON n.oid = p.pronamespace
)
SELECT line FROM (
  SELECT format('extension %s version %s relocatable %s schema %s', extname, extversion, extrelocatable,
                extnamespace::regnamespace) AS line FROM ext
  UNION ALL
  SELECT 'member ' || pg_describe_object(classid, objid, objsubid) FROM member
  UNION ALL
  SELECT format('config dump %s where %L', c::regclass, w)
    FROM ext, unnest(ext.extconfig, ext.extcondition) AS u(c, w)
  UNION ALL
  SELECT format('schema %I owner-is-superuser %s acl %s comment %L', n.nspname,
                (SELECT rolsuper FROM pg_roles r WHERE r.oid = s.nspowner), pg_temp.acl(s.nspacl),
                obj_description(n.oid, 'pg_namespace'))
    FROM nsp n JOIN pg_namespace s ON s.oid = n.oid
  UNION ALL
  SELECT format('relation %s kind %s persistence %s options %s rls %s/%s tablespace %s acl %s comment %L',
                r.name, r.relkind, r.relpersistence, r.reloptions, r.relrowsecurity, r.relforcerowsecurity,
                r.reltablespace, pg_temp.acl(r.relacl), obj_description(r.oid, 'pg_class'))
    FROM rel r
  UNION ALL
  SELECT format('column %s #%s %I %s notnull %s default %s identity %L generated %L storage %s compression %L collation %s acl %s comment %L',
                r.name, rank() OVER (PARTITION BY r.oid ORDER BY a.attnum), a.attname,
                format_type(a.atttypid, a.atttypmod), a.attnotnull, pg_get_expr(ad.adbin, ad.adrelid),
                a.attidentity, a.attgenerated, a.attstorage, a.attcompression, a.attcollation::regcollation,
                pg_temp.acl(a.attacl), col_description(r.oid, a.attnum))
    FROM rel r JOIN pg_attribute a ON a.attrelid = r.oid AND a.attnum > 0 AND NOT a.attisdropped
    LEFT JOIN pg_attrdef ad ON ad.adrelid = a.attrelid AND ad.adnum = a.attnum
  UNION ALL
  SELECT format('constraint %s %I %s deferrable %s comment %L', r.name, con.conname, pg_get_constraintdef(con.oid),
                con.condeferrable, obj_description(con.oid, 'pg_constraint'))
    FROM rel r JOIN pg_constraint con ON con.conrelid = r.oid
  UNION ALL
  SELECT format('index %s comment %L', pg_get_indexdef(i.indexrelid), obj_description(i.indexrelid, 'pg_class'))
    FROM rel r JOIN pg_index i ON i.indrelid = r.oid
  UNION ALL
  SELECT format('trigger %s %s enabled %s', r.name, pg_get_triggerdef(t.oid), t.tgenabled)
    FROM rel r JOIN pg_trigger t ON t.tgrelid = r.oid AND NOT t.tgisinternal
  UNION ALL
  SELECT format('policy %s %I %s %s roles %s using %s check %s', r.name, pol.polname, pol.polcmd, pol.polpermissive,
                pol.polroles::regrole[], pg_get_expr(pol.polqual, pol.polrelid), pg_get_expr(pol.polwithcheck, pol.polrelid))
    FROM rel r JOIN pg_policy pol ON pol.polrelid = r.oid
  UNION ALL
  SELECT format('rule %s', pg_get_ruledef(rw.oid))
    FROM rel r JOIN pg_rewrite rw ON rw.ev_class = r.oid AND rw.rulename <> '_RETURN'
  UNION ALL
  SELECT format('view %s %s', r.name, pg_get_viewdef(r.oid)) FROM rel r WHERE r.relkind IN ('v', 'm')
  UNION ALL
  SELECT format('sequence %s %s %s %s %s %s %s cycle %s', r.name, s.seqtypid::regtype, s.seqstart, s.seqincrement,
                s.seqmax, s.seqmin, s.seqcache, s.seqcycle)
    FROM rel r JOIN pg_sequence s ON s.seqrelid = r.oid
  UNION ALL
  SELECT format('function %s kind %s acl %s comment %L definition %s', f.name, f.prokind, pg_temp.acl(f.proacl),
                obj_description(f.oid, 'pg_proc'),
                CASE WHEN f.prokind IN ('f', 'p', 'w') THEN pg_get_functiondef(f.oid) END)
    FROM fn f
  UNION ALL
  SELECT format('aggregate %s %s', f.name, row(a.aggkind, a.aggnumdirectargs, a.aggtransfn::regproc, a.aggfinalfn::regproc,
                a.aggcombinefn::regproc, a.aggserialfn::regproc, a.aggdeserialfn::regproc, a.aggmtransfn::regproc,
                a.aggminvtransfn::regproc, a.aggmfinalfn::regproc, a.aggfinalextra, a.aggmfinalextra, a.aggfinalmodify,
                a.aggmfinalmodify, a.aggsortop, a.aggtranstype::regtype, a.aggtransspace, a.aggmtranstype::regtype,
                a.aggmtransspace, a.agginitval, a.aggminitval, p.proparallel))
    FROM fn f JOIN pg_aggregate a ON a.aggfnoid = f.oid JOIN pg_proc p ON p.oid = f.oid
  UNION ALL
  SELECT format('type %s kind %s acl %s comment %L', t.oid::regtype, t.typtype, pg_temp.acl(t.typacl), obj_description(t.oid, 'pg_type'))
    FROM pg_type t JOIN nsp n ON n.oid = t.typnamespace
   WHERE t.typtype IN ('c', 'e', 'd', 'r', 'm', 'b')
     AND NOT (t.typtype = 'c' AND (SELECT relkind FROM pg_class WHERE oid = t.typrelid) <> 'c')
     AND t.typelem = 0
  UNION ALL
  SELECT format('enum %s %s %s', t.oid::regtype, e.enumsortorder, e.enumlabel)
    FROM pg_enum e JOIN pg_type t ON t.oid = e.enumtypid JOIN nsp n ON n.oid = t.typnamespace
  UNION ALL
  SELECT format('operator %s', o.oid::regoperator) FROM pg_operator o JOIN nsp n ON n.oid = o.oprnamespace
  UNION ALL
  -- rows the extension itself installs into its registries
  SELECT format('format %s apply %s projection %s %L', f.format, f.apply, f.projection, f.description)
    FROM pulse_internal.formats f
  UNION ALL
  SELECT format('built-in managed table %s %s %s %s %s %s %s', m.parent, m.time_column, m.every, m.premake,
                m.retain, m.cluster_by, m.lateness)
    FROM pulse_internal.managed_tables m WHERE m.builtin
) AS facts
ORDER BY line COLLATE "C";
