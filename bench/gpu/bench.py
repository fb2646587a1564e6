#!/usr/bin/env python3
"""Kiln's GPU kernels against PyTorch's, in one run, on one NVIDIA GPU.

usage: bench.py --bundle DIR [--reps N] [--quick]

Runs the libraries that scripts/gpu-bundle.py compiled from bench/gpu/models
through the Kiln runtime's C API (ctypes on libkiln_runtime.so) with tensors
that stay on the GPU (kiln_session_run_device), next to PyTorch on the same
tensors:

* the machine's limits, measured: device-to-device copy bandwidth and a
  bf16 torch.matmul of 8192^3;
* attention (bf16 and f16, head dim 64 and 128, causal and not, T = 2k..16k
  at batch x T = 16k tokens and 2048 model width, as FlashAttention-2's
  benchmark): TFLOP/s counted as FlashAttention does (4 B H T^2 D, halved
  when causal), against torch's scaled_dot_product_attention (its flash
  kernel) on the [B, H, T, D] layout it prefers;
* GEMM: a bf16 linear of 4096 x 4096 x 4096 against torch.matmul;
* selective scan (f32, Mamba-130m's 1536 channels and 16 states): GB/s of
  the tensors it must read and write, against the measured copy bandwidth.

Every Kiln result is also compared with PyTorch's (max |difference| over
max |reference|), so a fast wrong kernel shows. Prints a Markdown table;
times are medians of N timed runs after a warm-up. A Kiln call returns when
its outputs are written, so its time includes the launch and one
synchronization, as a caller sees it.
"""

import argparse
import ctypes
import os
import statistics
import sys
import time

import torch

KILN_DTYPES = {torch.float32: 0, torch.float16: 1, torch.bfloat16: 2}


class Tensor(ctypes.Structure):
    _fields_ = [("data", ctypes.c_void_p), ("dtype", ctypes.c_int),
                ("rank", ctypes.c_int32), ("shape", ctypes.c_int64 * 8)]


def tensor_of(t):
    assert t.is_contiguous()
    view = Tensor(t.data_ptr(), KILN_DTYPES[t.dtype], t.dim())
    for i, size in enumerate(t.shape):
        view.shape[i] = size
    return view


class Kiln:
    """The few runtime calls a benchmark needs (include/kiln/runtime/kiln_runtime.h)."""

    def __init__(self, library):
        self.lib = ctypes.CDLL(library)
        self.lib.kiln_status_message.restype = ctypes.c_char_p
        for name in ("kiln_model_open", "kiln_session_create", "kiln_session_bind_params",
                     "kiln_session_run_device"):
            getattr(self.lib, name).restype = ctypes.c_void_p

    def check(self, status, what):
        if status:
            message = self.lib.kiln_status_message(ctypes.c_void_p(status)).decode()
            self.lib.kiln_status_free(ctypes.c_void_p(status))
            raise RuntimeError("%s: %s" % (what, message))

    def session(self, path, params=()):
        model, session = ctypes.c_void_p(), ctypes.c_void_p()
        self.check(self.lib.kiln_model_open(path.encode(), ctypes.byref(model)), path)
        self.check(self.lib.kiln_session_create(model, b"cuda", ctypes.byref(session)), path)
        if params:
            views = (Tensor * len(params))(*[tensor_of(p) for p in params])
            self.check(self.lib.kiln_session_bind_params(session, len(params), views), path)
        return session

    def runner(self, session, inputs, outputs):
        for out in outputs:  # an element the kernels do not write stays NaN
            out.fill_(float("nan"))
        ins = (Tensor * len(inputs))(*[tensor_of(t) for t in inputs])
        outs = (Tensor * len(outputs))(*[tensor_of(t) for t in outputs])

        def run():
            self.check(self.lib.kiln_session_run_device(session, len(inputs), ins,
                                                        len(outputs), outs), "run")
        return run


def median_ms(fn, reps):
    """Median wall time of fn in ms, after one warm-up call; fn returns when done."""
    torch.cuda.synchronize()  # Kiln's stream does not wait for torch's
    start = time.perf_counter()
    fn()
    torch.cuda.synchronize()
    # A slow kernel gets fewer runs (at least 3), so the lease is not spent
    # on it.
    reps = max(3, min(reps, int(2.0 / max(time.perf_counter() - start, 1e-6))))
    times = []
    for _ in range(reps):
        start = time.perf_counter()
        fn()
        torch.cuda.synchronize()
        times.append((time.perf_counter() - start) * 1e3)
    return statistics.median(times)


def rel_error(got, want):
    return ((got.float() - want.float()).abs().max() / want.float().abs().max()).item()


def timed(ms, flops):
    """A time and the rate it gives: "2.08 ms, 65.9 TFLOP/s"."""
    return "%.2f ms, %.1f TFLOP/s" % (ms, flops / ms / 1e9)


def row(*cells):
    print("| " + " | ".join(str(c) for c in cells) + " |", flush=True)


def limits(reps):
    x = torch.empty(2 ** 30, dtype=torch.float32, device="cuda")
    y = torch.empty_like(x)
    copy_ms = median_ms(lambda: y.copy_(x), reps)
    bandwidth = 2 * x.numel() * 4 / copy_ms / 1e6
    a = torch.randn(8192, 8192, dtype=torch.bfloat16, device="cuda")
    matmul_ms = median_ms(lambda: a @ a, reps)
    del x, y
    row("limit", "device copy (read + write), 8 GiB", "%.0f GB/s" % bandwidth, "", "", "")
    row("limit", "torch.matmul bf16 8192^3", "%.0f TFLOP/s" % (2 * 8192 ** 3 / matmul_ms / 1e9),
        "", "", "")
    return bandwidth


def attention_case(kiln, session, dtype, d, causal, t, reps):
    from torch.nn.attention import SDPBackend, sdpa_kernel
    heads, batch = 2048 // d, 16384 // t
    q, k, v = (torch.randn(batch, t, heads, d, dtype=dtype, device="cuda") for _ in range(3))
    y = torch.empty_like(q)
    kiln_ms = median_ms(kiln.runner(session, [q, k, v], [y]), reps)
    qt, kt, vt = (x.transpose(1, 2).contiguous() for x in (q, k, v))
    with sdpa_kernel(SDPBackend.FLASH_ATTENTION):
        def anchor():
            return torch.nn.functional.scaled_dot_product_attention(qt, kt, vt, is_causal=causal)
        torch_ms = median_ms(anchor, reps)
        want = anchor().transpose(1, 2)
    flops = 4 * batch * heads * t * t * d / (2 if causal else 1)
    row("attention", "%s D=%d %s B=%d T=%d" % (
        str(dtype).split(".")[1], d, "causal" if causal else "full", batch, t),
        timed(kiln_ms, flops), timed(torch_ms, flops),
        "%.2f" % (torch_ms / kiln_ms), "%.1e" % rel_error(y, want))


def attention(kiln, bundle, reps, lengths):
    for dtype_name, dtype in (("bf16", torch.bfloat16), ("f16", torch.float16)):
        for d in (64, 128):
            for causal in (False, True):
                name = "attention-%s-d%d%s" % (dtype_name, d, "-causal" if causal else "")
                session = kiln.session(os.path.join(bundle, "bench", name, "fusion.so"))
                for t in lengths:
                    try:
                        attention_case(kiln, session, dtype, d, causal, t, reps)
                    except Exception as error:  # the other cases still run
                        print("bench: %s T=%d: %s" % (name, t, error), file=sys.stderr, flush=True)


def gemm(kiln, bundle, reps):
    n = 4096
    w = torch.randn(n, n, dtype=torch.bfloat16) / 64
    session = kiln.session(os.path.join(bundle, "bench", "gemm-bf16-4096", "fusion.so"), [w])
    x = torch.randn(n, n, dtype=torch.bfloat16, device="cuda")
    y = torch.empty_like(x)
    kiln_ms = median_ms(kiln.runner(session, [x], [y]), reps)
    wd = w.cuda()
    torch_ms = median_ms(lambda: x @ wd.t(), reps)
    flops = 2 * n ** 3
    row("gemm", "bf16 linear %d^3" % n, timed(kiln_ms, flops), timed(torch_ms, flops),
        "%.2f" % (torch_ms / kiln_ms), "%.1e" % rel_error(y, x @ wd.t()))


def selective_scan(kiln, bundle, reps, bandwidth):
    d, n, batch, t = 1536, 16, 8, 4096
    a = -torch.rand(d, n) * 4 - 0.5
    dskip, delta_bias = torch.randn(d), torch.randn(d) * 0.1
    session = kiln.session(os.path.join(bundle, "bench", "selective-scan-f32-d1536-n16",
                                        "fusion.so"), [a, dskip, delta_bias])
    u, delta, z = (torch.randn(batch, t, d, device="cuda") for _ in range(3))
    bm, cm = (torch.randn(batch, t, n, device="cuda") for _ in range(2))
    y = torch.empty_like(u)
    kiln_ms = median_ms(kiln.runner(session, [u, delta, bm, cm, z], [y]), reps)
    moved = 4 * (4 * batch * t * d + 2 * batch * t * n)
    row("selective scan", "f32 B=%d T=%d D=%d N=%d" % (batch, t, d, n),
        "%.2f ms, %.0f GB/s (%.0f%% of copy)" % (
            kiln_ms, moved / kiln_ms / 1e6, 100 * moved / kiln_ms / 1e6 / bandwidth),
        "", "", "")


def main():
    parser = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    parser.add_argument("--bundle", required=True)
    parser.add_argument("--reps", type=int, default=10)
    parser.add_argument("--quick", action="store_true", help="T = 2k and 8k only")
    args = parser.parse_args()
    kiln = Kiln(os.path.join(args.bundle, "lib", "libkiln_runtime.so"))
    print("%s, torch %s" % (torch.cuda.get_device_name(), torch.__version__))
    row("workload", "shape", "Kiln", "PyTorch", "speedup", "max rel. diff")
    row("---", "---", "---", "---", "---", "---")
    bandwidth = limits(args.reps)
    for section in (lambda: gemm(kiln, args.bundle, args.reps),
                    lambda: selective_scan(kiln, args.bundle, args.reps, bandwidth),
                    lambda: attention(kiln, args.bundle, args.reps,
                                      (2048, 8192) if args.quick else (2048, 4096, 8192, 16384))):
        try:
            section()
        except Exception as error:  # one failing workload must not hide the others
            print("bench: %s" % error, file=sys.stderr, flush=True)
    return 0


if __name__ == "__main__":
    sys.exit(main())
