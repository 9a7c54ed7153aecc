#!/usr/bin/env bash
# Generative test of streaming rollups against a from-scratch GROUP BY
# (rollup_model.py): random merges with duplicates and versions, late and
# 2006 rows, updates, deletes, killed transactions, watermark moves. Prints
# its seed; rerun one with
#   PULSE_ROLLUP_SEED=N PULSE_ROLLUP_STEPS=M tests/integration/test_rollup_model.sh
here=$(cd "$(dirname "$0")" && pwd)
export PULSE_LOAD=${PULSE_LOAD:-unused} PULSE_SOURCE_DIR=${PULSE_SOURCE_DIR:-$(cd "$here/../.." && pwd)}
. "$here/common_lib.sh"
new_db pulse_it_rollup_model
python3 "$here/rollup_model.py" || fail "a rollup disagrees with its query (seed printed above)"
echo "ok"
