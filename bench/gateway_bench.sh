#!/usr/bin/env bash
# pulse-gateway against COPY, in one run:
#  1. throughput: the same N JSON records (about 200 bytes each) posted to
#     the gateway by 16 concurrent clients in requests of 500 records
#     (tests/integration/gateway_client.py --bodies: 16 threads with
#     keep-alive connections posting bodies prepared beforehand; every
#     answer checked to be 200), against one psql client COPYing them straight into
#     pulse.landing's chunks (one per 500 records, as the gateway writes a
#     request): once as a single COPY (one transaction), once as one
#     COPY + COMMIT per 500 records. Two rounds, alternating; records/s for
#     each and the ratio gateway / single COPY (goal: at least 0.5).
#  2. latency: 16 clients paced together to 5,000 records/s in requests of
#     100 records for BENCH_LATENCY_SECONDS (20), acknowledgement latency
#     (request sent to answer read) p50 / p99 (goal: p99 under 100 ms).
#   bench/gateway_bench.sh      # PG* variables if PGHOST is set, else a throwaway cluster
# Size: BENCH_RECORDS (default 400000; BENCH_SMALL=1: 40000).
set -euo pipefail
cd "$(dirname "$0")/.."
records=${BENCH_RECORDS:-400000}
[ -n "${BENCH_SMALL:-}" ] && records=${BENCH_RECORDS:-40000}
lat_seconds=${BENCH_LATENCY_SECONDS:-20}
gw=${PULSE_GATEWAY:-build/pulse-gateway}
[ -x "$gw" ] || { echo "build pulse-gateway first (cmake --build build)" >&2; exit 2; }
per=500

if [ -z "${PGHOST:-}" ]; then
  make -s -f Makefile.pgxs >/dev/null
  state=$PWD/build/benchpg-gateway
  sock=/tmp/pulse-bench-gateway-$$
  tests/pgcluster.sh start "$state" "$sock" "$PWD" >/dev/null
  export PGHOST=$sock PGPORT=5432 PGUSER=postgres
fi
db=pulse_bench_gateway
psql -qX -d postgres -c "SET client_min_messages = warning" -c "DROP DATABASE IF EXISTS $db" -c "CREATE DATABASE $db" >/dev/null
export PGDATABASE=$db
q() { psql -qXAt -v ON_ERROR_STOP=1 "$@"; }
now() { date +%s.%N; }
work=$(mktemp -d)
gw_pid=""
trap '[ -n "$gw_pid" ] && kill "$gw_pid" 2>/dev/null; rm -rf "$work"; [ -n "${state:-}" ] && tests/pgcluster.sh stop "$state" "$sock" "$PWD" >/dev/null' EXIT
q -c "CREATE EXTENSION pulse" >/dev/null
q -c "SELECT pulse.ensure_partitions('pulse.landing', now() - interval '1 hour', now() + interval '1 day')" >/dev/null
tok=$(q -c "SELECT pulse.create_ingest_token('bench_gw')")

# The records: request bodies of 500 (JSON arrays) and the same records as
# COPY text rows, one file per 500 and one for all.
python3 - "$records" "$per" "$work" <<'PY'
import json, os, sys
n, per, work = int(sys.argv[1]), int(sys.argv[2]), sys.argv[3]
os.makedirs(work + "/bodies")
allrows = open(work + "/all.copy", "w")
for b in range(0, n, per):
    recs = []
    rows = []
    for i in range(b, min(b + per, n)):
        r = json.dumps({"event": "page_view", "user": "u%07d" % (i * 7919 % 1000003), "seq": i,
                        "ts": "2024-03-11T12:%02d:%02d.%03dZ" % (i // 60000 % 60, i // 1000 % 60, i % 1000),
                        "props": {"path": "/items/%d" % (i % 5000), "ref": "campaign-%d" % (i % 37), "ms": i % 9973}},
                       separators=(",", ":"))
        recs.append(r)
    rows = ["bench_copy\tjson\t%d\t1\t[%s]\n" % (b // per + 1, ",".join(recs))]
    with open("%s/bodies/%06d.json" % (work, b // per), "w") as f:
        f.write("[" + ",".join(recs) + "]")
    with open("%s/bodies/%06d.copy" % (work, b // per), "w") as f:
        f.writelines(rows)
    allrows.writelines(rows)
PY
bytes=$(cat "$work"/bodies/*.json | wc -c)
echo "records: $records in $((records / per)) requests of $per ($((bytes / records)) bytes a record)"

"$gw" --listen 127.0.0.1:0 --db "dbname=$db" --threads 2 2>"$work/gw.log" &
gw_pid=$!
for _ in $(seq 200); do grep -q listening "$work/gw.log" && break; sleep 0.05; done
port=$(grep -o 'port=[0-9]*' "$work/gw.log" | cut -d= -f2)
url="http://127.0.0.1:$port/v1/streams/bench_gw/records"
copy_all() {
  q -c "TRUNCATE pulse_internal.landing_chunks" >/dev/null
  local t0; t0=$(now)
  q -c "\\copy pulse_internal.landing_chunks (stream, format, batch_id, seq, payloads) FROM '$work/all.copy'"
  echo "$t0 $(now)"
}
copy_batches() {
  q -c "TRUNCATE pulse_internal.landing_chunks" >/dev/null
  local t0; t0=$(now)
  for f in "$work"/bodies/*.copy; do echo "\\copy pulse_internal.landing_chunks (stream, format, batch_id, seq, payloads) FROM '$f'"; done \
    | q >/dev/null
  echo "$t0 $(now)"
}
gateway() {
  q -c "TRUNCATE pulse_internal.landing_chunks" >/dev/null
  local t0; t0=$(now)
  python3 tests/integration/gateway_client.py --url "http://127.0.0.1:$port" --stream bench_gw --token "$tok" \
    --clients 16 --bodies "$work/bodies" --out "$work/acks.jsonl" >/dev/null
  local t1; t1=$(now)
  [ "$(grep -c '"status": 200' "$work/acks.jsonl")" = $((records / per)) ] || { echo "not all 200" >&2; exit 1; }
  [ "$(q -c "SELECT count(*) FROM pulse.landing WHERE stream = 'bench_gw'")" = "$records" ] || { echo "landing count" >&2; exit 1; }
  echo "$t0 $t1"
}
rate() { python3 -c "import sys; t0, t1 = map(float, sys.argv[1:3]); print('%.0f' % ($records / (t1 - t0)))" $1 $2; }

declare -a R_COPY R_BATCH R_GW
for round in 1 2; do
  c=$(rate $(copy_all)); b=$(rate $(copy_batches)); g=$(rate $(gateway))
  R_COPY+=("$c"); R_BATCH+=("$b"); R_GW+=("$g")
  echo "round $round: single COPY $c records/s, COPY per $per records $b records/s, gateway (16 clients) $g records/s"
done
python3 - "${R_COPY[*]}" "${R_BATCH[*]}" "${R_GW[*]}" <<'PY'
import sys
c, b, g = ([float(x) for x in s.split()] for s in sys.argv[1:4])
mc, mb, mg = sum(c) / len(c), sum(b) / len(b), sum(g) / len(g)
print("mean: single COPY %.0f records/s, COPY per 500 %.0f records/s, gateway %.0f records/s" % (mc, mb, mg))
print("ratio gateway / single COPY: %.2f (rounds: %s); gateway / COPY per 500: %.2f"
      % (mg / mc, ", ".join("%.2f" % (x / y) for x, y in zip(g, c)), mg / mb))
PY
curl -s "http://127.0.0.1:$port/metrics" | grep -E '^pulse_gateway_(commits_total|batch_requests_(sum|count)|batch_records_(sum|count)|body_bytes_total)' \
  | tr '\n' ' '; echo

# Latency at 5,000 records/s.
q -c "TRUNCATE pulse_internal.landing_chunks" >/dev/null
python3 tests/integration/gateway_client.py --url "http://127.0.0.1:$port" --stream bench_gw --token "$tok" \
  --clients 16 --requests $((5000 * lat_seconds / 100 / 16)) --records 100 --pad 60 --rate 5000 --out "$work/lat.jsonl" >/dev/null
python3 - "$work/lat.jsonl" <<'PY'
import json, sys
rows = [json.loads(l) for l in open(sys.argv[1])]
assert all(r["status"] == 200 for r in rows), "not all 200"
lat = sorted(r["latency_ms"] for r in rows)
pick = lambda p: lat[min(len(lat) - 1, int(p * len(lat)))]
print("latency at 5,000 records/s (16 clients, requests of 100 records, %d requests): p50 %.1f ms, p99 %.1f ms, max %.1f ms"
      % (len(lat), pick(0.50), pick(0.99), lat[-1]))
PY
kill -TERM "$gw_pid"; wait "$gw_pid" || true; gw_pid=""
