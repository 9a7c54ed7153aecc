#!/usr/bin/env bash
# pulse-load --config FILE: `key = value` settings under the command line
# (the command line wins), `command = NAME` from the file, comments and
# quotes; errors name the file and line; the bearer token is refused in a
# config file and read from a --token-file only when that file is private to
# the user (0600/0400), which wins over the environment.
. "$(dirname "$0")/tweets_lib.sh"
new_db pulse_it_cli_config
export PULSE_LOAD_TEST_TIME_SCALE=0.01
fixture=$src/tests/fixtures/upbit/upbit_1m_20200220_170000-20200220_202000.json  # 200 candles

# 1. A configured candle replay: command, flags, a comment, a quoted value.
cat >"$work/up.conf" <<EOF
# Upbit KRW-BTC from a saved response
command = candles
exchange = upbit
market = KRW-BTC
  ; settings may be indented; '_' stands for '-'
file = "$fixture"
stream = from_config
batch_rows = 50
log-format = json
EOF
"$bin" --config "$work/up.conf" 2>"$work/err1" || fail "--config run exit $?: $(tail -3 "$work/err1")"
python3 -c 'import json,sys; [json.loads(l) for l in open(sys.argv[1])]' "$work/err1" \
  || fail "log-format = json was not applied: $(head -2 "$work/err1")"
[ "$(q "SELECT count(DISTINCT batch_id) FROM pulse.landing WHERE stream = 'from_config'")" = 4 ] \
  || fail "batch_rows = 50 from the file: $(q "SELECT count(DISTINCT batch_id) FROM pulse.landing WHERE stream = 'from_config'") batches of records, expected 4"

# 2. The command line wins over the file, flag by flag; the rest still applies.
"$bin" candles --config "$work/up.conf" --stream from_cli --batch-rows 100 --log-format text 2>"$work/err2" \
  || fail "--config with flags exit $?: $(tail -3 "$work/err2")"
grep -q '"level"' "$work/err2" && fail "--log-format text on the command line did not win: $(head -2 "$work/err2")"
[ "$(q "SELECT count(DISTINCT batch_id) FROM pulse.landing WHERE stream = 'from_cli'")" = 2 ] \
  || fail "--batch-rows 100 on the command line did not win"
[ "$(q "SELECT count(*) FROM pulse.checkpoints WHERE stream IN ('from_config', 'from_cli')")" = 2 ] || fail "stream names"
[ "$(q "SELECT count(*) FROM pulse.candles")" = 200 ] || fail "candles: $(q "SELECT count(*) FROM pulse.candles")"

# 3. Errors: one line, exit 2, naming the file and line; the token never echoed.
one_line_2() {  # PATTERN ARGS...
  local pattern=$1 err status; shift
  err=$("$bin" "$@" 2>&1 >/dev/null); status=$?
  [ "$status" = 2 ] || fail "'$*' exited $status, expected 2: $err"
  [ "$(printf '%s\n' "$err" | wc -l)" = 1 ] || fail "'$*' printed more than one line: $err"
  grep -qF -- "$pattern" <<<"$err" || fail "'$*': $err (expected: $pattern)"
  printf '%s\n' "$err"
}
printf 'command = candles\nexchange = upbit\nsource = file\n' >"$work/bad1.conf"
one_line_2 "$work/bad1.conf:3: unknown setting \"source\" for candles" --config "$work/bad1.conf" >/dev/null
one_line_2 "$work/up.conf:2: the file is for \"candles\", the command line says \"tweets\"" tweets --config "$work/up.conf" >/dev/null
printf 'command = candles\nexchange upbit\n' >"$work/bad2.conf"
one_line_2 "$work/bad2.conf:2: expected \`key = value\`" --config "$work/bad2.conf" >/dev/null
printf 'command = candles\nexchange = upbit\nmarket = KRW-BTC\nfile = %s\nbatch-rows = many\n' "$fixture" >"$work/bad3.conf"
one_line_2 "$work/bad3.conf:5: --batch-rows must be an integer" --config "$work/bad3.conf" >/dev/null
secret="cfgsecret$RANDOM$$"
printf 'command = tweets\nsource = search\nbearer_token = %s\n' "$secret" >"$work/tok.conf"
out=$(one_line_2 "$work/tok.conf:3: the bearer token never goes in a config file" --config "$work/tok.conf") \
  || { echo "$out"; exit 1; }
grep -qF "$secret" <<<"$out" && fail "the refused token was echoed"
one_line_2 "cannot read --config $work/none.conf" --config "$work/none.conf" >/dev/null
one_line_2 "--config $work is not a regular file" --config "$work" >/dev/null
echo "ok: --config settings, command line wins, errors name file and line"

# 4. --token-file: private files only, and it wins over the environment.
token="filetoken$RANDOM$$x"
use_token "$token"                                # the replay server expects $token
export PULSE_TWITTER_BEARER_TOKEN="wrong$token"   # the environment is wrong on purpose
python3 - >"$work/s.json" <<'PY'
import json, datetime
def tw(k):
    i = 1724796000000000000 + k * 1000 * (1 << 22)
    ms = (i >> 22) + 1288834974657
    ts = datetime.datetime.fromtimestamp(ms // 1000, datetime.timezone.utc).strftime("%Y-%m-%dT%H:%M:%S.000Z")
    return {"id": str(i), "text": "tweet %d" % k, "created_at": ts, "author_id": "7", "lang": "en"}
print(json.dumps({"search": [tw(k) for k in range(1, 6)], "page_size": 2}))
PY
start_replay "$work/s.json"
printf '%s\n' "$token" >"$work/x.token"
search=(tweets --source search --query bitcoin --api-url "$api" --token-file "$work/x.token")
for mode in 644 640 604 660; do
  chmod "$mode" "$work/x.token"
  out=$(one_line_2 "--token-file $work/x.token is open to group or others (mode 0$mode): chmod 600 $work/x.token" "${search[@]}") \
    || { echo "$out"; exit 1; }
  grep -qF "$token" <<<"$out" && fail "the token file's content was printed"
done
[ "$(q "SELECT count(*) FROM pulse.landing WHERE stream = 'tweets_search'")" = 0 ] || fail "a refused token file still loaded"
chmod 600 "$work/x.token"
"$bin" "${search[@]}" --quiet 2>"$work/err4" || fail "search with a 0600 token file: exit $?: $(tail -3 "$work/err4")"
[ "$(q "SELECT count(*) FROM pulse.tweets")" = 5 ] || fail "tweets from the search: $(q "SELECT count(*) FROM pulse.tweets")"
# the environment's (wrong) token alone: 401, exit 3 -- so the file's token is what was sent above
"$bin" tweets --source search --query bitcoin --api-url "$api" --stream env_only --quiet 2>"$work/err5"
[ $? = 3 ] || fail "the wrong token of the environment should give exit 3: $(tail -2 "$work/err5")"
# token-file from a config file, mode 0400
chmod 400 "$work/x.token"
printf 'command = tweets\nsource = search\nquery = bitcoin #btc\napi-url = %s\ntoken-file = %s\nstream = cfg_search\nquiet = yes\n' \
  "$api" "$work/x.token" >"$work/x.conf"
"$bin" --config "$work/x.conf" 2>"$work/err6" || fail "token-file from --config: exit $?: $(tail -3 "$work/err6")"
grep -q 'bitcoin #btc' "$work/replay.log" || grep -q 'bitcoin%20%23btc\|bitcoin+%23btc' "$work/replay.log" \
  || fail "the query with '#' from the config file did not reach the server: $(grep -m1 recent "$work/replay.log")"
one_line_2 "--token-file is for --source stream or search" tweets --source file --file /dev/null --token-file "$work/x.token" >/dev/null
grep -qF "$token" "$work"/err* && fail "the token is in the loader's output"
echo "ok: --token-file: 0600/0400 only, wins over the environment, from --config too"
