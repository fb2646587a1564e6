#!/usr/bin/env bash
# The main job: compile an example model to a native shared library, run it
# on a generated input, check it against the reference evaluator and time it.
#   scripts/demo.sh [examples/<model>.json] [batch] [seq]
set -euo pipefail
cd "$(dirname "$0")/.."
model="${1:-examples/gpt2-tiny.json}"
batch="${2:-2}"
seq="${3:-128}"
name="$(basename "$model" .json)"
bin=build/bin
out=build/demo/$name
mkdir -p "$out"

# One input file per graph input, named after it.
inputs=$(python3 -c 'import json,sys; print(" ".join(i["name"] for i in json.load(open(sys.argv[1]))["inputs"]))' "$model")
gen_args=() run_args=()
for input in $inputs; do
  gen_args+=(--input "$input=$out/$input.npy")
  run_args+=(--input "$input=$out/$input.npy")
done

echo "== generating weights and inputs (batch=$batch, seq=$seq)"
"$bin/kiln-gen-data" "$model" --weights "$out/weights.safetensors" \
  "${gen_args[@]}" --dim batch="$batch" --dim seq="$seq"
echo "== compiling $model"
"$bin/kiln-compile" "$model" -o "$out/$name.so" --progress
echo "== running, checking against the reference evaluator"
"$bin/kiln-run" "$out/$name.so" --weights "$out/weights.safetensors" \
  "${run_args[@]}" --output "$out/" --check
echo "== latency"
"$bin/kiln-run" "$out/$name.so" --weights "$out/weights.safetensors" \
  "${run_args[@]}" --output "$out/" --bench 20 --quiet
