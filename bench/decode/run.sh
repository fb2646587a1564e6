#!/usr/bin/env bash
# bench/decode/run.sh - decode tokens/s of Kiln's generation entries against
# the machine's limit (issue 10, deliverable 7, without its Hugging Face
# anchor yet).
#
#   bench/decode/run.sh [--build-dir DIR] [--threads N] [--tokens N] [--prompt N]
#
# For a GPT-2-small-size and a Mamba-130M-size model (models.py, random
# weights), at batch 1 and 8: kiln-run --generate prefills a prompt per row
# and greedy-decodes --tokens tokens, and prints the median prefill and
# decode tokens/s of 3 runs. The limit of a decode step is the larger of
# reading every weight once (weight bytes / the bandwidth a STREAM triad
# measures in the same run, triad.c) and its FLOPs (2 per weight and token)
# at the FMA peak (bench/peak.c); the ratio is decode tokens/s over the
# tokens/s that limit allows.
set -euo pipefail
here=$(cd "$(dirname "${BASH_SOURCE[0]}")" && pwd)
build=$here/../../build
threads=2
tokens=32
prompt=32
while [ $# -gt 0 ]; do
  case $1 in
    --build-dir) build=$(realpath -m "$2"); shift 2 ;;
    --threads) threads=$2; shift 2 ;;
    --tokens) tokens=$2; shift 2 ;;
    --prompt) prompt=$2; shift 2 ;;
    -h|--help) sed -n '2,15p' "$0"; exit 0 ;;
    *) echo "bench/decode/run.sh: unknown option $1" >&2; exit 2 ;;
  esac
done
bin=$build/bin
work=$build/bench-decode
mkdir -p "$work"
cc=${CC:-clang-19}
$cc -O3 -march=native -fopenmp -w "$here/triad.c" -o "$work/triad"
$cc -O3 -march=native -fopenmp -w "$here/../peak.c" -o "$work/peak"
bandwidth=$("$work/triad" "$threads" | awk '{print $3}')
peak=$("$work/peak" "$threads" | awk '{print $3}')
echo "machine: triad ${bandwidth} GB/s, FMA peak ${peak} GFLOP/s, ${threads} threads"

/usr/bin/python3 "$here/models.py" "$work"
printf '%-12s %5s %14s %14s %14s %8s\n' model batch "prefill tok/s" "decode tok/s" "limit tok/s" ratio
for model in gpt2-small mamba-130m; do
  json=$work/$model.json
  [ -f "$work/$model.so" ] || "$bin/kiln-compile" "$json" -o "$work/$model.so"
  [ -f "$work/$model.safetensors" ] ||
    "$bin/kiln-gen-data" "$json" --weights "$work/$model.safetensors" --scale 0.05
  bytes=$(stat -c %s "$work/$model.safetensors")
  for batch in 1 8; do
    "$bin/kiln-gen-data" "$json" --input "tokens=$work/prompt-$batch.npy" \
      --dim batch=$batch --dim seq=$prompt
    out=$("$bin/kiln-run" "$work/$model.so" --weights "$work/$model.safetensors" \
      --input "tokens=$work/prompt-$batch.npy" --generate "$tokens" \
      --threads "$threads" --bench 3 -q)
    prefill=$(echo "$out" | sed -n 's/^prefill: .*, \([0-9.e+]*\) tokens\/s$/\1/p')
    decode=$(echo "$out" | sed -n 's/^decode: .*, \([0-9.e+]*\) tokens\/s .*/\1/p')
    # Bytes: every f32 weight once per step; FLOPs: 2 per weight and row.
    limit=$(/usr/bin/python3 -c "
b, bw, peak, n = $bytes, $bandwidth, $peak, $batch
step = max(b / (bw * 1e9), 2 * (b / 4) * n / (peak * 1e9))
print(f'{n / step:.4g}')")
    ratio=$(/usr/bin/python3 -c "print(f'{$decode / $limit:.2f}')")
    printf '%-12s %5d %14s %14s %14s %8s\n' "$model" "$batch" "$prefill" "$decode" "$limit" "$ratio"
  done
done
