#!/usr/bin/env bash
# pulse-gateway's bounds: slowloris-style clients (300 connections dribbling
# header bytes, 40 dribbling bodies) cost no threads and little memory while
# other clients are still served, and are closed once idle past
# --connection-timeout or slow past --request-timeout; connections past
# --max-connections are not taken; and with the database blocked,
# request bodies held in memory stop at --queue-bytes: the rest get 429 with
# Retry-After, memory stays bounded, and once the database moves every
# answered request is stored and no refused one is.
here=$(cd "$(dirname "$0")" && pwd)
. "$here/gateway_lib.sh"
slow="$here/slow_clients.py"
new_db pulse_it_gateway_limits
tok=$(token_for lim)
slowtok=$(token_for slow)
gw_start --max-connections 400 --connection-timeout 3 --request-timeout 4 --threads 2 --queue-bytes 2000000
r=$(post "$tok" lim '[{"warm":1}]')
[ "$(status_of "$r")" = 200 ] || fail "warm-up: $r"
threads0=$(gw_threads)
rss0=$(gw_rss_kb)

# --- slow headers and slow bodies
python3 "$slow" --port "$gw_port" --connections 300 --interval 1 --trickle 6 --hold 6 --ready-file "$work/ready1" \
  >"$work/slow_headers.json" &
s1=$!
python3 "$slow" --port "$gw_port" --connections 40 --body --token "$slowtok" --interval 1 --trickle 8 --hold 0 \
  --ready-file "$work/ready2" >"$work/slow_bodies.json" &
s2=$!
for _ in $(seq 200); do [ -f "$work/ready1" ] && [ -f "$work/ready2" ] && break; sleep 0.05; done
sleep 1
conns=$(metric pulse_gateway_connections)
[ "$conns" -ge 300 ] || fail "only $conns connections open while 340 slow clients trickle"
threads1=$(gw_threads)
rss1=$(gw_rss_kb)
r=$(post "$tok" lim '[{"during":1}]')
[ "$(status_of "$r")" = 200 ] || fail "a normal client was not served among the slow ones: $r"
wait $s1 $s2
echo "slow headers: $(cat "$work/slow_headers.json"); slow bodies: $(cat "$work/slow_bodies.json")"
[ "$threads1" = "$threads0" ] || fail "threads grew from $threads0 to $threads1 with $conns connections"
[ $((rss1 - rss0)) -lt 65536 ] || fail "RSS grew by $(((rss1 - rss0) / 1024)) MB with $conns slow connections"
python3 - "$work/slow_headers.json" "$work/slow_bodies.json" <<'PY' || fail "slow clients were not closed as they should be"
import json, sys
h = json.load(open(sys.argv[1])); b = json.load(open(sys.argv[2]))
# Headers dribbled faster than the timeout keep their connection; once
# silent for longer than --connection-timeout they are closed.
assert h["opened"] == 300 and h["closed_while_trickling"] == 0 and h["closed_at_end"] == 300, h
# A body still arriving after --request-timeout ends its connection.
assert b["opened"] == 40 and b["closed_while_trickling"] == 40, b
PY
for _ in $(seq 100); do [ "$(metric pulse_gateway_connections)" -le 1 ] && break; sleep 0.1; done
[ "$(metric pulse_gateway_connections)" -le 1 ] || fail "connections left: $(metric pulse_gateway_connections)"
[ "$(q "SELECT count(*) FROM pulse.landing WHERE stream = 'slow'")" = 0 ] || fail "a cut-off body stored records"
echo "ok: 340 slow clients: threads $threads0 -> $threads1, RSS +$(((rss1 - rss0) / 1024)) MB, a normal client served; idle ones closed after the timeout, slow bodies after --request-timeout, nothing of them stored"

# --- past --max-connections: the gateway takes no more (the rest wait in
# the kernel's listen queue, costing it nothing) and serves again after
base_sockets=$(find /proc/$gw_pid/fd -lname 'socket:*' | wc -l)
python3 "$slow" --port "$gw_port" --connections 450 --interval 0.5 --trickle 2 --hold 0 --ready-file "$work/ready3" \
  >"$work/over.json" &
s3=$!
for _ in $(seq 200); do [ -f "$work/ready3" ] && break; sleep 0.05; done
sleep 0.5
# (counted by the gateway's open sockets: /metrics itself cannot get in)
most=$(($(find /proc/$gw_pid/fd -lname 'socket:*' | wc -l) - base_sockets))
[ "$most" -le 400 ] || fail "$most connections open past --max-connections 400"
[ "$most" -ge 1 ] || fail "no connection taken"
wait $s3
for _ in $(seq 100); do [ "$(metric pulse_gateway_connections)" -le 1 ] && break; sleep 0.1; done
r=$(post "$tok" lim '[{"after":1}]')
[ "$(status_of "$r")" = 200 ] || fail "after the connection flood: $r"
echo "ok: 450 connections against --max-connections 400: $most taken, then served again"

# --- a blocked database: memory bounded by --queue-bytes
PGAPPNAME=gw_locker psql -X -q -c "BEGIN; LOCK TABLE pulse.landing IN ACCESS EXCLUSIVE MODE; SELECT pg_sleep(120)" >/dev/null 2>&1 &
locker=$!
for _ in $(seq 200); do
  [ "$(q "SELECT count(*) FROM pg_locks WHERE relation = 'pulse_internal.landing_chunks'::regclass AND mode = 'AccessExclusiveLock' AND granted")" = 1 ] && break
  sleep 0.05
done
rss2=$(gw_rss_kb)
python3 "$client" --url "$gw_url" --stream lim --token "$tok" --clients 150 --requests 1 --records 100 --pad 200 \
  --key-prefix bp --out "$work/bp.jsonl" >/dev/null &
cpid=$!
refused() { cat "$work/bp.jsonl" 2>/dev/null | grep -c '"status": 429'; }
for _ in $(seq 400); do
  [ "$(refused)" -ge 1 ] && [ "$(($(metric pulse_gateway_queue_requests) + $(refused)))" -ge 150 ] && break
  sleep 0.05
done
held=$(metric pulse_gateway_queue_bytes)
rss3=$(gw_rss_kb)
[ "$held" -le 2000000 ] || fail "held $held bytes over --queue-bytes 2000000"
q "SELECT pg_terminate_backend(pid) FROM pg_stat_activity WHERE application_name = 'gw_locker'" >/dev/null
wait "$locker" 2>/dev/null
wait $cpid || fail "client"
python3 - "$work/bp.jsonl" >"$work/bp.txt" <<'PY' || fail "backpressure answers: $(head -3 "$work/bp.jsonl")"
import json, sys
rows = [json.loads(l) for l in open(sys.argv[1])]
ok = [r for r in rows if r["status"] == 200]
refused = [r for r in rows if r["status"] == 429]
assert len(rows) == 150 and len(ok) + len(refused) == 150, [(r["status"], r["answer"]) for r in rows if r["status"] not in (200, 429)][:3]
assert ok and refused, ("accepted", len(ok), "refused", len(refused))
assert all("queue is full" in r["answer"] for r in refused), refused[0]
print(len(ok), len(refused), " ".join("%d:%d" % (r["c"], r["r"]) for r in ok))
PY
read -r n_ok n_refused _ <"$work/bp.txt"
[ "$(q "SELECT count(*) FROM pulse.landing WHERE stream = 'lim' AND payload ? 'pad'")" = $((n_ok * 100)) ] \
  || fail "landing has $(q "SELECT count(*) FROM pulse.landing WHERE stream = 'lim' AND payload ? 'pad'") records, $n_ok requests of 100 were answered 200"
[ $((rss3 - rss2)) -lt 65536 ] || fail "RSS grew by $(((rss3 - rss2) / 1024)) MB while the database was blocked"
[ "$(metric 'pulse_gateway_requests_total{code="429"}')" = "$n_refused" ] || fail "429s in /metrics"
echo "ok: database blocked: $n_ok requests held (at most $held bytes), $n_refused answered 429 with Retry-After, RSS +$(((rss3 - rss2) / 1024)) MB; afterwards exactly the answered ones are stored"
gw_stop
[ "$gw_rc" = 0 ] || fail "exit $gw_rc"
