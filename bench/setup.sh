#!/usr/bin/env bash
# bench/setup.sh VENV_DIR — installs what the benchmark anchors need, each step
# only when it is missing, and says "skipped: <reason>" for what cannot be had:
#   Debian: python3-torch, libopenblas0-pthread (so that torch's libblas.so.3 is
#           OpenBLAS, not the 30x slower reference BLAS), libopenblas-dev
#           (kiln-bench's sgemm anchor), python3-numpy, python3-venv, gcc
#           (peak.c and the hand-fused C scan);
#   PyPI:   onnxruntime, onnx and jax[cpu] in a virtual environment VENV_DIR
#           created from Debian's /usr/bin/python3.
# Environment: KILN_BENCH_NO_INSTALL=1 installs nothing (checks only).
set -u
venv=${1:?usage: bench/setup.sh VENV_DIR}

# Versions that resolve and install on Debian 12's Python 3.11; change
# together and re-run (the venv is rebuilt when this line changes).
PIP_PINS="onnxruntime==1.32.0 onnx==1.23.2 jax[cpu]==0.10.2 jaxlib==0.10.2 numpy==2.4.6"
# transformers and its pure-Python dependencies; numpy and torch are Debian's.
HF_PINS="transformers==4.39.3 tokenizers==0.15.2 huggingface_hub==0.24.6 safetensors==0.4.5 regex==2024.9.11 pyyaml==6.0.2 packaging==24.1 filelock==3.16.1 requests==2.32.3 tqdm==4.66.5 urllib3==2.2.3 idna==3.10 certifi==2024.8.30 charset_normalizer==3.3.2 fsspec==2024.9.0 typing_extensions==4.12.2"

note() { echo "bench/setup: $*"; }

apt_missing() {
  local missing=()
  for p in "$@"; do
    dpkg-query -W -f='${Status}' "$p" 2>/dev/null | grep -q 'install ok installed' ||
      missing+=("$p")
  done
  echo "${missing[@]:-}"
}

want="python3-torch python3-numpy python3-venv libopenblas0-pthread libopenblas-dev gcc"
missing=$(apt_missing $want)
if [ -n "$missing" ]; then
  if [ "${KILN_BENCH_NO_INSTALL:-0}" = 1 ]; then
    note "skipped: apt packages missing and KILN_BENCH_NO_INSTALL=1: $missing"
  elif [ "$(id -u)" != 0 ]; then
    note "skipped: apt packages missing and not root: $missing"
  else
    note "apt-get install $missing"
    export DEBIAN_FRONTEND=noninteractive
    # An old or absent package list finds nothing: update once, then install.
    { apt-get install -y -q --no-install-recommends $missing ||
      { apt-get update -q && apt-get install -y -q --no-install-recommends $missing; }; } \
      >/tmp/kiln-bench-apt.log 2>&1 ||
      note "skipped: apt-get install failed (see /tmp/kiln-bench-apt.log): $missing"
  fi
fi

# With OpenBLAS installed the alternatives system prefers it; make sure.
for alt in libblas.so.3-x86_64-linux-gnu liblapack.so.3-x86_64-linux-gnu; do
  target=$(update-alternatives --query "$alt" 2>/dev/null |
    awk '/^Alternative: .*openblas-pthread/ {print $2; exit}')
  if [ -n "$target" ] && [ "$(readlink -f /etc/alternatives/$alt)" != "$(readlink -f "$target")" ]; then
    note "update-alternatives --set $alt $target"
    update-alternatives --set "$alt" "$target" >/dev/null 2>&1 ||
      note "warning: could not select OpenBLAS for $alt"
  fi
done

# The virtual environment for ONNX Runtime and JAX.
stamp="$venv/.kiln-pins"
if [ -x "$venv/bin/python" ] && [ "$(cat "$stamp" 2>/dev/null)" = "$PIP_PINS" ]; then
  :
elif [ "${KILN_BENCH_NO_INSTALL:-0}" = 1 ]; then
  note "skipped: no up-to-date venv at $venv and KILN_BENCH_NO_INSTALL=1"
else
  note "creating $venv (pip install $PIP_PINS)"
  rm -rf "$venv"
  if /usr/bin/python3 -m venv "$venv" >/tmp/kiln-bench-venv.log 2>&1 &&
     "$venv/bin/python" -m pip install -q --disable-pip-version-check \
       $PIP_PINS >>/tmp/kiln-bench-venv.log 2>&1; then
    echo "$PIP_PINS" >"$stamp"
  else
    # Keep what did install: each anchor checks its own import.
    note "skipped: pip install failed (see /tmp/kiln-bench-venv.log); trying the packages one by one"
    [ -x "$venv/bin/python" ] || /usr/bin/python3 -m venv "$venv" >>/tmp/kiln-bench-venv.log 2>&1
    for p in $PIP_PINS; do
      "$venv/bin/python" -m pip install -q --disable-pip-version-check "$p" \
        >>/tmp/kiln-bench-venv.log 2>&1 || note "skipped: pip install $p failed"
    done
  fi
fi

# Hugging Face transformers for the decode anchor, next to the venv: it runs
# on Debian's PyTorch 1.13 (the last transformers whose Mamba and GPT-2
# generate need no torch 2), so it goes to a --target folder that
# /usr/bin/python3 reads through PYTHONPATH.
hf_site="$(dirname "$venv")/bench-hf"
hf_stamp="$hf_site/.kiln-pins"
if [ "$(cat "$hf_stamp" 2>/dev/null)" = "$HF_PINS" ]; then
  :
elif [ "${KILN_BENCH_NO_INSTALL:-0}" = 1 ]; then
  note "skipped: no up-to-date transformers at $hf_site and KILN_BENCH_NO_INSTALL=1"
else
  note "installing transformers into $hf_site (pip install --target, $HF_PINS)"
  rm -rf "$hf_site"
  if /usr/bin/python3 -m pip install -q --disable-pip-version-check \
       --no-deps --target "$hf_site" $HF_PINS >/tmp/kiln-bench-hf.log 2>&1; then
    echo "$HF_PINS" >"$hf_stamp"
  else
    note "skipped: pip install of transformers failed (see /tmp/kiln-bench-hf.log)"
  fi
fi
exit 0
