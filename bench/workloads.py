"""The suite's workloads: each a Kiln JSON IR model (DESIGN.md §4), the spec
the anchors read (bench/anchor_*.py), its useful FLOPs and its anchors."""
from bench_io import attention_flops

# Issue 6's shapes.
ATTN_T, ATTN_H, ATTN_D = 2048, 8, 64
GLU_D, GLU_HIDDEN, GLU_T = 512, 1376, 512
SCAN_D, SCAN_N, SCAN_T = 1536, 16, 1024

# M x K x N for kiln-bench's linear-vs-sgemm cases (x [M, K] · w[N, K]ᵀ).
GEMM_SHAPES = [(1, 768, 3072), (1, 3072, 768), (1, 4096, 4096),
               (7, 384, 384), (7, 768, 3072), (7, 4096, 4096),
               (128, 384, 384), (128, 768, 3072), (128, 3072, 768),
               (128, 4096, 4096),
               (512, 384, 384), (512, 1024, 1024), (512, 768, 3072),
               (512, 3072, 768),
               (2048, 1024, 1024), (2048, 768, 3072)]
GEMM_SHAPES_QUICK = [(1, 4096, 4096), (7, 768, 3072), (128, 768, 3072),
                     (512, 1024, 1024), (2048, 768, 3072)]

# Lengths for attention's peak memory; the first is the baseline.
MEMORY_T = [256, 4096, 8192, 16384]
MEMORY_T_QUICK = [256, 2048, 4096, 8192]


def _decl(name, shape):
    return {"name": name, "dtype": "f32", "shape": shape}


def _model(name, inputs, params, node, outputs):
    model = {"kiln": 1, "name": name, "dims": ["seq"],
             "inputs": [_decl(n, s) for n, s in inputs],
             "nodes": [node], "outputs": outputs}
    if params:
        model["params"] = [_decl(n, s) for n, s in params]
    return model


class Case:
    """name: folder and key; title: the report's heading; dims: kiln-gen-data
    --dim values; anchors: anchor_<name>.py modules to run; reps_cap: a
    lower rep count for slow anchors (PyTorch's reference scan loop)."""

    def __init__(self, name, title, model, spec, dims, flops, anchors,
                 reps_cap=None):
        self.name, self.title, self.model, self.spec = name, title, model, spec
        self.dims, self.flops, self.anchors = dims, flops, anchors
        self.reps_cap = reps_cap or {}

    @property
    def input_names(self):
        return [d["name"] for d in self.model["inputs"]]

    @property
    def has_params(self):
        return bool(self.model.get("params"))


def attention(t=ATTN_T, causal=False, h=ATTN_H, d=ATTN_D):
    mask = "causal" if causal else "none"
    shape = [1, "seq", h, d]
    model = _model(f"bench_attention_{mask}",
                   [(n, shape) for n in ("q", "k", "v")], [],
                   {"op": "attention", "inputs": ["q", "k", "v"],
                    "outputs": ["o"], "attrs": {"mask": {"kind": mask}}},
                   ["o"])
    spec = {"workload": "attention", "B": 1, "T": t, "H": h, "D": d,
            "causal": causal}
    title = (f"attention T={t}, {h} heads, D={d}, batch 1, "
             + ("causal" if causal else "no mask"))
    return Case(f"attention-{mask}-T{t}", title, model, spec, {"seq": t},
                attention_flops(spec), ["ort", "torch", "jax"])


def swiglu(t=GLU_T, d=GLU_D, hidden=GLU_HIDDEN):
    model = _model("bench_swiglu", [("x", [1, "seq", d])],
                   [("w_gate", [hidden, d]), ("w_up", [hidden, d]),
                    ("w_down", [d, hidden])],
                   {"op": "glu", "inputs": ["x", "w_gate", "w_up", "w_down"],
                    "outputs": ["y"], "attrs": {"activation": "silu"}},
                   ["y"])
    spec = {"workload": "swiglu", "T": t, "d": d, "hidden": hidden}
    return Case(f"swiglu-d{d}-h{hidden}-T{t}",
                f"SwiGLU (glu, silu) d={d}, hidden {hidden}, T={t}", model,
                spec, {"seq": t}, 2.0 * t * 3 * d * hidden,
                ["ort", "torch", "jax"])


def scan(t=SCAN_T, d=SCAN_D, n=SCAN_N):
    model = _model("bench_selective_scan",
                   [("u", [1, "seq", d]), ("delta", [1, "seq", d]),
                    ("Bm", [1, "seq", n]), ("Cm", [1, "seq", n]),
                    ("z", [1, "seq", d])],
                   [("A", [d, n]), ("Dskip", [d]), ("delta_bias", [d])],
                   {"op": "selective_scan",
                    "inputs": ["u", "delta", "A", "Bm", "Cm", "Dskip", "z",
                               "delta_bias"],
                    "outputs": ["y"], "attrs": {"delta_softplus": True}},
                   ["y"])
    spec = {"workload": "scan", "T": t, "D": d, "N": n}
    return Case(f"scan-D{d}-N{n}-T{t}",
                f"selective scan D={d}, N={n}, T={t}, batch 1 (softplus Δ, "
                "delta_bias, D skip, z gate)", model, spec, {"seq": t}, None,
                ["jax", "torch", "c"], reps_cap={"torch": (1, 3)})
