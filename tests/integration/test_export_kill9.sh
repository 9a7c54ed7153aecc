#!/usr/bin/env bash
# pulse-load export under kill -9: while two writers keep inserting into a
# stream (small transactions, some held open so that they commit out of
# position order), an export with --follow and small files is SIGKILLed at
# random moments (at least 10 times; the seed is printed, PULSE_FAULT_SEED
# replays a run) and started again each time. Then a last run without
# --follow catches up, and the union of all files holds every record of the
# stream exactly once, with no temporary file left.
. "$(dirname "$0")/common_lib.sh"
seed=${PULSE_FAULT_SEED:-$(( $(date +%s%N) % 32768 ))}
echo "seed $seed (PULSE_FAULT_SEED=$seed replays this run)"
RANDOM=$seed
writers=()
trap 'cleanup; for p in "${writers[@]}"; do kill $p 2>/dev/null; done; dropdb --if-exists --force pulse_it_export_kill9 >/dev/null 2>&1' EXIT
new_db pulse_it_export_kill9
q "SELECT pulse.ensure_partitions('pulse.landing', now() - interval '1 hour', now() + interval '1 day')" >/dev/null
q "SELECT pulse.create_consumer('k9', 'kill9', 'trim_horizon')" >/dev/null

# writer W: 80 transactions of 1..40 records, ids W*1000000 + n; every
# third one sleeps before it commits, so a later writer's records commit first
writer() {
  local w=$1 n=0 sql
  for t in $(seq 80); do
    local k=$(( 1 + (t * 7 + w * 13) % 40 ))
    sql="BEGIN; INSERT INTO pulse.landing (stream, format, batch_id, seq, payload)
         SELECT 'kill9', 'json', $t, g, jsonb_build_object('id', $w * 1000000 + $n + g, 'w', $w, 'pad', repeat('p', 80))
           FROM generate_series(1, $k) g;"
    [ $((t % 3)) = 0 ] && sql="$sql SELECT pg_sleep(0.2);"
    psql -X -q -v ON_ERROR_STOP=1 -c "$sql COMMIT;" >/dev/null || exit 1
    n=$((n + k))
    sleep 0.0$((RANDOM % 5))
  done
}
writer 1 & writers+=($!)
writer 2 & writers+=($!)

args=(export --consumer k9 --to "$work/out" --buffer-bytes 2000 --buffer-interval 1 --poll-interval 50)
kills=0 runs=0
while [ $kills -lt 10 ] && [ $runs -lt 60 ]; do
  runs=$((runs + 1))
  "$bin" "${args[@]}" --follow 2>>"$work/err" &
  pid=$!
  sleep "0.$(printf %03d $((50 + RANDOM % 700)))"
  kill -0 $pid 2>/dev/null || { wait $pid; cat "$work/err"; fail "run $runs ended by itself (exit $?)"; }
  kill -9 $pid; wait $pid 2>/dev/null
  kills=$((kills + 1))
done
for p in "${writers[@]}"; do wait $p || fail "a writer failed"; done
writers=()
[ $kills -ge 10 ] || fail "only $kills kills (seed $seed)"
"$bin" "${args[@]}" 2>>"$work/err" || { tail "$work/err"; fail "the last run exited $? (seed $seed)"; }

total=$(q "SELECT count(*) FROM pulse.landing WHERE stream = 'kill9'")
[ "$total" -gt 1000 ] || fail "the writers wrote only $total records"
q "SELECT payload->>'id' FROM pulse.landing WHERE stream = 'kill9' ORDER BY 1" >"$work/expected"
find "$work/out" -name '*.ndjson.gz' -exec zcat {} + | python3 -c "import sys, json; [print(json.loads(l)['id']) for l in sys.stdin]" \
  | sort >"$work/got"
dups=$(uniq -d "$work/got" | wc -l)
[ "$dups" = 0 ] || fail "$dups records in more than one file (seed $seed): $(uniq -d "$work/got" | head -3 | paste -sd' ')"
diff <(sort "$work/expected") "$work/got" >"$work/diff" || fail "files and stream differ (seed $seed): $(head -5 "$work/diff" | paste -sd' ')"
[ "$(find "$work/out" -path '*/.pulse-tmp/*' -type f | wc -l)" = 0 ] || fail "temporary files left"
[ "$(q "SELECT lag_records FROM pulse.consumers WHERE consumer = 'k9'")" = 0 ] || fail "records left unread"
files=$(find "$work/out" -name '*.ndjson.gz' | wc -l)
recovered=$(grep -c 'written by a run that stopped before committing it' "$work/err")
echo "ok: $kills kills in $runs runs while two writers wrote $total records: $files files hold each once ($recovered files found uncommitted after a kill and committed)"
