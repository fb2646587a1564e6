"""PyTorch anchors (Debian's python3-torch 1.13, run by /usr/bin/python3).

bench/suite.py starts this process with OMP_WAIT_POLICY=PASSIVE and glibc's
MALLOC_MMAP_THRESHOLD_/MALLOC_TRIM_THRESHOLD_ raised (without them PyTorch is
several times slower on these VMs) and OPENBLAS_NUM_THREADS=threads.
prepare() checks that matrix products really go to OpenBLAS: Debian's
default libblas3 is the reference BLAS, about 30x slower.
"""
import math
import re
import subprocess
import time

import torch
import torch.nn.functional as F


def _blas_check(threads):
    a = torch.rand(1024, 1024)
    b = torch.rand(1024, 1024)
    torch.matmul(a, b)
    times = []
    for _ in range(5):
        start = time.perf_counter()
        torch.matmul(a, b)
        times.append(time.perf_counter() - start)
    gflops = 2 * 1024**3 / sorted(times)[2] * 1e-9
    with open("/proc/self/maps") as f:
        libs = sorted({line.split()[-1] for line in f
                       if "blas" in line.split()[-1].lower()})
    notes = [f"BLAS libraries loaded: {', '.join(libs) or 'none found'}; "
             f"1024^3 sgemm through torch.matmul: {gflops:.0f} GFLOP/s on "
             f"{threads} thread(s)"]
    # OpenBLAS reaches 50+ GFLOP/s per core here; the reference BLAS ~3.
    if not any("openblas" in lib for lib in libs) or gflops < 10 * threads:
        notes.append("WARNING: PyTorch does not look like it runs on OpenBLAS "
                     "(reference BLAS is ~30x slower): install "
                     "libopenblas0-pthread and check update-alternatives "
                     "--display libblas.so.3-x86_64-linux-gnu")
    return notes


def prepare(threads):
    torch.set_num_threads(threads)
    config = torch.__config__.show()
    blas = sorted(set(re.findall(r"BLAS_INFO=[^,\s]*", config)))
    notes = _blas_check(threads) + [
        f"torch.__config__: {', '.join(blas) or 'no BLAS_INFO'} (Debian builds "
        "against the libblas.so.3 interface; the alternatives system picks "
        "the library)"]
    package = subprocess.run(["dpkg-query", "-W", "-f=${Version}",
                              "python3-torch"], capture_output=True, text=True)
    if package.stdout:
        notes.insert(0, f"Debian python3-torch {package.stdout}")
    return {"name": "PyTorch", "version": torch.__version__, "notes": notes}


def _attention(spec, arrays):
    q, k, v = (torch.from_numpy(arrays[n]) for n in ("q", "k", "v"))
    causal = spec["causal"]
    scale = 1.0 / math.sqrt(spec["D"])
    sdpa = getattr(F, "scaled_dot_product_attention", None)  # torch >= 2.0
    t = spec["T"]
    hidden = torch.ones(t, t, dtype=torch.bool).triu(1) if causal else None

    def run():
        with torch.no_grad():
            qh, kh, vh = (x.transpose(1, 2) for x in (q, k, v))  # [B,H,T,D]
            if sdpa is not None:
                o = sdpa(qh, kh, vh, is_causal=causal)
            else:
                s = torch.matmul(qh, kh.transpose(-1, -2)).mul_(scale)
                if causal:
                    s.masked_fill_(hidden, float("-inf"))
                o = torch.matmul(torch.softmax(s, dim=-1), vh)
            return o.transpose(1, 2).contiguous()
    return run


def _softcap_attention(spec, arrays):
    """HF's eager Gemma 2 attention: scaled scores, soft cap, additive causal
    mask of finfo.min, softmax (PyTorch's SDPA takes no soft cap)."""
    q, k, v = (torch.from_numpy(arrays[n]) for n in ("q", "k", "v"))
    scale, cap, t = spec["D"] ** -0.5, spec["softcap"], spec["T"]
    mask = torch.full((t, t), torch.finfo(torch.float32).min).triu(1)

    def run():
        with torch.no_grad():
            qh, kh, vh = (x.transpose(1, 2) for x in (q, k, v))
            s = torch.matmul(qh, kh.transpose(-1, -2)) * scale
            s = torch.tanh(s / cap) * cap + mask
            o = torch.matmul(torch.softmax(s, dim=-1), vh)
            return o.transpose(1, 2).contiguous()
    return run


def _swiglu(spec, arrays):
    x, wg, wu, wd = (torch.from_numpy(arrays[n])
                     for n in ("x", "w_gate", "w_up", "w_down"))

    def run():
        with torch.no_grad():
            return F.linear(F.silu(F.linear(x, wg)) * F.linear(x, wu), wd)
    return run


def _scan(spec, arrays):
    """The reference loop over time, vectorized over channels and states."""
    u, delta, z = (torch.from_numpy(arrays[n][0]) for n in ("u", "delta", "z"))
    bm, cm = (torch.from_numpy(arrays[n][0]) for n in ("Bm", "Cm"))
    a, dskip, dbias = (torch.from_numpy(arrays[n])
                       for n in ("A", "Dskip", "delta_bias"))

    def run():
        with torch.no_grad():
            dt = F.softplus(delta + dbias)               # [T, D]
            du = dt * u
            h = torch.zeros_like(a)                      # [D, N]
            ys = []
            for t in range(u.shape[0]):
                h = torch.exp(dt[t, :, None] * a) * h + du[t, :, None] * bm[t]
                ys.append(h @ cm[t])
            y = (torch.stack(ys) + dskip * u) * F.silu(z)
            return y[None]
    return run


def _model(spec, arrays):
    """GPT-2 blocks (pre-LN) or BERT layers (post-LN) written as a PyTorch
    user would (HF's modeling code, functional form): F.layer_norm, F.linear,
    view/transpose, matmul · scale, masked_fill with finfo.min above the
    diagonal when causal, softmax, matmul, F.gelu (approximate='tanh' for
    GPT-2). torch 1.13 has no scaled_dot_product_attention; used if present.
    """
    p = {n: torch.from_numpy(a) for n, a in arrays.items()}
    d, heads, eps = spec["d"], spec["heads"], spec["eps"]
    dh = d // heads
    causal = spec["causal"]
    t = spec["T"]
    hidden = torch.ones(t, t, dtype=torch.bool).triu(1) if causal else None
    sdpa = getattr(F, "scaled_dot_product_attention", None)
    approximate = "tanh" if spec["activation"] == "gelu_tanh" else "none"

    def ln(x, prefix):
        return F.layer_norm(x, (d,), p[prefix + ".w"], p[prefix + ".b"], eps)

    def lin(x, prefix):
        return F.linear(x, p[prefix + ".w"], p[prefix + ".b"])

    def attend(q, k, v):
        b, n = q.shape[:2]
        q, k, v = (z.view(b, n, heads, dh).transpose(1, 2) for z in (q, k, v))
        if sdpa is not None:
            o = sdpa(q, k, v, is_causal=causal)
        else:
            s = torch.matmul(q, k.transpose(-1, -2)).mul_(1 / math.sqrt(dh))
            if causal:
                s.masked_fill_(hidden, torch.finfo(s.dtype).min)
            o = torch.matmul(torch.softmax(s, dim=-1), v)
        return o.transpose(1, 2).reshape(b, n, d)

    def gpt2(x):
        for i in range(spec["layers"]):
            pre = f"l{i}."
            q, k, v = lin(ln(x, pre + "ln1"), pre + "attn.qkv").split(d, -1)
            x = x + lin(attend(q, k, v), pre + "attn.proj")
            h = F.gelu(lin(ln(x, pre + "ln2"), pre + "mlp.fc"),
                       approximate=approximate)
            x = x + lin(h, pre + "mlp.out")
        return ln(x, "ln_f") if spec.get("final_ln") else x

    def bert(x):
        for i in range(spec["layers"]):
            pre = f"l{i}."
            q, k, v = (lin(x, f"{pre}attn.{n}") for n in "qkv")
            x = ln(x + lin(attend(q, k, v), pre + "attn.out"), pre + "ln1")
            f = lin(F.gelu(lin(x, pre + "ffn.in"), approximate=approximate),
                    pre + "ffn.out")
            x = ln(x + f, pre + "ln2")
        return x

    forward = {"gpt2": gpt2, "bert": bert}[spec["workload"]]
    x = p["x"]

    def run():
        with torch.inference_mode():
            return forward(x)
    return run


def build(spec, arrays, threads):
    kinds = {"attention": _attention, "softcap_attention": _softcap_attention,
             "swiglu": _swiglu, "scan": _scan,
             "gpt2": _model, "bert": _model}
    run = kinds[spec["workload"]](spec, arrays)
    return run, lambda result: result.numpy()
