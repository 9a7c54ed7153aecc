#!/usr/bin/env bash
# Streaming rollups benchmark (issue "Completeness, watermarks and streaming
# rollups", Speed). Each measure is printed with its baseline from the same
# run and the ratio (see bench/README.md for recorded numbers):
#  1. per-batch maintenance follows the batch, not the table: the same kind of
#     ~1,000-row batch (new recent rows, late rows 2 hours old, updates of the
#     previous batch, exact duplicates) merged with pulse.merge into a managed
#     table of BENCH_ROLLUP_SMALL rows (1M) and of BENCH_ROLLUP_BIG rows (10M),
#     both with 3 rollups (tumbling 1-minute count per group; hop 10 min every
#     1 min with count and sum; an hourly count(DISTINCT user), or with
#     BENCH_ROLLUP_THIRD=session sessions per user with a 10-minute gap): median
#     batch time, ratio big/small; the same without rollups for context;
#  2. ingest throughput with the 3 rollups against the same table without
#     rollups: BENCH_ROLLUP_BATCHES batches into two 1M-row tables with the
#     same rows, interleaved in blocks of 10; ratio of rows/s;
#  3. BI views: BENCH_TWEETS tweets over 30 days in pulse.tweets (0-3 hashtags
#     from a skewed vocabulary, 10% retweets) and 30 days of 1-minute candles;
#     one hour of pulse.minute_activity and of pulse.hashtags_hourly against
#     the 0.1.0 definitions of those views written inline; results must be
#     identical; ratio old/new.
#   bench/rollups_bench.sh        uses PG* variables if PGHOST is set, else
#                                 starts a throwaway cluster (tests/pgcluster.sh)
# BENCH_SMALL=1: 100k/1M-row tables, 40 batches, 300k tweets (about 70 s; full: about 11 minutes).
# BENCH_ROLLUP_PARTS=123 picks the parts to run.
set -euo pipefail
cd "$(dirname "$0")/.."
if [ -n "${BENCH_SMALL:-}" ]; then
  small=${BENCH_ROLLUP_SMALL:-100000} big=${BENCH_ROLLUP_BIG:-1000000}
  batches=${BENCH_ROLLUP_BATCHES:-40} per_size=${BENCH_ROLLUP_PER_SIZE:-7} tweets=${BENCH_TWEETS:-300000}
else
  small=${BENCH_ROLLUP_SMALL:-1000000} big=${BENCH_ROLLUP_BIG:-10000000}
  batches=${BENCH_ROLLUP_BATCHES:-200} per_size=${BENCH_ROLLUP_PER_SIZE:-15} tweets=${BENCH_TWEETS:-3000000}
fi
third=${BENCH_ROLLUP_THIRD:-distinct}
parts=${BENCH_ROLLUP_PARTS:-123}
new_per_batch=920          # new ids per batch; with late rows, updates and duplicates about 1,000 rows

if [ -z "${PGHOST:-}" ]; then
  make -s -f Makefile.pgxs >/dev/null
  state=$PWD/build/benchpg-rollups
  sock=/tmp/pulse-bench-rollups-$$
  tests/pgcluster.sh start "$state" "$sock" "$PWD" >/dev/null
  export PGHOST=$sock PGPORT=5432 PGUSER=postgres
  trap 'tests/pgcluster.sh stop "$state" "$sock" "$PWD" >/dev/null; rm -rf "$sock"' EXIT
fi
db=${PULSE_BENCH_DB:-pulse_rollups_bench}
psql -qX -d postgres -c "SET client_min_messages = warning" -c "DROP DATABASE IF EXISTS $db" -c "CREATE DATABASE $db" >/dev/null
q() { psql -qXAt -v ON_ERROR_STOP=1 -d "$db" "$@"; }
fail() { echo "FAIL: $*" >&2; exit 1; }
ratio() { echo "$1 / $2" | bc -l | xargs printf '%.2f'; }
started=$(date +%s)
elapsed() { echo "$(( $(date +%s) - started )) s"; }

echo "rollups benchmark: tables $small and $big rows, $batches batches for throughput, $per_size per size," \
     "third rollup $third, $tweets tweets"
echo "server: $(q -c 'SHOW server_version'), fsync=$(q -c 'SHOW fsync'), shared_buffers=$(q -c 'SHOW shared_buffers'), $(nproc) cores"

q <<'SQL'
SET client_min_messages = warning;
CREATE EXTENSION pulse;
-- Event rows are a function of their id: one every 0.864 s (100,000 a day)
-- from t_base, 20 groups, 500 users. Versions: 1 first, 2 for an update.
CREATE TABLE bench_cfg (t_base timestamptz NOT NULL, step interval NOT NULL);
INSERT INTO bench_cfg SELECT date_trunc('day', now()) - interval '200 days', interval '864 milliseconds';
CREATE FUNCTION ev_rows(lo bigint, hi bigint, cond text, ver int)
  RETURNS TABLE (id bigint, ts timestamptz, grp int, user_id bigint, v bigint, amount numeric)
  LANGUAGE plpgsql STABLE AS $$
BEGIN
  RETURN QUERY EXECUTE format(
    'SELECT g, c.t_base + c.step * g, (g * 7919 %% 20)::int, abs(hashint8(g)::bigint) %% 500, $3::bigint,
            (g %% 1000) * 0.01 + $3
       FROM bench_cfg c, generate_series($1, $2) g WHERE %s', cond) USING lo, hi, ver;
END $$;
-- Batch k after an initial load of n rows: new ids [a, b) (ids divisible by
-- 97 are held back and arrive 8,333 ids = 2 hours later: late rows), the
-- previous batch's ids divisible by 23 again with version 2 (updates), and
-- the new ids divisible by 31 twice (exact duplicates, as a retried read).
CREATE FUNCTION ev_batch(n bigint, k int, per int)
  RETURNS TABLE (id bigint, ts timestamptz, grp int, user_id bigint, v bigint, amount numeric)
  LANGUAGE sql STABLE AS $$
  SELECT * FROM ev_rows(n + 1 + k * per, n + (k + 1) * per, 'g % 97 <> 0', 1)
  UNION ALL SELECT * FROM ev_rows(n + 1 + k * per - 8333, n + (k + 1) * per - 8333, 'g % 97 = 0', 1)
  UNION ALL SELECT * FROM ev_rows(n + 1 + (k - 1) * per, n + k * per, 'g % 23 = 0 AND g % 97 <> 0', 2)
  UNION ALL SELECT * FROM ev_rows(n + 1 + k * per, n + (k + 1) * per, 'g % 31 = 0 AND g % 97 <> 0', 1)
$$;
CREATE FUNCTION ev_time(i bigint) RETURNS timestamptz LANGUAGE sql STABLE AS
  $$ SELECT t_base + step * i FROM bench_cfg $$;
-- make_ev: a managed table with n rows (the ones held back for late delivery
-- excepted) and coverage up to its last row.
CREATE FUNCTION make_ev(tbl text, n bigint) RETURNS void LANGUAGE plpgsql AS $$
BEGIN
  EXECUTE format('CREATE TABLE %I (id bigint NOT NULL, ts timestamptz NOT NULL, grp int NOT NULL, user_id bigint NOT NULL,
                  v bigint NOT NULL, amount numeric NOT NULL, PRIMARY KEY (id, ts)) PARTITION BY RANGE (ts)', tbl);
  PERFORM pulse.partition_by_time(tbl, 'ts', '1 day', premake => 0);
  PERFORM pulse.ensure_partitions(tbl, ev_time(1), ev_time(n + 1));
  EXECUTE format('INSERT INTO %I SELECT * FROM ev_rows(1, $1, ''NOT (g %% 97 = 0 AND g > $2 - 8333)'', 1)', tbl) USING n;
  PERFORM pulse.declare_coverage('bench-loader-' || tbl, 'public.' || tbl, tstzrange(ev_time(1), ev_time(n + 1)));
END $$;
CREATE FUNCTION make_rollups(tbl text, third text) RETURNS void LANGUAGE plpgsql AS $$
BEGIN
  PERFORM pulse.create_rollup(tbl || '_per_minute', format(
    'SELECT date_bin(''1 minute'', ts, ''1970-01-01'') AS minute, grp, count(*) AS n FROM %I GROUP BY 1, 2', tbl));
  PERFORM pulse.create_rollup(tbl || '_hop', format(
    'SELECT pulse.hop(ts, ''10 minutes'', ''1 minute'') AS w, count(*) AS n, sum(amount) AS total FROM %I GROUP BY 1', tbl));
  IF third = 'session' THEN
    PERFORM pulse.create_rollup(tbl || '_sessions', format(
      'SELECT pulse.session(ts, ''10 minutes'') AS s, user_id, count(*) AS n, sum(amount) AS total FROM %I GROUP BY s, user_id', tbl));
  ELSE
    PERFORM pulse.create_rollup(tbl || '_users', format(
      'SELECT date_bin(''1 hour'', ts, ''1970-01-01'') AS hour, count(DISTINCT user_id) AS users FROM %I GROUP BY 1', tbl));
  END IF;
END $$;
CREATE FUNCTION drop_rollups(tbl text) RETURNS void LANGUAGE plpgsql AS $$
DECLARE r regclass;
BEGIN
  FOR r IN SELECT name FROM pulse.rollups WHERE source = tbl::regclass LOOP
    PERFORM pulse.drop_rollup(r);
  END LOOP;
END $$;
CREATE TABLE bench_times (tbl text, k int, rows_in bigint, merge_ms float8, coverage_ms float8, total_ms float8,
                          ins bigint, upd bigint, unch bigint);
-- Batches k0 .. k0 + cnt - 1 into each table of tbls in turn, `block` at a
-- time, one transaction per batch as a loader runs it: pulse.merge, then the
-- coverage of the batch's new time range (declare_coverage moves the rollups'
-- watermark). Timed: the merge; the merge + coverage + COMMIT.
CREATE PROCEDURE run_batches(tbls text[], n bigint, k0 int, cnt int, block int, per int) LANGUAGE plpgsql AS $$
DECLARE
  b int; k int; tbl text; t0 timestamptz; t1 timestamptz; t2 timestamptz; r record; nrows bigint;
BEGIN
  CREATE TEMP TABLE IF NOT EXISTS batch AS SELECT * FROM ev_batch(0, 0, 1) LIMIT 0;
  b := k0;
  WHILE b < k0 + cnt LOOP
    FOREACH tbl IN ARRAY tbls LOOP
      FOR k IN b .. least(b + block, k0 + cnt) - 1 LOOP
        TRUNCATE pg_temp.batch;
        INSERT INTO pg_temp.batch SELECT * FROM ev_batch(n, k, per);
        GET DIAGNOSTICS nrows = ROW_COUNT;
        t0 := clock_timestamp();
        SELECT * INTO r FROM pulse.merge(tbl::regclass, to_regclass('pg_temp.batch'), '{id,ts}', 'v');
        t1 := clock_timestamp();
        PERFORM pulse.declare_coverage('bench-loader-' || tbl, 'public.' || tbl,
                                       tstzrange(ev_time(n + 1 + k * per), ev_time(n + 1 + (k + 1) * per)));
        COMMIT;
        t2 := clock_timestamp();
        INSERT INTO bench_times VALUES (tbl, k, nrows, 1000 * extract(epoch FROM t1 - t0),
                                        1000 * extract(epoch FROM t2 - t1), 1000 * extract(epoch FROM t2 - t0),
                                        r.inserted, r.updated, r.unchanged);
        COMMIT;
      END LOOP;
    END LOOP;
    b := b + block;
  END LOOP;
END $$;
CREATE FUNCTION med(tbl_ text, k_lo int, k_hi int, col text DEFAULT 'merge_ms') RETURNS numeric LANGUAGE plpgsql AS $$
DECLARE m numeric;
BEGIN
  EXECUTE format('SELECT round(percentile_cont(0.5) WITHIN GROUP (ORDER BY %I)::numeric, 1) FROM bench_times
                   WHERE tbl = $1 AND k BETWEEN $2 AND $3', col) INTO m USING tbl_, k_lo, k_hi;
  RETURN m;
END $$;
SQL

# run TABLES N K0 COUNT BLOCK
run() { q -c "CALL run_batches('{$1}', $2, $3, $4, $5, $new_per_batch)"; }
# The rollup's results against its query from scratch over the batches' time range.
check_rollup() { # TABLE N LAST_K
  local bad
  bad=$(q -c "WITH s AS (SELECT date_bin('1 minute', ts, '1970-01-01') AS minute, grp, count(*) AS n FROM $1
                          WHERE ts >= ev_time($2 - 9000) AND ts < ev_time($2 + 1 + ($3 + 1) * $new_per_batch) GROUP BY 1, 2),
                   r AS (SELECT minute, grp, n FROM ${1}_per_minute
                          WHERE minute >= ev_time($2 - 9000) AND minute < date_bin('1 minute', ev_time($2 + 1 + ($3 + 1) * $new_per_batch), '1970-01-01'))
              SELECT count(*) FROM ((SELECT * FROM s WHERE minute > ev_time($2 - 9000) AND minute < (SELECT max(minute) FROM r) EXCEPT ALL SELECT * FROM r)
                                    UNION ALL (SELECT * FROM r WHERE minute > ev_time($2 - 9000) EXCEPT ALL SELECT * FROM s)) d")
  [ "$bad" = 0 ] || fail "rollup ${1}_per_minute differs from its query in $bad rows"
}

if [[ $parts == *1* || $parts == *2* ]]; then
  # --- tables of $small rows: one with the 3 rollups, one without, same rows
  t0=$(date +%s.%N)
  q -c "SELECT make_ev('evs_r', $small)" -c "SELECT make_ev('evs_p', $small)" -c "VACUUM ANALYZE evs_r, evs_p" >/dev/null
  t1=$(date +%s.%N)
  q -c "SELECT make_rollups('evs_r', '$third')" >/dev/null
  t2=$(date +%s.%N)
  printf 'set-up: two %s-row tables %.1f s; 3 rollups over one of them (recompute of its history) %.1f s [%s]\n' \
    "$small" "$(echo "$t1 - $t0" | bc -l)" "$(echo "$t2 - $t1" | bc -l)" "$(elapsed)"
  # the first per_size batches: part 1's measure at this size; the rest: part 2
  run "evs_r,evs_p" "$small" 0 "$batches" 10
  check_rollup evs_r "$small" $((batches - 1))
  q -c "SELECT 'batch rows (min/avg/max): ' || min(rows_in) || '/' || round(avg(rows_in)) || '/' || max(rows_in)
                || '; merge counts per batch (inserted|updated|unchanged), avg: ' || round(avg(ins)) || '|' || round(avg(upd)) || '|' || round(avg(unch))
           FROM bench_times WHERE tbl = 'evs_r'"
  q -c "SELECT 'rollup state after the batches: ' || string_agg(format('%s %s windows, late rows %s (beyond lateness %s)', name, windows, late_rows, beyond_lateness), '; ')
                || '; panes ' || (SELECT count(*) FROM pulse.panes)
           FROM pulse.rollups WHERE source = 'evs_r'::regclass"
  s_r=$(q -c "SELECT med('evs_r', 0, $((per_size - 1)))")
  s_p=$(q -c "SELECT med('evs_p', 0, $((per_size - 1)))")
  s_r_tot=$(q -c "SELECT med('evs_r', 0, $((per_size - 1)), 'total_ms')")
fi

if [[ $parts == *2* ]]; then
  read -r rows_r sec_r rows_p sec_p < <(q -F ' ' -c "
    SELECT sum(rows_in) FILTER (WHERE tbl = 'evs_r'), sum(total_ms) FILTER (WHERE tbl = 'evs_r') / 1000,
           sum(rows_in) FILTER (WHERE tbl = 'evs_p'), sum(total_ms) FILTER (WHERE tbl = 'evs_p') / 1000 FROM bench_times")
  rps_r=$(echo "$rows_r / $sec_r" | bc -l | xargs printf '%.0f')
  rps_p=$(echo "$rows_p / $sec_p" | bc -l | xargs printf '%.0f')
  echo
  echo "== 2. ingest throughput, $batches batches of about 1,000 rows into $small-row tables (merge + coverage + commit)"
  printf '   with 3 rollups:    %8s rows/s (%s rows in %.2f s; median batch %s ms, p90 %s ms)\n' "$rps_r" "$rows_r" "$sec_r" \
    "$(q -c "SELECT med('evs_r', 0, $batches, 'total_ms')")" \
    "$(q -c "SELECT round(percentile_cont(0.9) WITHIN GROUP (ORDER BY total_ms)::numeric, 1) FROM bench_times WHERE tbl = 'evs_r'")"
  printf '   without rollups:   %8s rows/s (%s rows in %.2f s; median batch %s ms, p90 %s ms)\n' "$rps_p" "$rows_p" "$sec_p" \
    "$(q -c "SELECT med('evs_p', 0, $batches, 'total_ms')")" \
    "$(q -c "SELECT round(percentile_cont(0.9) WITHIN GROUP (ORDER BY total_ms)::numeric, 1) FROM bench_times WHERE tbl = 'evs_p'")"
  echo "   ratio with / without rollups: $(ratio "$rps_r" "$rps_p")x (target: at least 0.8x)"
  echo "   [$(elapsed)]"
fi

if [[ $parts == *1* ]]; then
  q -c "DROP TABLE evs_p" -c "SELECT drop_rollups('evs_r')" -c "DROP TABLE evs_r" >/dev/null
  # --- a table of $big rows, the same rollups; then without them
  t0=$(date +%s.%N)
  q -c "SELECT make_ev('evb', $big)" -c "VACUUM ANALYZE evb" >/dev/null
  t1=$(date +%s.%N)
  q -c "SELECT make_rollups('evb', '$third')" >/dev/null
  t2=$(date +%s.%N)
  printf 'set-up: a %s-row table %.1f s; 3 rollups over it %.1f s [%s]\n' \
    "$big" "$(echo "$t1 - $t0" | bc -l)" "$(echo "$t2 - $t1" | bc -l)" "$(elapsed)"
  run evb "$big" 0 "$per_size" 10
  check_rollup evb "$big" $((per_size - 1))
  b_r=$(q -c "SELECT med('evb', 0, $((per_size - 1)))")
  b_r_tot=$(q -c "SELECT med('evb', 0, $((per_size - 1)), 'total_ms')")
  q -c "SELECT drop_rollups('evb')" >/dev/null
  run evb "$big" "$per_size" "$per_size" 10
  b_p=$(q -c "SELECT med('evb', $per_size, $((2 * per_size - 1)))")
  echo
  echo "== 1. per-batch time, ~1,000-row batch (median of $per_size), pulse.merge into a managed table"
  printf '   %-28s %12s %12s %10s\n' "" "$small rows" "$big rows" "big/small"
  printf '   %-28s %9s ms %9s ms %9sx   (target: within 1.5x)\n' "with 3 rollups: merge" "$s_r" "$b_r" "$(ratio "$b_r" "$s_r")"
  printf '   %-28s %9s ms %9s ms %9sx\n' "  merge + coverage + commit" "$s_r_tot" "$b_r_tot" "$(ratio "$b_r_tot" "$s_r_tot")"
  printf '   %-28s %9s ms %9s ms %9sx\n' "without rollups: merge" "$s_p" "$b_p" "$(ratio "$b_p" "$s_p")"
  echo "   [$(elapsed)]"
  q -c "DROP TABLE evb" >/dev/null
fi

if [[ $parts == *3* ]]; then
  echo
  echo "== 3. BI views: $tweets tweets over 30 days, 30 days of 1-minute candles for binance BTCUSDT"
  t0=$(date +%s.%N)
  q -v tweets="$tweets" <<'SQL'
SET client_min_messages = warning;
SELECT setseed(0.17) \g /dev/null
CREATE TABLE tw_cfg AS SELECT date_trunc('day', now()) - interval '40 days' AS t0, :tweets::bigint AS n;
SELECT pulse.ensure_partitions('pulse.tweets', t0, t0 + interval '30 days') AS tweet_partitions,
       pulse.ensure_partitions('pulse.candles', t0, t0 + interval '30 days') AS candle_partitions FROM tw_cfg \g /dev/null
-- A vocabulary of 300 tags; a tag's index is log-uniform (tag k about 1/k as
-- likely as tag 1, Zipf-like). 30% of tweets have no tag, 40% one, 20% two,
-- 10% three; one in ten is a retweet.
CREATE TABLE tw_vocab AS
SELECT array_agg(CASE WHEN i <= 8 THEN (ARRAY['bitcoin','btc','crypto','eth','hodl','defi','altcoin','nft'])[i] ELSE 'tag' || i END ORDER BY i) AS v
  FROM generate_series(1, 300) i;
-- One INSERT per day (the built-in rollups' statement triggers see each day's rows).
SELECT format($f$
  INSERT INTO pulse.tweets (id, created_at, author_id, text, lang, hashtags, is_retweet, retweeted_id, observed_at)
  SELECT g, %1$L::timestamptz + interval '30 days' * ((g - 1)::float8 / %2$s),
         1000 + abs(hashint8(g)::bigint) %% 50000, 'tweet ' || g, 'en',
         ARRAY(SELECT (SELECT v FROM tw_vocab)[floor(exp(random() * ln(300)))::int] FROM generate_series(1, x.ntags)),
         g %% 10 = 3, CASE WHEN g %% 10 = 3 THEN greatest(1, g - 1000) END, %1$L::timestamptz + interval '31 days'
    FROM generate_series(%3$s, %4$s) g
   CROSS JOIN LATERAL (SELECT CASE WHEN r < 0.3 THEN 0 WHEN r < 0.7 THEN 1 WHEN r < 0.9 THEN 2 ELSE 3 END AS ntags
                         FROM (SELECT random() + 0 * g AS r) rr) x$f$,
              c.t0, (c.n / 30) * 30, d * (c.n / 30) + 1, (d + 1) * (c.n / 30))
  FROM tw_cfg c, generate_series(0, 29) d ORDER BY d \gexec
INSERT INTO pulse.candles (exchange, market, period, bucket_start, open, high, low, close, volume, quote_volume, observed_at)
SELECT 'binance', 'BTCUSDT', interval '1 minute', t0 + m * interval '1 minute',
       60000 + (m % 500), 60010 + (m % 500), 59990 + (m % 500), 60005 + (m % 500), (m % 97) / 10.0, (m % 97) * 6000.5,
       t0 + m * interval '1 minute' + interval '59 seconds'
  FROM tw_cfg, generate_series(0, 30 * 1440 - 1) m;
VACUUM ANALYZE pulse.tweets, pulse.candles, pulse_internal.tweets_by_minute, pulse_internal.tag_hours;
SQL
  t1=$(date +%s.%N)
  printf '   loaded (INSERT ... SELECT per day, built-in rollups kept by their triggers) in %.1f s [%s]\n' "$(echo "$t1 - $t0" | bc -l)" "$(elapsed)"
  # The built-in rollups must hold every tweet.
  check=$(q -c "SELECT (SELECT count(*) FROM pulse.tweets) || ' ' || (SELECT coalesce(sum(tweets), 0) FROM pulse_internal.tweets_by_minute)
                 || ' ' || (SELECT count(*) FROM pulse.tweets t, LATERAL (SELECT DISTINCT u FROM unnest(t.hashtags) u WHERE u IS NOT NULL) x)
                 || ' ' || (SELECT coalesce(sum(tweets), 0) FROM pulse_internal.tag_hours)
                 || ' ' || (SELECT count(*) FROM pulse_internal.tweets_by_minute) || ' ' || (SELECT count(*) FROM pulse_internal.tag_hours)
                 || ' ' || (SELECT count(*) FILTER (WHERE is_retweet) FROM pulse.tweets)")
  read -r n_tw n_bymin n_tagged n_sets rows_bymin rows_sets n_rt <<<"$check"
  echo "   tweets $n_tw (retweets $n_rt, with hashtags $n_tagged); tweets_by_minute: $rows_bymin rows summing to $n_bymin;" \
       "tag_hours: $rows_sets rows summing to $n_sets (tweet-tag pairs $n_tagged)"
  [ "$n_tw" = "$n_bymin" ] && [ "$n_tagged" = "$n_sets" ] && [ "$n_tw" -gt 0 ] ||
    fail "the built-in rollups do not hold every tweet (tweets $n_tw vs $n_bymin, tweet-tag pairs $n_tagged vs $n_sets)"
  x=$(q -c "SELECT t0 + interval '15 days 13 hours' FROM tw_cfg")
  new_ma="SELECT * FROM pulse.minute_activity WHERE exchange = 'binance' AND market = 'BTCUSDT'
            AND minute >= '$x' AND minute < timestamptz '$x' + interval '1 hour'"
  # pulse.minute_activity as sql/pulse--0.1.0.sql defined it
  old_ma="SELECT * FROM (SELECT c.exchange, c.market, c.bucket_start AS minute, coalesce(t.tweets, 0) AS tweets, c.volume,
                                c.quote_volume, c.open, c.high, c.low, c.close
                           FROM pulse.candles c
                           LEFT JOIN (SELECT date_bin('1 minute', tw.created_at, timestamptz '1970-01-01 00:00:00+00') AS minute,
                                             count(*) AS tweets
                                        FROM pulse.tweets tw GROUP BY 1) t ON t.minute = c.bucket_start
                          WHERE c.period = interval '1 minute') v
           WHERE exchange = 'binance' AND market = 'BTCUSDT' AND minute >= '$x' AND minute < timestamptz '$x' + interval '1 hour'"
  new_hh="SELECT * FROM pulse.hashtags_hourly WHERE hour = '$x'"
  # pulse.hashtags_hourly as sql/pulse--0.1.0.sql defined it
  old_hh="SELECT * FROM (SELECT hour, hashtag, tweets, retweets, rank
                           FROM (SELECT date_bin('1 hour', tw.created_at, timestamptz '1970-01-01 00:00:00+00') AS hour,
                                        h.tag AS hashtag, count(DISTINCT tw.id) AS tweets,
                                        count(DISTINCT tw.id) FILTER (WHERE tw.is_retweet) AS retweets,
                                        rank() OVER (PARTITION BY date_bin('1 hour', tw.created_at, timestamptz '1970-01-01 00:00:00+00')
                                                     ORDER BY count(DISTINCT tw.id) DESC) AS rank
                                   FROM pulse.tweets tw CROSS JOIN LATERAL unnest(tw.hashtags) AS h(tag)
                                  GROUP BY 1, 2) ranked) v
           WHERE hour = '$x'"
  same() { # NAME NEW OLD: fails unless both give the same rows (EXCEPT ALL both ways)
    local r
    r=$(q -c "SELECT (SELECT count(*) FROM ($2) a) || ' ' || (SELECT count(*) FROM (($2) EXCEPT ALL ($3)) d)
                     || ' ' || (SELECT count(*) FROM (($3) EXCEPT ALL ($2)) d)")
    read -r n d1 d2 <<<"$r"
    [ "$n" -gt 0 ] && [ "$d1" = 0 ] && [ "$d2" = 0 ] || fail "$1: new and 0.1.0 definitions differ (rows $n, new-old $d1, old-new $d2)"
    echo "   $1: $n rows, identical to the 0.1.0 definition (EXCEPT ALL both ways)"
  }
  # query time: median of planning + execution time (EXPLAIN ANALYZE, TIMING OFF) over RUNS runs after one warm-up
  q -c "CREATE FUNCTION query_ms(sql text, runs int) RETURNS numeric LANGUAGE plpgsql AS \$\$
        DECLARE p json; t float8[] := '{}'; i int;
        BEGIN
          FOR i IN 0 .. runs LOOP
            EXECUTE 'EXPLAIN (ANALYZE, TIMING OFF, FORMAT JSON) ' || sql INTO p;
            IF i > 0 THEN t := t || ((p -> 0 ->> 'Planning Time')::float8 + (p -> 0 ->> 'Execution Time')::float8); END IF;
          END LOOP;
          RETURN (SELECT round(percentile_cont(0.5) WITHIN GROUP (ORDER BY x)::numeric, 3) FROM unnest(t) x);
        END \$\$"
  same minute_activity "$new_ma" "$old_ma"
  same hashtags_hourly "$new_hh" "$old_hh"
  q_esc() { printf '%s' "$1" | sed "s/'/''/g"; }
  ma_new=$(q -c "SELECT query_ms('$(q_esc "$new_ma")', 9)")
  ma_old=$(q -c "SELECT query_ms('$(q_esc "$old_ma")', 3)")
  hh_new=$(q -c "SELECT query_ms('$(q_esc "$new_hh")', 9)")
  hh_old=$(q -c "SELECT query_ms('$(q_esc "$old_hh")', 3)")
  printf '   %-52s %12s %12s %10s\n' "one hour (median of planning + execution)" "0.1.0 view" "rollups" "old/new"
  printf '   %-52s %9s ms %9s ms %9sx   (target: at least 100x)\n' "minute_activity, one market, minute in [X, X+1h)" "$ma_old" "$ma_new" "$(ratio "$ma_old" "$ma_new")"
  printf '   %-52s %9s ms %9s ms %9sx   (target: at least 100x)\n' "hashtags_hourly, hour = X" "$hh_old" "$hh_new" "$(ratio "$hh_old" "$hh_new")"
  echo "   [$(elapsed)]"
fi

psql -qX -d postgres -c "DROP DATABASE $db" >/dev/null
echo "done in $(elapsed)"
