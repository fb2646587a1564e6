"""ONNX Runtime anchors (PyPI onnxruntime, CPU execution provider, in the
suite's virtual environment): graphs built with onnx.helper, sessions with
ORT_ENABLE_ALL and intra_op_num_threads = threads.

- attention: the com.microsoft MultiHeadAttention contrib op on [B, T, H·D]
  (a free reshape of Kiln's [B, T, H, D]), unidirectional=1 when causal;
- Gemma 2's soft-capped attention: its eager graph (_softcap_attention);
- SwiGLU: MatMul, Sigmoid, Mul, Mul, MatMul with the weights as
  initializers, transposed to [in, out] once when the graph is built;
- whole models (GPT-2 blocks, BERT encoder): the graph torch.onnx.export
  gives for them (opset 20: MatMul + Add for each linear with the weight
  transposed to [in, out] as an initializer, LayerNormalization, Gelu with
  approximate="tanh" or none, Split/Reshape/Transpose), with the attention
  either as the com.microsoft MultiHeadAttention contrib op (`ort`,
  unidirectional=1 when causal) or as MatMul, Mul by the scale, Add of the
  causal mask (a graph input, the same [T, T] array Kiln's primitives form
  gets), Softmax, MatMul (`ort_ops`, bench/anchor_ort_ops.py). ORT_ENABLE_ALL
  then applies its own fusions (LayerNorm, Gelu, bias, skip-LayerNorm ...).
"""
import numpy as np
import onnx
import onnxruntime as ort
from onnx import TensorProto, helper, numpy_helper


def prepare(threads):
    return {"name": "ONNX Runtime", "version": ort.__version__,
            "notes": [f"onnx {onnx.__version__}, CPUExecutionProvider"]}


def _session(graph, threads, opset=17):
    model = helper.make_model(graph, opset_imports=[
        helper.make_opsetid("", opset),
        helper.make_opsetid("com.microsoft", 1)])
    options = ort.SessionOptions()
    options.graph_optimization_level = ort.GraphOptimizationLevel.ORT_ENABLE_ALL
    options.intra_op_num_threads = threads
    options.inter_op_num_threads = 1
    options.execution_mode = ort.ExecutionMode.ORT_SEQUENTIAL
    return ort.InferenceSession(model.SerializeToString(), options,
                                providers=["CPUExecutionProvider"])


def _value(name, shape):
    return helper.make_tensor_value_info(name, TensorProto.FLOAT, shape)


def _attention(spec, arrays, threads):
    b, t, h, d = arrays["q"].shape
    attrs = {"num_heads": h}
    if spec["causal"]:
        attrs["unidirectional"] = 1
    node = helper.make_node("MultiHeadAttention", ["q", "k", "v"], ["o"],
                            domain="com.microsoft", **attrs)
    io = [_value(n, [b, "T", h * d]) for n in ("q", "k", "v", "o")]
    session = _session(helper.make_graph([node], "attention", io[:3], io[3:]),
                       threads)
    feeds = {n: arrays[n].reshape(b, t, h * d) for n in ("q", "k", "v")}
    return (lambda: session.run(None, feeds)[0],
            lambda o: o.reshape(b, t, h, d))


def _softcap_attention(spec, arrays, threads):
    """Gemma 2's attention as its ONNX export computes it (MultiHeadAttention
    takes no soft cap): Transposes, MatMul, Mul by the scale, Div, Tanh and
    Mul by the cap, Add of the causal finfo.min mask (an initializer),
    Softmax, MatMul."""
    b, t, h, d = arrays["q"].shape
    cap = np.float32(spec["softcap"])
    mask = np.triu(np.full((t, t), np.finfo(np.float32).min, np.float32), 1)
    inits = [numpy_helper.from_array(np.float32(d ** -0.5), "scale"),
             numpy_helper.from_array(cap, "cap"),
             numpy_helper.from_array(mask, "mask")]
    nodes = [
        helper.make_node("Transpose", ["q"], ["qh"], perm=[0, 2, 1, 3]),
        helper.make_node("Transpose", ["k"], ["kt"], perm=[0, 2, 3, 1]),
        helper.make_node("Transpose", ["v"], ["vh"], perm=[0, 2, 1, 3]),
        helper.make_node("MatMul", ["qh", "kt"], ["s0"]),
        helper.make_node("Mul", ["s0", "scale"], ["s1"]),
        helper.make_node("Div", ["s1", "cap"], ["s2"]),
        helper.make_node("Tanh", ["s2"], ["s3"]),
        helper.make_node("Mul", ["s3", "cap"], ["s4"]),
        helper.make_node("Add", ["s4", "mask"], ["s5"]),
        helper.make_node("Softmax", ["s5"], ["p"], axis=-1),
        helper.make_node("MatMul", ["p", "vh"], ["oh"]),
        helper.make_node("Transpose", ["oh"], ["o"], perm=[0, 2, 1, 3])]
    io = [_value(n, [b, t, h, d]) for n in ("q", "k", "v", "o")]
    graph = helper.make_graph(nodes, "softcap_attention", io[:3], io[3:],
                              initializer=inits)
    session = _session(graph, threads)
    feeds = {n: arrays[n] for n in ("q", "k", "v")}
    return lambda: session.run(None, feeds)[0], lambda o: o


def _swiglu(spec, arrays, threads):
    x = arrays["x"]
    weights = [numpy_helper.from_array(np.ascontiguousarray(arrays[n].T), n)
               for n in ("w_gate", "w_up", "w_down")]
    nodes = [helper.make_node("MatMul", ["x", "w_gate"], ["g"]),
             helper.make_node("MatMul", ["x", "w_up"], ["u"]),
             helper.make_node("Sigmoid", ["g"], ["sg"]),
             helper.make_node("Mul", ["g", "sg"], ["silu"]),
             helper.make_node("Mul", ["silu", "u"], ["gu"]),
             helper.make_node("MatMul", ["gu", "w_down"], ["y"])]
    graph = helper.make_graph(
        nodes, "swiglu", [_value("x", [x.shape[0], "T", x.shape[2]])],
        [_value("y", [x.shape[0], "T", arrays["w_down"].shape[0]])], weights)
    session = _session(graph, threads)
    return lambda: session.run(None, {"x": x})[0], lambda y: y


class _ModelGraph:
    """A whole model (bench/workloads.py's gpt2_graph / bert_graph) as ONNX
    nodes, the case's arrays as initializers."""

    def __init__(self, spec, arrays, attention):
        self.spec, self.arrays, self.attention = spec, arrays, attention
        self.nodes, self.inits, self.count = [], [], 0

    def tmp(self, stem):
        self.count += 1
        return f"{stem}_{self.count}"

    def init(self, name, array):
        self.inits.append(numpy_helper.from_array(np.ascontiguousarray(
            array), name))
        return name

    def node(self, op, inputs, out=None, domain=None, **attrs):
        out = out or self.tmp(op)
        kwargs = dict(attrs, domain=domain) if domain else attrs
        self.nodes.append(helper.make_node(op, inputs, [out], **kwargs))
        return out

    def linear(self, x, prefix):
        w = self.init(prefix + ".wT", self.arrays[prefix + ".w"].T)
        b = self.init(prefix + ".b", self.arrays[prefix + ".b"])
        return self.node("Add", [self.node("MatMul", [x, w]), b])

    def layer_norm(self, x, prefix):
        w = self.init(prefix + ".w", self.arrays[prefix + ".w"])
        b = self.init(prefix + ".b", self.arrays[prefix + ".b"])
        return self.node("LayerNormalization", [x, w, b], axis=-1,
                         epsilon=self.spec["eps"])

    def act(self, x):
        approximate = "tanh" if self.spec["activation"] == "gelu_tanh" \
            else "none"
        return self.node("Gelu", [x], approximate=approximate)

    def attend(self, q, k, v):
        spec = self.spec
        heads, d = spec["heads"], spec["d"]
        if self.attention == "mha":
            attrs = {"num_heads": heads}
            if spec["causal"]:
                attrs["unidirectional"] = 1
            return self.node("MultiHeadAttention", [q, k, v],
                             domain="com.microsoft", **attrs)
        if "shape4" not in {i.name for i in self.inits}:
            self.init("shape4", np.array([0, 0, heads, d // heads], np.int64))
            self.init("shape3", np.array([0, 0, d], np.int64))
            self.init("scale", np.array(1 / np.sqrt(d // heads), np.float32))
        q4, k4, v4 = (self.node("Reshape", [t, "shape4"]) for t in (q, k, v))
        qh = self.node("Transpose", [q4], perm=[0, 2, 1, 3])
        kt = self.node("Transpose", [k4], perm=[0, 2, 3, 1])
        vh = self.node("Transpose", [v4], perm=[0, 2, 1, 3])
        s = self.node("Mul", [self.node("MatMul", [qh, kt]), "scale"])
        if spec["causal"]:
            s = self.node("Add", [s, "mask"])
        w = self.node("Softmax", [s], axis=-1)
        o = self.node("Transpose", [self.node("MatMul", [w, vh])],
                      perm=[0, 2, 1, 3])
        return self.node("Reshape", [o, "shape3"])

    def gpt2(self, x):
        for i in range(self.spec["layers"]):
            p = f"l{i}."
            qkv = self.linear(self.layer_norm(x, p + "ln1"), p + "attn.qkv")
            q, k, v = (self.tmp(n) for n in "qkv")
            self.nodes.append(helper.make_node("Split", [qkv], [q, k, v],
                                               axis=-1, num_outputs=3))
            a = self.linear(self.attend(q, k, v), p + "attn.proj")
            r = self.node("Add", [x, a])
            h = self.act(self.linear(self.layer_norm(r, p + "ln2"),
                                     p + "mlp.fc"))
            x = self.node("Add", [r, self.linear(h, p + "mlp.out")])
        if self.spec.get("final_ln"):
            x = self.layer_norm(x, "ln_f")
        return x

    def bert(self, x):
        for i in range(self.spec["layers"]):
            p = f"l{i}."
            q, k, v = (self.linear(x, f"{p}attn.{n}") for n in "qkv")
            a = self.linear(self.attend(q, k, v), p + "attn.out")
            h = self.layer_norm(self.node("Add", [x, a]), p + "ln1")
            f = self.linear(self.act(self.linear(h, p + "ffn.in")),
                            p + "ffn.out")
            x = self.layer_norm(self.node("Add", [h, f]), p + "ln2")
        return x


def model_session(spec, arrays, threads, attention):
    """The session and its feeds for a whole-model case."""
    g = _ModelGraph(spec, arrays, attention)
    y = getattr(g, spec["workload"])("x")
    g.nodes.append(helper.make_node("Identity", [y], ["y"]))
    b, t, d = arrays["x"].shape
    inputs = [_value("x", ["B", "T", d])]
    feeds = {"x": arrays["x"]}
    if attention == "ops" and spec["causal"]:
        inputs.append(_value("mask", ["T", "T"]))
        feeds["mask"] = arrays["mask"]
    graph = helper.make_graph(g.nodes, spec["workload"], inputs,
                              [_value("y", ["B", "T", d])], g.inits)
    return _session(graph, threads, opset=20), feeds


def _model(spec, arrays, threads, attention="mha"):
    session, feeds = model_session(spec, arrays, threads, attention)
    return lambda: session.run(None, feeds)[0], lambda y: y


def build(spec, arrays, threads):
    kind = spec["workload"]
    if kind in ("gpt2", "bert"):
        return _model(spec, arrays, threads)
    if kind == "attention":
        return _attention(spec, arrays, threads)
    if kind == "softcap_attention":
        return _softcap_attention(spec, arrays, threads)
    if kind == "swiglu":
        return _swiglu(spec, arrays, threads)
    raise NotImplementedError(f"no ONNX Runtime version of '{kind}' here")
