#!/usr/bin/env bash
# pulse-load export: a consumer's records as gzip NDJSON files in Firehose's
# layout. Size rollover (each file but the last holds at least
# --buffer-bytes of records), the hour directory of each file's first
# record, a stream name that is not a path, time rollover and SIGTERM with
# --follow, a run killed between renaming a file and committing (the next
# run commits the file instead of writing it again), and the refusals: no
# such consumer, a consumer another export holds, a directory another
# consumer exports to, a role without pulse_consumer, a consumer behind
# retention.
. "$(dirname "$0")/common_lib.sh"
trap 'cleanup; [ -n "${fpid:-}" ] && kill $fpid 2>/dev/null; dropdb --if-exists pulse_it_export >/dev/null 2>&1; psql -X -q -d postgres -c "DROP ROLE IF EXISTS pulse_it_export_role" >/dev/null 2>&1' EXIT
new_db pulse_it_export
q "SELECT pulse.ensure_partitions('pulse.landing', now() - interval '1 day', now() + interval '1 day')" >/dev/null
stream='web/clicks v1'
sdir=$(python3 -c "import sys; print(sys.argv[1].replace('/', '%2F').replace(' ', '%20'))" "$stream")
put() {  # FROM TO [RECEIVED_AT]: records with ids FROM..TO, one transaction
  q "INSERT INTO pulse.landing (stream, format, batch_id, seq, received_at, payload)
     SELECT '$stream', 'json', 1, g, ${3:-now()}, jsonb_build_object('id', g, 'page', '/p/' || g, 'note', repeat('x', 60))
       FROM generate_series($1, $2) g" >/dev/null || fail "insert $1..$2"
}
# ids of all files, one a line
ids() { find "$work/out" -name '*.ndjson.gz' -exec zcat {} + | python3 -c "import sys, json; [print(json.loads(l)['id']) for l in sys.stdin]"; }
q "SELECT pulse.create_consumer('exp', '$stream', 'trim_horizon')" >/dev/null

# --- size rollover, hours, escaping
two_hours_ago="date_trunc('hour', now()) - interval '2 hours' + interval '5 minutes'"
put 1 300 "$two_hours_ago"
put 301 1000
"$bin" export --consumer exp --to "$work/out" --buffer-bytes 10000 2>"$work/err" || { cat "$work/err"; fail "export exited $?"; }
[ -d "$work/out/$sdir" ] || fail "no directory $sdir for stream '$stream': $(ls "$work/out")"
[ "$(ids | sort -n | uniq | wc -l)" = 1000 ] && [ "$(ids | wc -l)" = 1000 ] || fail "files hold $(ids | wc -l) records ($(ids | sort -u | wc -l) distinct), not 1000"
files=$(find "$work/out/$sdir" -name '*.ndjson.gz' | sort)
nfiles=$(echo "$files" | wc -l)
[ "$nfiles" -ge 8 ] || fail "only $nfiles files for 1000 records of ~100 bytes with --buffer-bytes 10000"
# every file but the one the run ended with holds at least 10,000 bytes of
# records; each lies in the hour of its first record's arrival, named by its
# first and last seq
python3 - "$work/out/$sdir" "$sdir" <<'PY' || fail "file layout"
import gzip, json, os, re, sys, subprocess
root, sdir = sys.argv[1], sys.argv[2]
files = []
for d, _, names in os.walk(root):
    if '.pulse-tmp' in d: continue
    for n in names:
        if n.endswith('.ndjson.gz'):
            files.append(os.path.join(d, n))
small = 0
for f in files:
    rel = os.path.relpath(f, root)
    m = re.fullmatch(r'(\d{4})/(\d\d)/(\d\d)/(\d\d)/' + re.escape(sdir) + r'-(\d+)-(\d+)\.ndjson\.gz', rel)
    assert m, rel
    raw = gzip.open(f).read()
    lines = raw.decode().splitlines()
    if len(raw) < 10000: small += 1
    first = json.loads(lines[0])['id']
    hour = subprocess.run(['psql', '-X', '-Atq', '-c',
        "SELECT to_char(received_at AT TIME ZONE 'UTC', 'YYYY/MM/DD/HH24') || ' ' || pos FROM pulse.landing "
        "WHERE payload->>'id' = '%d'" % first], capture_output=True, text=True, check=True).stdout.split()
    assert '/'.join(m.groups()[:4]) == hour[0], (rel, hour)
    assert int(m.group(5)) == int(hour[1]), (rel, hour)
assert small <= 1, '%d files under the size' % small
PY
[ "$(find "$work/out/$sdir" -path '*/.pulse-tmp/*' -type f | wc -l)" = 0 ] || fail "temporary files left"
[ "$(q "SELECT lag_records FROM pulse.consumers WHERE consumer = 'exp'")" = 0 ] || fail "lag left after export"
hours=$(find "$work/out/$sdir" -mindepth 4 -maxdepth 4 -type d | wc -l)
[ "$hours" -ge 2 ] || fail "records received two hours apart went to $hours hour directories"
echo "size rollover: $nfiles files, $hours hour directories"

# --- killed between renaming a file into place and committing it
put 1001 1400
# (the braces take the shell's "Killed" line away from the test's output)
{ PULSE_EXPORT_TEST_KILL_AFTER_RENAME=2 "$bin" export --consumer exp --to "$work/out" --buffer-bytes 10000 2>"$work/err"; } 2>/dev/null
rc=$?
[ "$rc" = 137 ] || { cat "$work/err"; fail "the test kill did not happen (exit $rc)"; }
before=$(q "SELECT position FROM pulse.consumers WHERE consumer = 'exp'")
"$bin" export --consumer exp --to "$work/out" --buffer-bytes 10000 2>"$work/err" || { cat "$work/err"; fail "export after the kill exited $?"; }
grep -q "written by a run that stopped before committing it" "$work/err" || { cat "$work/err"; fail "the uncommitted file was not recognised"; }
[ "$(ids | wc -l)" = 1400 ] && [ "$(ids | sort -n | uniq | wc -l)" = 1400 ] || fail "after the kill: $(ids | wc -l) records in files, $(ids | sort -u | wc -l) distinct, expected 1400"
[ "$(q "SELECT position FROM pulse.consumers WHERE consumer = 'exp'")" != "$before" ] || fail "the position did not move past the recognised file"

# --- --follow: a file after --buffer-interval while the export runs on;
# SIGTERM writes what it holds and commits it
follow() {  # INTERVAL
  "$bin" export --consumer exp --to "$work/out" --follow --buffer-interval "$1" --poll-interval 100 2>>"$work/ferr" &
  fpid=$!
}
stop_follow() {
  kill -TERM $fpid; wait $fpid; rc=$?; fpid=
  [ "$rc" = 0 ] || { cat "$work/ferr"; fail "SIGTERM: exit $rc"; }
}
follow 1
put 1401 1403
for _ in $(seq 100); do [ "$(ids | wc -l)" = 1403 ] && break; sleep 0.1; done
[ "$(ids | wc -l)" = 1403 ] || { cat "$work/ferr"; fail "--buffer-interval 1 wrote no file within 10 s"; }
kill -0 $fpid 2>/dev/null || fail "the follower ended on its own"
stop_follow
follow 600
put 1404 1410
# until it has read them (its read cursor is on the consumer's row)
for _ in $(seq 100); do
  [ "$(q "SELECT read_pos = (SELECT max(pos) FROM pulse.landing WHERE payload->>'id' = '1410') FROM pulse_internal.consumers WHERE name = 'exp'")" = t ] && break
  sleep 0.1
done
[ "$(ids | wc -l)" = 1403 ] || fail "a file was written before its interval or size"
stop_follow
[ "$(ids | wc -l)" = 1410 ] && [ "$(ids | sort -n | uniq | wc -l)" = 1410 ] || fail "after SIGTERM: $(ids | wc -l) records in files"
[ "$(q "SELECT lag_records FROM pulse.consumers WHERE consumer = 'exp'")" = 0 ] || fail "SIGTERM left records uncommitted"

# --- refusals
"$bin" export --consumer nobody --to "$work/out" 2>"$work/err"; rc=$?
[ "$rc" = 2 ] && grep -q 'no consumer "nobody"' "$work/err" || { cat "$work/err"; fail "unknown consumer: exit $rc"; }
psql -X -q -c "SELECT pg_advisory_lock(hashtextextended('pulse.consumer:exp', 0)), pg_sleep(3)" >/dev/null &
lpid=$!
for _ in $(seq 100); do
  [ "$(q "SELECT count(*) FROM pg_locks WHERE locktype = 'advisory' AND granted AND pid <> pg_backend_pid()")" -ge 1 ] && break
  sleep 0.05
done
PULSE_LOAD_TEST_TIME_SCALE=0.05 "$bin" export --consumer exp --to "$work/out" 2>"$work/err"; rc=$?
wait $lpid
[ "$rc" = 2 ] && grep -q 'is being read by pid' "$work/err" || { cat "$work/err"; fail "held consumer: exit $rc"; }
q "SELECT pulse.create_consumer('exp2', '$stream', 'trim_horizon')" >/dev/null
"$bin" export --consumer exp2 --to "$work/out" 2>"$work/err"; rc=$?
[ "$rc" = 2 ] && grep -q 'is exported by consumer "exp"' "$work/err" || { cat "$work/err"; fail "second consumer into one directory: exit $rc"; }
psql -X -q -d postgres -c "SET client_min_messages = warning" -c "DROP ROLE IF EXISTS pulse_it_export_role" -c "CREATE ROLE pulse_it_export_role LOGIN" >/dev/null
PGUSER=pulse_it_export_role "$bin" export --consumer exp --to "$work/out2" 2>"$work/err"; rc=$?
[ "$rc" = 2 ] && grep -q 'GRANT pulse_consumer TO pulse_it_export_role' "$work/err" || { cat "$work/err"; fail "role without pulse_consumer: exit $rc"; }
# as a consumer role: its own consumer, its own directory
psql -X -q -d postgres -c "GRANT pulse_consumer TO pulse_it_export_role" >/dev/null
PGUSER=pulse_it_export_role q "SELECT pulse.create_consumer('mine', '$stream', 'trim_horizon')" >/dev/null
PGUSER=pulse_it_export_role "$bin" export --consumer mine --to "$work/out2" 2>"$work/err" || { cat "$work/err"; fail "export as a pulse_consumer role"; }
[ "$(find "$work/out2" -name '*.ndjson.gz' -exec zcat {} + | wc -l)" = 1410 ] || fail "the consumer role's export"
# behind retention: exit 4 with the database's reason, nothing written
q "CREATE TABLE pulse_internal.landing_export_old PARTITION OF pulse_internal.landing_chunks FOR VALUES FROM (now() - interval '12 days') TO (now() - interval '9 days')"
put 5001 5005 "now() - interval '10 days'"
q "SELECT pulse.create_consumer('late', '$stream', 'trim_horizon')" >/dev/null
q "SELECT count(*) FROM pulse.run_maintenance('pulse.landing')" >/dev/null
"$bin" export --consumer late --to "$work/out3" 2>"$work/err"; rc=$?
[ "$rc" = 4 ] && grep -q 'fell behind retention' "$work/err" || { cat "$work/err"; fail "consumer behind retention: exit $rc"; }
[ "$(find "$work/out3" -name '*.ndjson.gz' | wc -l)" = 0 ] || fail "files written for a consumer behind retention"
echo "ok: size and time rollover in Firehose's layout, SIGTERM, a kill between rename and commit, and the refusals"
