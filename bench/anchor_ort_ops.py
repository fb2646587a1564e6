"""ONNX Runtime on the whole models with the attention written as ONNX
MatMul, Mul, Add (causal mask), Softmax, MatMul, as torch.onnx.export writes
it for a model without a fused attention (bench/anchor_ort.py builds the
graph; `ort` uses the MultiHeadAttention contrib op instead)."""
import anchor_ort


def prepare(threads):
    info = anchor_ort.prepare(threads)
    return dict(info, name="ONNX Runtime (attention as ONNX ops)")


def build(spec, arrays, threads):
    if spec["workload"] not in ("gpt2", "bert"):
        raise NotImplementedError(
            f"no ONNX-ops-attention version of '{spec['workload']}'")
    return anchor_ort._model(spec, arrays, threads, attention="ops")
