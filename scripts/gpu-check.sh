#!/usr/bin/env bash
#===- gpu-check.sh - The GPU numerics suite and benchmarks, on a GPU machine ===#
#
# usage: scripts/gpu-check.sh BUNDLE.tar.gz OUT_DIR [--quick]
#
# Runs on a machine with an NVIDIA GPU and its driver but without Kiln's
# compiler, from the repository root, on a bundle that scripts/gpu-bundle.py
# built elsewhere:
#   1. the numerics suite: every line of the bundle's suite.txt through
#      test/e2e/run-model.sh with the prebuilt libraries and --device cuda
#      (each case with fusion and without, against the reference evaluator),
#      in parallel, at most 300 s per line and 270 s in all;
#   2. bench/gpu/bench.py (needs PyTorch with CUDA).
# Writes OUT_DIR/numerics.txt (one PASS or FAIL line per suite line, then the
# log of each failure) and OUT_DIR/bench.md, and prints both summaries.
# Exits non-zero when a suite line failed.
#
#===----------------------------------------------------------------------===#

set -u -o pipefail
bundle_tar=${1:?usage: $0 BUNDLE.tar.gz OUT_DIR [--quick]}
out=${2:?usage: $0 BUNDLE.tar.gz OUT_DIR [--quick]}
quick=${3:-}
cd "$(dirname "$0")/.."
mkdir -p "$out"

bundle=$(mktemp -d /tmp/kiln-bundle.XXXX)
work=$(mktemp -d /tmp/kiln-suite.XXXX)
tar -xzf "$bundle_tar" -C "$bundle" || exit 1
export PATH="$bundle/bin:$PATH" LD_LIBRARY_PATH="$bundle/lib:${LD_LIBRARY_PATH:-}"
nvidia-smi --query-gpu=name,driver_version,clocks.max.sm --format=csv,noheader
echo "Kiln $(cat "$bundle/commit.txt")"

# One suite line: NAME<TAB>run-model.sh arguments (with @BUNDLE@ for the
# bundle's folder). Prints "PASS NAME" or "FAIL NAME" and keeps the log.
run_line() {
  local name=${1%%$'\t'*} args=${1#*$'\t'}
  local log="$work/logs/${name//\//_}.log"
  eval "set -- ${args//@BUNDLE@/$bundle}"
  if timeout 300 test/e2e/run-model.sh "$1" "$work/runs/${name//\//_}" "${@:2}" \
      >"$log" 2>&1; then
    echo "PASS $name"
  else
    echo "FAIL $name"
  fi
}
export -f run_line
export bundle work
mkdir -p "$work/logs" "$work/runs"

# The whole suite gets at most 270 s, so that the benchmarks still run
# within one lease; lines it did not reach are counted as not run.
start=$(date +%s)
tr '\n' '\0' <"$bundle/suite.txt" |
  timeout 270 xargs -0 -P "$(nproc)" -I{} bash -c 'run_line "$1"' _ {} |
  sort >"$out/numerics.txt"
total=$(wc -l <"$bundle/suite.txt")
passed=$(grep -c '^PASS' "$out/numerics.txt")
failed=$(grep -c '^FAIL' "$out/numerics.txt")
echo "numerics: $passed passed, $failed failed, $((total - passed - failed))" \
  "not run of $total, in $(( $(date +%s) - start )) s"
for name in $(awk '/^FAIL/ {print $2}' "$out/numerics.txt"); do
  { echo; echo "== $name"; tail -n 15 "$work/logs/${name//\//_}.log"; } >>"$out/numerics.txt"
done
grep '^FAIL' "$out/numerics.txt"

PYTHONUNBUFFERED=1 timeout 400 python3 bench/gpu/bench.py --bundle "$bundle" \
  ${quick:+--quick} 2>&1 | tee "$out/bench.md"
[ "$failed" -eq 0 ] && [ "$passed" -eq "$total" ]
