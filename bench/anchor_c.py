"""The hand-fused C selective scan (bench/scan_ref.c), called through ctypes
on the case's arrays. bench/suite.py builds the library with
gcc -O3 -march=native -ffast-math -fopenmp and names it in
KILN_BENCH_SCAN_LIB."""
import ctypes
import os

import numpy as np


def _library():
    lib = ctypes.CDLL(os.environ["KILN_BENCH_SCAN_LIB"])
    lib.scan_ref.restype = ctypes.c_int
    lib.scan_ref.argtypes = [ctypes.c_int] * 3 + [ctypes.c_void_p] * 9 + [
        ctypes.c_int]
    return lib


def prepare(threads):
    _library()
    return {"name": "hand-fused C", "version": os.environ.get(
        "KILN_BENCH_CC_VERSION", "gcc"), "notes": [
        "bench/scan_ref.c, -O3 -march=native -ffast-math -fopenmp"]}


def build(spec, arrays, threads):
    if spec["workload"] != "scan":
        raise NotImplementedError(f"no C version of '{spec['workload']}'")
    lib = _library()
    a = {n: np.ascontiguousarray(arrays[n], dtype=np.float32) for n in
         ("u", "delta", "A", "Bm", "Cm", "Dskip", "z", "delta_bias")}
    _, t, d = a["u"].shape
    n = a["A"].shape[1]
    y = np.empty_like(a["u"])
    pointers = [a[k].ctypes.data for k in
                ("u", "delta", "A", "Bm", "Cm", "Dskip", "z", "delta_bias")]

    def run():
        if lib.scan_ref(t, d, n, *pointers, y.ctypes.data, threads) != 0:
            raise RuntimeError("scan_ref: N too large")
        return y
    return run, lambda result: result
