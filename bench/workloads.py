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

    # (rtol, atol) for suite.compare; None: max |diff| / max |Kiln| < 1e-3.
    tolerance = (None, None)

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


# Gemma 2 2B's global attention layer: 8 heads of 256, logits soft-capped
# at 50, causal.
SOFTCAP_T, SOFTCAP_H, SOFTCAP_D, SOFTCAP_CAP = 2048, 8, 256, 50.0
FINFO_MIN = -3.4028234663852886e38  # torch.finfo(torch.float32).min


def softcap_attention(t=SOFTCAP_T, h=SOFTCAP_H, d=SOFTCAP_D, cap=SOFTCAP_CAP):
    """Gemma 2's attention as HF's eager path computes it, written with
    primitives (the JSON IR's attention has no soft cap): scores · d^-1/2,
    cap · tanh(scores / cap), plus a causal mask of finfo.min built from
    positions, softmax, times v."""
    g = Graph("bench_softcap_attention", ["seq"])
    for name in ("q", "k", "v"):
        g.input(name, [1, "seq", h, d])
    for name, value in (("scale", d ** -0.5), ("cap", cap), ("zero", 0.0),
                        ("fill", FINFO_MIN)):
        g.op("constant", [], name, value=value)
    g.op("transpose", ["q"], "qh", perm=[0, 2, 1, 3])
    g.op("transpose", ["k"], "kt", perm=[0, 2, 3, 1])
    g.op("transpose", ["v"], "vh", perm=[0, 2, 1, 3])
    g.op("matmul", ["qh", "kt"], "s0")
    g.op("mul", ["s0", "scale"], "s1")
    g.op("div", ["s1", "cap"], "s2")
    g.op("tanh", ["s2"], "s3")
    g.op("mul", ["s3", "cap"], "s4")
    g.op("arange", ["q"], "pos", axis=1)
    g.op("reshape", ["pos"], "rows", shape=["seq", 1])
    g.op("less_equal", ["pos", "rows"], "seen")
    g.op("where", ["seen", "zero", "fill"], "mask")
    g.op("add", ["s4", "mask"], "s5")
    g.op("softmax", ["s5"], "p", axis=-1)
    g.op("matmul", ["p", "vh"], "oh")
    g.op("transpose", ["oh"], "o", perm=[0, 2, 1, 3])
    spec = {"workload": "softcap_attention", "B": 1, "T": t, "H": h, "D": d,
            "causal": True, "softcap": cap}
    title = (f"Gemma 2 attention (soft cap {cap:g}, causal, primitives), "
             f"T={t}, {h} heads, D={d}, batch 1")
    return Case(f"softcap-attention-T{t}", title, g.model(["o"]), spec,
                {"seq": t}, attention_flops(spec), ["ort", "torch", "jax"])


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


# -- Whole models (issue 7) ----------------------------------------------------
#
# Parameter names (read by every anchor): layer i's tensors are "l{i}.<name>",
# PyTorch layout (weight [out, in]).
#   GPT-2 block (pre-LN): ln1.w ln1.b attn.qkv.w [3d, d] attn.qkv.b attn.proj.w
#     attn.proj.b ln2.w ln2.b mlp.fc.w [4d, d] mlp.fc.b mlp.out.w [d, 4d]
#     mlp.out.b; the 12-layer model adds ln_f.w, ln_f.b.
#   BERT layer (post-LN): attn.q.w attn.q.b attn.k.w attn.k.b attn.v.w attn.v.b
#     attn.out.w attn.out.b ln1.w ln1.b ffn.in.w ffn.in.b ffn.out.w ffn.out.b
#     ln2.w ln2.b.
# The primitives forms add one shared parameter "attn.scale" [1] (1/sqrt(Dh),
# written by the suite over kiln-gen-data's random value) and, when causal,
# the graph input "mask" [seq, seq] (0 on and below the diagonal, MASK_VALUE
# above, written by the suite over kiln-gen-data's random one).
GPT2_D, GPT2_HEADS, GPT2_HIDDEN, GPT2_T, GPT2_B = 768, 12, 3072, 512, 1
BERT_LAYERS, BERT_D, BERT_HEADS, BERT_HIDDEN = 6, 384, 12, 1536
BERT_B, BERT_T = 8, 128
GPT2_12_LAYERS, MEMORY_GPT2_T = 12, 2048
COMPILE_REPS = 3
MASK_VALUE = -1e9      # as HF's finfo.min, but finite under any arithmetic
# allclose(anchor, Kiln, rtol, atol): whole models accumulate fp32 rounding
# over many ops (and ORT/JAX use their own exp/erf/tanh approximations).
MODEL_RTOL, MODEL_ATOL = 1e-3, 1e-3


class Graph:
    """A JSON IR model being written, node by node."""

    def __init__(self, name, dims):
        self.name, self.dims = name, dims
        self.inputs, self.params, self.nodes = [], [], []

    def input(self, name, shape):
        self.inputs.append(_decl(name, shape))
        return name

    def param(self, name, shape):
        if not any(p["name"] == name for p in self.params):
            self.params.append(_decl(name, shape))
        return name

    def op(self, op, inputs, out, **attrs):
        node = {"op": op, "inputs": list(inputs), "outputs":
                [out] if isinstance(out, str) else list(out)}
        if attrs:
            node["attrs"] = attrs
        self.nodes.append(node)
        return out

    def linear(self, x, prefix, n_out, n_in, out):
        return self.op("linear", [x, self.param(prefix + ".w", [n_out, n_in]),
                                  self.param(prefix + ".b", [n_out])], out)

    def layer_norm(self, x, prefix, d, eps, out):
        return self.op("layer_norm", [x, self.param(prefix + ".w", [d]),
                                      self.param(prefix + ".b", [d])], out,
                       eps=eps)

    def model(self, outputs):
        return {"kiln": 1, "name": self.name, "dims": self.dims,
                "inputs": self.inputs, "params": self.params,
                "nodes": self.nodes, "outputs": outputs}


def _attention_block(g, p, q, k, v, heads, d, causal, primitives, out):
    """q, k, v [batch, seq, d] -> out [batch, seq, d]: the composite
    `attention` op, or matmul(q, transpose(k)) · scale (+ mask) -> softmax ->
    matmul(·, v) written with primitives."""
    dh = d // heads
    split = ["batch", "seq", heads, dh]
    q4, k4, v4 = (g.op("reshape", [t], f"{p}attn.{n}4", shape=split)
                  for t, n in ((q, "q"), (k, "k"), (v, "v")))
    if not primitives:
        a4 = g.op("attention", [q4, k4, v4], p + "attn.a4",
                  mask={"kind": "causal" if causal else "none"})
    else:
        qh = g.op("transpose", [q4], p + "attn.qh", perm=[0, 2, 1, 3])
        kt = g.op("transpose", [k4], p + "attn.kt", perm=[0, 2, 3, 1])
        vh = g.op("transpose", [v4], p + "attn.vh", perm=[0, 2, 1, 3])
        s = g.op("matmul", [qh, kt], p + "attn.s")
        s = g.op("mul", [s, g.param("attn.scale", [1])], p + "attn.ss")
        if causal:
            s = g.op("add", [s, "mask"], p + "attn.sm")
        w = g.op("softmax", [s], p + "attn.w", axis=-1)
        oh = g.op("matmul", [w, vh], p + "attn.oh")
        a4 = g.op("transpose", [oh], p + "attn.a4", perm=[0, 2, 1, 3])
    return g.op("reshape", [a4], out, shape=["batch", "seq", d])


def _ffn(g, p, x, d, hidden, activation, primitives, prefix_in, prefix_out,
         out):
    if not primitives:
        return g.op("mlp", [x, g.param(prefix_in + ".w", [hidden, d]),
                            g.param(prefix_in + ".b", [hidden]),
                            g.param(prefix_out + ".w", [d, hidden]),
                            g.param(prefix_out + ".b", [d])], out,
                    activation=activation)
    h = g.linear(x, prefix_in, hidden, d, p + "ffn.h")
    h = g.op(activation, [h], p + "ffn.act")
    return g.linear(h, prefix_out, d, hidden, out)


def gpt2_graph(name, layers, d=GPT2_D, heads=GPT2_HEADS, hidden=GPT2_HIDDEN,
               primitives=False, final_ln=False):
    """GPT-2 blocks (pre-LN, biases, causal, gelu_tanh) on hidden states
    x [batch, seq, d]."""
    g = Graph(name, ["batch", "seq"])
    x = g.input("x", ["batch", "seq", d])
    if primitives:
        g.input("mask", ["seq", "seq"])
    for i in range(layers):
        p = f"l{i}."
        h = g.layer_norm(x, p + "ln1", d, 1e-5, p + "ln1")
        qkv = g.linear(h, p + "attn.qkv", 3 * d, d, p + "attn.qkv")
        q, k, v = g.op("split", [qkv], [p + "attn.q", p + "attn.k",
                                        p + "attn.v"], axis=-1)
        a = _attention_block(g, p, q, k, v, heads, d, True, primitives,
                             p + "attn.a")
        o = g.linear(a, p + "attn.proj", d, d, p + "attn.o")
        r = g.op("add", [x, o], p + "r1")
        h = g.layer_norm(r, p + "ln2", d, 1e-5, p + "ln2")
        m = _ffn(g, p, h, d, hidden, "gelu_tanh", primitives, p + "mlp.fc",
                 p + "mlp.out", p + "mlp")
        x = g.op("add", [r, m], p + "out")
    if final_ln:
        x = g.layer_norm(x, "ln_f", d, 1e-5, "y")
    return g.model([x])


def bert_graph(name, layers=BERT_LAYERS, d=BERT_D, heads=BERT_HEADS,
               hidden=BERT_HIDDEN, primitives=False):
    """BERT encoder layers (post-LN, eps 1e-12, gelu erf, no mask) on hidden
    states x [batch, seq, d]."""
    g = Graph(name, ["batch", "seq"])
    x = g.input("x", ["batch", "seq", d])
    for i in range(layers):
        p = f"l{i}."
        q, k, v = (g.linear(x, f"{p}attn.{n}", d, d, f"{p}attn.{n}")
                   for n in ("q", "k", "v"))
        a = _attention_block(g, p, q, k, v, heads, d, False, primitives,
                             p + "attn.a")
        o = g.linear(a, p + "attn.out", d, d, p + "attn.o")
        r = g.op("add", [x, o], p + "r1")
        h = g.layer_norm(r, p + "ln1", d, 1e-12, p + "ln1")
        f = _ffn(g, p, h, d, hidden, "gelu", primitives, p + "ffn.in",
                 p + "ffn.out", p + "ffn")
        r2 = g.op("add", [h, f], p + "r2")
        x = g.layer_norm(r2, p + "ln2", d, 1e-12, p + "out")
    return g.model([x])


class ModelCase(Case):
    """A whole model in two Kiln forms (composite ops, and primitives only)
    sharing one weights file; `model` is the composite form."""

    def __init__(self, name, title, composite, primitives, spec, dims, flops,
                 anchors):
        super().__init__(name, title, composite, spec, dims, flops, anchors)
        self.primitives = primitives
        self.tolerance = (MODEL_RTOL, MODEL_ATOL)


def _layer_flops(t, b, d, hidden, heads, linear_width, causal):
    """2·(tokens)·(weights) for the GEMMs, 4·d per visible query-key pair."""
    pairs = t * (t + 1) / 2 if causal else t * t
    return b * (2.0 * t * d * linear_width + 4.0 * d * pairs)


def gpt2_block(t=GPT2_T, b=GPT2_B):
    d, heads, hidden = GPT2_D, GPT2_HEADS, GPT2_HIDDEN
    spec = {"workload": "gpt2", "layers": 1, "d": d, "heads": heads,
            "hidden": hidden, "B": b, "T": t, "causal": True, "eps": 1e-5,
            "activation": "gelu_tanh", "final_ln": False,
            "mask_value": MASK_VALUE}
    return ModelCase(
        "gpt2-block", f"GPT-2 block d={d}, {heads} heads, MLP {hidden}, "
        f"T={t}, batch {b}, causal",
        gpt2_graph("bench_gpt2_block", 1),
        gpt2_graph("bench_gpt2_block_primitives", 1, primitives=True),
        spec, {"batch": b, "seq": t},
        _layer_flops(t, b, d, hidden, heads, 4 * d + 2 * hidden, True),
        ["ort", "ort_ops", "torch", "jax"])


def bert_encoder(t=BERT_T, b=BERT_B, layers=BERT_LAYERS):
    d, heads, hidden = BERT_D, BERT_HEADS, BERT_HIDDEN
    spec = {"workload": "bert", "layers": layers, "d": d, "heads": heads,
            "hidden": hidden, "B": b, "T": t, "causal": False, "eps": 1e-12,
            "activation": "gelu"}
    return ModelCase(
        "bert-encoder", f"BERT encoder, {layers} layers, d={d}, {heads} heads,"
        f" FFN {hidden}, {b}×{t} tokens, no mask",
        bert_graph("bench_bert_encoder", layers),
        bert_graph("bench_bert_encoder_primitives", layers, primitives=True),
        spec, {"batch": b, "seq": t},
        layers * _layer_flops(t, b, d, hidden, heads, 4 * d + 2 * hidden,
                              False),
        ["ort", "ort_ops", "torch", "jax"])


def gpt2_12(t=MEMORY_GPT2_T, layers=GPT2_12_LAYERS):
    """The 12-layer GPT-2-size stack (composite ops, final LayerNorm) for
    compile time and peak memory."""
    d, hidden = GPT2_D, GPT2_HIDDEN
    spec = {"workload": "gpt2", "layers": layers, "d": d, "heads": GPT2_HEADS,
            "hidden": hidden, "B": 1, "T": t, "causal": True, "eps": 1e-5,
            "activation": "gelu_tanh", "final_ln": True}
    return Case(f"gpt2-{layers}-T{t}", f"GPT-2 {layers} layers d={d}, T={t}",
                gpt2_graph(f"bench_gpt2_{layers}", layers, final_ln=True),
                spec, {"batch": 1, "seq": t}, None, [])


def gpt2_layer_activation_bytes(t, b=1, d=GPT2_D, hidden=GPT2_HIDDEN):
    """One GPT-2 layer's activations: every tensor the composite block
    produces, once, in fp32: ln1 (d) + qkv (3d) + attention out (d) + proj
    (d) + residual (d) + ln2 (d) + MLP hidden (4d = `hidden`) + MLP out (d) +
    residual (d) per token = (10d + hidden) · 4 bytes per token; with a
    flash-style attention no T×T tensor is needed."""
    return 4 * b * t * (10 * d + hidden)
