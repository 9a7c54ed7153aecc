#!/usr/bin/env bash
# Stream consumers: pulse.read + pulse.commit in batches of 1,000 records,
# read to the end by a libpq client (bench/consumer_client.cpp: every row with
# its payload comes to the client, then the commit of its last seq). One
# consumer alone, then 10 consumers of the same stream taking turns batch by
# batch, then one alone again. Targets (issue 16): at least 50,000 records/s
# per consumer, and a consumer's cost with 9 others active within 1.3x of
# its cost alone.
#   bench/consumers_bench.sh        # PG* variables if PGHOST is set, else a throwaway cluster
# The same run also measures what consumers cost ingest: a COPY of 500,000
# landing records (50,000 with BENCH_SMALL) into pulse.landing against the
# same COPY into a copy of it without the index consumers read by,
# (stream, txid, pos).
# Sizes: BENCH_RECORDS (default 200000; 20000 with BENCH_SMALL) records of
# the stream, written in transactions of 1,000 between records of a second
# stream (half as many); BENCH_CONSUMER_BATCH (default 1000).
set -euo pipefail
cd "$(dirname "$0")/.."
records=${BENCH_RECORDS:-$([ -n "${BENCH_SMALL:-}" ] && echo 20000 || echo 200000)}
batch=${BENCH_CONSUMER_BATCH:-1000}
copy_rows=$((records * 5 / 2))

if [ -z "${PGHOST:-}" ]; then
  make -s -f Makefile.pgxs >/dev/null
  state=$PWD/build/benchpg
  sock=/tmp/pulse-bench-$$
  tests/pgcluster.sh start "$state" "$sock" "$PWD" >/dev/null
  export PGHOST=$sock PGPORT=5432 PGUSER=postgres
  trap 'tests/pgcluster.sh stop "$state" "$sock" "$PWD" >/dev/null' EXIT
fi
clientdir=$(mktemp -d)
client=$clientdir/consumer_client
# shellcheck disable=SC2046
g++ -O2 -std=c++17 bench/consumer_client.cpp $(pkg-config --cflags --libs libpq) -o "$client"
db=pulse_bench_consumers
psql -qX -d postgres -c "SET client_min_messages = warning" -c "DROP DATABASE IF EXISTS $db" -c "CREATE DATABASE $db" >/dev/null
q() { psql -qXAt -v ON_ERROR_STOP=1 -d "$db" "$@"; }
q -c "CREATE EXTENSION pulse"
q -c "SELECT pulse.ensure_partitions('pulse.landing', now() - interval '1 hour', now() + interval '1 day')" >/dev/null
# Records of about 250 bytes, as a loader writes them: one transaction per
# 1,000 (one landing chunk), the other stream's batches in between.
q <<SQL
DO \$\$
BEGIN
  FOR b IN 0 .. ($records - 1) / 1000 LOOP
    INSERT INTO pulse_internal.landing_chunks (stream, format, batch_id, seq, payloads)
    SELECT 'bench', 'json', b, 1,
           jsonb_agg(jsonb_build_object('id', b * 1000 + g, 'user', 'u' || (g % 977), 'text', repeat('bitcoin ', 25)) ORDER BY g)
      FROM generate_series(1, least(1000, $records - b * 1000)) g;
    COMMIT;
    IF b % 2 = 0 THEN
      INSERT INTO pulse_internal.landing_chunks (stream, format, batch_id, seq, payloads)
      SELECT 'other', 'json', b, 1, jsonb_agg(jsonb_build_object('id', g, 'text', repeat('noise ', 30)) ORDER BY g)
        FROM generate_series(1, 1000) g;
      COMMIT;
    END IF;
  END LOOP;
END \$\$;
SQL
q -c "VACUUM ANALYZE pulse_internal.landing_chunks"

# run TAG NAME...: the consumers (made at trim_horizon) read to the end;
# prints "TAG wall-seconds-per-consumer cpu-seconds-per-consumer"
run() {
  local tag=$1; shift
  for c in "$@"; do q -c "SELECT pulse.create_consumer('$c', 'bench', 'trim_horizon')" >/dev/null; done
  local out
  out=$("$client" "dbname=$db" "$batch" "$@")
  for c in "$@"; do
    n=$(echo "$out" | awk -v c="$c" '$1 == c { print $2 }')
    [ "$n" = "$records" ] || { echo "consumer $c read $n records, not $records" >&2; exit 1; }
  done
  echo "$out" | awk -v tag="$tag" -v k=$# '$1 == "seconds" { w = $2 } $3 == "cpu" { c += $4 } END { print tag, w / k, c / k }'
}
# 1 alone, 10 in turn, twice, interleaved (the machine may be busy with
# other work: both cases see the same).
{
  run alone solo_a
  run ten $(seq -f 'a%g' 1 10)
  run alone solo_b
  run ten $(seq -f 'b%g' 1 10)
} >"$client.runs"
lag=$(q -c "SELECT sum(lag_records) FROM pulse.consumers")
[ "$lag" = 0 ] || { echo "consumers left lag $lag" >&2; exit 1; }
awk -v r="$records" -v b="$batch" '
  { w[$1] += $2 / 2; c[$1] += $3 / 2; if ($1 == "alone") a = a sprintf(" %.3f", $2); else t = t sprintf(" %.3f", $2) }
  END {
    printf "records per consumer %d, batches of %d (pulse.read + pulse.commit each)\n", r, b
    printf "1 consumer alone:     wall s%s -> %.0f records/s; server CPU %.3f s -> %.0f records per CPU-second\n", a, r / w["alone"], c["alone"], r / c["alone"]
    printf "10 consumers in turn: wall s per consumer%s -> %.0f records/s per consumer; server CPU %.3f s per consumer -> %.0f records per CPU-second\n", t, r / w["ten"], c["ten"], r / c["ten"]
    printf "cost per consumer, 10 vs 1: wall %.2fx, server CPU %.2fx (target <= 1.3x); per-consumer rate target >= 50000 records/s\n", w["ten"] / w["alone"], c["ten"] / c["alone"]
  }' "$client.runs"

# Ingest: the same COPY (one stream, chunks of 1,000 records as a loader
# writes them) into pulse.landing's chunks and into a copy of that table
# without the consumers' index, both
# holding the streams read above; five rounds, alternating, the COPY's rows
# deleted and the table vacuumed before each; wall time and the backend's
# CPU time (/proc/self/stat read by the server: the bench's cluster is local).
q <<SQL
CREATE TABLE bench_plain (LIKE pulse_internal.landing_chunks INCLUDING DEFAULTS INCLUDING GENERATED INCLUDING CONSTRAINTS INCLUDING COMPRESSION)
  PARTITION BY RANGE (received_at);
CREATE TABLE bench_plain_now PARTITION OF bench_plain FOR VALUES FROM (now() - interval '1 day') TO (now() + interval '1 day');
CREATE INDEX ON bench_plain (stream, batch_id);
CREATE INDEX ON bench_plain (received_at);
INSERT INTO bench_plain (stream, format, batch_id, seq, received_at, payloads, pos, txid)
SELECT stream, format, batch_id, seq, received_at, payloads, pos, txid FROM pulse_internal.landing_chunks;
COPY (SELECT 'copy', 'json', g / 1000, 1, jsonb_agg(jsonb_build_object('id', g, 'text', repeat('bitcoin ', 25)) ORDER BY g)
        FROM generate_series(0, $copy_rows - 1) g GROUP BY g / 1000) TO '/tmp/pulse_consumers_bench_$$.copy';
SQL
copy_into() {  # TABLE: "TABLE wall-seconds cpu-seconds" of one COPY of the file into it
  q -c "DELETE FROM $1 WHERE stream = 'copy'" -c "VACUUM $1" >/dev/null
  q <<SQL
CREATE FUNCTION pg_temp.cpu_ticks() RETURNS bigint LANGUAGE sql AS \$\$
  SELECT split_part(s, ' ', 12)::bigint + split_part(s, ' ', 13)::bigint
    FROM (SELECT split_part(pg_read_file('/proc/self/stat'), ') ', 2) AS s) x \$\$;
CREATE TEMP TABLE m AS SELECT pg_temp.cpu_ticks() AS c, clock_timestamp() AS w;
COPY $1 (stream, format, batch_id, seq, payloads) FROM '/tmp/pulse_consumers_bench_$$.copy';
SELECT '$1', round(extract(epoch FROM clock_timestamp() - m.w), 3), (pg_temp.cpu_ticks() - m.c) / 100.0 FROM m;
SQL
}
for _ in 1 2 3 4 5; do
  copy_into pulse_internal.landing_chunks
  copy_into bench_plain
done | tr '|' ' ' >"$clientdir/copies"
rm -f "/tmp/pulse_consumers_bench_$$.copy"
awk -v n="$copy_rows" '
  { k[$1]++; w[$1, k[$1]] = $2; c[$1, k[$1]] = $3; v[$1] = v[$1] sprintf(" %.3f/%.2f", $2, $3) }
  function median(a, t,   i, j, x, y) {
    for (i = 1; i <= 5; i++) y[i] = a[t, i]
    for (i = 1; i <= 5; i++) for (j = i + 1; j <= 5; j++) if (y[j] < y[i]) { x = y[i]; y[i] = y[j]; y[j] = x }
    return y[3]
  }
  END {
    lw = median(w, "pulse_internal.landing_chunks"); lc = median(c, "pulse_internal.landing_chunks"); pw = median(w, "bench_plain"); pc = median(c, "bench_plain")
    printf "ingest, COPY %d records of one stream (wall/CPU s per round): landing chunks%s; without the consumer index%s\n", n, v["pulse_internal.landing_chunks"], v["bench_plain"]
    printf "  medians %.3f s vs %.3f s wall (%.2fx), %.2f s vs %.2f s backend CPU (%.2fx)\n", lw, pw, lw / pw, lc, pc, lc / pc
  }' "$clientdir/copies"
rm -rf "$clientdir"
