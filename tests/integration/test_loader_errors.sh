#!/usr/bin/env bash
# Clear errors where users hit raw ones, and no silent drop (issue 13, items
# 2 and 7).
# 1. A database without the extension: exit 2, one line "run CREATE
#    EXTENSION pulse in database X" (main: exit 4 with "relation
#    pulse.checkpoints does not exist").
# 2. A role without pulse_writer: exit 2, one line "GRANT pulse_writer TO R"
#    (main: exit 4, "permission denied for schema pulse"); with the grant it
#    loads.
# 3. Server messages (NOTICE, LOG, ...) go through the logger: with
#    --log-format json every line of stderr is a JSON object (main: libpq
#    printed "LOG:  statement: ..." raw).
# 4. A batch that apply_batch calls "already applied" is an error (exit 4,
#    naming the batch), never a silent drop: another writer moves the
#    checkpoint of the stream a loader is loading (psql ignores the lease),
#    committing landing rows under the very batch id the loader uses next.
#    The loader stops with exit 4; those landing rows are kept; nothing of
#    the loader's batch is committed; typed rows equal landing rows (main:
#    exit 0, the batch's tweets silently missing).
here=$(cd "$(dirname "$0")" && pwd)
. "$here/tweets_lib.sh"
make_tweet_lines "$work/t.jsonl" 50 1

one_line_exit() {  # WANT_EXIT GREP_PATTERN ARGS...: one line on stderr, the exit code, the message
  local want=$1 pattern=$2 err status; shift 2
  err=$("$bin" "$@" 2>&1 >/dev/null); status=$?
  [ "$status" = "$want" ] || fail "'$*' exited $status, expected $want: $err"
  [ "$(printf '%s\n' "$err" | wc -l)" = 1 ] || fail "'$*' printed more than one line: $err"
  grep -qF -- "$pattern" <<<"$err" || fail "'$*' message: $err (expected: $pattern)"
}

# --- 1. no extension
dropdb --if-exists --force pulse_it_loader_noext >/dev/null 2>&1
createdb pulse_it_loader_noext || fail "createdb"
one_line_exit 2 "pulse-load: error: the pulse extension is not installed in database \"pulse_it_loader_noext\": run CREATE EXTENSION pulse in database pulse_it_loader_noext" \
  tweets --source file --file "$work/t.jsonl" --db dbname=pulse_it_loader_noext
one_line_exit 2 "run CREATE EXTENSION pulse in database pulse_it_loader_noext" \
  candles --exchange upbit --market KRW-BTC --file "$src/tests/fixtures/upbit/upbit_1m_20200220_170000-20200220_202000.json" \
  --db dbname=pulse_it_loader_noext
dropdb --force pulse_it_loader_noext
echo "ok: no extension: exit 2, run CREATE EXTENSION pulse"

# --- 1b. another version of the extension. 0.1.0, which this loader still
# knows: it loads, with a warning naming the update (and no coverage: see
# test_coverage_tweets.sh). A version it does not know: exit 2 and what to
# run, nothing landed.
want=$(sed -n "s/^default_version = '\(.*\)'/\1/p" "$src/pulse.control")
dropdb --if-exists --force pulse_it_loader_oldext >/dev/null 2>&1
createdb pulse_it_loader_oldext || fail "createdb"
psql -X -q -v ON_ERROR_STOP=1 -d pulse_it_loader_oldext -c "CREATE EXTENSION pulse VERSION '0.1.0'" || fail "install 0.1.0"
"$bin" tweets --source file --file "$work/t.jsonl" --db dbname=pulse_it_loader_oldext 2>"$work/err_old" \
  || fail "into 0.1.0: exit $?: $(cat "$work/err_old")"
grep -q "warn: database \"pulse_it_loader_oldext\" has the pulse extension 0.1.0, older than this pulse-load's $want: it loads, but this load records no coverage and the extension lacks what came since; run ALTER EXTENSION pulse UPDATE TO '$want' in database pulse_it_loader_oldext" \
  "$work/err_old" || fail "no warning about 0.1.0: $(cat "$work/err_old")"
[ "$(grep -c "records no coverage" "$work/err_old")" = 1 ] || fail "the missing coverage is said more than once: $(cat "$work/err_old")"
[ "$(psql -X -Atq -d pulse_it_loader_oldext -c "SELECT count(*) FROM pulse.tweets")" = 50 ] || fail "the load into 0.1.0"
# Versions this loader does not know (catalog edits in this throwaway
# database stand in for other releases): an older one needs the update, a
# newer one the loader of its release.
psql -X -q -d pulse_it_loader_oldext -c "UPDATE pg_extension SET extversion = '0.0.9' WHERE extname = 'pulse'" || fail "catalog edit"
one_line_exit 2 "pulse-load: error: database \"pulse_it_loader_oldext\" has the pulse extension 0.0.9, but this pulse-load $want needs $want: run ALTER EXTENSION pulse UPDATE TO '$want' in database pulse_it_loader_oldext" \
  tweets --source file --file "$work/t.jsonl" --db dbname=pulse_it_loader_oldext --stream older
psql -X -q -d pulse_it_loader_oldext -c "UPDATE pg_extension SET extversion = '99.0.0' WHERE extname = 'pulse'" || fail "catalog edit"
one_line_exit 2 "has the pulse extension 99.0.0, but this pulse-load $want needs $want: use pulse-load 99.0.0" \
  tweets --source file --file "$work/t.jsonl" --db dbname=pulse_it_loader_oldext --stream newer
[ "$(psql -X -Atq -d pulse_it_loader_oldext -c "SELECT count(*) FROM pulse.landing WHERE stream IN ('older', 'newer')")" = 0 ] \
  || fail "a refused load landed rows"
dropdb --force pulse_it_loader_oldext
echo "ok: extension 0.1.0 loads with a warning naming ALTER EXTENSION pulse UPDATE TO '$want'; unknown versions exit 2 with what to do"

# --- 2. a role without pulse_writer
new_db pulse_it_loader_errors
q "DROP ROLE IF EXISTS pulse_it_nowriter; CREATE ROLE pulse_it_nowriter LOGIN" >/dev/null 2>&1
one_line_exit 2 "pulse-load: error: role pulse_it_nowriter may not load into pulse in database pulse_it_loader_errors: role pulse_it_nowriter needs pulse_writer: GRANT pulse_writer TO pulse_it_nowriter" \
  tweets --source file --file "$work/t.jsonl" --db "dbname=pulse_it_loader_errors user=pulse_it_nowriter"
[ "$(q "SELECT count(*) FROM pulse.landing")" = 0 ] || fail "the role without pulse_writer landed rows"
q "GRANT pulse_writer TO pulse_it_nowriter"
"$bin" tweets --source file --file "$work/t.jsonl" --db "dbname=pulse_it_loader_errors user=pulse_it_nowriter" --quiet \
  2>"$work/err_w" || fail "with pulse_writer: exit $?: $(cat "$work/err_w")"
[ "$(q "SELECT count(*) FROM pulse.tweets")" = 50 ] || fail "pulse_writer's load"
q "DROP OWNED BY pulse_it_nowriter; DROP ROLE pulse_it_nowriter" >/dev/null
echo "ok: a role without pulse_writer: exit 2, GRANT pulse_writer TO it; with it, it loads"

# --- 3. server messages in --log-format json
PGOPTIONS="-c client_min_messages=log -c log_statement=all" \
  "$bin" tweets --source file --file "$work/t.jsonl" --stream json_notices --log-format json 2>"$work/json" \
  || fail "json run exited $?: $(cat "$work/json")"
python3 - "$work/json" <<'PY' || fail "--log-format json with server messages: $(head -5 "$work/json")"
import json, sys
lines = open(sys.argv[1]).read().splitlines()
objs = [json.loads(l) for l in lines]          # every line is one JSON object
server = [o for o in objs if o["msg"].startswith("server LOG: ")]
assert any("pulse.apply_batch" in o["msg"] for o in server), [o["msg"] for o in objs]
assert all(o["stream"] == "json_notices" and o["sqlstate"] == "00000" for o in server), server[:2]
assert [o for o in objs if o["msg"] == "summary"][0]["read"] == 50
PY
echo "ok: --log-format json: server messages are JSON lines"

# --- 4. a batch another session sends for a stream a loader holds is refused,
# never interleaved (the loader also stops with exit 4 on an "already applied"
# batch, should one ever reach it: pulse-load checks the checkpoint its own
# transaction wrote)
new_db pulse_it_loader_already
make_tweet_lines "$work/big.jsonl" 11000 1
mkfifo "$work/fifo"
"$bin" tweets --source file --file "$work/fifo" --stream AA --batch-rows 1000 --flush-interval 50 --log-format json \
  2>"$work/err_aa" &
pa=$!
exec 3>"$work/fifo"
# The first 10,000 lines: the loader's fread takes 1 MiB of them (about
# 6,000 records, committed in batches) and waits for the next MiB.
head -n 10000 "$work/big.jsonl" >&3
wait_for "SELECT coalesce((SELECT (position->>'records')::int >= 5000 FROM pulse.checkpoints WHERE stream = 'AA'), false)" t 30 \
  || fail "the loader did not commit its first batches: $(tail -3 "$work/err_aa")"
# Another writer (psql, which does not take the stream's lease) tries to
# commit a batch under the id the loader will use next: apply_batch refuses
# it (55P03, naming the loader), so it can neither drop nor double a batch.
next=$(( $(q "SELECT batch_id FROM pulse.checkpoints WHERE stream = 'AA'") + 1 ))
foreign_payload=$(tweet_json 1724796000000000000 "foreign writer tweet")
psql -X -q -At -v ON_ERROR_STOP=1 >"$work/foreign" 2>&1 <<SQL && fail "psql committed a batch of a stream the loader holds"
BEGIN;
INSERT INTO pulse.landing (stream, format, batch_id, seq, payload)
VALUES ('AA', 'twitter_v2', $next, 1, jsonb_build_object('data', '$foreign_payload'::jsonb));
SELECT * FROM pulse.apply_batch('AA', $next, '{"moved_by": "psql"}');
COMMIT;
SQL
grep -q 'stream AA is being loaded by another session: pid [0-9]* (role [a-z_]*, pulse-load tweets AA)' "$work/foreign" \
  || fail "psql's batch was not refused naming the loader: $(cat "$work/foreign")"
tail -n +10001 "$work/big.jsonl" >&3
exec 3>&-
wait $pa; ra=$?
[ $ra = 0 ] || fail "the loader exited $ra: $(tail -3 "$work/err_aa")"
[ "$(q "SELECT count(*) FROM pulse.landing WHERE stream = 'AA' AND payload::text LIKE '%foreign writer%'")" = 0 ] \
  || fail "the refused batch left landing rows"
[ "$(q "SELECT position->>'moved_by' IS NULL FROM pulse.checkpoints WHERE stream = 'AA'")" = t ] \
  || fail "checkpoint: $(q "SELECT batch_id, position FROM pulse.checkpoints WHERE stream = 'AA'")"
# Every record of the file is a stored tweet, once, and landed once.
got=$(q "SELECT (SELECT count(*) FROM pulse.landing WHERE stream = 'AA'), (SELECT count(DISTINCT payload) FROM pulse.landing WHERE stream = 'AA'), (SELECT count(*) FROM pulse.tweets)")
[ "$got" = "11000|11000|11000" ] || fail "landing, distinct landing, tweets: $got (expected 11000 each)"
echo "ok: another writer's batch of a stream the loader holds is refused; the loader loads every record once"
