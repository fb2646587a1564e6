#!/usr/bin/env python3
"""Writes the decode benchmark's models (JSON IR, random weights come from
kiln-gen-data): a GPT-2-small-size decoder (d=768, 12 layers, 12 heads,
vocab 50257, 1024 learned positions, GELU-tanh MLP, tied head) and a
Mamba-130M-size model (d=768, 24 layers, d_inner 1536, N=16, dt_rank 48,
conv 4, tied head). Usage: models.py OUT_DIR"""
import json
import os
import sys


def gpt2(vocab=50257, d=768, layers=12, heads=12, ffn=3072, positions=1024):
    head = d // heads
    params = [("wte", [vocab, d]), ("wpe", [positions, d])]
    nodes = [
        {"op": "embedding", "inputs": ["tokens", "wte"], "outputs": ["tok"]},
        {"op": "arange", "inputs": ["tokens"], "outputs": ["pos_ids"],
         "attrs": {"axis": 1, "dtype": "i32"}},
        {"op": "embedding", "inputs": ["pos_ids", "wpe"], "outputs": ["pos"]},
        {"op": "add", "inputs": ["tok", "pos"], "outputs": ["x0"]}]
    x = "x0"
    for layer in range(layers):
        p = f"h{layer}."
        params += [(p + n, s) for n, s in [
            ("ln1.w", [d]), ("ln1.b", [d]), ("qkv.w", [3 * d, d]),
            ("qkv.b", [3 * d]), ("proj.w", [d, d]), ("proj.b", [d]),
            ("ln2.w", [d]), ("ln2.b", [d]), ("fc.w", [ffn, d]), ("fc.b", [ffn]),
            ("out.w", [d, ffn]), ("out.b", [d])]]
        four = {"shape": ["batch", "seq", heads, head]}
        nodes += [
            {"op": "layer_norm", "inputs": [x, p + "ln1.w", p + "ln1.b"],
             "outputs": [p + "ln1"], "attrs": {"eps": 1e-5}},
            {"op": "linear", "inputs": [p + "ln1", p + "qkv.w", p + "qkv.b"],
             "outputs": [p + "qkv"]},
            {"op": "split", "inputs": [p + "qkv"],
             "outputs": [p + "q", p + "k", p + "v"], "attrs": {"axis": -1}},
            {"op": "reshape", "inputs": [p + "q"], "outputs": [p + "q4"], "attrs": four},
            {"op": "reshape", "inputs": [p + "k"], "outputs": [p + "k4"], "attrs": four},
            {"op": "reshape", "inputs": [p + "v"], "outputs": [p + "v4"], "attrs": four},
            {"op": "attention", "inputs": [p + "q4", p + "k4", p + "v4"],
             "outputs": [p + "a4"], "attrs": {"mask": {"kind": "causal"}}},
            {"op": "reshape", "inputs": [p + "a4"], "outputs": [p + "a"],
             "attrs": {"shape": ["batch", "seq", d]}},
            {"op": "linear", "inputs": [p + "a", p + "proj.w", p + "proj.b"],
             "outputs": [p + "o"]},
            {"op": "add", "inputs": [x, p + "o"], "outputs": [p + "r1"]},
            {"op": "layer_norm", "inputs": [p + "r1", p + "ln2.w", p + "ln2.b"],
             "outputs": [p + "ln2"], "attrs": {"eps": 1e-5}},
            {"op": "mlp", "inputs": [p + "ln2", p + "fc.w", p + "fc.b",
                                     p + "out.w", p + "out.b"],
             "outputs": [p + "mlp"], "attrs": {"activation": "gelu_tanh"}},
            {"op": "add", "inputs": [p + "r1", p + "mlp"], "outputs": [p + "out"]}]
        x = p + "out"
    params += [("lnf.w", [d]), ("lnf.b", [d])]
    nodes += [
        {"op": "layer_norm", "inputs": [x, "lnf.w", "lnf.b"], "outputs": ["xf"],
         "attrs": {"eps": 1e-5}},
        {"op": "linear", "inputs": ["xf", "wte"], "outputs": ["logits"]}]
    return model("gpt2-small", params, nodes)


def mamba(vocab=50280, d=768, layers=24, inner=1536, states=16, rank=48,
          kernel=4):
    params = [("embed", [vocab, d])]
    nodes = [{"op": "embedding", "inputs": ["tokens", "embed"], "outputs": ["x0"]}]
    x = "x0"
    for layer in range(layers):
        p = f"l{layer}."
        params += [(p + n, s) for n, s in [
            ("norm.w", [d]), ("in_proj.w", [2 * inner, d]),
            ("conv.w", [inner, kernel]), ("conv.b", [inner]),
            ("x_proj.w", [rank + 2 * states, inner]), ("dt_proj.w", [inner, rank]),
            ("dt_proj.b", [inner]), ("A_log", [inner, states]), ("D", [inner]),
            ("out_proj.w", [d, inner])]]
        nodes += [
            {"op": "rms_norm", "inputs": [x, p + "norm.w"], "outputs": [p + "h"],
             "attrs": {"eps": 1e-5}},
            {"op": "linear", "inputs": [p + "h", p + "in_proj.w"], "outputs": [p + "xz"]},
            {"op": "split", "inputs": [p + "xz"], "outputs": [p + "x", p + "z"],
             "attrs": {"axis": -1}},
            {"op": "conv1d", "inputs": [p + "x", p + "conv.w", p + "conv.b"],
             "outputs": [p + "xc"]},
            {"op": "silu", "inputs": [p + "xc"], "outputs": [p + "u"]},
            {"op": "linear", "inputs": [p + "u", p + "x_proj.w"], "outputs": [p + "dbc"]},
            {"op": "split", "inputs": [p + "dbc"],
             "outputs": [p + "dt_r", p + "Bm", p + "Cm"],
             "attrs": {"axis": -1, "sizes": [rank, states, states]}},
            {"op": "linear", "inputs": [p + "dt_r", p + "dt_proj.w", p + "dt_proj.b"],
             "outputs": [p + "dt"]},
            {"op": "exp", "inputs": [p + "A_log"], "outputs": [p + "A_exp"]},
            {"op": "neg", "inputs": [p + "A_exp"], "outputs": [p + "A"]},
            {"op": "selective_scan",
             "inputs": [p + "u", p + "dt", p + "A", p + "Bm", p + "Cm", p + "D", p + "z"],
             "outputs": [p + "y"], "attrs": {"delta_softplus": True}},
            {"op": "linear", "inputs": [p + "y", p + "out_proj.w"], "outputs": [p + "o"]},
            {"op": "add", "inputs": [x, p + "o"], "outputs": [p + "out"]}]
        x = p + "out"
    params += [("norm_f.w", [d])]
    nodes += [
        {"op": "rms_norm", "inputs": [x, "norm_f.w"], "outputs": ["xf"],
         "attrs": {"eps": 1e-5}},
        {"op": "linear", "inputs": ["xf", "embed"], "outputs": ["logits"]}]
    return model("mamba-130m", params, nodes)


def model(name, params, nodes):
    return {"kiln": 1, "name": name, "dims": ["batch", "seq"],
            "inputs": [{"name": "tokens", "dtype": "i32", "shape": ["batch", "seq"]}],
            "params": [{"name": n, "dtype": "f32", "shape": s} for n, s in params],
            "nodes": nodes, "outputs": ["logits"]}


if __name__ == "__main__":
    out = sys.argv[1]
    os.makedirs(out, exist_ok=True)
    for m in (gpt2(), mamba()):
        with open(os.path.join(out, m["name"] + ".json"), "w") as f:
            json.dump(m, f)
