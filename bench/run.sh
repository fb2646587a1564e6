#!/usr/bin/env bash
# bench/run.sh — Kiln's benchmark suite in one command (bench/README.md).
#
#   bench/run.sh [--quick] [--threads N] [--reps R] [--warmup W]
#                [--only attention|softcap|swiglu|scan|gemm|memory|models|gpt2-block|
#                        bert-encoder|compile-gpt2-12|memory-gpt2-12]...
#                [--build-dir DIR] [--out DIR] [--no-install] [--no-build]
#
# 1. bench/setup.sh installs what is missing: Debian's python3-torch and
#    OpenBLAS (libopenblas0-pthread, libopenblas-dev), and a virtual
#    environment DIR/bench-venv with ONNX Runtime and JAX from PyPI.
# 2. Builds kiln-compile, kiln-run, kiln-gen-data and kiln-bench (configuring
#    DIR first if needed, and again so that a newly installed OpenBLAS is
#    found for kiln-bench).
# 3. bench/suite.py runs every workload, Kiln and its anchors in the same
#    run, and writes DIR/bench-results/report.md and results.json.
#    `--only models` runs the four whole-model workloads of issue 7.
set -euo pipefail
repo=$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)
build=$repo/build
install=1
compile=1
args=()
while [ $# -gt 0 ]; do
  case $1 in
    --build-dir) build=$(realpath -m "$2"); shift 2 ;;
    --no-install) install=0; shift ;;
    --no-build) compile=0; shift ;;
    -h|--help) sed -n '2,17p' "$0"; exit 0 ;;
    *) args+=("$1"); shift ;;
  esac
done
venv=$build/bench-venv

if [ $install = 1 ]; then
  bash "$repo/bench/setup.sh" "$venv"
else
  KILN_BENCH_NO_INSTALL=1 bash "$repo/bench/setup.sh" "$venv"
fi

if [ $compile = 1 ]; then
  mkdir -p "$build"
  log=$build/bench-build.log
  echo "bench/run.sh: building the Kiln tools (log: $log)"
  {
    if [ ! -f "$build/CMakeCache.txt" ]; then
      generator=(); command -v ninja >/dev/null && generator=(-G Ninja)
      cmake "${generator[@]}" -S "$repo" -B "$build" -DCMAKE_BUILD_TYPE=Release \
        -DCMAKE_C_COMPILER=clang-19 -DCMAKE_CXX_COMPILER=clang++-19
    else
      cmake -S "$repo" -B "$build"  # again: finds a newly installed OpenBLAS
    fi &&
    cmake --build "$build" --target kiln-compile kiln-run kiln-gen-data
  } >"$log" 2>&1 || { tail -30 "$log"; echo "bench/run.sh: error: build failed" >&2; exit 1; }
  cmake --build "$build" --target kiln-bench >>"$log" 2>&1 ||
    echo "bench/run.sh: skipped: kiln-bench did not build (OpenBLAS missing? see $log); GEMM will be skipped"
fi

if ! /usr/bin/python3 -c 'import numpy' 2>/dev/null; then
  echo "bench/run.sh: error: /usr/bin/python3 has no NumPy (apt-get install python3-numpy)" >&2
  exit 1
fi
exec /usr/bin/python3 "$repo/bench/suite.py" --kiln-bin "$build/bin" \
  --venv "$venv" --hf-site "$build/bench-hf" --out "$build/bench-results" "${args[@]}"
