#!/usr/bin/env bash
# pulse-gateway under 16 concurrent clients: every answer's seqs are exactly
# the pulse.landing positions of that request's records, each record is
# stored once, and concurrent requests share transactions (group commit).
# Then SIGTERM while requests wait for a blocked database: the listening
# socket closes at once, the waiting requests are committed and answered
# once the database moves, and the gateway exits 0.
here=$(cd "$(dirname "$0")" && pwd)
. "$here/gateway_lib.sh"
new_db pulse_it_gateway_concurrent
tok=$(token_for busy)
gw_start --batch-wait 20

clients=16 requests=25 records=100
python3 "$client" --url "$gw_url" --stream busy --token "$tok" --clients $clients --requests $requests \
  --records $records --key-prefix run1 --out "$work/acks.jsonl" >/dev/null || fail "client"
q "COPY (SELECT payload->>'c', payload->>'r', payload->>'i', pos, txid FROM pulse.landing WHERE stream = 'busy') TO STDOUT" >"$work/landing.tsv"
python3 - "$work/acks.jsonl" "$work/landing.tsv" $clients $requests $records <<'PY' || fail "answers and landing disagree"
import json, sys
acks, landing, C, R, N = sys.argv[1], sys.argv[2], *map(int, sys.argv[3:])
answered = {}
for line in open(acks):
    a = json.loads(line)
    assert a["status"] == 200, a
    ans = a["answer"]
    assert ans["accepted"] == N and ans["rejected"] == 0, ans
    seqs = [x["seq"] for x in ans["records"]]
    assert ans["first_seq"] == min(seqs) and ans["last_seq"] == max(seqs), ans
    for i, s in enumerate(seqs):
        answered[(a["c"], a["r"], i)] = s
assert len(answered) == C * R * N, ("answered records", len(answered))
stored, txids = {}, set()
for line in open(landing):
    c, r, i, pos, txid = line.split("\t")
    k = (int(c), int(r), int(i))
    assert k not in stored, ("stored twice", k)
    stored[k] = int(pos)
    txids.add(txid.strip())
assert stored == answered, "a record's seq is not its landing pos"
# Group commit: far fewer transactions than requests.
assert len(txids) < C * R, ("transactions", len(txids), "requests", C * R)
print("ok: %d requests of %d records from %d clients: every seq is its record's landing pos, each stored once, "
      "in %d transactions" % (C * R, N, C, len(txids)))
PY
[ "$(q "SELECT count(*) FROM pulse.rejects")" = 0 ] || fail "rejects"

# SIGTERM while requests wait for the database.
PGAPPNAME=gw_locker psql -X -q -c "BEGIN; LOCK TABLE pulse.landing IN ACCESS EXCLUSIVE MODE; SELECT pg_sleep(60)" >/dev/null 2>&1 &
locker=$!
for _ in $(seq 200); do
  [ "$(q "SELECT count(*) FROM pg_locks WHERE relation = 'pulse_internal.landing_chunks'::regclass AND mode = 'AccessExclusiveLock' AND granted")" = 1 ] && break
  sleep 0.05
done
python3 "$client" --url "$gw_url" --stream busy --token "$tok" --clients 6 --requests 1 --records 10 \
  --key-prefix drain --out "$work/drain.jsonl" >/dev/null &
drainers=$!
for _ in $(seq 200); do
  [ "$(metric pulse_gateway_queue_requests)" = 6 ] && break
  sleep 0.05
done
[ "$(metric pulse_gateway_queue_requests)" = 6 ] || fail "6 requests should wait: $(metric pulse_gateway_queue_requests)"
kill -TERM "$gw_pid"
for _ in $(seq 200); do
  curl -s -o /dev/null "$gw_url/healthz"; [ $? = 7 ] && break
  sleep 0.05
done
curl -s -o /dev/null "$gw_url/healthz"; rc=$?
[ "$rc" = 7 ] || fail "a new connection after SIGTERM was not refused (curl exit $rc)"
kill -0 "$gw_pid" 2>/dev/null || fail "the gateway exited with requests in flight"
q "SELECT pg_terminate_backend(pid) FROM pg_stat_activity WHERE application_name = 'gw_locker'" >/dev/null
wait "$locker" 2>/dev/null
wait "$drainers" || fail "drain client"
wait "$gw_pid"; rc=$?; gw_pid=""
[ "$rc" = 0 ] || fail "exit $rc after draining: $(tail -3 "$work/gw.log")"
python3 - "$work/drain.jsonl" <<'PY' || fail "a request in flight was not answered 200"
import json, sys
rows = [json.loads(l) for l in open(sys.argv[1])]
assert len(rows) == 6 and all(r["status"] == 200 and r["answer"]["accepted"] == 10 for r in rows), rows
PY
[ "$(q "SELECT count(*) FROM pulse.landing WHERE stream = 'busy'")" = $((clients * requests * records + 60)) ] \
  || fail "landing after the drain"
grep -q "stopping: no new requests" "$work/gw.log" || fail "log: $(cat "$work/gw.log")"
echo "ok: SIGTERM with 6 requests waiting on a locked pulse.landing: new connections refused, all 6 committed and answered 200, exit 0"
