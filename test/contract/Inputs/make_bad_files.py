"""Writes broken safetensors and .npy files next to a valid set, for bad-weights.test and
bad-inputs.test (standard library only, no numpy).
Usage: make_bad_files.py DIR   (DIR holds w.safetensors, tokens.npy: i64 [2, 7], positions.npy)."""
import ast, json, os, struct, sys

d = sys.argv[1]
p = lambda name: os.path.join(d, name)

raw = open(p("w.safetensors"), "rb").read()
n = struct.unpack("<Q", raw[:8])[0]
H = json.loads(raw[8:8 + n])
DATA = raw[8 + n:]
T = {k: (v["dtype"], v["shape"], DATA[v["data_offsets"][0]:v["data_offsets"][1]]) for k, v in H.items()}


def raw_write(name, header, data, hlen=None):
    hb = json.dumps(header).encode()
    with open(p(name + ".safetensors"), "wb") as f:
        f.write(struct.pack("<Q", len(hb) if hlen is None else hlen) + hb + data)


def build(name, tensors):
    h, off, data = {}, 0, b""
    for k, (dt, sh, b) in tensors.items():
        h[k] = {"dtype": dt, "shape": sh, "data_offsets": [off, off + len(b)]}
        off += len(b)
        data += b
    raw_write(name, h, data)


def copy(h):
    return json.loads(json.dumps(h))


raw_write("hlen_oversized", H, DATA, hlen=2**62)
raw_write("hlen_beyond_file", H, DATA, hlen=len(DATA) + 10**6)
h = copy(H); h["wpe"]["data_offsets"] = [0, 524288]; raw_write("overlap", h, DATA)
h = copy(H); h["wte"]["shape"] = [2**62, 4]; raw_write("shape_overflow", h, DATA)
raw_write("truncated", H, DATA[:len(DATA) // 2])
open(p("tiny.safetensors"), "wb").write(raw[:5])
t = dict(T); del t["h1.fc.w"]; build("missing", t)
t = dict(T); t["lnf.b"] = ("F32", [65], b"\0" * 260); build("wrong_shape", t)
t = dict(T); t["lnf.b"] = ("F16", [64], b"\0" * 128); build("wrong_dtype", t)


def read_npy(path):
    b = open(path, "rb").read()
    hl = struct.unpack("<H", b[8:10])[0]
    return ast.literal_eval(b[10:10 + hl].decode()), b[10 + hl:]


def write_npy(path, descr, shape, data):
    h = "{'descr': '%s', 'fortran_order': False, 'shape': %r, }" % (descr, tuple(shape))
    h += " " * (63 - (10 + len(h)) % 64) + "\n"
    open(path, "wb").write(b"\x93NUMPY\x01\x00" + struct.pack("<H", len(h)) + h.encode() + data)


hdr, tok = read_npy(p("tokens.npy"))
assert hdr["descr"] == "<i8" and hdr["shape"] == (2, 7)
ids = list(struct.unpack("<14q", tok))
write_npy(p("tok_f32.npy"), "<f4", (2, 7), struct.pack("<14f", *ids))
write_npy(p("tok_i32.npy"), "<i4", (2, 7), struct.pack("<14i", *ids))
write_npy(p("tok_rank3.npy"), "<i8", (2, 7, 1), tok)
write_npy(p("pos_T8.npy"), "<i8", (2, 8), b"\0" * 128)
a = list(ids); a[10] = -1; write_npy(p("tok_neg.npy"), "<i8", (2, 7), struct.pack("<14q", *a))
a = list(ids); a[6] = 300; write_npy(p("tok_300.npy"), "<i8", (2, 7), struct.pack("<14q", *a))
write_npy(p("tok_trunc.npy"), "<i8", (2, 7), tok[:-9])
