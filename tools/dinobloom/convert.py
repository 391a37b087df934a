"""Convert a DinoBloom checkpoint into a verified DinoBloom Web model bundle (encoder only).

    python3 -m tools.dinobloom.convert CHECKPOINT --out BUNDLE_DIR [--name NAME] [--id ID]
        [--version V] [--images DIR] [--threshold 0.5] [--skip-fp16] [--overwrite]
        [--num-heads H] [--bench-runs 5] [--threads 1]

CHECKPOINT: Zenodo DinoBloom-{S,B,L}.pth (teacher), Hugging Face pytorch_model_{s,b}.bin (flat), or
timm model.safetensors; the format and size are auto-detected. Writes encoder.fp32.onnx (wasm,
webgpu), encoder.int8.onnx (wasm), encoder.fp16.onnx (webgpu) and manifest.json. Every variant is
checked against the torch reference on seeded random inputs (+ --images crops); the conversion fails,
leaving nothing behind, if fp32 maxAbsDiff > 1e-4 or int8/fp16 minCosine < 0.99.
Add a classification head afterwards with `npm run train-head`.
"""
from __future__ import annotations

import argparse
import os
import sys
import time
from pathlib import Path

import numpy as np
import torch

from . import bundle
from .checkpoints import CheckpointError, LoadedCheckpoint, load_checkpoint

MEAN = (0.485, 0.456, 0.406)
STD = (0.229, 0.224, 0.225)
IMG_SIZE = 224
INPUT_NAME, OUTPUT_NAME = "pixel_values", "embedding"
IMAGE_EXTS = {".png", ".jpg", ".jpeg", ".bmp", ".tif", ".tiff", ".webp"}

FP32_MAX_ABS_DIFF = 1e-4
INT8_MIN_COSINE = 0.99
FP16_MIN_COSINE = 0.99
MAX_ONNX_BYTES = 1_900_000_000  # single-file ONNX (protobuf) limit is 2 GiB

LICENCE = "Apache-2.0"
CITATION = ("Koch, Wagner, et al. \"DinoBloom: A Foundation Model for Generalizable Cell Embeddings in "
            "Hematology.\" MICCAI 2024. arXiv:2404.05022. Weights: github.com/marrlab/DinoBloom")

# Backends per variant. fp32 and fp16 are plain opset-17 graphs (no contrib ops: onnxruntime's
# transformer fusions were measured and did not help, see README); int8 uses
# DynamicQuantizeLinear/MatMulInteger, which only the WASM (CPU) backend runs.
BACKENDS = {"fp32": ["wasm", "webgpu"], "int8": ["wasm"], "fp16": ["webgpu"]}

# int8 recipes, tried in order until one reaches INT8_MIN_COSINE. Measured on random S/B weights:
# QInt8 per-channel is as fast as per-tensor with a better cosine; QUInt8 weights run ~3x slower
# (u8u8 MatMulInteger path).
INT8_RECIPES = [
    {"label": "dynamic int8: QInt8 per-channel weights, all MatMuls", "exclude": None},
    {"label": "dynamic int8: QInt8 per-channel weights, FFN output MatMuls kept fp32", "exclude": ("/mlp/fc2/", "/mlp/w3/")},
]


# LayerNorm stays float32 in the fp16 variant (Casts around it, +0.05 MB): DINOv2 residual streams can
# hold large activations whose squares overflow fp16 (max 65504) in the variance. Measured: no cost
# in accuracy or speed on CPU; it cannot be measured on WebGPU here.
FP16_KEEP_FP32_OPS = ("LayerNormalization",)


class ConversionError(Exception):
    """The conversion failed (one-line message); nothing was written."""


def log(msg: str) -> None:
    print(msg, flush=True)


# ---------------------------------------------------------------------------------- inputs

def preprocess_image(path: str | os.PathLike, size: int = IMG_SIZE) -> np.ndarray:
    """The app's preprocessing: whole crop -> size x size, PIL antialiased bilinear (no centre crop),
    /255, (x - mean) / std, CHW float32."""
    from PIL import Image

    with Image.open(path) as im:
        return preprocess_pil(im, size)


def preprocess_pil(im, size: int = IMG_SIZE) -> np.ndarray:
    """preprocess_image for an open PIL image."""
    from PIL import Image

    im = im.convert("RGB").resize((size, size), Image.Resampling.BILINEAR)
    x = np.asarray(im, dtype=np.float32) / 255.0
    x = (x - np.asarray(MEAN, dtype=np.float32)) / np.asarray(STD, dtype=np.float32)
    return np.ascontiguousarray(x.transpose(2, 0, 1))


def load_images(folder: str | os.PathLike, max_images: int = 64) -> tuple[np.ndarray, list[str]]:
    folder = Path(folder)
    if not folder.is_dir():
        raise ConversionError(f"--images: not a directory: {folder}")
    files = sorted(p for p in folder.rglob("*") if p.suffix.lower() in IMAGE_EXTS and p.is_file())[:max_images]
    if not files:
        raise ConversionError(f"--images: no images ({', '.join(sorted(IMAGE_EXTS))}) in {folder}")
    arrs = []
    for p in files:
        try:
            arrs.append(preprocess_image(p))
        except Exception as e:  # noqa: BLE001
            raise ConversionError(f"--images: cannot read {p}: {e}") from None
    return np.stack(arrs), [p.name for p in files]


def random_inputs(n: int, seed: int) -> np.ndarray:
    g = torch.Generator().manual_seed(seed)
    return torch.randn(n, 3, IMG_SIZE, IMG_SIZE, generator=g).numpy()


def torch_embed(model: torch.nn.Module, x: np.ndarray, batch: int = 8) -> np.ndarray:
    with torch.no_grad():
        return np.concatenate([model(torch.from_numpy(x[i:i + batch])).numpy() for i in range(0, len(x), batch)])


# ------------------------------------------------------------------------------------ convert

def _default_description(ck: LoadedCheckpoint, params: int, sha: str) -> str:
    what = f"DinoBloom-{ck.size}" if ck.size != "custom" else "DINOv2-layout ViT"
    return (f"{what} cell-image encoder ({ck.variant}, {params / 1e6:.1f}M parameters), converted from "
            f"{ck.path.name} ({ck.source}, sha256 {sha}). Output: CLS embedding after the final LayerNorm. "
            f"Encoder only: add a classification head with `npm run train-head`.")


def convert(checkpoint: str | os.PathLike, out: str | os.PathLike, *, name: str | None = None,
            model_id: str | None = None, version: str = "1.0", images: str | os.PathLike | None = None,
            threshold: float = 0.5, skip_fp16: bool = False, skip_int8: bool = False,
            num_heads: int | None = None, overwrite: bool = False, bench_runs: int = 5, threads: int = 1,
            seed: int = 0, n_random: int = 4, max_images: int = 64, description: str | None = None,
            source_label: str | None = None, variant_label: str | None = None, test_model: bool = False,
            head: dict | None = None) -> dict:
    """Convert + verify + write a bundle. Returns {"manifest", "report", "out"}.

    head: optional {"classes", "weight" (C x D), "bias" (C)[, "trainedOn"]} written as head.json
    (the converter's CLI never passes one; tools/make_test_bundle.py does)."""
    t_start = time.time()
    if not 0 <= threshold <= 1:
        raise ConversionError(f"--threshold must be in [0, 1], got {threshold}")
    ck = load_checkpoint(checkpoint, num_heads=num_heads)
    cfg = ck.config
    model = ck.build_model()
    params = model.inference_parameters()
    log(f"checkpoint: {ck.path.name} -> format {ck.source}, size {ck.size} ({ck.variant}: D={cfg.dim}, "
        f"{cfg.depth} blocks, {cfg.num_heads} heads, FFN {cfg.ffn} {cfg.ffn_hidden}, {params:,} parameters)")
    for n in ck.notes:
        log(f"  note: {n}")
    if params * 4 > MAX_ONNX_BYTES:
        raise ConversionError(f"{ck.variant} has {params / 1e9:.2f}B parameters: its fp32 ONNX "
                              f"({params * 4 / 1e9:.1f} GB) exceeds the 2 GB single-file ONNX limit and is far "
                              f"beyond what a browser tab can hold; use DinoBloom-S/B/L")

    x = random_inputs(n_random, seed)
    inputs_desc = f"{n_random} seeded N(0,1) tensors (seed {seed})"
    if images:
        imgs, names = load_images(images, max_images)
        x = np.concatenate([x, imgs])
        inputs_desc += f" + {len(names)} crops from {Path(images).name}/ (PIL bilinear 224, ImageNet mean/std)"
    ref = torch_embed(model, x)
    if ref.shape != (len(x), cfg.dim):
        raise ConversionError(f"torch reference has shape {list(ref.shape)}, expected [{len(x)}, {cfg.dim}]")
    inputs_desc += "; onnxruntime CPU EP"

    sha = bundle.sha256_file(ck.path)
    size_name = f"DinoBloom-{ck.size}" if ck.size != "custom" else f"DINOv2 ViT D{cfg.dim}x{cfg.depth}"
    fields: dict = {
        "formatVersion": 1,
        "id": model_id or (f"dinobloom-{ck.size.lower()}" if ck.size != "custom" else f"vit-d{cfg.dim}-l{cfg.depth}"),
        "name": name or size_name,
        "version": version,
        "description": description or _default_description(ck, params, sha),
    }
    if test_model:
        fields["testModel"] = True
    fields.update({
        "architecture": {"family": "dinov2-vit", "variant": variant_label or ck.variant, "patchSize": cfg.patch_size,
                         "depth": cfg.depth, "numHeads": cfg.num_heads, "parameters": params,
                         "source": source_label or ck.source},
        "embeddingDim": cfg.dim,
        "input": {"name": INPUT_NAME, "size": IMG_SIZE, "mean": list(MEAN), "std": list(STD),
                  "resize": "whole-bilinear-antialias"},
        "output": {"name": OUTPUT_NAME},
        "unidentifiedThreshold": threshold,
        "licence": LICENCE,
        "citation": CITATION,
    })
    if not test_model:  # the checkpoint behind the bundle (the in-browser converter records the same)
        fields["convertedFrom"] = {"file": ck.path.name, "bytes": ck.path.stat().st_size, "sha256": sha,
                                   "layout": ck.source, "converter": "tools/dinobloom/convert.py",
                                   **({"notes": ck.notes} if ck.notes else {})}
    bundle.validate_manifest({**fields, "encoder": {"variants": [  # fail fast on bad --id/--name
        {"precision": "fp32", "file": "x", "bytes": 1, "sha256": "0" * 64, "backends": ["wasm"]}]}})

    report: dict[str, dict] = {}
    variants: list[dict] = []
    try:
        with bundle.staged_bundle_dir(out, overwrite=overwrite) as tmp:
            def add(precision: str, path: Path, stats: dict, method: str) -> None:
                variants.append({"precision": precision, "file": path.name, "backends": BACKENDS[precision],
                                 "verification": {**stats, "inputs": inputs_desc}})
                ms = bundle.benchmark_onnx(path, x[:1], runs=bench_runs, threads=threads) if bench_runs else None
                report[precision] = {**stats, "bytes": path.stat().st_size, "msPerImage": ms, "method": method}

            t = time.time()
            fp32 = bundle.export_onnx(model, tmp / "encoder.fp32.onnx", torch.from_numpy(x[:1]), INPUT_NAME, OUTPUT_NAME)
            stats = bundle.verify_onnx(fp32, x, ref, max_abs_diff=FP32_MAX_ABS_DIFF, threads=threads)
            add("fp32", fp32, stats, "fp32, opset 17, unfused")
            log(f"  fp32 exported + verified in {time.time() - t:.1f}s")

            if not skip_int8:
                t = time.time()
                int8, stats, method = _quantize(fp32, tmp / "encoder.int8.onnx", x, ref, threads)
                add("int8", int8, stats, method)
                log(f"  int8 quantised + verified in {time.time() - t:.1f}s ({method})")

            if not skip_fp16:
                t = time.time()
                fp16 = bundle.convert_fp16(fp32, tmp / "encoder.fp16.onnx", keep_fp32_ops=FP16_KEEP_FP32_OPS)
                stats = bundle.verify_onnx(fp16, x, ref, min_cosine=FP16_MIN_COSINE, threads=threads)
                add("fp16", fp16, stats, "fp16 weights+compute (LayerNorm in fp32), float32 I/O")
                log(f"  fp16 converted + verified in {time.time() - t:.1f}s")

            head_entry = None
            if head is not None:
                head_entry = bundle.write_head_json(tmp / "head.json", head["classes"], head["weight"], head["bias"],
                                                    trained_on=head.get("trainedOn"))
            manifest = bundle.write_manifest(tmp, fields, variants, head=head_entry)
    except bundle.VerificationError as e:
        raise ConversionError(f"verification failed: {e}") from None
    except bundle.BundleError as e:
        raise ConversionError(str(e)) from None

    out = Path(out)
    log(f"\nbundle {out} ({manifest['id']}, {manifest['name']}); inputs: {inputs_desc}")
    log(f"  {'variant':8s} {'backends':12s} {'MB':>8s} {'maxAbsDiff':>11s} {'minCosine':>10s} {'meanCosine':>10s} "
        f"{'ms/img':>8s}")
    for v in variants:
        r = report[v["precision"]]
        ms = f"{r['msPerImage']:.1f}" if r["msPerImage"] is not None else "-"
        log(f"  {v['precision']:8s} {','.join(v['backends']):12s} {r['bytes'] / 1e6:8.2f} {r['maxAbsDiff']:11.3g} "
            f"{r['minCosine']:10.6f} {r['meanCosine']:10.6f} {ms:>8s}")
    if bench_runs:
        log(f"  (native onnxruntime {__import__('onnxruntime').__version__} CPU EP, batch 1, median of "
            f"{bench_runs} runs, {threads} thread(s))")
    log(f"done in {time.time() - t_start:.1f}s")
    return {"manifest": manifest, "report": report, "out": out}


def _quantize(fp32: Path, dst: Path, x: np.ndarray, ref: np.ndarray, threads: int):
    """Dynamic int8 with the first recipe that reaches INT8_MIN_COSINE."""
    import onnx

    tried = []
    for recipe in INT8_RECIPES:
        exclude = []
        if recipe["exclude"]:
            exclude = [n.name for n in onnx.load(str(fp32)).graph.node
                       if n.op_type == "MatMul" and any(s in n.name for s in recipe["exclude"])]
            if not exclude:
                continue
        bundle.quantize_int8(fp32, dst, per_channel=True, weight_type="QInt8", op_types=("MatMul",),
                             nodes_to_exclude=exclude)
        stats = bundle.verify_onnx(dst, x, ref, threads=threads)
        if stats["minCosine"] >= INT8_MIN_COSINE:
            return dst, stats, recipe["label"]
        tried.append(f"{recipe['label']}: minCosine {stats['minCosine']:.4f}")
        log(f"  int8 recipe below minCosine {INT8_MIN_COSINE}: {tried[-1]}")
    dst.unlink(missing_ok=True)
    raise bundle.VerificationError(f"encoder.int8.onnx: no int8 recipe reaches minCosine {INT8_MIN_COSINE} "
                                   f"({'; '.join(tried)})")


# ----------------------------------------------------------------------------------------- CLI

def main(argv: list[str] | None = None) -> int:
    ap = argparse.ArgumentParser(prog="python3 -m tools.dinobloom.convert",
                                 description="Convert a DinoBloom checkpoint to a verified DinoBloom Web bundle "
                                             "(encoder only; add a head with `npm run train-head`).")
    ap.add_argument("checkpoint", help="DinoBloom-*.pth (Zenodo), pytorch_model_*.bin (HF) or model.safetensors (timm)")
    ap.add_argument("--out", required=True, help="bundle directory to create")
    ap.add_argument("--name", help="display name (default DinoBloom-S/B/L)")
    ap.add_argument("--id", dest="model_id", help="bundle id (default dinobloom-s/b/l)")
    ap.add_argument("--version", default="1.0", help="bundle version string (default 1.0)")
    ap.add_argument("--images", help="folder of cell crops to verify on, in addition to random inputs")
    ap.add_argument("--max-images", type=int, default=64, help="at most this many --images (default 64)")
    ap.add_argument("--threshold", type=float, default=0.5, help="unidentifiedThreshold (default 0.5)")
    ap.add_argument("--skip-fp16", action="store_true", help="do not write the fp16 (WebGPU) variant")
    ap.add_argument("--overwrite", action="store_true", help="replace an existing non-empty --out")
    ap.add_argument("--num-heads", type=int, help="attention heads, only for non-standard embed dims")
    ap.add_argument("--bench-runs", type=int, default=5, help="timed ORT runs per variant, 0 = no timing (default 5)")
    ap.add_argument("--threads", type=int, default=1, help="CPU threads for torch and onnxruntime (default 1)")
    a = ap.parse_args(argv)
    torch.set_num_threads(max(1, a.threads))
    try:
        convert(a.checkpoint, a.out, name=a.name, model_id=a.model_id, version=a.version, images=a.images,
                threshold=a.threshold, skip_fp16=a.skip_fp16, num_heads=a.num_heads, overwrite=a.overwrite,
                bench_runs=a.bench_runs, threads=a.threads, max_images=a.max_images)
    except (CheckpointError, ConversionError, bundle.BundleError) as e:
        print(f"error: {e}", file=sys.stderr)
        return 1
    return 0


if __name__ == "__main__":
    sys.exit(main())
