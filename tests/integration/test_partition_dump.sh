#!/usr/bin/env bash
# pg_dump -Fc + pg_restore of a loaded Pulse database into a fresh one, in
# every mode (plain, --single-transaction --exit-on-error, and -j 2 when pulse
# is preloaded), each exiting 0 with no error output, and every row comes
# back: tweets, candles, landing, rejects (ids going on from the dumped
# sequence), checkpoints, a user table managed by partition_by_time with its
# registration, which partitions are clustered, the partitions' indexes. Then the restored database loads on from its checkpoints: a
# candle backfill stopped half way resumes at its cursor and completes with
# no duplicate, a finished tweets file merges as unchanged, and new rejects
# get new ids.
. "$(dirname "$0")/candles_lib.sh"
bindir=${PG_BINDIR:?}
srcdb=pulse_it_dump_src
dst_plain=pulse_it_dump_plain
dst_single=pulse_it_dump_single
dst_parallel=pulse_it_dump_parallel
fix=$src/tests/fixtures/x_api
dbs() { for d in $srcdb $dst_plain $dst_single $dst_parallel; do dropdb --if-exists "$d" >/dev/null 2>&1; done; }
trap 'cleanup; dbs' EXIT

# --- a database with every kind of row
new_db $srcdb
q "SET client_min_messages = warning;
   CREATE TABLE readings (ts timestamptz NOT NULL, sensor int NOT NULL, v numeric) PARTITION BY RANGE (ts);
   SELECT pulse.partition_by_time('readings', 'ts', '1 day', premake => 2, retain => '30 days', cluster_by => '{sensor}');
   SELECT pulse.ensure_partitions('readings', now() - interval '3 days', now());
   INSERT INTO readings SELECT now() - interval '3 days' + g * interval '1 hour', g % 5, g / 10.0 FROM generate_series(0, 71) g;" >/dev/null \
  || fail "user table"
# A candle backfill stopped half way (SIGTERM commits what was read): its
# checkpoint holds a cursor to resume from.
export PULSE_REPLAY_UPBIT_COPIES=10   # 2000 candles, 10 pages of 200
start_server --delay-ms 150
range=(--exchange upbit --market KRW-BTC --since 2020-02-18T23:00:00Z --until 2020-02-20T11:20:00Z --api-url "$api"
       --batch-rows 200 --flush-interval 50 --stream dump_candles --quiet)
"$bin" candles "${range[@]}" 2>"$work/err" &
pid=$!
for _ in $(seq 200); do
  [ "$(q "SELECT count(*) FROM pulse.candles")" -ge 400 ] && break
  sleep 0.05
done
kill -TERM $pid; wait $pid || { cat "$work/err"; fail "stopped backfill exited $?"; }
partial=$(q "SELECT count(*) FROM pulse.candles")
[ "$partial" -ge 400 ] && [ "$partial" -lt 2000 ] || fail "the backfill was not stopped half way ($partial candles)"
cursor=$(q "SELECT position->>'cursor' FROM pulse.checkpoints WHERE stream = 'dump_candles'")
[ -n "$cursor" ] || fail "no cursor in the candle checkpoint"
# a finished tweets file, and bad records (rejects)
"$bin" tweets --source file --file "$fix/two_tweets.jsonl" --stream dump_tweets --quiet 2>"$work/err" \
  || fail "tweets load: $(cat "$work/err")"
printf '{"data": {"id": "1", "text": \n[1,2]\n' >"$work/bad.jsonl"
"$bin" tweets --source file --file "$work/bad.jsonl" --stream dump_bad --quiet 2>"$work/err" \
  || fail "bad input load: $(cat "$work/err")"
q "SELECT count(*) FROM pulse.run_maintenance() WHERE note LIKE 'error%'" | grep -qx 0 || fail "maintenance of the source"
# Rollups over a user table and over pulse.tweets (whose triggers pg_dump
# never dumps: the restored registry row remakes them), with panes.
q "SET client_min_messages = warning;
   SELECT pulse.create_rollup('readings_3h', \$\$SELECT date_bin('3 hours', ts, '1970-01-01') AS w, sensor, count(*) AS n,
          sum(v) AS s FROM readings GROUP BY 1, 2\$\$);
   SELECT pulse.create_rollup('tweets_daily', \$\$SELECT date_bin('1 day', created_at, '1970-01-01') AS d, lang, count(*) AS n
          FROM pulse.tweets GROUP BY 1, 2\$\$);
   SELECT pulse.declare_coverage('dump-readings', 'public.readings', tstzrange(now() - interval '3 days', now()));" >/dev/null \
  || fail "rollups"

# Every row, table by table (rejected_at and the like included).
summary="SELECT 'tweets', count(*), md5(string_agg(t::text, '|' ORDER BY t.id)) FROM pulse.tweets t
  UNION ALL SELECT 'candles', count(*), md5(string_agg(c::text, '|' ORDER BY c.bucket_start)) FROM pulse.candles c
  UNION ALL SELECT 'landing', count(*), md5(string_agg(l::text, '|' ORDER BY l.stream, l.batch_id, l.seq)) FROM pulse.landing l
  UNION ALL SELECT 'rejects', count(*), md5(string_agg(r::text, '|' ORDER BY r.id)) FROM pulse.rejects r
  UNION ALL SELECT 'checkpoints', count(*), md5(string_agg(k::text, '|' ORDER BY k.stream)) FROM pulse.checkpoints k
  UNION ALL SELECT 'readings', count(*), md5(string_agg(x::text, '|' ORDER BY x.ts)) FROM readings x
  UNION ALL SELECT 'registrations', count(*), string_agg(format('%s %s %s %s %s %s %s %s', parent, time_column, every, premake,
                                                               retain, cluster_by, lateness, builtin), ';' ORDER BY parent::text)
              FROM pulse_internal.managed_tables
  UNION ALL SELECT 'clustered', count(*), md5(string_agg(partition::text, '|' ORDER BY partition::text))
              FROM pulse_internal.clustered_partitions
  UNION ALL SELECT 'partitions', count(*), md5(string_agg(partition::text || ' ' || range, '|' ORDER BY partition::text))
              FROM pulse.partitions
  -- (the built-in rollups' registry rows are made again by CREATE EXTENSION: their watermark waits for the next batch)
  UNION ALL SELECT 'rollups', count(*), md5(string_agg(format('%s %s %s %s %s', name, base, query, CASE WHEN NOT builtin THEN watermark END, builtin), '|' ORDER BY name::text))
              FROM pulse_internal.rollups
  UNION ALL SELECT 'readings_3h', count(*), md5(string_agg(r::text, '|' ORDER BY r.w, r.sensor)) FROM readings_3h r
  UNION ALL SELECT 'tweets_daily', count(*), md5(string_agg(r::text, '|' ORDER BY r.d, r.lang)) FROM tweets_daily r
  UNION ALL SELECT 'tweets_by_minute', count(*), md5(string_agg(r::text, '|' ORDER BY r.minute)) FROM pulse_internal.tweets_by_minute r
  UNION ALL SELECT 'panes', count(*), md5(string_agg(p::text, '|' ORDER BY p.rollup::text, p.window_start, p.group_key::text, p.pane))
              FROM pulse.panes p"
psql -X -Atq -v ON_ERROR_STOP=1 -c "$summary" >"$work/before" || fail "summary of the source"
awk -F'|' '$2 == 0 { bad = 1 } END { exit bad }' "$work/before" || { cat "$work/before"; fail "the source lacks some kind of row"; }
grep -q '^rejects|[2-9]' "$work/before" && grep -q '^checkpoints|3|' "$work/before" && grep -q '^tweets|1|' "$work/before" \
  || { cat "$work/before"; fail "unexpected source"; }
max_reject=$(q "SELECT max(id) FROM pulse.rejects")

"$bindir/pg_dump" -Fc -d $srcdb -f "$work/pulse.dump" || fail "pg_dump"

# --- restore, three ways, every row back
# The built-in parents are extension members with their indexes, so
# pg_restore's ATTACH PARTITION (pre-data) already gives each built-in
# partition its indexes; pulse.so's utility hook skips the dump's own
# CREATE INDEX / ADD CONSTRAINT PRIMARY KEY for them (post-data) with a
# NOTICE. A single-session restore loads pulse.so through CREATE EXTENSION
# (the C validator); pg_restore -j's workers only when it is preloaded.
restore() {  # db [pg_restore options]
  local db=$1; shift
  dropdb --if-exists "$db" >/dev/null 2>&1
  createdb "$db" || fail "createdb $db"
  "$bindir/pg_restore" "$@" -d "$db" "$work/pulse.dump" >"$work/restore.$db" 2>&1
  local rc=$?
  [ "$rc" = 0 ] && [ ! -s "$work/restore.$db" ] \
    || { head -20 "$work/restore.$db"; fail "pg_restore $* exited $rc with $(grep -c 'ERROR:' "$work/restore.$db") errors"; }
  PGDATABASE=$db psql -X -Atq -v ON_ERROR_STOP=1 -c "$summary" >"$work/after.$db" || fail "summary of $db"
  diff -u "$work/before" "$work/after.$db" || fail "rows differ after pg_restore $* (- source, + restored)"
  # the built-in partitions have exactly the source's indexes, each attached
  # to its parent's index as in the source
  PGDATABASE=$db q "$idx_summary" >"$work/idx.$db"
  diff <(tr ";" "\n" <"$work/idx.src") <(tr ";" "\n" <"$work/idx.$db") || fail "indexes of the partitions differ after pg_restore $*"
}
idx_summary="SELECT string_agg(pg_get_indexdef(i.indexrelid) || ' <- ' || coalesce(h.inhparent::regclass::text, '-'), ';'
                              ORDER BY pg_get_indexdef(i.indexrelid))
               FROM pg_index i LEFT JOIN pg_inherits h ON h.inhrelid = i.indexrelid
              WHERE i.indrelid IN (SELECT partition FROM pulse.partitions)"
q "$idx_summary" >"$work/idx.src"
grep -qE 'tweets_p[0-9_]+_pkey ON pulse\.tweets_p[0-9_]+ .* <- pulse\.tweets_pkey$' <(tr ";" "\n" <"$work/idx.src") \
  || { tr ";" "\n" <"$work/idx.src"; fail "no built-in partition index attached in the source"; }
restore $dst_plain
restore $dst_single --single-transaction --exit-on-error
# pg_restore -j: its worker connections load pulse.so only through
# shared_preload_libraries (or session_preload_libraries).
preload=$(q "SHOW shared_preload_libraries")
if [[ ",${preload// /}," == *,pulse,* ]]; then
  restore $dst_parallel -j 2
  parallel_note="and -j 2 "
else
  parallel_note="(-j 2 skipped: pulse not preloaded) "
fi

# --- the restored database loads on from its checkpoints
export PGDATABASE=$dst_plain
before_req=$(requests | python3 -c "import json,sys; print(len(json.load(sys.stdin)))")
load "${range[@]}"
[ "$rc" = 0 ] || { cat "$work/err"; fail "resumed backfill exited $rc"; }
[ "$(q "SELECT count(*) || ' ' || count(DISTINCT bucket_start) FROM pulse.candles")" = "2000 2000" ] \
  || fail "after the resume: $(q "SELECT count(*) || ' ' || count(DISTINCT bucket_start) FROM pulse.candles") candles (rows, distinct), expected 2000 2000"
[ "$(q "SELECT position->>'mode' FROM pulse.checkpoints WHERE stream = 'dump_candles'")" = done ] || fail "checkpoint not done after the resume"
requests | python3 -c "
import json, sys, time, calendar
rs = json.load(sys.stdin)[$before_req:]
to = calendar.timegm(time.strptime(rs[0]['query']['to'], '%Y-%m-%dT%H:%M:%SZ')) * 1000
sys.exit(0 if to == $cursor else 1)" || fail "the resume did not start at the restored checkpoint cursor"
[ "$(summary_field records)" -le $((2000 - partial + 200)) ] || fail "the resume re-read more than one page ($(summary_field records) records)"
"$bin" tweets --source file --file "$fix/two_tweets.jsonl" --stream dump_tweets --quiet 2>"$work/err" || fail "tweets reload exited $?"
grep -q "inserted 0, updated 0, unchanged 1" "$work/err" || fail "tweets reload: $(cat "$work/err")"
rejects_before=$(grep '^rejects|' "$work/before" | cut -d'|' -f2)
"$bin" tweets --source file --file "$work/bad.jsonl" --stream dump_bad --quiet 2>"$work/err" || fail "rejects after restore: $(cat "$work/err")"
new_rejects=$(( $(q "SELECT count(*) FROM pulse.rejects") - rejects_before ))
[ "$new_rejects" -gt 0 ] && [ "$(q "SELECT count(*) FROM pulse.rejects WHERE id > $max_reject")" = "$new_rejects" ] \
  || fail "reject ids after restore: $(q "SELECT string_agg(id::text, ',' ORDER BY id) FROM pulse.rejects")"
q "SELECT count(*) FROM pulse.run_maintenance() WHERE note LIKE 'error%'" | grep -qx 0 || fail "maintenance after restore"
# the restored rollups are maintained again: a new reading, the reloaded tweets
# (their partitions first: an hour ago may be yesterday, which nothing made)
q "SELECT pulse.ensure_partitions('readings', now() - interval '1 hour', now()), pulse.ensure_partitions('pulse.tweets', now() - interval '1 hour', now())" >/dev/null \
  || fail "partitions after restore"
q "INSERT INTO readings VALUES (now() - interval '1 hour', 99, 1)" >/dev/null || fail "insert after restore"
[ "$(q "SELECT count(*) FROM readings_3h WHERE sensor = 99")" = 1 ] || fail "readings_3h not maintained after restore"
[ "$(q "SELECT count(*) FROM pg_trigger WHERE tgrelid = 'pulse.tweets'::regclass AND tgname LIKE 'tweets\_daily\_pulse\_%'")" = 4 ] \
  || fail "tweets_daily lost its triggers in the restore"
q "INSERT INTO pulse.tweets (id, created_at, author_id, text, lang) VALUES (4242, now() - interval '1 hour', 1, 'after restore', 'xx')" >/dev/null \
  || fail "tweet after restore"
[ "$(q "SELECT n FROM tweets_daily WHERE lang = 'xx'")" = 1 ] || fail "tweets_daily not maintained after restore"
echo "ok: plain, --single-transaction --exit-on-error ${parallel_note}restores exit 0 with every row; resumed at cursor $cursor; $(tr '\n' ' ' <"$work/before" | cut -c1-200)"
