#!/bin/sh
# run-fuzzer.sh FUZZER SECONDS WORKDIR SEEDS...: a bounded libFuzzer run
# from fresh copies of the seeds (the checked-in corpora stay unchanged);
# any crash, leak or timeout fails it, and the input that caused it is left
# in WORKDIR/artifacts/ to become a regression test.
set -eu
fuzzer=$1 seconds=$2 work=$3
shift 3
# As in scripts/sanitize.sh: instrumented code and libMLIR.so share LLVM's
# allocators, whose manual poisoning only one side would undo.
export ASAN_OPTIONS="${ASAN_OPTIONS:-allow_user_poisoning=0}"
rm -rf "$work"
mkdir -p "$work/corpus" "$work/artifacts"
exec "$fuzzer" -max_total_time="$seconds" -timeout=10 -rss_limit_mb=2048 \
  -print_final_stats=1 -artifact_prefix="$work/artifacts/" \
  "$work/corpus" "$@"
