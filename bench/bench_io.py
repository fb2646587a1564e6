"""Shared by bench/suite.py and the anchor processes (bench/anchor.py).

Only the standard library and NumPy: every Python that runs a piece of the
suite (Debian's /usr/bin/python3 for PyTorch and the C scan, the virtual
environment's for ONNX Runtime and JAX) has both.
"""
import json
import struct
import time

import numpy as np

_ST_DTYPES = {"F32": np.float32, "F16": np.float16, "I32": np.int32,
              "I64": np.int64, "F64": np.float64, "BOOL": np.bool_}


def read_safetensors(path):
    """All tensors of a .safetensors file as NumPy arrays, by name."""
    with open(path, "rb") as f:
        (length,) = struct.unpack("<Q", f.read(8))
        header = json.loads(f.read(length))
        data = f.read()
    tensors = {}
    for name, info in header.items():
        if name == "__metadata__":
            continue
        begin, end = info["data_offsets"]
        array = np.frombuffer(data[begin:end], dtype=_ST_DTYPES[info["dtype"]])
        tensors[name] = array.reshape(info["shape"]).copy()
    return tensors


def write_safetensors(path, tensors):
    """Writes NumPy arrays (by name) as a .safetensors file, in name order."""
    names = {np.dtype(v): k for k, v in _ST_DTYPES.items()}
    header, offset, blobs = {}, 0, []
    for name in sorted(tensors):
        array = np.ascontiguousarray(tensors[name])
        blob = array.tobytes()
        header[name] = {"dtype": names[array.dtype], "shape": list(array.shape),
                        "data_offsets": [offset, offset + len(blob)]}
        offset += len(blob)
        blobs.append(blob)
    text = json.dumps(header).encode()
    text += b" " * (-len(text) % 8)  # the data starts 8-byte aligned
    with open(path, "wb") as f:
        f.write(struct.pack("<Q", len(text)))
        f.write(text)
        for blob in blobs:
            f.write(blob)


def causal_mask(t, value):
    """[t, t] float32: 0 where key s <= query t, `value` above the diagonal
    (an additive mask, as HF's with finfo.min)."""
    return np.triu(np.full((t, t), value, dtype=np.float32), k=1)


def load_case(case_dir):
    """The case's spec.json and its arrays: every input and parameter, by
    the JSON IR name, exactly the data Kiln was given."""
    with open(f"{case_dir}/spec.json") as f:
        spec = json.load(f)
    arrays = {name: np.load(path) for name, path in spec["inputs"].items()}
    if spec.get("weights"):
        arrays.update(read_safetensors(spec["weights"]))
    return spec, arrays


def median(values):
    values = sorted(values)
    n = len(values)
    return values[n // 2] if n % 2 else (values[n // 2 - 1] + values[n // 2]) / 2


def time_ms(run, warmup, reps):
    """Wall-clock ms of `reps` calls of run() after `warmup` untimed ones,
    and the last call's result. run() must return only when its result is
    computed."""
    result = None
    for _ in range(warmup):
        result = run()
    times = []
    for _ in range(reps):
        start = time.perf_counter()
        result = run()
        times.append((time.perf_counter() - start) * 1e3)
    return times, result


def attention_flops(spec):
    """4·B·H·D per visible query-key pair; causal sees T(T+1)/2 pairs."""
    t = spec["T"]
    pairs = t * (t + 1) / 2 if spec.get("causal") else t * t
    return 4.0 * spec.get("B", 1) * spec["H"] * spec["D"] * pairs
