"""Generic model-bundle helpers (not ViT-specific): hashing, head.json, manifest.json writing and
validation against src/core/manifest.schema.json, staged (atomic) bundle output, torch -> ONNX
export, int8 / fp16 variants, ONNX-vs-reference verification and native ORT timing.

Used by tools/dinobloom/convert.py and meant to be imported by other exporters
(e.g. tools/train_default/): `from tools.dinobloom import bundle` with the repo root on sys.path.
The bundle format is described in docs/bundle-format.md; the schema is the contract.
"""
from __future__ import annotations

import contextlib
import hashlib
import json
import logging
import os
import shutil
import tempfile
import time
import warnings
from collections.abc import Iterable, Iterator, Sequence
from pathlib import Path
from typing import Any

import numpy as np

REPO_ROOT = Path(__file__).resolve().parents[2]
SCHEMA_PATH = REPO_ROOT / "src" / "core" / "manifest.schema.json"
MANIFEST_NAME = "manifest.json"
HEAD_FORMAT = "linear-softmax-v1"

# The order the app's manifest is easiest to read in; unknown keys go last.
_KEY_ORDER = ["formatVersion", "id", "name", "version", "description", "testModel", "architecture",
              "embeddingDim", "input", "output", "encoder", "head", "unidentifiedThreshold", "licence",
              "citation", "dataCredit", "metrics", "convertedFrom"]


class BundleError(Exception):
    """A bundle could not be written or does not satisfy the contract (one-line message)."""


class VerificationError(BundleError):
    """An ONNX variant disagrees with the reference beyond the allowed tolerance."""


# --------------------------------------------------------------------------------------- files

def sha256_file(path: str | os.PathLike) -> str:
    """Lowercase hex sha256 of a file, streamed."""
    h = hashlib.sha256()
    with open(path, "rb") as f:
        for chunk in iter(lambda: f.read(1 << 20), b""):
            h.update(chunk)
    return h.hexdigest()


def _f32_list(a: np.ndarray) -> list:
    """float32 values as the shortest decimals that round-trip to the same float32."""
    return [float(str(v)) for v in np.asarray(a, dtype=np.float32).ravel()]


def write_head_json(path: str | os.PathLike, classes: Sequence[str], weight, bias,
                    trained_on: str | None = None) -> dict:
    """Write head.json (linear-softmax-v1: probabilities = softmax(weight @ embedding + bias)).

    weight: C x D, bias: C (numpy arrays, torch tensors or nested lists). Returns the manifest
    `head` entry ({type, classes, file, bytes, sha256[, trainedOn]}) for write_manifest."""
    classes = [str(c) for c in classes]
    w = np.asarray(weight.detach().cpu() if hasattr(weight, "detach") else weight, dtype=np.float32)
    b = np.asarray(bias.detach().cpu() if hasattr(bias, "detach") else bias, dtype=np.float32)
    if len(classes) < 2 or len(set(classes)) != len(classes) or any(not c for c in classes):
        raise BundleError(f"head classes must be >= 2 unique non-empty names, got {classes}")
    if w.ndim != 2 or w.shape[0] != len(classes):
        raise BundleError(f"head weight must be C x D with C={len(classes)}, got shape {list(w.shape)}")
    if b.shape != (len(classes),):
        raise BundleError(f"head bias must have shape [{len(classes)}], got {list(b.shape)}")
    if not (np.isfinite(w).all() and np.isfinite(b).all()):
        raise BundleError("head weight/bias contain NaN or Inf")
    path = Path(path)
    doc = {"format": HEAD_FORMAT, "classes": classes, "inputDim": int(w.shape[1]),
           "weight": [_f32_list(row) for row in w], "bias": _f32_list(b)}
    path.write_text(json.dumps(doc, separators=(",", ":")) + "\n")
    entry = {"type": "linear-softmax", "classes": classes, "file": path.name,
             "bytes": path.stat().st_size, "sha256": sha256_file(path)}
    if trained_on:
        entry["trainedOn"] = trained_on
    return entry


# ------------------------------------------------------------------------------------ manifest

def load_schema(schema_path: str | os.PathLike | None = None) -> dict:
    return json.loads(Path(schema_path or SCHEMA_PATH).read_text())


def validate_manifest(manifest: dict, bundle_dir: str | os.PathLike | None = None,
                      schema_path: str | os.PathLike | None = None) -> None:
    """Raise BundleError unless `manifest` satisfies the JSON schema and, when bundle_dir is
    given, every referenced file exists with the recorded bytes and sha256."""
    import jsonschema

    validator = jsonschema.Draft202012Validator(load_schema(schema_path))
    errors = sorted(validator.iter_errors(manifest), key=lambda e: list(e.absolute_path))
    if errors:
        msgs = "; ".join(f"{'/'.join(map(str, e.absolute_path)) or '<root>'}: {e.message}" for e in errors[:5])
        raise BundleError(f"manifest does not match {Path(schema_path or SCHEMA_PATH).name}: {msgs}")
    if bundle_dir is None:
        return
    entries = list(manifest["encoder"]["variants"]) + ([manifest["head"]] if "head" in manifest else [])
    for e in entries:
        p = Path(bundle_dir) / e["file"]
        if not p.is_file():
            raise BundleError(f"bundle file missing: {p}")
        if p.stat().st_size != e["bytes"]:
            raise BundleError(f"{e['file']}: {p.stat().st_size} bytes on disk, manifest says {e['bytes']}")
        if sha256_file(p) != e["sha256"]:
            raise BundleError(f"{e['file']}: sha256 mismatch with manifest")


def validate_bundle(bundle_dir: str | os.PathLike, schema_path: str | os.PathLike | None = None) -> dict:
    """Load <bundle_dir>/manifest.json, validate schema + file integrity, return the manifest."""
    p = Path(bundle_dir) / MANIFEST_NAME
    if not p.is_file():
        raise BundleError(f"no {MANIFEST_NAME} in {bundle_dir}")
    manifest = json.loads(p.read_text())
    validate_manifest(manifest, bundle_dir, schema_path)
    return manifest


def write_manifest(bundle_dir: str | os.PathLike, fields: dict, variants: Sequence[dict],
                   head: dict | None = None, schema_path: str | os.PathLike | None = None,
                   second_view: dict | None = None) -> dict:
    """Write <bundle_dir>/manifest.json and return it.

    fields: every top-level manifest field except `encoder` and `head` (formatVersion, id, name,
      version, architecture, embeddingDim, input, output, unidentifiedThreshold, licence, citation...).
    variants: [{precision, file, backends[, verification]}] with files already in bundle_dir;
      bytes and sha256 are computed here (given values are overwritten).
    head: optional {type, classes, file[, trainedOn]} (e.g. write_head_json's return value);
      bytes/sha256 are recomputed.
    second_view: optional encoder.secondView {quarterTurns, belowConfidence} (src/core/secondView.ts; needs head).
    The result is validated against the schema (and the files) before it is written."""
    bundle_dir = Path(bundle_dir)
    if "encoder" in fields or "head" in fields:
        raise BundleError("pass encoder variants and head separately, not inside fields")

    def with_integrity(entry: dict) -> dict:
        p = bundle_dir / entry["file"]
        if not p.is_file():
            raise BundleError(f"bundle file missing: {p}")
        e = {**entry, "bytes": p.stat().st_size, "sha256": sha256_file(p)}
        first = ["precision", "type", "classes", "file", "bytes", "sha256", "backends"]
        return {k: e[k] for k in sorted(e, key=lambda k: first.index(k) if k in first else 99)}

    manifest: dict[str, Any] = dict(fields)
    manifest["encoder"] = {"variants": [with_integrity(v) for v in variants]}
    if second_view is not None:
        manifest["encoder"]["secondView"] = {"quarterTurns": int(second_view["quarterTurns"]),
                                             "belowConfidence": float(second_view["belowConfidence"])}
    if head is not None:
        manifest["head"] = with_integrity(head)
    manifest = {k: manifest[k] for k in sorted(manifest, key=lambda k: (_KEY_ORDER.index(k) if k in _KEY_ORDER else 99))}
    validate_manifest(manifest, bundle_dir, schema_path)
    (bundle_dir / MANIFEST_NAME).write_text(json.dumps(manifest, indent=2) + "\n")
    return manifest


@contextlib.contextmanager
def staged_bundle_dir(out_dir: str | os.PathLike, overwrite: bool = False) -> Iterator[Path]:
    """Yield an empty temp dir next to out_dir; on success it atomically becomes out_dir (an existing
    out_dir is replaced only if overwrite), on any exception it is deleted and out_dir is untouched."""
    out_dir = Path(out_dir).resolve()
    if out_dir.exists() and not overwrite and (not out_dir.is_dir() or any(out_dir.iterdir())):
        raise BundleError(f"output {out_dir} already exists and is not empty (use --overwrite)")
    out_dir.parent.mkdir(parents=True, exist_ok=True)
    tmp = Path(tempfile.mkdtemp(prefix=f".{out_dir.name}.tmp-", dir=out_dir.parent))
    try:
        yield tmp
    except BaseException:
        shutil.rmtree(tmp, ignore_errors=True)
        raise
    old = None
    if out_dir.exists():
        old = out_dir.parent / f".{out_dir.name}.old-{os.getpid()}-{time.time_ns()}"
        out_dir.rename(old)
    tmp.chmod(0o755)
    tmp.rename(out_dir)
    if old is not None:
        shutil.rmtree(old, ignore_errors=True)


# ------------------------------------------------------------------------------ ONNX variants

def export_onnx(module, path: str | os.PathLike, example_input, input_name: str = "pixel_values",
                output_name: str = "embedding", opset: int = 17) -> Path:
    """Export a torch module image -> embedding with a dynamic batch axis (TorchScript exporter:
    no onnxscript needed, small graphs of standard ops), then run onnx.checker."""
    import onnx
    import torch

    path = Path(path)
    module.eval()
    with warnings.catch_warnings(), torch.no_grad():
        warnings.simplefilter("ignore")
        torch.onnx.export(module, (example_input,), str(path), input_names=[input_name],
                          output_names=[output_name], opset_version=opset, do_constant_folding=True,
                          dynamic_axes={input_name: {0: "N"}, output_name: {0: "N"}}, dynamo=False)
    onnx.checker.check_model(str(path))
    return path


class ArrayCalibrationReader:
    """onnxruntime CalibrationDataReader over arrays (static-quantisation hook, e.g. for CNNs)."""

    def __init__(self, input_name: str, batches: Iterable[np.ndarray]):
        self._it = iter([{input_name: np.asarray(b, dtype=np.float32)} for b in batches])

    def get_next(self):
        return next(self._it, None)


def quantize_int8(src: str | os.PathLike, dst: str | os.PathLike, *, mode: str = "dynamic",
                  per_channel: bool = True, weight_type: str = "QInt8",
                  op_types: Sequence[str] = ("MatMul",), nodes_to_exclude: Sequence[str] = (),
                  calibration: Iterable[np.ndarray] | None = None, input_name: str | None = None) -> Path:
    """Quantise an fp32 ONNX file to int8 with onnxruntime.quantization.

    mode="dynamic" (default; transformers): weights int8 offline, activations quantised at run time
      (DynamicQuantizeLinear -> MatMulInteger, standard ONNX ops -> runs on ORT-web WASM). Only
      MatMuls with constant weights are touched (MatMulConstBOnly).
    mode="static" (hook for CNNs): QDQ format with activation ranges calibrated on `calibration`
      (an iterable of float32 input batches for `input_name`); op_types e.g. ("Conv", "MatMul")."""
    import onnx
    from onnxruntime.quantization import QuantFormat, QuantType, quantize_dynamic, quantize_static

    wt = {"qint8": QuantType.QInt8, "quint8": QuantType.QUInt8}[weight_type.lower()]
    src, dst = Path(src), Path(dst)
    prev = logging.getLogger().level
    logging.getLogger().setLevel(logging.ERROR)  # the quantiser logs a pre-processing nag at WARNING
    try:
        if mode == "dynamic":
            quantize_dynamic(src, dst, op_types_to_quantize=list(op_types), per_channel=per_channel,
                             weight_type=wt, nodes_to_exclude=list(nodes_to_exclude),
                             extra_options={"MatMulConstBOnly": True,
                                            "DefaultTensorType": onnx.TensorProto.FLOAT})
        elif mode == "static":
            if calibration is None:
                raise BundleError("static int8 quantisation needs calibration batches")
            name = input_name or onnx.load(str(src), load_external_data=False).graph.input[0].name
            quantize_static(src, dst, ArrayCalibrationReader(name, calibration), quant_format=QuantFormat.QDQ,
                            op_types_to_quantize=list(op_types), per_channel=per_channel, weight_type=wt,
                            activation_type=QuantType.QUInt8, nodes_to_exclude=list(nodes_to_exclude))
        else:
            raise BundleError(f"unknown quantisation mode {mode!r}")
    finally:
        logging.getLogger().setLevel(prev)
    onnx.checker.check_model(str(dst))
    return dst


def convert_fp16(src: str | os.PathLike, dst: str | os.PathLike, keep_fp32_ops: Sequence[str] = ()) -> Path:
    """fp16 weights and compute for WebGPU (shader-f16), float32 inputs/outputs kept (Cast inside).
    keep_fp32_ops: op types left in float32 (with Casts around them), added to onnxruntime's
    default block list, e.g. ("LayerNormalization",) to keep variance sums out of fp16 range."""
    import onnx
    from onnxruntime.transformers.float16 import DEFAULT_OP_BLOCK_LIST, convert_float_to_float16

    model = convert_float_to_float16(onnx.load(str(src)), keep_io_types=True,
                                     op_block_list=list(DEFAULT_OP_BLOCK_LIST) + list(keep_fp32_ops))
    toposort_graph(model.graph)  # the converter appends its I/O Casts at the end of the node list
    onnx.save(model, str(dst))
    onnx.checker.check_model(str(dst))
    return Path(dst)


def toposort_graph(graph) -> None:
    """Reorder graph.node topologically in place (stable; top-level graph only)."""
    available = {i.name for i in graph.input} | {i.name for i in graph.initializer} | {""}
    nodes, ordered = list(graph.node), []
    while nodes:
        rest = []
        for n in nodes:
            if all(i in available for i in n.input):
                ordered.append(n)
                available.update(n.output)
            else:
                rest.append(n)
        if len(rest) == len(nodes):
            raise BundleError(f"graph has a cycle or dangling inputs at node {rest[0].name or rest[0].op_type}")
        nodes = rest
    del graph.node[:]
    graph.node.extend(ordered)


def graph_ops(path: str | os.PathLike) -> dict[str, int]:
    """{"domain:OpType" or "OpType": count} for a model file (to check backend compatibility)."""
    import onnx

    counts: dict[str, int] = {}
    for n in onnx.load(str(path), load_external_data=False).graph.node:
        k = f"{n.domain}:{n.op_type}" if n.domain not in ("", "ai.onnx") else n.op_type
        counts[k] = counts.get(k, 0) + 1
    return counts


# ------------------------------------------------------------------------- verification/timing

def _session(path: str | os.PathLike, threads: int = 1):
    import onnxruntime as ort

    so = ort.SessionOptions()
    so.intra_op_num_threads = threads
    so.inter_op_num_threads = 1
    so.log_severity_level = 3
    so.add_session_config_entry("session.intra_op.allow_spinning", "0")  # shared/contended CPUs
    return ort.InferenceSession(str(path), so, providers=["CPUExecutionProvider"])


def compare_embeddings(reference: np.ndarray, output: np.ndarray) -> dict:
    """maxAbsDiff, minCosine, meanCosine between row-aligned [N, D] arrays."""
    ref = np.asarray(reference, dtype=np.float64)
    out = np.asarray(output, dtype=np.float64)
    if ref.shape != out.shape:
        raise VerificationError(f"output shape {list(out.shape)} != reference shape {list(ref.shape)}")
    if not np.isfinite(out).all():
        raise VerificationError("output contains NaN or Inf")
    cos = (ref * out).sum(1) / np.maximum(np.linalg.norm(ref, axis=1) * np.linalg.norm(out, axis=1), 1e-30)
    return {"maxAbsDiff": float(np.abs(ref - out).max()), "minCosine": float(cos.min()),
            "meanCosine": float(cos.mean())}


def run_onnx(path: str | os.PathLike, inputs: np.ndarray, batch_size: int = 8, threads: int = 1,
             input_name: str | None = None, output_name: str | None = None) -> np.ndarray:
    """Run an ONNX file on ORT's CPUExecutionProvider over `inputs` in batches; float32 [N, ...]."""
    s = _session(path, threads)
    iname = input_name or s.get_inputs()[0].name
    oname = output_name or s.get_outputs()[0].name
    x = np.asarray(inputs, dtype=np.float32)
    return np.concatenate([s.run([oname], {iname: x[i:i + batch_size]})[0] for i in range(0, len(x), batch_size)])


def verify_onnx(path: str | os.PathLike, inputs: np.ndarray, reference: np.ndarray, *,
                input_name: str | None = None, output_name: str | None = None, batch_size: int = 8,
                threads: int = 1, max_abs_diff: float | None = None, min_cosine: float | None = None,
                label: str | None = None) -> dict:
    """Compare an ONNX variant with reference outputs on the same inputs (ORT CPU EP).

    Runs the inputs in batches of `batch_size` and the first input again alone (checks the dynamic
    batch axis). Returns {maxAbsDiff, minCosine, meanCosine}; raises VerificationError when a given
    tolerance is violated."""
    x = np.asarray(inputs, dtype=np.float32)
    ref = np.asarray(reference, dtype=np.float32)
    out = run_onnx(path, x, batch_size, threads, input_name, output_name)
    single = run_onnx(path, x[:1], 1, threads, input_name, output_name)
    stats = compare_embeddings(np.concatenate([ref, ref[:1]]), np.concatenate([out, single]))
    name = label or Path(path).name
    if max_abs_diff is not None and not stats["maxAbsDiff"] <= max_abs_diff:
        raise VerificationError(f"{name}: maxAbsDiff {stats['maxAbsDiff']:.3g} > {max_abs_diff:g} vs reference")
    if min_cosine is not None and not stats["minCosine"] >= min_cosine:
        raise VerificationError(f"{name}: minCosine {stats['minCosine']:.6f} < {min_cosine} vs reference")
    return stats


def benchmark_onnx(path: str | os.PathLike, sample: np.ndarray, runs: int = 5, warmup: int = 1,
                   threads: int = 1) -> float:
    """Median wall ms per image of native ORT (CPU EP) on `sample` (a batch, usually of 1)."""
    s = _session(path, threads)
    feed = {s.get_inputs()[0].name: np.asarray(sample, dtype=np.float32)}
    for _ in range(warmup):
        s.run(None, feed)
    times = []
    for _ in range(max(1, runs)):
        t = time.perf_counter()
        s.run(None, feed)
        times.append(time.perf_counter() - t)
    return 1000.0 * float(np.median(times)) / len(feed[next(iter(feed))])
