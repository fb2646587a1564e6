#!/bin/sh
# make-seeds.sh SOURCE_DIR TOOLS_DIR FAKE_MODEL OUT: the seed corpora of the
# fuzz targets, one folder per target, from the repository's models and
# what the tools make of a small one.
set -eu
src=$1 tools=$2 fake=$3 out=$4
rm -rf "$out"
mkdir -p "$out/json-model" "$out/safetensors" "$out/npy" "$out/signature" \
  "$out/model-library"
n=0
for model in "$src"/examples/*.json "$src"/test/contract/*.json \
  "$src"/test/import/models/*.json "$src"/test/import/errors/*.json \
  "$src"/test/tools/kiln-compile/Inputs/*.json; do
  [ -f "$model" ] || continue
  n=$((n + 1))
  cp "$model" "$out/json-model/$n-$(basename "$model")"
done
cp "$src"/fuzz/seeds/signature/*.json "$out/signature/"
tiny=$src/test/tools/kiln-compile/Inputs/tiny.json
"$tools/kiln-gen-data" "$tiny" --weights "$out/safetensors/tiny.safetensors" \
  --input x="$out/npy/x-f32.npy" --dim batch=2
"$tools/kiln-gen-data" "$fake" --weights "$out/safetensors/fake.safetensors" \
  --input tokens="$out/npy/tokens-i32.npy" --input x="$out/npy/x.npy" \
  --dim batch=2 --dim seq=3
"$tools/kiln-compile" "$tiny" -o "$out/model-library/tiny.so"
cp "$fake" "$out/model-library/fake.so"
echo "fuzz seeds in $out: $(find "$out" -type f | wc -l) files"
