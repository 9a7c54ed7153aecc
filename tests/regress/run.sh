#!/usr/bin/env bash
# Runs pg_regress with tests/regress/schedule against the throwaway cluster
# (PGHOST/PGPORT/PGUSER come from CTest). Output goes to the build dir.
set -euo pipefail
src=${PULSE_SOURCE_DIR:?}
out=${PULSE_BUILD_DIR:?}/regress
rm -rf "$out"; mkdir -p "$out"
pg_regress="${PG_PKGLIBDIR:?}/pgxs/src/test/regress/pg_regress"
status=0
"$pg_regress" --bindir="${PG_BINDIR:?}" --host="$PGHOST" --port="$PGPORT" --user="$PGUSER" \
  --inputdir="$src/tests/regress" --outputdir="$out" \
  --schedule="$src/tests/regress/schedule" --dbname=pulse_regress || status=$?
if [ "$status" != 0 ] && [ -f "$out/regression.diffs" ]; then
  head -c 20000 "$out/regression.diffs"
fi
exit "$status"
