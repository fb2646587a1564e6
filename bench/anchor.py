"""One anchor, one case, in a process of its own:

    python anchor.py FRAMEWORK CASE_DIR THREADS WARMUP REPS OUT.npy

FRAMEWORK is a module anchor_<FRAMEWORK>.py beside this file, providing
  prepare(threads) -> {"name", "version", "notes": [...]}  (raises if absent)
  build(spec, arrays, threads) -> (run, fetch): run() computes the case's
      output and returns once it is ready; fetch(result) -> NumPy array.
      Raises NotImplementedError for a workload it has no version of.
Prints one JSON line: the times, or {"skipped": reason}. The output of the
last timed run is saved to OUT.npy for bench/suite.py to compare with Kiln's.
"""
import importlib
import json
import os
import sys
import traceback

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
import numpy as np  # noqa: E402

from bench_io import load_case, median, time_ms  # noqa: E402


def main():
    framework, case_dir, threads, warmup, reps, out = sys.argv[1:7]
    threads, warmup, reps = int(threads), int(warmup), int(reps)
    try:
        module = importlib.import_module("anchor_" + framework)
        info = module.prepare(threads)
    except Exception as e:  # missing package, broken install
        print(json.dumps({"skipped": f"{type(e).__name__}: {e}"}))
        return
    spec, arrays = load_case(case_dir)
    try:
        run, fetch = module.build(spec, arrays, threads)
        times, result = time_ms(run, warmup, reps)
        np.save(out, np.asarray(fetch(result), dtype=np.float32))
    except NotImplementedError as e:
        print(json.dumps({"skipped": str(e) or "no such workload"}))
        return
    except Exception as e:
        traceback.print_exc()
        print(json.dumps({"skipped": f"failed: {type(e).__name__}: {e}"}))
        return
    print(json.dumps({**info, "median_ms": median(times), "times_ms": times,
                      "warmup": warmup, "reps": reps, "threads": threads}))


if __name__ == "__main__":
    main()
