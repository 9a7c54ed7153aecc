#!/usr/bin/env bash
# Backpressure: while the database cannot take a batch (another session holds
# an ACCESS EXCLUSIVE lock on pulse.landing), the loader stops reading the
# source (the replay server sees no further requests) and its memory stays
# bounded (VmRSS/VmHWM from /proc); once the lock goes, it finishes with every
# candle exactly once.
here=$(cd "$(dirname "$0")" && pwd)
. "$here/faults_lib.sh"
export PULSE_REPLAY_UPBIT_COPIES=100   # 20000 candles, 100 pages of 200
start_server
new_db pulse_it_faults_backpressure
n=20000
nreq() { requests | python3 -c "import json,sys; print(sum(1 for r in json.load(sys.stdin) if r['path'].startswith('/v1/candles')))"; }
vm() { awk -v k="$1:" '$1 == k { print $2 }' "/proc/$pid/status"; }

# The blocker: a session that takes the lock and keeps it until told.
mkfifo "$work/ctl"
psql -X -q -v ON_ERROR_STOP=1 <"$work/ctl" >"$work/blocker.out" 2>&1 &
blocker=$!
exec 7>"$work/ctl"
echo "BEGIN; LOCK TABLE pulse.landing IN ACCESS EXCLUSIVE MODE; SELECT 'locked';" >&7
for _ in $(seq 100); do grep -q locked "$work/blocker.out" 2>/dev/null && break; sleep 0.05; done
[ "$(q "SELECT count(*) FROM pg_locks WHERE relation = 'pulse_internal.landing_chunks'::regclass AND mode = 'AccessExclusiveLock' AND granted")" = 1 ] \
  || fail "the blocker did not get its lock: $(cat "$work/blocker.out")"

"$bin" candles --exchange upbit --market KRW-BTC --since 2020-02-06T00:00:00Z --until 2020-02-20T21:00:00Z \
  --api-url "$api" --batch-rows 200 --flush-interval 50 --quiet 2>"$work/err" 7>&- &
pid=$!
# Let the source run into the full queue, then watch it stand still.
sleep 3
kill -0 $pid 2>/dev/null || { cat "$work/err"; fail "the loader ended while the database was blocked"; }
r1=$(nreq); rss1=$(vm VmRSS)
sleep 2
r2=$(nreq); rss2=$(vm VmRSS); hwm=$(vm VmHWM)
echo "while blocked: $r1 -> $r2 requests of 100 pages; VmRSS ${rss1} -> ${rss2} kB, VmHWM ${hwm} kB"
[ "$r1" -lt 20 ] || fail "the loader read $r1 of 100 pages while the database was blocked (no backpressure)"
[ "$r2" = "$r1" ] || fail "the loader kept reading the source while blocked ($r1 -> $r2 requests)"
[ "$(q "SELECT count(*) FROM pg_stat_activity WHERE application_name LIKE 'pulse-load%' AND wait_event_type = 'Lock'")" -ge 1 ] \
  || fail "the loader is not the one waiting for the lock"
# Bounded: a few batches of ~300-byte records plus the process's fixed
# footprint (libcurl, libpq, TLS); an ASan build adds shadow memory and its
# quarantine, so it gets a wider bound. And no growth while it waits.
limit=65536
ldd "$bin" 2>/dev/null | grep -q libasan && limit=524288
[ "$hwm" -lt $limit ] || fail "VmHWM $hwm kB while blocked (limit $limit kB)"
[ "$rss2" -le $((rss1 + 1024)) ] || fail "VmRSS grew while blocked: $rss1 -> $rss2 kB"
echo "COMMIT;" >&7
exec 7>&-
wait $blocker
for _ in $(seq 600); do kill -0 $pid 2>/dev/null || break; sleep 0.1; done
kill -0 $pid 2>/dev/null && { kill -9 $pid; fail "the loader did not finish after the lock was released"; }
wait $pid; rc=$?
[ "$rc" = 0 ] || { cat "$work/err"; fail "loader exited $rc"; }
got=$(q "SELECT count(*), count(DISTINCT bucket_start) FROM pulse.candles")
[ "$got" = "$n|$n" ] || fail "candles (count|distinct) $got, expected $n|$n"
[ "$(nreq)" -ge 100 ] || fail "not every page was read after the release"
echo "ok: backpressure held the source at $r1 requests, VmHWM $hwm kB; $n candles once after the release"
