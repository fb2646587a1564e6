"""ONNX Runtime anchors (PyPI onnxruntime, CPU execution provider, in the
suite's virtual environment): graphs built with onnx.helper, sessions with
ORT_ENABLE_ALL and intra_op_num_threads = threads.

- attention: the com.microsoft MultiHeadAttention contrib op on [B, T, H·D]
  (a free reshape of Kiln's [B, T, H, D]), unidirectional=1 when causal;
- SwiGLU: MatMul, Sigmoid, Mul, Mul, MatMul with the weights as
  initializers, transposed to [in, out] once when the graph is built.
"""
import numpy as np
import onnx
import onnxruntime as ort
from onnx import TensorProto, helper, numpy_helper


def prepare(threads):
    return {"name": "ONNX Runtime", "version": ort.__version__,
            "notes": [f"onnx {onnx.__version__}, CPUExecutionProvider"]}


def _session(graph, threads):
    model = helper.make_model(graph, opset_imports=[
        helper.make_opsetid("", 17), helper.make_opsetid("com.microsoft", 1)])
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


def build(spec, arrays, threads):
    kind = spec["workload"]
    if kind == "attention":
        return _attention(spec, arrays, threads)
    if kind == "swiglu":
        return _swiglu(spec, arrays, threads)
    raise NotImplementedError(f"no ONNX Runtime version of '{kind}' here")
