#!/usr/bin/env bash
#===- run-model.sh - Compile a model once, check it at many lengths -------===#
#
# usage: run-model.sh MODEL.json WORKDIR [--rtol X] [--atol X]
#                     [--compile-flag FLAG]... [--run-flag FLAG]...
#                     [--prebuilt DIR] [--cases "BxT ..."]
#                     [kiln-gen-data options...]
#
# Compiles MODEL.json with kiln-compile twice, with the fusion passes and
# without (--no-fusion), then for every (batch, seq) case below generates
# weights and inputs with kiln-gen-data (a distinct seed per case; extra
# options such as --scale are passed through) and runs both libraries with
# kiln-run --check, which compares every output with the
# reference evaluator, at kiln-run's default tolerances unless --rtol or
# --atol is given (a test that loosens them says why). --compile-flag passes
# a flag to kiln-compile (e.g. --cpu=x86-64 for the SSE kernels), --run-flag
# one to kiln-run (e.g. --device cuda); --prebuilt DIR takes the two libraries
# from DIR/fusion.so and DIR/no-fusion.so instead of compiling them (a GPU
# machine without the compiler runs libraries built elsewhere; see
# scripts/gpu-check.sh); --cases
# replaces the case list below (a test that needs particular lengths, such as
# GEMM rows around a tile size, checks its own case lines). Prints the check lines
# and "case BxT seed S: PASS" per case, and stops with a non-zero status at
# the first failure, naming the case. The tools are taken from PATH (lit puts
# the build's bin directory there); cases.check holds the FileCheck lines that
# match the case list.
#
#===----------------------------------------------------------------------===#

set -u -o pipefail

if [ $# -lt 2 ]; then
  echo "usage: $0 MODEL.json WORKDIR [--rtol X] [--atol X] [--compile-flag F]..." \
       "[--cases \"BxT ...\"] [kiln-gen-data options...]" >&2
  exit 2
fi
model=$1
work=$2
shift 2
tolerance=()
compile_flags=()
run_flags=()
prebuilt=""
gen_options=()
# (batch, seq) pairs: a single token, short odd lengths, a power of two and
# one long sequence that is not a multiple of any block or vector width.
cases="1x1 3x7 2x37 1x128 1x1031"
while [ $# -gt 0 ]; do
  case $1 in
    --rtol | --atol)
      tolerance+=("$1" "$2")
      shift 2
      ;;
    --compile-flag)
      compile_flags+=("$2")
      shift 2
      ;;
    --run-flag)
      run_flags+=("$2")
      shift 2
      ;;
    --prebuilt)
      prebuilt=$2
      shift 2
      ;;
    --cases)
      cases=$2
      shift 2
      ;;
    *)
      gen_options+=("$1")
      shift
      ;;
  esac
done

rm -rf "$work" && mkdir -p "$work" || exit 1

# From the JSON IR: whether the model has parameters, which of batch and seq
# it declares (a model may use only one of them), and its input names.
info=$(python3 -c '
import json, sys
m = json.load(open(sys.argv[1]))
dims = m.get("dims", [])
print(1 if m.get("params") else 0, int("batch" in dims), int("seq" in dims),
      " ".join(i["name"] for i in m["inputs"]))
' "$model") || { echo "run-model: cannot read $model" >&2; exit 1; }
read -r has_params has_batch has_seq inputs <<<"$info"

libraries=${prebuilt:-$work}
if [ -z "$prebuilt" ]; then
  for variant in fusion no-fusion; do
    kiln-compile "$model" "${compile_flags[@]}" "--$variant" \
        -o "$work/$variant.so" || {
      echo "run-model: kiln-compile --$variant failed for $model"
      exit 1
    }
  done
fi

seed=0
for c in $cases; do
  batch=${c%x*}
  seq=${c#*x}
  seed=$((seed + 1))
  dir="$work/$c"
  mkdir -p "$dir"
  gen_args=(--seed "$seed")
  run_args=()
  [ "$has_batch" = 1 ] && gen_args+=(--dim "batch=$batch")
  [ "$has_seq" = 1 ] && gen_args+=(--dim "seq=$seq")
  if [ "$has_params" = 1 ]; then
    gen_args+=(--weights "$dir/w.safetensors")
    run_args+=(--weights "$dir/w.safetensors")
  fi
  for name in $inputs; do
    gen_args+=(--input "$name=$dir/$name.npy")
    run_args+=(--input "$name=$dir/$name.npy")
  done
  if ! kiln-gen-data "$model" "${gen_args[@]}" "${gen_options[@]}"; then
    echo "case ${c} seed $seed: FAIL (kiln-gen-data)"
    exit 1
  fi
  for variant in fusion no-fusion; do
    if ! kiln-run "$libraries/$variant.so" "${run_args[@]}" "${run_flags[@]}" \
         --output "$dir/$variant/" --check "${tolerance[@]}" -q; then
      echo "case ${c} seed $seed: FAIL ($model, --$variant)"
      exit 1
    fi
  done
  echo "case ${c} seed $seed: PASS"
done
