# Shared set-up for the fault tests (sourced, not a test): the candle test
# helpers plus a long Upbit response log written at test time.
here=$(cd "$(dirname "${BASH_SOURCE[0]}")" && pwd)
. "$here/candles_lib.sh"

# make_upbit_log PATH LINES PER_LINE [START_EPOCH]: a file of LINES Upbit
# responses (one JSON array a line, newest first as Upbit sends them) with
# PER_LINE distinct 1-minute candles each; prices carry 12+ decimals so a
# float on the way would show.
make_upbit_log() {
  python3 - "$@" <<'PY'
import json, sys, time
path, lines, per = sys.argv[1], int(sys.argv[2]), int(sys.argv[3])
start = int(sys.argv[4]) if len(sys.argv) > 4 else 1577836800  # 2020-01-01
with open(path, "w") as f:
    for l in range(lines):
        page = []
        for i in range(per):
            m = start + 60 * (l * per + i)
            page.append('{"market":"KRW-BTC","candle_date_time_utc":"%s","candle_date_time_kst":"%s",'
                        '"opening_price":%d.123456789012,"high_price":%d.5,"low_price":%d.25,"trade_price":%d.75,'
                        '"timestamp":%d,"candle_acc_trade_price":%d.000000000001,"candle_acc_trade_volume":0.%08d,"unit":1}'
                        % (time.strftime("%Y-%m-%dT%H:%M:%S", time.gmtime(m)), time.strftime("%Y-%m-%dT%H:%M:%S", time.gmtime(m + 32400)),
                           10000 + i, 10001 + i, 9999 + i, 10000 + i, m * 1000 + 59000, l, l * per + i + 1))
        f.write("[" + ",".join(reversed(page)) + "]\n")
PY
}
