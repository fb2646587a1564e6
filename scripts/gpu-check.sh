#!/usr/bin/env bash
#===- gpu-check.sh - The GPU numerics suite and benchmarks, on a GPU machine ===#
#
# usage: scripts/gpu-check.sh BUNDLE.tar.gz OUT_DIR [--quick] [--no-bench]
#                             [--suite-seconds N] [--skip NAMES_FILE]
#
# Runs on a machine with an NVIDIA GPU and its driver but without Kiln's
# compiler, from the repository root, on a bundle that scripts/gpu-bundle.py
# built elsewhere:
#   1. the numerics suite: every line of the bundle's suite.txt through
#      test/e2e/run-model.sh with the prebuilt libraries and --device cuda
#      (each case with fusion and without, against the reference evaluator),
#      in parallel, at most 300 s per line and N s in all (270; lines it
#      does not reach count as not run); --skip leaves out the lines named
#      in a file of PASS/FAIL lines (an earlier run's numerics.txt), so a
#      second lease picks up where the first stopped;
#   2. generation: each example's greedy decode (2 prompts of 17 tokens, 8
#      new tokens) on the GPU must give the tokens the CPU library gives
#      (a model that cannot generate is reported as such, not failed);
#   3. bench/gpu/bench.py (needs PyTorch with CUDA; --quick: T = 2k and 8k
#      only), unless --no-bench.
# Writes OUT_DIR/numerics.txt (one PASS or FAIL line per suite line, then the
# log of each failure), OUT_DIR/generate.txt and OUT_DIR/bench.md, and prints
# their summaries. Exits non-zero when a suite line or a decode failed.
#
#===----------------------------------------------------------------------===#

set -u -o pipefail
usage="usage: $0 BUNDLE.tar.gz OUT_DIR [--quick] [--no-bench] [--suite-seconds N] [--skip FILE]"
bundle_tar=${1:?$usage}
out=${2:?$usage}
shift 2
quick="" bench=1 suite_seconds=270 skip=/dev/null
while [ $# -gt 0 ]; do
  case $1 in
    --quick) quick=1; shift ;;
    --no-bench) bench=""; shift ;;
    --suite-seconds) suite_seconds=$2; shift 2 ;;
    --skip) skip=$(realpath "$2"); shift 2 ;;
    *) echo "$usage" >&2; exit 2 ;;
  esac
done
cd "$(dirname "$0")/.."
mkdir -p "$out"

bundle=$(mktemp -d /tmp/kiln-bundle.XXXX)
work=$(mktemp -d /tmp/kiln-suite.XXXX)
tar -xzf "$bundle_tar" -C "$bundle" || exit 1
export PATH="$bundle/bin:$PATH" LD_LIBRARY_PATH="$bundle/lib:${LD_LIBRARY_PATH:-}"
nvidia-smi --query-gpu=name,driver_version,clocks.max.sm --format=csv,noheader
echo "Kiln $(cat "$bundle/commit.txt")"

# One suite line: NAME<TAB>run-model.sh arguments (with @BUNDLE@ for the
# bundle's folder). Prints "PASS NAME (S s)" or "FAIL NAME (S s)", S its
# wall time, and keeps the log.
run_line() {
  local name=${1%%$'\t'*} args=${1#*$'\t'} verdict=FAIL start=$SECONDS
  local log="$work/logs/${name//\//_}.log"
  eval "set -- ${args//@BUNDLE@/$bundle}"
  timeout 300 test/e2e/run-model.sh "$1" "$work/runs/${name//\//_}" "${@:2}" \
    >"$log" 2>&1 && verdict=PASS
  echo "$verdict $name ($((SECONDS - start)) s)"
}
export -f run_line
export bundle work
mkdir -p "$work/logs" "$work/runs"

# The suite has a time limit of its own, so that the benchmarks still run
# within one lease.
awk -F'\t' -v skip="$skip" '
  BEGIN { while ((getline line < skip) > 0) { split(line, word, " "); done[word[2]] } }
  !($1 in done)' "$bundle/suite.txt" >"$work/suite.txt"
start=$(date +%s)
tr '\n' '\0' <"$work/suite.txt" |
  timeout "$suite_seconds" xargs -0 -P "$(nproc)" -I{} bash -c 'run_line "$1"' _ {} |
  sort >"$out/numerics.txt"
total=$(wc -l <"$work/suite.txt")
passed=$(grep -c '^PASS' "$out/numerics.txt")
failed=$(grep -c '^FAIL' "$out/numerics.txt")
echo "numerics: $passed passed, $failed failed, $((total - passed - failed))" \
  "not run of $total, in $(( $(date +%s) - start )) s"
for name in $(awk '/^FAIL/ {print $2}' "$out/numerics.txt"); do
  { echo; echo "== $name"; tail -n 15 "$work/logs/${name//\//_}.log"; } >>"$out/numerics.txt"
done
grep '^FAIL' "$out/numerics.txt"

# Greedy decodes: the GPU's tokens against the CPU's.
while read -r name; do
  dir="$work/generate/$name" libs="$bundle/generate/$name"
  mkdir -p "$dir"
  kiln-gen-data "$libs/cpu.so" --seed 7 --weights "$dir/w.safetensors" \
    --input tokens="$dir/tokens.npy" --dim batch=2 --dim seq=17 >/dev/null
  for device in cpu cuda; do
    timeout 120 kiln-run "$libs/$device.so" --device "$device" --generate 8 \
      --weights "$dir/w.safetensors" --input tokens="$dir/tokens.npy" \
      --output "$dir/ids-$device.npy" -q >"$dir/$device.log" 2>&1
  done
  if grep -q "cannot generate" "$dir/cpu.log"; then
    echo "NOT GENERATIVE $name"
  elif cmp -s "$dir/ids-cpu.npy" "$dir/ids-cuda.npy"; then
    echo "PASS $name"
  else
    echo "FAIL $name: $(cat "$dir/cuda.log" "$dir/cpu.log" | tail -n 1)"
  fi
done <"$bundle/generate.txt" | tee "$out/generate.txt"
generate_failed=$(grep -c '^FAIL' "$out/generate.txt")

[ -n "$bench" ] && PYTHONUNBUFFERED=1 timeout 400 python3 bench/gpu/bench.py \
  --bundle "$bundle" ${quick:+--quick} 2>&1 | tee "$out/bench.md"
[ "$failed" -eq 0 ] && [ "$passed" -eq "$total" ] && [ "$generate_failed" -eq 0 ]
