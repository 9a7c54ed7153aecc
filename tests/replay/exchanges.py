"""Exchange routes for the replay server: Upbit, Binance and Coinone candles
at their documented paths, built from the recorded fixtures in
tests/fixtures/. Records are served as the exact bytes recorded (the
fixture's own text for its candles); synthetic pages for paging tests are
made by shifting the recorded candles in time, editing only the time fields
of the recorded text, so every decimal keeps the recorded spelling.

Sizes (environment): PULSE_REPLAY_UPBIT_COPIES (default 5: the recorded 200
candles plus 4 shifted copies before them), PULSE_REPLAY_BINANCE_KLINES
(default 2500, starting with the recorded one), PULSE_REPLAY_COINONE_CANDLES
(default 600).

With PULSE_REPLAY_DATA_DIR (server.py --data-dir) Upbit and Binance serve
the generated day in DIR/upbit/KRW-BTC.json and DIR/binance/BTCUSDT.json
instead, byte for byte.
"""
import json
import os
import re
import time
from decimal import Decimal

from server import Response, json_response

HERE = os.path.dirname(os.path.abspath(__file__))
FIXTURES = os.path.join(os.path.dirname(HERE), "fixtures")
UPBIT_FIXTURE = os.path.join(FIXTURES, "upbit", "upbit_1m_20200220_170000-20200220_202000.json")
BINANCE_FIXTURE = os.path.join(FIXTURES, "binance", "klines_symbol_interval_limit_ok.json")
BINANCE_ERROR_FIXTURE = os.path.join(FIXTURES, "binance", "depth_error.json")
MINUTE = 60000


def raw_elements(text):
    """The exact text of each element of a JSON array."""
    dec = json.JSONDecoder()
    i = text.index("[") + 1
    out = []
    ws = re.compile(r"[\s,]*")
    while True:
        i = ws.match(text, i).end()
        if text[i] == "]":
            return out
        _, end = dec.raw_decode(text, i)
        out.append(text[i:end])
        i = end


def iso(ms):
    return time.strftime("%Y-%m-%dT%H:%M:%S", time.gmtime(ms / 1000))


def parse_upbit_to(s):
    s = s.strip().replace(" ", "T").rstrip("Z")
    if "+" in s:
        s = s.split("+")[0]
    return int(time.mktime(time.strptime(s, "%Y-%m-%dT%H:%M:%S")) - time.timezone) * 1000


def data_file(*parts):
    d = os.environ.get("PULSE_REPLAY_DATA_DIR")
    return os.path.join(d, *parts) if d else None


class Upbit:
    def __init__(self):
        generated = data_file("upbit", "KRW-BTC.json")
        with open(generated or UPBIT_FIXTURE) as fh:
            elems = raw_elements(fh.read())
        copies = 1 if generated else int(os.environ.get("PULSE_REPLAY_UPBIT_COPIES", "5"))
        self.candles = []  # (bucket_ms, raw text), newest first
        span = len(elems) * MINUTE
        for k in range(copies):
            for raw in elems:
                d = json.loads(raw)
                b = parse_upbit_to(d["candle_date_time_utc"]) - k * span
                if k:
                    raw = re.sub(r'("candle_date_time_utc":\s*)"[^"]*"', r'\1"%s"' % iso(b), raw)
                    raw = re.sub(r'("candle_date_time_kst":\s*)"[^"]*"', r'\1"%s"' % iso(b + 9 * 3600000), raw)
                    raw = re.sub(r'("timestamp":\s*)(\d+)', lambda m: m.group(1) + str(int(m.group(2)) - k * span), raw)
                self.candles.append((b, raw))
        self.candles.sort(key=lambda c: -c[0])
        self.sec_left = {}

    def remaining(self):
        now = int(time.time())
        used = self.sec_left.get(now, 0) + 1
        self.sec_left = {now: used}
        return "group=candles; min=1800; sec=%d" % max(0, 29 - used)

    def handle(self, req):
        unit = int(req.match.group(1))
        market = req.query.get("market", "")
        headers = {"Remaining-Req": self.remaining()}
        if market != "KRW-BTC":
            return json_response({"error": {"name": 404, "message": "Code not found"}}, 404, headers)
        count = min(int(req.query.get("count", "1")), 200)
        data = self.candles if unit == 1 else []
        if "to" in req.query:
            to = parse_upbit_to(req.query["to"])
            data = [c for c in data if c[0] < to]
        page = data[:count]
        body = "[" + ",".join(raw for _, raw in page) + "]"
        return Response(200, body, headers)


class Binance:
    def __init__(self):
        with open(BINANCE_ERROR_FIXTURE) as fh:
            self.invalid_symbol = json.load(fh)[0]["response"]["body"]
        self.weight = {}
        generated = data_file("binance", "BTCUSDT.json")
        if generated:
            with open(generated) as fh:
                self.klines = [(int(raw_elements(k)[0]), k) for k in raw_elements(fh.read())]
            self.klines.sort()
            return
        with open(BINANCE_FIXTURE) as fh:
            cassette = json.load(fh)[0]
        body = cassette["response"]["body"]
        self.record_headers = cassette["response"]["headers"]
        first = raw_elements(body)[0]
        fields = raw_elements(first)
        self.t0 = int(fields[0])
        n = int(os.environ.get("PULSE_REPLAY_BINANCE_KLINES", "2500"))
        self.klines = [(self.t0, first)]
        for i in range(1, n):
            f = list(fields)
            t = self.t0 + i * MINUTE
            f[0] = str(t)
            f[6] = str(t + MINUTE - 1)
            for j in (1, 2, 3, 4, 5, 7, 9, 10):
                v = Decimal(json.loads(f[j]))
                f[j] = '"%s"' % (v + Decimal(i % 97) / 100).quantize(v)
            f[8] = str(int(f[8]) + i % 13)
            self.klines.append((t, "[" + ",".join(f) + "]"))

    def headers(self):
        minute = int(time.time() // 60)
        used = self.weight.get(minute, 0) + 2
        self.weight = {minute: used}
        return {"x-mbx-used-weight": str(used), "x-mbx-used-weight-1m": str(used)}

    def handle(self, req):
        headers = self.headers()
        if req.query.get("symbol") != "BTCUSDT":
            return Response(400, self.invalid_symbol, headers)
        limit = min(int(req.query.get("limit", "500")), 1000)
        data = self.klines if req.query.get("interval") == "1m" else []
        if "startTime" in req.query:
            data = [k for k in data if k[0] >= int(req.query["startTime"])]
        if "endTime" in req.query:
            data = [k for k in data if k[0] <= int(req.query["endTime"])]
        page = data[:limit] if "startTime" in req.query else data[-limit:]
        return Response(200, "[" + ",".join(raw for _, raw in page) + "]", headers)


class Coinone:
    """Coinone has no recorded fixture: synthetic records in its documented
    shape (decimals as strings), newest first."""

    def __init__(self):
        n = int(os.environ.get("PULSE_REPLAY_COINONE_CANDLES", "600"))
        self.t_last = 1686787200000
        self.candles = []
        for i in range(n):
            t = self.t_last - i * MINUTE
            p = Decimal("35000000") + Decimal(i % 50) * 1000
            rec = ('{"timestamp":%d,"open":"%s","high":"%s","low":"%s","close":"%s",'
                   '"target_volume":"%s","quote_volume":"%s"}') % (
                t, p, p + 5000, p - 3000, p + 1000, Decimal("0.12345678") + Decimal(i) / 1000,
                Decimal("4321012.3456") + i)
            self.candles.append((t, rec))

    def handle(self, req):
        quote, target = req.match.group(1), req.match.group(2)
        if (quote, target) != ("KRW", "BTC"):
            return json_response({"result": "error", "error_code": "107", "error_msg": "Parameter error"}, 200)
        size = min(int(req.query.get("size", "200")), 500)
        data = self.candles if req.query.get("interval") == "1m" else []
        if "timestamp" in req.query:
            data = [c for c in data if c[0] <= int(req.query["timestamp"])]
        page = data[:size]
        is_last = len(data) <= size
        body = '{"result":"success","error_code":"0","is_last":%s,"chart":[%s]}' % (
            "true" if is_last else "false", ",".join(raw for _, raw in page))
        return Response(200, body)


def register(server):
    upbit, binance, coinone = Upbit(), Binance(), Coinone()
    server.state["upbit"] = upbit
    server.state["binance"] = binance
    server.route("GET", r"/v1/candles/minutes/(\d+)", upbit.handle)
    server.route("GET", r"/api/v3/klines", binance.handle)
    server.route("GET", r"/public/v2/chart/([A-Z0-9]+)/([A-Z0-9]+)", coinone.handle)
