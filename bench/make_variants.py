"""Lever experiments on the DinoBloom-S bundle's ONNX files (bench/.cache/variants/): other int8
recipes and onnxruntime's offline transformer fusions, to be timed in the browser and natively.

    python3 bench/make_variants.py [--src bench/.cache/bundles/dinobloom-s-random] [--out bench/.cache/variants]

Writes (skipping files that exist):
  s.int8-quint8.onnx         dynamic int8, QUInt8 per-channel weights (converter uses QInt8)
  s.int8-pertensor.onnx      dynamic int8, QInt8 per-tensor weights
  s.fused.fp32.onnx          onnxruntime.transformers optimizer (model_type vit): Attention, SkipLayerNorm, BiasGelu…
  s.fused.int8.onnx          the fused graph, dynamic int8 QInt8 per-channel (MatMul + Attention)
  s.int8-allmatmul.onnx      dynamic int8 of every MatMul, also attention's activation × activation ones
  s.probe-noerf-nosoftmax.int8.onnx   speed probe only (wrong outputs): the int8 file with Erf and Softmax
                             replaced by Relu, to measure what the transcendental ops cost
  s.nbits8.onnx              MatMulNBits 8-bit weights (block 32), accuracy level 4 (int8 compute; needs onnx_ir)
and prints each file's cosine similarity to the fp32 reference on seeded inputs.
"""
from __future__ import annotations

import argparse
import logging
import sys
from pathlib import Path

import numpy as np

REPO = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(REPO))


def cosine(a: np.ndarray, b: np.ndarray) -> float:
    a = a / np.linalg.norm(a, axis=1, keepdims=True)
    b = b / np.linalg.norm(b, axis=1, keepdims=True)
    return float((a * b).sum(1).min())


def main() -> int:
    ap = argparse.ArgumentParser()
    ap.add_argument("--src", default=str(REPO / "bench/.cache/bundles/dinobloom-s-random"))
    ap.add_argument("--out", default=str(REPO / "bench/.cache/variants"))
    a = ap.parse_args()
    import onnx
    import onnxruntime as ort
    from onnxruntime.quantization import QuantType, quantize_dynamic

    logging.getLogger().setLevel(logging.ERROR)
    src, out = Path(a.src), Path(a.out)
    out.mkdir(parents=True, exist_ok=True)
    fp32 = src / "encoder.fp32.onnx"
    made: list[Path] = []

    def dyn(dst: Path, model: Path, wt, per_channel: bool, ops=("MatMul",)) -> None:
        if dst.exists():
            return
        quantize_dynamic(model, dst, op_types_to_quantize=list(ops), per_channel=per_channel, weight_type=wt,
                         extra_options={"MatMulConstBOnly": True, "DefaultTensorType": onnx.TensorProto.FLOAT})

    dyn(out / "s.int8-quint8.onnx", fp32, QuantType.QUInt8, True)
    dyn(out / "s.int8-pertensor.onnx", fp32, QuantType.QInt8, False)
    allmm = out / "s.int8-allmatmul.onnx"
    if not allmm.exists():
        quantize_dynamic(fp32, allmm, op_types_to_quantize=["MatMul"], per_channel=True, weight_type=QuantType.QInt8,
                         extra_options={"MatMulConstBOnly": False, "DefaultTensorType": onnx.TensorProto.FLOAT})
    probe = out / "s.probe-noerf-nosoftmax.int8.onnx"
    if not probe.exists():
        m = onnx.load(str(src / "encoder.int8.onnx"))
        for n in m.graph.node:
            if n.op_type in ("Erf", "Softmax"):
                n.op_type = "Relu"
                del n.attribute[:]
        onnx.save(m, str(probe))
    fused = out / "s.fused.fp32.onnx"
    if not fused.exists():
        from onnxruntime.transformers.optimizer import optimize_model

        m = onnx.load(str(fp32))
        heads, hidden = 6, 384
        opt = optimize_model(str(fp32), model_type="vit", num_heads=heads, hidden_size=hidden, opt_level=0)
        opt.save_model_to_file(str(fused))
        print("fused ops:", {k: v for k, v in opt.get_fused_operator_statistics().items() if v})
        del m
    dyn(out / "s.fused.int8.onnx", fused, QuantType.QInt8, True, ("MatMul", "Attention"))
    nb = out / "s.nbits8.onnx"
    if not nb.exists():
        try:
            from onnxruntime.quantization.matmul_nbits_quantizer import MatMulNBitsQuantizer

            q = MatMulNBitsQuantizer(onnx.load(str(fp32)), block_size=32, is_symmetric=True, bits=8, accuracy_level=4)
            q.process()
            q.model.save_model_to_file(str(nb), False)
        except Exception as e:  # noqa: BLE001
            print(f"MatMulNBits 8-bit not made: {e}")

    rng = np.random.default_rng(0)
    x = rng.standard_normal((2, 3, 224, 224)).astype(np.float32)
    so = ort.SessionOptions()
    so.intra_op_num_threads = 2
    ref = ort.InferenceSession(str(fp32), so, providers=["CPUExecutionProvider"]).run(None, {"pixel_values": x})[0]
    for f in sorted(p for p in out.glob("s.*.onnx") if ".probe-" not in p.name):
        try:
            y = ort.InferenceSession(str(f), so, providers=["CPUExecutionProvider"]).run(None, {"pixel_values": x})[0]
            print(f"{f.name:28s} {f.stat().st_size / 1e6:7.1f} MB  min cosine vs fp32 {cosine(ref, y):.5f}")
        except Exception as e:  # noqa: BLE001
            print(f"{f.name}: cannot run natively: {e}")
    return 0


if __name__ == "__main__":
    sys.exit(main())
