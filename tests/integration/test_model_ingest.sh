#!/usr/bin/env bash
# Generative test of the ingestion API against a model (model_ingest.py):
# two candle loaders and a tweet loader holding their streams' leases as
# pulse-load does, random batches of valid and impossible records, in-batch
# duplicates, old and newer versions, 2006-2010 next to today and the
# future; COMMIT, ROLLBACK, a loader killed mid-transaction, retries of
# applied batches, stale batch ids, sessions without the lease, a second
# loader asking for a held lease, run_maintenance and reapply. Every few steps
# candles, tweets, rejects (by reason class), landing, checkpoints and
# partitions are compared with the model. Prints its seed; rerun one with
#   PULSE_MODEL_SEED=N PULSE_MODEL_STEPS=M tests/integration/test_model_ingest.sh
# (any PG* server; bench/README.md has the long runs).
here=$(cd "$(dirname "$0")" && pwd)
export PULSE_LOAD=${PULSE_LOAD:-unused} PULSE_SOURCE_DIR=${PULSE_SOURCE_DIR:-$(cd "$here/../.." && pwd)}
. "$here/common_lib.sh"
new_db pulse_it_model_ingest
export PULSE_MODEL_STEPS=${PULSE_MODEL_STEPS:-250}
python3 "$here/model_ingest.py" || fail "the database disagrees with the model (seed printed above)"
echo "ok"
