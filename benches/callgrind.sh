#!/usr/bin/env bash
# User-space instructions per `POST /bench/get_response`, ours against the forwarder of
# benches/agency_server.rs (a bare axum handler doing the least any server must do for the same
# request), counted with callgrind: repeatable where wall-clock timings on a shared machine swing
# by 15% and more.
#
# Each target runs twice under `valgrind --tool=callgrind` (all threads are counted, the default)
# with BENCH_ONLY=<target>: once with SMALL and once with LARGE requests after the same setup
# and warm-up. (total_LARGE - total_SMALL) / (LARGE - SMALL) is the cost of one request, startup
# and warm-up cancelled.
#
# The client (reqwest) and the fake model API run in the same process, so their instructions are
# in both figures alike: the ratio of the totals understates the difference of the servers. The
# `direct` target (the same model request sent to the fake by the client, no server between)
# counts that shared part; "server only" subtracts it from both.
#
# Usage: benches/callgrind.sh            (SMALL=200 LARGE=1200: ~1-2 min per run)
#        SMALL=100 LARGE=600 benches/callgrind.sh
#        TARGETS="ours forwarder" benches/callgrind.sh
# Output files stay in $OUT (default target/callgrind/) for callgrind_annotate, e.g.
#   callgrind_annotate --inclusive=yes target/callgrind/ours-1200.out | head -60
set -euo pipefail
cd "$(dirname "$0")/.."
export CARGO_TARGET_DIR="${CARGO_TARGET_DIR:-$PWD/target}"
SMALL="${SMALL:-200}"
LARGE="${LARGE:-1200}"
TARGETS="${TARGETS:-ours forwarder direct}"
OUT="${OUT:-$CARGO_TARGET_DIR/callgrind}"
mkdir -p "$OUT"

bin=$(cargo bench --bench agency_server --no-run 2>&1 | tee /dev/stderr |
    sed -n 's/.*Executable .*(\(.*agency_server-[^)]*\))/\1/p' | tail -1)
[ -x "$bin" ] || { echo "no bench binary found" >&2; exit 1; }
case "$bin" in /*) ;; *) bin="$PWD/$bin" ;; esac
echo "binary: $bin" >&2

# Total instructions (Ir) of one callgrind run of the bench with BENCH_ONLY=$1 BENCH_REQUESTS=$2.
total() {
    local file="$OUT/$1-$2.out"
    BENCH_ONLY="$1" BENCH_REQUESTS="$2" valgrind --tool=callgrind --dump-instr=no \
        --callgrind-out-file="$file" "$bin" 2>"$OUT/$1-$2.log" >/dev/null ||
        { cat "$OUT/$1-$2.log" >&2; exit 1; }
    sed -n 's/^\(summary\|totals\): *\([0-9]*\).*/\2/p' "$file" | head -1
}

declare -A per
for t in $TARGETS; do
    small=$(total "$t" "$SMALL")
    large=$(total "$t" "$LARGE")
    per[$t]=$(( (large - small) / (LARGE - SMALL) ))
    printf '%-9s %12d Ir (%d req) %12d Ir (%d req): %d instructions per request\n' \
        "$t" "$small" "$SMALL" "$large" "$LARGE" "${per[$t]}"
done

if [ -n "${per[ours]:-}" ] && [ -n "${per[forwarder]:-}" ]; then
    awk -v o="${per[ours]}" -v f="${per[forwarder]}" -v d="${per[direct]:-}" 'BEGIN {
        printf "ours / forwarder, whole process (client and fake included): %.2fx (target <= 1.3x)\n", o / f
        if (d != "") printf "server only (direct subtracted): ours %d, forwarder %d: %.2fx\n", o - d, f - d, (o - d) / (f - d)
    }'
fi
