"""Weight-less ONNX graph templates, so that the browser can build the converter's exact ONNX files.

    python3 -m tools.dinobloom.templates [--sizes S B] [--out public/checkpoint-templates]

A template is the converter's serialized ONNX file (encoder.fp32.onnx, encoder.int8.onnx or
encoder.fp16.onnx) with the bytes of every weight cut out and replaced by a *hole* that says how to
recompute them from the checkpoint: which state-dict tensor, transposed or not, and how it is encoded
(float32, float16, int8 per-channel quantised values, or their float32 scales). Filling the holes with
the weights of any checkpoint of that size gives, byte for byte, the file the converter writes for
it — because the graph the converter exports does not depend on the weight values, and every hole
has a fixed length (the tensor shapes are fixed by the size). src/core/checkpoint/template.ts fills
templates in the browser; `fill_template` below is the same in Python (tests).

How a template is found: a random-weight checkpoint of the size goes through the converter's own
export, quantisation and fp16 functions (bundle.export_onnx, bundle.quantize_int8 with the recipe's
options, bundle.convert_fp16), and each initializer's bytes are located in the serialized file.
Initializers are named after the state-dict keys, except the MatMul weights (`onnx::MatMul_N`,
the transposed nn.Linear weights), which are identified by value. int8 zero points are always 0
(QInt8 weights are symmetric) and stay in the template as they are.

File format (little-endian, the whole file gzip-compressed):
  b"DBTPL001" | u32 header length | header JSON (utf-8) | literal bytes | external-data graph
  header: {"format": 1, "precision", "dim", "depth", "numHeads", "bytes" (filled size), "graph" (bytes),
           "holes": [{"at": offset in the filled file, "n": byte length, "key", "t": transposed,
                      "enc": "f32" | "f16" | "q8" | "q8scale", "shape": [...] (encoded tensor)}]}
  The literal bytes are the file with the holes removed. The external-data graph is the same ONNX model
  with every hole's tensor stored outside it (location "weights.bin", the holes' bytes back to back, in
  order): what the browser verifies with, feeding onnxruntime the weights sliced out of the filled
  file, so that a 343 MB encoder is not held twice (file + parsed protobuf) in WASM memory.
"""
from __future__ import annotations

import argparse
import json
import struct
import sys
import tempfile
from dataclasses import dataclass
from pathlib import Path

import numpy as np

from . import bundle, convert as convert_mod
from .vit import SIZES, DinoVisionTransformer, ViTConfig, random_state_dict

MAGIC = b"DBTPL001"
REPO_ROOT = Path(__file__).resolve().parents[2]
DEFAULT_OUT = REPO_ROOT / "public" / "checkpoint-templates"
TEMPLATE_SEED = 12345
# precision label -> how the converter makes it (see convert.py: INT8_RECIPES, FP16_KEEP_FP32_OPS)
PRECISIONS = ("fp32", "int8", "int8-fc2fp32", "fp16")


class TemplateError(Exception):
    pass


EXTERNAL_LOCATION = "weights.bin"


@dataclass
class Template:
    header: dict
    literal: bytes
    graph: bytes = b""

    def to_bytes(self) -> bytes:
        h = json.dumps({**self.header, "graph": len(self.graph)}, separators=(",", ":")).encode()
        return MAGIC + struct.pack("<I", len(h)) + h + self.literal + self.graph

    @staticmethod
    def from_bytes(data: bytes) -> "Template":
        if data[:8] != MAGIC:
            raise TemplateError("not a DinoBloom Web ONNX template")
        (n,) = struct.unpack("<I", data[8:12])
        header = json.loads(data[12:12 + n])
        g = header.pop("graph", 0)
        body = data[12 + n:]
        return Template(header, body[:len(body) - g] if g else body, body[len(body) - g:] if g else b"")


def file_name(size: str, precision: str) -> str:
    return f"dinobloom-{size.lower()}.{precision}.tpl"


def write_template_file(path: Path, tpl: Template) -> None:
    """gzip-compressed (the literal bytes are mostly node names: ~10x smaller). The extension is not
    .gz on purpose, so that no static server sends it with Content-Encoding: gzip."""
    import gzip

    path.write_bytes(gzip.compress(tpl.to_bytes(), mtime=0))


def read_template_file(path: Path) -> bytes:
    import gzip

    data = Path(path).read_bytes()
    return gzip.decompress(data) if data[:2] == b"\x1f\x8b" else data


# ------------------------------------------------------------------------------------- export

def _export_variants(sd: dict, cfg: ViTConfig, folder: Path, precisions) -> dict[str, Path]:
    """The converter's ONNX files for this state dict, made with the converter's own functions."""
    import torch

    model = DinoVisionTransformer(cfg)
    model.load_state_dict(sd)
    model.eval()
    x = torch.from_numpy(convert_mod.random_inputs(1, 0))
    out = {}
    fp32 = bundle.export_onnx(model, folder / "encoder.fp32.onnx", x, convert_mod.INPUT_NAME, convert_mod.OUTPUT_NAME)
    out["fp32"] = fp32
    if "int8" in precisions:
        out["int8"] = bundle.quantize_int8(fp32, folder / "encoder.int8.onnx", per_channel=True, weight_type="QInt8",
                                           op_types=("MatMul",))
    if "int8-fc2fp32" in precisions:
        import onnx

        recipe = convert_mod.INT8_RECIPES[1]
        exclude = [n.name for n in onnx.load(str(fp32)).graph.node
                   if n.op_type == "MatMul" and any(s in n.name for s in recipe["exclude"])]
        out["int8-fc2fp32"] = bundle.quantize_int8(fp32, folder / "encoder.int8-fc2fp32.onnx", per_channel=True,
                                                   weight_type="QInt8", op_types=("MatMul",), nodes_to_exclude=exclude)
    if "fp16" in precisions:
        out["fp16"] = bundle.convert_fp16(fp32, folder / "encoder.fp16.onnx",
                                          keep_fp32_ops=convert_mod.FP16_KEEP_FP32_OPS)
    return out


def _fp32_sources(fp32_path: Path, sd: dict) -> dict[str, tuple[str, bool]]:
    """fp32 initializer name -> (state-dict key, transposed)."""
    import onnx
    from onnx import numpy_helper

    m = onnx.load(str(fp32_path))
    src: dict[str, tuple[str, bool]] = {}
    by_shape: dict[tuple, list[str]] = {}
    for k, v in sd.items():
        if v.dim() == 2:
            by_shape.setdefault(tuple(v.shape[::-1]), []).append(k)
    for t in m.graph.initializer:
        a = numpy_helper.to_array(t)
        if t.name in sd:
            if not np.array_equal(a, sd[t.name].numpy()):
                raise TemplateError(f"initializer {t.name} differs from the state-dict tensor of that name")
            src[t.name] = (t.name, False)
            continue
        hits = [k for k in by_shape.get(a.shape, []) if np.array_equal(a, sd[k].numpy().T)]
        if len(hits) != 1:
            raise TemplateError(f"initializer {t.name} {list(a.shape)} matches {len(hits)} transposed state-dict "
                                f"tensors; the exported graph folds weights in an unexpected way")
        src[t.name] = (hits[0], True)
    return src


def make_template(path: Path, fp32_sources: dict[str, tuple[str, bool]], cfg: ViTConfig, precision: str) -> Template:
    """Cut the weights out of one converter-made ONNX file."""
    import onnx
    from onnx import TensorProto, numpy_helper

    data = path.read_bytes()
    m = onnx.load_from_string(data)
    holes, pos = [], 0
    for t in m.graph.initializer:
        name = t.name
        if name.endswith("_zero_point"):
            if any(numpy_helper.to_array(t).ravel() != 0):
                raise TemplateError(f"{name}: non-zero int8 zero point (weights are expected symmetric)")
            continue  # constant: stays in the literal bytes
        if name.endswith("_quantized"):
            base, enc = name[: -len("_quantized")], "q8"
            payload = t.raw_data
        elif name.endswith("_scale"):
            base, enc = name[: -len("_scale")], "q8scale"
            payload = np.asarray(t.float_data, dtype="<f4").tobytes()
        else:
            base = name
            enc = {TensorProto.FLOAT: "f32", TensorProto.FLOAT16: "f16"}.get(t.data_type)
            payload = t.raw_data
            if enc is None:
                raise TemplateError(f"{name}: unexpected initializer type {t.data_type}")
        if base not in fp32_sources:
            raise TemplateError(f"{name}: no state-dict source for {base}")
        if not payload:
            raise TemplateError(f"{name}: data not stored inline")
        at = data.find(payload, pos)
        if at < 0:
            raise TemplateError(f"{name}: its bytes were not found in order in {path.name}")
        # (A misplaced hole cannot pass unnoticed: tests fill templates with other weights and compare
        # the result byte for byte with the converter's file for those weights.)
        key, transposed = fp32_sources[base]
        holes.append({"at": at, "n": len(payload), "key": key, "t": transposed, "enc": enc, "shape": list(t.dims),
                      "name": name})
        pos = at + len(payload)
    literal, last = bytearray(), 0
    for h in holes:
        literal += data[last:h["at"]]
        last = h["at"] + h["n"]
    literal += data[last:]
    header = {"format": 1, "precision": precision, "dim": cfg.dim, "depth": cfg.depth, "numHeads": cfg.num_heads,
              "patchSize": cfg.patch_size, "imgSize": cfg.img_size, "bytes": len(data),
              "input": convert_mod.INPUT_NAME, "output": convert_mod.OUTPUT_NAME, "holes": holes}
    return Template(header, bytes(literal), external_graph(m, holes))


def external_graph(model, holes: list[dict]) -> bytes:
    """The model with every hole's tensor moved to external data: location EXTERNAL_LOCATION, the holes'
    bytes back to back in hole order (what fill_template writes into the holes, in the same order)."""
    import copy

    from onnx import TensorProto

    m = copy.deepcopy(model)
    by_name = {h["name"]: h for h in holes}
    offset = 0
    for t in m.graph.initializer:
        h = by_name.get(t.name)
        if h is None:
            continue
        t.ClearField("raw_data")
        t.ClearField("float_data")
        t.data_location = TensorProto.EXTERNAL
        del t.external_data[:]
        for k, v in (("location", EXTERNAL_LOCATION), ("offset", str(offset)), ("length", str(h["n"]))):
            e = t.external_data.add()
            e.key, e.value = k, v
        offset += h["n"]
    return m.SerializeToString()


def external_weights(tpl: Template, filled: bytes) -> bytes:
    """The external data of `tpl.graph`, cut out of a filled file."""
    return b"".join(filled[h["at"]:h["at"] + h["n"]] for h in tpl.header["holes"])


def make_templates(cfg: ViTConfig, precisions=PRECISIONS, seed: int = TEMPLATE_SEED) -> dict[str, Template]:
    sd = random_state_dict(cfg.dim, cfg.depth, cfg.num_heads, seed=seed, ffn=cfg.ffn, hidden=cfg.hidden)
    with tempfile.TemporaryDirectory() as td:
        files = _export_variants(sd, cfg, Path(td), precisions)
        sources = _fp32_sources(files["fp32"], sd)
        return {p: make_template(files[p], sources, cfg, p) for p in precisions}


# -------------------------------------------------------------------------------------- filling

def encode_hole(hole: dict, tensor: np.ndarray) -> bytes:
    """The bytes of one hole from its float32 state-dict tensor (library functions: the reference)."""
    from onnxruntime.quantization.quant_utils import quantize_data
    from onnxruntime.transformers.float16 import convert_np_to_float16
    from onnx import TensorProto

    a = np.ascontiguousarray(tensor.T if hole["t"] else tensor, dtype=np.float32)
    if hole["enc"] == "f32":
        return a.astype("<f4").tobytes()
    if hole["enc"] == "f16":
        return convert_np_to_float16(a).astype("<f2").tobytes()
    q = np.empty(a.shape, dtype=np.int8)
    scales = np.empty(a.shape[1], dtype=np.float32)
    for j in range(a.shape[1]):  # per output channel (axis 1 of the MatMul weight [K, N])
        _zp, s, qj = quantize_data(a[:, j].flatten(), TensorProto.INT8, symmetric=True)
        q[:, j], scales[j] = qj, s
    return (q.tobytes() if hole["enc"] == "q8" else scales.astype("<f4").tobytes())


def fill_template(tpl: Template, sd: dict) -> bytes:
    """The complete ONNX file for these weights (float32 numpy/torch tensors by official key)."""
    out, lit = bytearray(), 0
    for h in tpl.header["holes"]:
        n_lit = h["at"] - len(out)
        out += tpl.literal[lit:lit + n_lit]
        lit += n_lit
        v = sd[h["key"]]
        b = encode_hole(h, v.numpy() if hasattr(v, "numpy") else np.asarray(v))
        if len(b) != h["n"]:
            raise TemplateError(f"{h['name']}: {len(b)} bytes, the template expects {h['n']}")
        out += b
    out += tpl.literal[lit:]
    if len(out) != tpl.header["bytes"]:
        raise TemplateError(f"filled template has {len(out)} bytes, expected {tpl.header['bytes']}")
    return bytes(out)


# ------------------------------------------------------------------------------------------ CLI

def main(argv: list[str] | None = None) -> int:
    import torch

    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--sizes", nargs="+", default=["S", "B"], choices=["S", "B"])
    ap.add_argument("--out", default=str(DEFAULT_OUT))
    a = ap.parse_args(argv)
    torch.set_num_threads(1)
    out = Path(a.out)
    out.mkdir(parents=True, exist_ok=True)
    letters = {v[1]: (d, v[2], v[3]) for d, v in SIZES.items()}
    for size in a.sizes:
        dim, heads, depth = letters[size]
        for precision, tpl in make_templates(ViTConfig(dim=dim, depth=depth, num_heads=heads)).items():
            p = out / file_name(size, precision)
            write_template_file(p, tpl)
            print(f"{p}: {p.stat().st_size / 1024:.0f} KiB, {len(tpl.header['holes'])} holes, "
                  f"fills to {tpl.header['bytes'] / 1e6:.1f} MB")
    return 0


if __name__ == "__main__":
    sys.exit(main())
