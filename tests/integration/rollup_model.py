"""Generative test of streaming rollups: random batches (merges with
duplicates, newer and older versions, out-of-order, late and very old rows),
updates that move rows between windows, deletes, transactions killed in the
middle, watermark moves and scheduler ticks; after every step each rollup
must equal its query computed from scratch over the base table.
PULSE_ROLLUP_SEED / PULSE_ROLLUP_STEPS pick the run (PG* variables the server)."""
import os
import random
import subprocess
import sys
import time

SEED = int(os.environ.get("PULSE_ROLLUP_SEED") or random.randrange(1 << 30))
STEPS = int(os.environ.get("PULSE_ROLLUP_STEPS", "40"))
rng = random.Random(SEED)
print("rollup model: seed %d, %d steps" % (SEED, STEPS), flush=True)


def q(sql):
    out = subprocess.run(["psql", "-X", "-q", "-At", "-v", "ON_ERROR_STOP=1", "-c", sql],
                         capture_output=True, text=True)
    if out.returncode != 0:
        sys.exit("FAIL (seed %d): %s\n%s" % (SEED, sql[:300], out.stderr))
    return out.stdout.strip()


ROLLUPS = {
    "rm_tumble": ("SELECT date_bin('5 minutes', ts, '1970-01-01') AS w, k, count(*) AS n, count(DISTINCT v) AS dv, "
                  "sum(v) AS s, min(v) AS lo, max(v) AS hi, avg(v) AS a FROM rm_ev WHERE v IS DISTINCT FROM 13 GROUP BY 1, 2",
                  "watermark", "accumulating",
                  "SELECT w, k, n, dv, s, lo, hi, a FROM rm_tumble",
                  "SELECT date_bin('5 minutes', ts, '1970-01-01'), k, count(*), count(DISTINCT v), sum(v), min(v), max(v), avg(v) "
                  "FROM rm_ev WHERE v IS DISTINCT FROM 13 GROUP BY 1, 2"),
    "rm_hop": ("SELECT pulse.hop(ts, '15 minutes', '5 minutes') AS w, count(*) AS n, sum(v) AS s FROM rm_ev GROUP BY 1",
               "watermark, every 7 rows", "accumulating",
               "SELECT w, n, s FROM rm_hop",
               "SELECT h, count(*), sum(v) FROM rm_ev, pulse.hop(ts, '15 minutes', '5 minutes') h GROUP BY 1"),
    "rm_sess": ("SELECT pulse.session(ts, '3 minutes') AS s, k, count(*) AS n, max(v) AS hi FROM rm_ev GROUP BY 1, 2",
                "watermark", "accumulating",
                "SELECT s, window_end, k, n, hi FROM rm_sess",
                "SELECT min(ts), max(ts) + interval '3 minutes', k, count(*), max(v) FROM (SELECT *, "
                "pulse.session_start(ts, '3 minutes') OVER (PARTITION BY k ORDER BY ts) AS ss FROM rm_ev) x GROUP BY ss, k"),
    # counts only: maintained from the batch's sums, not by recomputing
    "rm_count": ("SELECT date_bin('10 minutes', ts, '1970-01-01') AS w, k, count(*) AS n, count(v) AS nv, "
                 "count(*) FILTER (WHERE v > 5) AS big FROM rm_ev WHERE k IS DISTINCT FROM 'c' GROUP BY 1, 2",
                 "watermark, every 4 rows", "discarding",
                 "SELECT w, k, n, nv, big FROM rm_count",
                 "SELECT date_bin('10 minutes', ts, '1970-01-01'), k, count(*), count(v), count(*) FILTER (WHERE v > 5) "
                 "FROM rm_ev WHERE k IS DISTINCT FROM 'c' GROUP BY 1, 2"),
    # counts and a sum over a NOT NULL integer column: incremental too; a
    # window size that is not a multiple of the slide
    "rm_hopcount": ("SELECT pulse.hop(ts, '25 minutes', '10 minutes') AS w, k, count(*) AS n, sum(ver) AS sv "
                    "FROM rm_ev GROUP BY 1, 2",
                    "watermark", "accumulating",
                    "SELECT w, k, n, sv FROM rm_hopcount",
                    "SELECT h, k, count(*), sum(ver) FROM rm_ev, pulse.hop(ts, '25 minutes', '10 minutes') h GROUP BY 1, 2"),
    "rm_disc": ("SELECT date_bin('1 hour', ts, '1970-01-01') AS h, count(*) AS n, sum(v) AS s FROM rm_ev GROUP BY 1",
                "every 5 rows, every 1 second", "discarding",
                "SELECT h, n, s FROM rm_disc",
                "SELECT date_bin('1 hour', ts, '1970-01-01'), count(*), sum(v) FROM rm_ev GROUP BY 1"),
}

q("SET client_min_messages = warning; DROP TABLE IF EXISTS rm_ev, rm_src CASCADE")
q("CREATE TABLE rm_ev (id bigint, ts timestamptz NOT NULL, k text, v numeric, ver int NOT NULL, PRIMARY KEY (id, ts)) "
  "PARTITION BY RANGE (ts)")
q("SELECT pulse.partition_by_time('rm_ev', 'ts', '1 day', premake => 0)")
q("CREATE TABLE rm_src (id bigint, ts timestamptz, k text, v numeric, ver int)")
BASE = 1_700_000_000  # 2023-11-14
now = BASE


def ts(sec):
    return "to_timestamp(%d.%06d)" % (sec, rng.randrange(1000000))


def rows(n):
    global now
    out = []
    for _ in range(n):
        r = rng.random()
        if r < 0.7:
            t = now + rng.randrange(-600, 60)          # around now, out of order
        elif r < 0.9:
            t = now - rng.randrange(3600, 6 * 3600)    # late
        else:
            t = BASE - 17 * 365 * 86400 + rng.randrange(86400)  # 2006
        k = rng.choice(["a", "b", "c", None])
        v = rng.choice([rng.randrange(20), "NULL", "13", "%d.%d" % (rng.randrange(99), rng.randrange(10))])
        out.append("(%d, %s, %s, %s, %d)" % (rng.randrange(400), ts(t), "NULL" if k is None else "'%s'" % k, v,
                                             rng.randrange(5)))
    return out


def load_sql(n):
    vals = rows(n)
    return ("TRUNCATE rm_src; INSERT INTO rm_src VALUES %s; "
            "SELECT pulse.ensure_partitions('rm_ev', d, d + interval '1 microsecond') FROM (SELECT DISTINCT ts AS d FROM rm_src) s; "
            "SELECT * FROM pulse.merge('rm_ev', 'rm_src', '{id,ts}', 'ver');" % ", ".join(vals))


def check(step):
    for name, (_, _, _, got, want) in ROLLUPS.items():
        bad = q("SELECT (SELECT count(*) FROM ((%s) EXCEPT ALL (%s)) a) || ' ' || (SELECT count(*) FROM ((%s) EXCEPT ALL (%s)) b)"
                % (got, want, want, got))
        if bad != "0 0":
            sys.exit("FAIL (seed %d, step %d): %s differs from its query (missing, extra: %s)" % (SEED, step, name, bad))


q(load_sql(60))
for name, (query, emit, mode, _, _) in ROLLUPS.items():
    q("SELECT pulse.create_rollup('%s', $q$%s$q$, lateness => '30 minutes', emit => '%s', mode => '%s')" % (name, query, emit, mode))
check(0)
incremental = q("SELECT string_agg(name::text, ',' ORDER BY name::text) FROM pulse_internal.rollups WHERE pulse_internal.rollup_count_column(shape) IS NOT NULL AND NOT builtin")
if incremental != "rm_count,rm_hopcount":
    sys.exit("FAIL: incremental rollups are %r" % incremental)
for step in range(1, STEPS + 1):
    now += rng.randrange(30, 400)
    op = rng.random()
    if op < 0.45:
        q(load_sql(rng.randrange(1, 40)))
    elif op < 0.55:
        q("DELETE FROM rm_ev WHERE id IN (SELECT id FROM rm_ev ORDER BY random() LIMIT %d)" % rng.randrange(1, 5))
    elif op < 0.65:
        q("UPDATE rm_ev SET v = coalesce(v, 0) + 1, k = CASE WHEN k = 'a' THEN 'b' ELSE k END WHERE id %% 17 = %d" % rng.randrange(17))
    elif op < 0.72:
        q("SELECT pulse.ensure_partitions('rm_ev', to_timestamp(%d), to_timestamp(%d)); "
          "UPDATE rm_ev SET ts = ts + interval '7 minutes' WHERE id %% 23 = %d AND ts > to_timestamp(%d)"
          % (now - 86400, now + 86400, rng.randrange(23), now - 7200))
    elif op < 0.82:
        # a batch killed in the middle of its transaction: nothing of it may stay
        p = subprocess.Popen(["psql", "-X", "-q", "-v", "ON_ERROR_STOP=1"], stdin=subprocess.PIPE,
                             stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL, text=True)
        p.stdin.write("SET application_name = 'rm_victim'; BEGIN; %s SELECT pg_sleep(30);\n" % load_sql(30))
        p.stdin.flush()
        for _ in range(100):
            if q("SELECT count(*) FROM pg_stat_activity WHERE application_name = 'rm_victim' AND query LIKE '%pg_sleep%'") == "1":
                break
            time.sleep(0.1)
        q("SELECT pg_terminate_backend(pid) FROM pg_stat_activity WHERE application_name = 'rm_victim'")
        p.stdin.close()
        p.wait()
    elif op < 0.92:
        q("SELECT pulse.declare_coverage('rm-model', 'public.rm_ev', tstzrange(to_timestamp(%d), to_timestamp(%d)))"
          % (BASE - 86400, now - rng.randrange(0, 900)))
    else:
        q("SELECT pulse.emit_panes()")
    check(step)
# panes: a discarding rollup's panes add up to what was emitted; accumulating
# panes are never retracted twice
bad = q("SELECT count(*) FROM (SELECT rollup, window_start, window_end, group_key, pane, count(*) FROM pulse.panes "
        "GROUP BY 1, 2, 3, 4, 5 HAVING count(*) > 1) d")
if bad != "0":
    sys.exit("FAIL (seed %d): duplicate pane numbers" % SEED)
print("rollups equal their queries after %d steps; panes: %s" % (STEPS, q(
    "SELECT string_agg(timing || '=' || n, ' ') FROM (SELECT timing, count(*) n FROM pulse.panes GROUP BY 1 ORDER BY 1) s")))
for name in ROLLUPS:
    q("SELECT pulse.drop_rollup('%s')" % name)
q("DROP TABLE rm_ev, rm_src")
