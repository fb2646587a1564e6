#!/usr/bin/env bash
#===- ptxas-models.sh - Compile models for CUDA and assemble their PTX ----===#
#
# usage: ptxas-models.sh PTXAS SM WORKDIR MODEL.json...
#
# Compiles every model with kiln-compile --target=cuda --sm=SM --emit=ptx
# and assembles the PTX with PTXAS -arch=SM. Prints "<model>: ok" per model
# that passes, and for each failure the model, the step and its first error
# lines; exits non-zero if any model failed, after trying them all. The
# tools are taken from PATH (lit puts the build's bin directory there).
#
#===----------------------------------------------------------------------===#

set -u -o pipefail

if [ $# -lt 4 ]; then
  echo "usage: $0 PTXAS SM WORKDIR MODEL.json..." >&2
  exit 2
fi
ptxas=$1
sm=$2
work=$3
shift 3
rm -rf "$work" && mkdir -p "$work" || exit 1

failed=0
for model in "$@"; do
  name=$(basename "$model" .json)
  ptx=$work/$name.ptx
  if ! kiln-compile "$model" --target=cuda --sm="$sm" --emit=ptx -o "$ptx" \
      2> "$work/$name.compile.err"; then
    echo "$name: kiln-compile failed:"
    head -n 5 "$work/$name.compile.err"
    failed=$((failed + 1))
  elif ! "$ptxas" -arch="$sm" "$ptx" -o "$work/$name.cubin" \
      2> "$work/$name.ptxas.err"; then
    echo "$name: ptxas -arch=$sm failed:"
    head -n 5 "$work/$name.ptxas.err"
    failed=$((failed + 1))
  else
    echo "$name: ok"
    # Keep the work folder small: the cubin only proves that it assembled.
    rm -f "$work/$name.cubin"
  fi
done
echo "$failed of $# models failed"
[ "$failed" -eq 0 ]
