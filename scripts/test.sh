#!/usr/bin/env bash
# Runs every Kiln test — GoogleTest units and the lit suites (dialects,
# passes, importer, tools, end-to-end numerics) — through CTest.
set -euo pipefail
cd "$(dirname "$0")/.."
cmake --build build
ctest --test-dir build --output-on-failure "$@"
