#!/usr/bin/env bash
# Versioned SQL: 0.1.0 is frozen, and a 0.1.0 database with data reaches
# exactly the catalog of a fresh install of the current version through
# ALTER EXTENSION pulse UPDATE, losing no row.
#  1. sql/pulse--0.1.0.sql is byte for byte the script 0.1.0 shipped with.
#  2. Install 0.1.0, load a sample (tests/upgrade/sample.sql), note every
#     row of every table, update, and find every row again.
#  3. The updated catalog (tests/upgrade/catalog.sql) equals a fresh
#     install's, line for line.
# It fails when the 0.1.0 script is edited (1) or a change to the install
# script is missing from the upgrade script (3).
. "$(dirname "$0")/common_lib.sh"

frozen=0b6d09da4cc288af43d570fa4277dd60971f0dcfe74df5b62e4c4ce88949d4d7
sum=$(sha256sum "$src/sql/pulse--0.1.0.sql" | cut -d' ' -f1)
[ "$sum" = "$frozen" ] || fail "sql/pulse--0.1.0.sql was edited (sha256 $sum, shipped $frozen): a released script never changes; put the change in the upgrade script"

current=$(sed -n "s/^default_version = '\(.*\)'/\1/p" "$src/pulse.control")
[ "$current" != 0.1.0 ] || fail "default_version is still 0.1.0"

upgraded=pulse_it_upgrade_old
fresh=pulse_it_upgrade_new
for db in $upgraded $fresh; do
  dropdb --if-exists "$db" >/dev/null 2>&1
  createdb "$db" || fail "createdb $db"
done
psql -X -q -v ON_ERROR_STOP=1 -d $upgraded -c "CREATE EXTENSION pulse VERSION '0.1.0'" || fail "install 0.1.0"
psql -X -q -v ON_ERROR_STOP=1 -d $upgraded \
  -v upbit="$(cat "$src/tests/fixtures/upbit/upbit_1m_20200220_170000-20200220_202000.json")" \
  -v tweets_v2="$(cat "$src/tests/fixtures/x_api/two_tweets.jsonl")" \
  -v statuses_v1="$(cat "$src/tests/fixtures/x_api/v1_statuses.jsonl")" \
  -f "$src/tests/upgrade/sample.sql" >"$work/sample.out" 2>&1 || { cat "$work/sample.out"; fail "loading the sample into 0.1.0"; }

# Every table outside pg_catalog (the extension's and the user's, parents and
# plain tables) with its columns as 0.1.0 has them; a table may change schema.
tables_q="SELECT c.relname || ' ' || string_agg(quote_ident(a.attname), ',' ORDER BY a.attnum)
            FROM pg_class c JOIN pg_namespace n ON n.oid = c.relnamespace
            JOIN pg_attribute a ON a.attrelid = c.oid AND a.attnum > 0 AND NOT a.attisdropped
           WHERE c.relkind IN ('r', 'p') AND NOT c.relispartition
             AND n.nspname NOT IN ('pg_catalog', 'information_schema') AND n.nspname NOT LIKE 'pg_%'
           GROUP BY c.relname ORDER BY 1"
psql -X -Atq -d $upgraded -c "$tables_q" >"$work/tables" || fail "listing tables"
[ "$(wc -l <"$work/tables")" -ge 8 ] || fail "expected at least 8 tables, got: $(cat "$work/tables")"
# rows_of DB: per table, its row count and a digest of its rows (0.1.0 columns).
rows_of() {
  while read -r tbl cols; do
    qual=$(psql -X -Atq -d "$1" -c "SELECT format('%I.%I', n.nspname, c.relname) FROM pg_class c
              JOIN pg_namespace n ON n.oid = c.relnamespace
             WHERE c.relname = '$tbl' AND c.relkind IN ('r','p','v') AND NOT c.relispartition
               AND n.nspname NOT LIKE 'pg_%' AND n.nspname <> 'information_schema'")
    [ -n "$qual" ] || { echo "$tbl: gone"; continue; }
    # pulse.landing became a view over chunks in 0.2.0: the registries name
    # pulse_internal.landing_chunks (and its partitions) where 0.1.0 named
    # pulse.landing (landing_pYYYYMMDD is landing_chunks_pYYYYMMDD).
    psql -X -Atq -d "$1" -c "SELECT '$tbl ' || count(*) || ' ' || coalesce(md5(string_agg(x, '|' ORDER BY x)), '-')
                                FROM (SELECT regexp_replace(r::text, 'pulse_internal\.landing_chunks', 'pulse.landing', 'g') AS x
                                        FROM (SELECT $cols FROM $qual) AS r) AS n" || echo "$tbl: unreadable"
  done <"$work/tables"
}
rows_of $upgraded >"$work/rows.before"
grep -qE '^tweets [1-9]' "$work/rows.before" && grep -qE '^candles [1-9]' "$work/rows.before" \
  && grep -qE '^rejects [1-9]' "$work/rows.before" && grep -qE '^checkpoints 3 ' "$work/rows.before" \
  && grep -qE '^trades [1-9]' "$work/rows.before" && grep -qE '^clustered_partitions [1-9]' "$work/rows.before" \
  || { cat "$work/rows.before"; fail "the sample did not load every kind of row"; }

# A user's view over pulse.moving_corr (GROUP BY and a sliding frame): 0.2.0
# replaces the aggregate's definition in place (CREATE OR REPLACE AGGREGATE
# keeps its OID), so the view lives through the upgrade and answers the same.
view_q="SELECT * FROM public.trade_corr ORDER BY 1, 2 NULLS FIRST"
psql -X -q -v ON_ERROR_STOP=1 -d $upgraded -c "CREATE VIEW public.trade_corr AS
  SELECT market, NULL::timestamptz AS t,
         round(pulse.moving_corr(price::float8, sin(extract(epoch FROM traded_at) / 600))::numeric, 10) AS r
    FROM public.trades GROUP BY market
  UNION ALL
  SELECT market, traded_at,
         round((pulse.moving_corr(price::float8, sin(extract(epoch FROM traded_at) / 600))
                OVER (PARTITION BY market ORDER BY traded_at ROWS 20 PRECEDING))::numeric, 10)
    FROM public.trades" || fail "creating a view over pulse.moving_corr in 0.1.0"
view_before=$(psql -X -Atq -d $upgraded -c "$view_q")
[ "$(grep -c '|0\.[0-9]\|-0\.[0-9]' <<<"$view_before")" -ge 100 ] || fail "the moving_corr view gave too few values"

psql -X -q -v ON_ERROR_STOP=1 -d $upgraded -c 'ALTER EXTENSION pulse UPDATE' >"$work/update.out" 2>&1 \
  || { cat "$work/update.out"; fail "ALTER EXTENSION pulse UPDATE"; }
v=$(psql -X -Atq -d $upgraded -c "SELECT extversion FROM pg_extension WHERE extname = 'pulse'")
[ "$v" = "$current" ] || fail "after UPDATE the extension is at $v, not $current"

[ "$(psql -X -Atq -d $upgraded -c "$view_q")" = "$view_before" ] \
  || fail "the view over pulse.moving_corr answers differently after the upgrade"
rows_of $upgraded >"$work/rows.after"
if ! diff -u "$work/rows.before" "$work/rows.after" >"$work/rows.diff"; then
  cat "$work/rows.diff"; fail "rows changed or were lost in the upgrade"
fi
# What 0.2.0 derives from the rows 0.1.0 had: the hashtag state, the built-in
# rollups behind the BI views, and the coverage of the loaded spans.
derived=$(psql -X -Atq -d $upgraded -c "
  SELECT (SELECT count(*) FROM pulse.hashtags) > 0,
         (SELECT count(*) FROM ((SELECT hashtag, tweets FROM pulse.hashtags) EXCEPT
            (SELECT h.tag, count(DISTINCT t.id) FROM pulse.tweets t, unnest(t.hashtags) h(tag) GROUP BY 1)) d),
         (SELECT count(*) FROM ((SELECT minute, tweets FROM pulse_internal.tweets_by_minute) EXCEPT
            (SELECT date_bin('1 minute', created_at, '1970-01-01'), count(*) FROM pulse.tweets GROUP BY 1)) d),
         (SELECT sum(tweets) FROM pulse.hashtags_hourly) = (SELECT count(*) FROM pulse.tweets t, unnest(t.hashtags) h),
         (WITH a AS (SELECT e.tag, e.created_at, e.author_id, e.tweets
                       FROM pulse_internal.tag_minutes m, pulse_internal.tag_minute_rows(m.tweets) e),
               b AS (SELECT h.tag, t.created_at, t.author_id, count(*) FROM pulse.tweets t,
                            LATERAL (SELECT DISTINCT u FROM unnest(t.hashtags) u WHERE u IS NOT NULL) h(tag) GROUP BY 1, 2, 3)
          SELECT count(*) FROM ((TABLE a EXCEPT TABLE b) UNION ALL (TABLE b EXCEPT TABLE a)) d),
         (SELECT array_agg(DISTINCT n) FROM (SELECT p.hours, sum(c.tweets) AS n FROM pulse_internal.tag_period_counts p,
                                               pulse_internal.tag_count_rows(p.counts) c GROUP BY 1) s)::bigint[]
           = ARRAY[(SELECT count(*) FROM pulse.tweets t, LATERAL (SELECT DISTINCT u FROM unnest(t.hashtags) u WHERE u IS NOT NULL) h)],
         (SELECT string_agg(subject, ',' ORDER BY subject) FROM pulse.coverage WHERE source = 'pulse-0.1.0')")
[ "${derived%|*}" = "t|0|0|t|0|t" ] && [[ "${derived##*|}" == *candles/*tweets* ]] \
  || fail "state derived by the upgrade (hashtags, their difference, minute rollup difference, hourly view, packed per-minute sets' difference, per-period sums, coverage): $derived"

psql -X -q -v ON_ERROR_STOP=1 -d $fresh -c 'CREATE EXTENSION pulse' || fail "fresh install"
for db in $upgraded $fresh; do
  psql -X -Atq -v ON_ERROR_STOP=1 -d $db -f "$src/tests/upgrade/catalog.sql" >"$work/catalog.$db" \
    || fail "catalog of $db"
done
[ "$(wc -l <"$work/catalog.$fresh")" -ge 100 ] || fail "the catalog query found too little: $(wc -l <"$work/catalog.$fresh") lines"
if ! diff -u "$work/catalog.$fresh" "$work/catalog.$upgraded" >"$work/catalog.diff"; then
  head -c 20000 "$work/catalog.diff"
  fail "ALTER EXTENSION UPDATE from 0.1.0 does not give the catalog of a fresh $current install (- fresh, + upgraded)"
fi
echo "ok: 0.1.0 frozen; upgrade to $current keeps $(wc -l <"$work/rows.after") tables' rows and matches a fresh install ($(wc -l <"$work/catalog.$fresh") catalog facts)"
for db in $upgraded $fresh; do dropdb --if-exists "$db" >/dev/null 2>&1; done
