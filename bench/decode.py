"""Decode throughput (issue 10): Kiln's compiler-derived decode entry
against Hugging Face transformers' `generate` with its own cache, on the
same model shapes, and against the machine's limit for one step.

Two language models with random weights: a GPT-2-small-size decoder (d=768,
12 layers, vocabulary 50257, tied LM head) and a Mamba of similar size (the
mamba-130m shapes: d=768, 24 layers, state 16). For each batch size, the
prompt is PROMPT random tokens per row; `kiln-run --generate NEW --bench`
prefills and greedy-decodes NEW tokens, and transformers' `generate` does
the same (max_new_tokens = min_new_tokens = NEW, greedy, use_cache). Decode
tokens/s = batch x (NEW - 1) / the time of the NEW - 1 decode steps; for
transformers that time is generate(NEW) - generate(1), medians of --reps.

The limit of one step: every weight is read once (weight bytes / the STREAM
triad bandwidth measured in the same run) and 2 FLOPs per weight and row are
computed (2 x weights x batch / the measured FMA peak); the step takes at
least the larger, so tokens/s <= batch / that time.
"""
import json
import os
import re
import subprocess
import sys

import numpy as np

HERE = os.path.dirname(os.path.abspath(__file__))
sys.path.insert(0, HERE)
from bench_io import median, write_safetensors  # noqa: E402
from workloads import Graph  # noqa: E402

PROMPT, NEW = 32, 33
BATCHES = (1, 8)
GPT2 = {"layers": 12, "d": 768, "heads": 12, "hidden": 3072,
        "vocab": 50257, "positions": 1024}
MAMBA = {"layers": 24, "d": 768, "inner": 1536, "state": 16, "conv": 4,
         "dt_rank": 48, "vocab": 50280}


def _tokens_input(g):
    g.inputs.append({"name": "tokens", "dtype": "i32",
                     "shape": ["batch", "seq"]})
    return "tokens"


def gpt2_lm(c=GPT2):
    """GPT-2 (pre-LN, learned positions from arange, causal composite
    attention, gelu_tanh MLP, final LayerNorm, LM head tied to wte)."""
    g = Graph("bench_gpt2_lm", ["batch", "seq"])
    tokens = _tokens_input(g)
    d = c["d"]
    wte = g.param("wte", [c["vocab"], d])
    tok = g.op("embedding", [tokens, wte], "tok")
    positions = g.op("arange", [tokens], "positions", axis=1, dtype="i32")
    pos = g.op("embedding", [positions, g.param("wpe", [c["positions"], d])],
               "pos")
    x = g.op("add", [tok, pos], "x0")
    split = ["batch", "seq", c["heads"], d // c["heads"]]
    for i in range(c["layers"]):
        p = f"h{i}."
        h = g.layer_norm(x, p + "ln1", d, 1e-5, p + "ln1")
        qkv = g.linear(h, p + "attn.qkv", 3 * d, d, p + "qkv")
        q, k, v = g.op("split", [qkv], [p + "q", p + "k", p + "v"], axis=-1)
        q4, k4, v4 = (g.op("reshape", [t], t + "4", shape=split)
                      for t in (q, k, v))
        a4 = g.op("attention", [q4, k4, v4], p + "a4",
                  mask={"kind": "causal"})
        a = g.op("reshape", [a4], p + "a", shape=["batch", "seq", d])
        r = g.op("add", [x, g.linear(a, p + "attn.proj", d, d, p + "o")],
                 p + "r1")
        h = g.layer_norm(r, p + "ln2", d, 1e-5, p + "ln2")
        m = g.op("mlp", [h, g.param(p + "mlp.fc.w", [c["hidden"], d]),
                         g.param(p + "mlp.fc.b", [c["hidden"]]),
                         g.param(p + "mlp.out.w", [d, c["hidden"]]),
                         g.param(p + "mlp.out.b", [d])], p + "mlp",
                 activation="gelu_tanh")
        x = g.op("add", [r, m], p + "out")
    xf = g.layer_norm(x, "ln_f", d, 1e-5, "xf")
    return g.model([g.op("linear", [xf, wte], "logits")])


def mamba_lm(c=MAMBA):
    """Mamba (RMSNorm, in_proj, causal conv1d, silu, x_proj, dt_proj,
    selective scan gated by z, out_proj, residual; LM head tied)."""
    g = Graph("bench_mamba_lm", ["batch", "seq"])
    tokens = _tokens_input(g)
    d, inner, n, r = c["d"], c["inner"], c["state"], c["dt_rank"]
    embed = g.param("embed", [c["vocab"], d])
    x = g.op("embedding", [tokens, embed], "x0")
    for i in range(c["layers"]):
        p = f"l{i}."
        h = g.op("rms_norm", [x, g.param(p + "norm.w", [d])], p + "h",
                 eps=1e-5)
        xz = g.op("linear", [h, g.param(p + "in_proj.w", [2 * inner, d])],
                  p + "xz")
        xs, z = g.op("split", [xz], [p + "x", p + "z"], axis=-1)
        xc = g.op("conv1d", [xs, g.param(p + "conv.w", [inner, c["conv"]]),
                             g.param(p + "conv.b", [inner])], p + "xc")
        u = g.op("silu", [xc], p + "u")
        dbc = g.op("linear", [u, g.param(p + "x_proj.w", [r + 2 * n, inner])],
                   p + "dbc")
        dt_r, bm, cm = g.op("split", [dbc], [p + "dt_r", p + "Bm", p + "Cm"],
                            axis=-1, sizes=[r, n, n])
        dt = g.op("linear", [dt_r, g.param(p + "dt_proj.w", [inner, r]),
                             g.param(p + "dt_proj.b", [inner])], p + "dt")
        a = g.op("neg", [g.op("exp", [g.param(p + "A_log", [inner, n])],
                              p + "A_exp")], p + "A")
        y = g.op("selective_scan", [u, dt, a, bm, cm,
                                    g.param(p + "D", [inner]), z], p + "y",
                 delta_softplus=True)
        o = g.op("linear", [y, g.param(p + "out_proj.w", [d, inner])],
                 p + "o")
        x = g.op("add", [x, o], p + "out")
    xf = g.op("rms_norm", [x, g.param("norm_f.w", [d])], "xf", eps=1e-5)
    return g.model([g.op("linear", [xf, embed], "logits")])


def random_weights(model, seed=0):
    """Weights of the usual initializations: N(0, 0.02) matrices, unit norm
    scales, zero biases; Mamba's A_log = log(1..N), D = 1 and dt_proj's
    bias the inverse softplus of steps in [1e-3, 1e-1]."""
    rng = np.random.default_rng(seed)
    weights = {}
    for p in model["params"]:
        name, shape = p["name"], p["shape"]
        if name.endswith("A_log"):
            w = np.log(np.broadcast_to(np.arange(1, shape[1] + 1), shape))
        elif name.endswith(".D") or re.search(r"(ln\d|ln_f|norm(_f)?)\.w$",
                                              name):
            w = np.ones(shape)
        elif name.endswith("dt_proj.b"):
            dt = np.exp(rng.uniform(np.log(1e-3), np.log(1e-1), shape))
            w = dt + np.log(-np.expm1(-dt))
        elif name.endswith(".b"):
            w = np.zeros(shape)
        else:
            w = rng.normal(0.0, 0.02, shape)
        weights[name] = np.ascontiguousarray(w, dtype=np.float32)
    return weights


def _hf_script():
    return r'''
import json, sys, time
import numpy as np, torch
from transformers import (GPT2Config, GPT2LMHeadModel, MambaConfig,
                          MambaForCausalLM)
spec = json.loads(sys.argv[1])
torch.set_num_threads(spec["threads"])
torch.manual_seed(0)
c = spec["config"]
if spec["kind"] == "gpt2":
    model = GPT2LMHeadModel(GPT2Config(
        vocab_size=c["vocab"], n_positions=c["positions"], n_embd=c["d"],
        n_layer=c["layers"], n_head=c["heads"], n_inner=c["hidden"],
        activation_function="gelu_new"))
else:
    model = MambaForCausalLM(MambaConfig(
        vocab_size=c["vocab"], hidden_size=c["d"], state_size=c["state"],
        num_hidden_layers=c["layers"], expand=c["inner"] // c["d"],
        conv_kernel=c["conv"], time_step_rank=c["dt_rank"]))
model.eval()
ids = torch.from_numpy(np.load(spec["prompt"]).astype(np.int64))
extra = {"attention_mask": torch.ones_like(ids)} if spec["kind"] == "gpt2" else {}
def generate(n):
    start = time.perf_counter()
    model.generate(ids, max_new_tokens=n, min_new_tokens=n, do_sample=False,
                   use_cache=True, pad_token_id=0, **extra)
    return time.perf_counter() - start
with torch.no_grad():
    generate(2)
    steps = []
    for _ in range(spec["reps"]):
        steps.append(generate(spec["new"]) - generate(1))
steps.sort()
print(json.dumps({"decode_s": steps[len(steps) // 2],
                  "torch": torch.__version__,
                  "transformers": __import__("transformers").__version__}))
'''


def run_hf(kind, config, prompt, threads, reps, hf_site, env):
    spec = {"kind": kind, "config": config, "prompt": prompt,
            "threads": threads, "reps": reps, "new": NEW}
    env = dict(env, PYTHONPATH=hf_site)
    p = subprocess.run(["/usr/bin/python3", "-c", _hf_script(),
                        json.dumps(spec)], capture_output=True, text=True,
                       env=env, timeout=3600)
    if p.returncode != 0:
        lines = p.stderr.strip().splitlines()
        return {"skipped": lines[-1] if lines else f"exit {p.returncode}"}
    return json.loads(p.stdout.strip().splitlines()[-1])


def run_kiln(kiln_run, folder, prompt, threads, reps):
    cmd = [kiln_run, os.path.join(folder, "model.so"), "--weights",
           os.path.join(folder, "weights.safetensors"), "--input",
           f"tokens={prompt}", "--generate", str(NEW), "--bench", str(reps),
           "--threads", str(threads), "--output",
           os.path.join(folder, "ids.npy"), "-q"]
    p = subprocess.run(cmd, capture_output=True, text=True, timeout=3600)
    if p.returncode != 0:
        lines = (p.stderr.strip() or p.stdout.strip()).splitlines()
        return {"skipped": lines[-1] if lines else f"exit {p.returncode}"}
    match = re.search(r"decode: \d+ steps of batch \d+ in ([0-9.e+]+) ms",
                      p.stdout)
    if not match:
        return {"skipped": "no decode line in kiln-run's output"}
    return {"decode_s": float(match.group(1)) / 1e3}


def run(kiln_bin, out, threads, reps, hf_site, env, log, peak_gflops,
        triad_gbs):
    """Runs both models at every batch size; returns the results entry."""
    entry = {"prompt": PROMPT, "new": NEW, "threads": threads,
             "triad_gbs": triad_gbs, "peak_gflops": peak_gflops, "rows": []}
    for kind, build, config in (("gpt2", gpt2_lm, GPT2),
                                ("mamba", mamba_lm, MAMBA)):
        folder = os.path.join(out, "cases", f"decode-{kind}")
        os.makedirs(folder, exist_ok=True)
        model = build(config)
        with open(os.path.join(folder, "model.json"), "w") as f:
            json.dump(model, f)
        weights = random_weights(model)
        write_safetensors(os.path.join(folder, "weights.safetensors"),
                          weights)
        # The LM head is tied: every distinct weight is read once a step.
        weight_bytes = sum(w.nbytes for w in weights.values())
        log(f"decode-{kind}: kiln-compile")
        p = subprocess.run([os.path.join(kiln_bin, "kiln-compile"),
                            os.path.join(folder, "model.json"), "-o",
                            os.path.join(folder, "model.so")],
                           capture_output=True, text=True, timeout=1800)
        if p.returncode != 0:
            entry["rows"].append({"model": kind, "skipped":
                                  "kiln-compile failed: " + p.stderr[-300:]})
            continue
        for batch in BATCHES:
            rng = np.random.default_rng(batch)
            prompt = os.path.join(folder, f"prompt-{batch}.npy")
            np.save(prompt, rng.integers(0, config["vocab"], (batch, PROMPT),
                                         dtype=np.int32))
            log(f"decode-{kind} batch {batch}: kiln-run --generate")
            kiln = run_kiln(os.path.join(kiln_bin, "kiln-run"), folder,
                            prompt, threads, reps)
            log(f"decode-{kind} batch {batch}: transformers generate")
            hf = run_hf(kind, config, prompt, threads, reps, hf_site, env)
            step_s = max(weight_bytes / (triad_gbs * 1e9) if triad_gbs else 0,
                         2.0 * weight_bytes / 4 * batch /
                         (peak_gflops * 1e9) if peak_gflops else 0)
            row = {"model": kind, "batch": batch,
                   "weight_mib": weight_bytes / 2**20,
                   "limit_tokens_s": batch / step_s if step_s else None}
            for side, result in (("kiln", kiln), ("hf", hf)):
                if "decode_s" in result:
                    row[side + "_tokens_s"] = batch * (NEW - 1) / \
                        result["decode_s"]
                else:
                    row[side + "_skipped"] = result["skipped"]
            if "transformers" in hf:
                entry["transformers"] = hf["transformers"]
                entry["torch"] = hf["torch"]
            entry["rows"].append(row)
            log(f"  -> Kiln {row.get('kiln_tokens_s', 0):.1f}, transformers "
                f"{row.get('hf_tokens_s', 0):.1f}, limit "
                f"{row['limit_tokens_s'] or 0:.1f} tokens/s")
    return entry


def table(entry):
    """The Markdown section of the report."""
    lines = ["## Decode (issue 10)", "",
             f"Prompt {entry['prompt']} tokens, {entry['new']} generated "
             f"(greedy), {entry['threads']} thread(s), fp32, random weights. "
             f"Machine limit of one step: weight bytes / STREAM triad "
             f"({entry['triad_gbs'] or 0:.1f} GB/s), or 2 FLOPs per weight "
             f"and row / FMA peak ({entry['peak_gflops'] or 0:.0f} GFLOP/s), "
             "whichever is larger. transformers "
             f"{entry.get('transformers', '?')} on PyTorch "
             f"{entry.get('torch', '?')}.", "",
             "| model | batch | weights MiB | Kiln tokens/s | transformers "
             "tokens/s | Kiln speedup | limit tokens/s | Kiln % of limit |",
             "|---|---:|---:|---:|---:|---:|---:|---:|"]
    for row in entry["rows"]:
        if "batch" not in row:
            lines.append(f"| {row['model']} | — | — | {row['skipped']} |"
                         " | | | |")
            continue
        kiln, hf = row.get("kiln_tokens_s"), row.get("hf_tokens_s")
        limit = row.get("limit_tokens_s")
        lines.append(
            f"| {row['model']} | {row['batch']} | {row['weight_mib']:.0f} | "
            f"{f'{kiln:.1f}' if kiln else row.get('kiln_skipped')} | "
            f"{f'{hf:.1f}' if hf else row.get('hf_skipped')} | "
            f"{f'{kiln / hf:.2f}x' if kiln and hf else '—'} | "
            f"{f'{limit:.1f}' if limit else '—'} | "
            f"{f'{100 * kiln / limit:.0f}%' if kiln and limit else '—'} |")
    return "\n".join(lines) + "\n"
