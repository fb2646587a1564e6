"""JAX anchors (PyPI jax[cpu], in the suite's virtual environment): each
workload as one jax.jit function, timed with block_until_ready. XLA's CPU
client uses the cores the process may run on; bench/suite.py pins the
process with taskset when fewer threads than cores are asked for."""
import math
import os

os.environ.setdefault("JAX_PLATFORMS", "cpu")

import jax  # noqa: E402
import jax.numpy as jnp  # noqa: E402
from jax import lax  # noqa: E402


def prepare(threads):
    return {"name": "JAX", "version": jax.__version__,
            "notes": [f"devices: {jax.devices()}"]}


def _attention_fn(spec):
    causal = spec["causal"]
    if hasattr(jax.nn, "dot_product_attention"):  # [B, T, H, D], as Kiln
        return lambda q, k, v: jax.nn.dot_product_attention(
            q, k, v, is_causal=causal)

    def explicit(q, k, v):
        s = jnp.einsum("bthd,bshd->bhts", q, k) / math.sqrt(spec["D"])
        if causal:
            t = q.shape[1]
            s = jnp.where(jnp.tril(jnp.ones((t, t), bool)), s, -jnp.inf)
        return jnp.einsum("bhts,bshd->bthd", jax.nn.softmax(s, axis=-1), v)
    return explicit


def _softcap_attention_fn(spec):
    """Gemma 2's attention as Flax's gemma writes it: scaled scores, soft
    cap, causal where, softmax."""
    scale, cap = spec["D"] ** -0.5, spec["softcap"]

    def attend(q, k, v):
        s = jnp.einsum("bthd,bshd->bhts", q, k) * scale
        s = jnp.tanh(s / cap) * cap
        t = q.shape[1]
        s = jnp.where(jnp.tril(jnp.ones((t, t), bool)), s,
                      jnp.finfo(jnp.float32).min)
        return jnp.einsum("bhts,bshd->bthd", jax.nn.softmax(s, axis=-1), v)
    return attend


def _swiglu(x, wg, wu, wd):
    return (jax.nn.silu(x @ wg.T) * (x @ wu.T)) @ wd.T


def _scan(u, delta, a, bm, cm, dskip, z, dbias):
    """lax.scan over time with the state [D, N] as the carry."""
    dt = jax.nn.softplus(delta[0] + dbias)   # [T, D]
    du = dt * u[0]

    def step(h, xs):
        dt_t, du_t, b_t, c_t = xs
        h = jnp.exp(dt_t[:, None] * a) * h + du_t[:, None] * b_t[None, :]
        return h, h @ c_t

    _, y = lax.scan(step, jnp.zeros_like(a), (dt, du, bm[0], cm[0]))
    return ((y + dskip * u[0]) * jax.nn.silu(z[0]))[None]


def _model_fn(spec):
    """GPT-2 blocks (pre-LN) or BERT layers (post-LN) on a dict of
    parameters: jax.nn.dot_product_attention on [B, T, H, Dh] (is_causal),
    jax.nn.gelu (approximate=True is the tanh form), LayerNorm written out
    (biased variance, as PyTorch)."""
    d, heads, eps = spec["d"], spec["heads"], spec["eps"]
    causal = spec["causal"]
    approximate = spec["activation"] == "gelu_tanh"

    def ln(p, x, prefix):
        mean = x.mean(-1, keepdims=True)
        var = jnp.square(x - mean).mean(-1, keepdims=True)
        return ((x - mean) * lax.rsqrt(var + eps) * p[prefix + ".w"]
                + p[prefix + ".b"])

    def lin(p, x, prefix):
        return x @ p[prefix + ".w"].T + p[prefix + ".b"]

    def attend(q, k, v):
        b, t = q.shape[:2]
        q, k, v = (z.reshape(b, t, heads, d // heads) for z in (q, k, v))
        return jax.nn.dot_product_attention(
            q, k, v, is_causal=causal).reshape(b, t, d)

    def gelu(x):
        return jax.nn.gelu(x, approximate=approximate)

    def gpt2(p, x):
        for i in range(spec["layers"]):
            pre = f"l{i}."
            q, k, v = jnp.split(lin(p, ln(p, x, pre + "ln1"), pre + "attn.qkv"),
                                3, axis=-1)
            x = x + lin(p, attend(q, k, v), pre + "attn.proj")
            h = gelu(lin(p, ln(p, x, pre + "ln2"), pre + "mlp.fc"))
            x = x + lin(p, h, pre + "mlp.out")
        return ln(p, x, "ln_f") if spec.get("final_ln") else x

    def bert(p, x):
        for i in range(spec["layers"]):
            pre = f"l{i}."
            q, k, v = (lin(p, x, f"{pre}attn.{n}") for n in "qkv")
            x = ln(p, x + lin(p, attend(q, k, v), pre + "attn.out"),
                   pre + "ln1")
            f = lin(p, gelu(lin(p, x, pre + "ffn.in")), pre + "ffn.out")
            x = ln(p, x + f, pre + "ln2")
        return x

    return {"gpt2": gpt2, "bert": bert}[spec["workload"]]


_ARGS = {"attention": ("q", "k", "v"),
         "softcap_attention": ("q", "k", "v"),
         "swiglu": ("x", "w_gate", "w_up", "w_down"),
         "scan": ("u", "delta", "A", "Bm", "Cm", "Dskip", "z", "delta_bias")}


def build(spec, arrays, threads):
    kind = spec["workload"]
    if kind in ("gpt2", "bert"):
        compiled = jax.jit(_model_fn(spec))
        params = {n: jax.device_put(a) for n, a in arrays.items()
                  if n not in ("x", "mask")}
        x = jax.device_put(arrays["x"])
        return (lambda: compiled(params, x).block_until_ready(),
                lambda result: jax.device_get(result))
    fn = {"attention": lambda: _attention_fn(spec),
          "softcap_attention": lambda: _softcap_attention_fn(spec),
          "swiglu": lambda: _swiglu,
          "scan": lambda: _scan}[kind]()
    compiled = jax.jit(fn)
    args = [jax.device_put(arrays[n]) for n in _ARGS[kind]]
    return (lambda: compiled(*args).block_until_ready(),
            lambda result: jax.device_get(result))
