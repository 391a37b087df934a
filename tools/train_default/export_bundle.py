"""Export the trained default model (runs/<id>/best.pt) as an app bundle in public/models/<id>/.

Same pipeline as the DinoBloom converter (tools/dinobloom/bundle.py): ONNX fp32 + int8, head.json,
manifest.json with sha256, verification of every variant against the torch module. The int8 variant
is static QDQ (calibrated on training crops): for a CNN, dynamic quantisation of Conv gives
ConvInteger, which is slower than fp32 in ORT; QDQ fuses to QLinearConv int8 kernels.
The head is temperature-scaled (calibrate.py: T fitted on half of PBC val) with T folded into
head.json (weight / T, bias / T); the input policy (input.resize, input.margin) is the checkpoint's.

    python3 tools/train_default/export_bundle.py [--run tools/train_default/runs/pbc-cellnet-v2]
"""
from __future__ import annotations

import argparse
import json
import sys
from pathlib import Path

import numpy as np
import torch

HERE = Path(__file__).resolve().parent
ROOT = HERE.parents[1]
sys.path.insert(0, str(ROOT))
sys.path.insert(0, str(HERE))
import cellcrop  # noqa: E402
import evaluate_shifts as ev  # noqa: E402
from cache_dataset import ensure_cache  # noqa: E402
from calibrate import calibration_report  # noqa: E402
from model import IMAGENET_MEAN, IMAGENET_STD, EmbeddingOnly, build_model  # noqa: E402
from tools.dinobloom import bundle  # noqa: E402

MEAN = list(IMAGENET_MEAN)  # the manifest's input.mean/std: what the net (and its grey input) was trained on
STD = list(IMAGENET_STD)
PBC_CITATION = ("A. Acevedo, A. Merino, S. Alférez, Á. Molina, L. Boldú, J. Rodellar, \"A dataset of microscopic peripheral "
                "blood cell images for development of automatic recognition systems\", Data in Brief 30 (2020) 105474, "
                "doi:10.1016/j.dib.2020.105474")


def normalised(x_u8: np.ndarray) -> np.ndarray:
    x = x_u8.astype(np.float32).transpose(0, 3, 1, 2) / 255.0
    return (x - np.array(MEAN, np.float32).reshape(1, 3, 1, 1)) / np.array(STD, np.float32).reshape(1, 3, 1, 1)


def main() -> None:
    ap = argparse.ArgumentParser()
    ap.add_argument("--run", default=str(HERE / "runs/pbc-cellnet-v2"))
    ap.add_argument("--id", default="pbc-cellnet-v2")
    ap.add_argument("--out", default=None, help="default: public/models/<id>")
    ap.add_argument("--version", default="2.0.0")
    ap.add_argument("--threshold", type=float, default=0.5)
    ap.add_argument("--data", default=str(ROOT.parent / "shared/datasets/pbc"))
    ap.add_argument("--rotations", type=int, default=1, choices=(1, 2, 4),
                    help="embedding = mean over this many quarter turns, inside the graph (model.EmbeddingOnly)")
    ap.add_argument("--second-view", default=None, metavar="BELOW",
                    help="manifest encoder.secondView: cells whose first-view top probability (the temperature-scaled "
                         "head) is below BELOW get a second pass turned 90° and the mean of both embeddings "
                         "(src/core/secondView.ts); the ONNX graph stays one view")
    a = ap.parse_args()
    if a.second_view is not None and a.rotations != 1:
        raise SystemExit("--second-view runs the one-view graph twice for doubtful cells: use it with --rotations 1")
    second_view = None if a.second_view is None else {"quarterTurns": 1, "belowConfidence": float(a.second_view)}
    if second_view is not None and not 0 < second_view["belowConfidence"] <= 1:
        raise SystemExit(f"--second-view {a.second_view}: a probability in (0, 1]")
    run = Path(a.run)
    out = Path(a.out or ROOT / "public/models" / a.id)
    ck = torch.load(run / "best.pt", weights_only=False)  # our own training checkpoint
    classes = list(ck["classes"])
    net = build_model(ck)
    net.load_state_dict(ck["ema"])
    net.eval()
    enc = EmbeddingOnly(net, a.rotations).eval()
    size = int(ck["size"])
    resize, margin = ck.get("resize", "whole-bilinear-antialias"), float(ck.get("margin", 0.0))
    hp = json.loads((run / "hparams.json").read_text())

    tr_path, va_path = ensure_cache(Path(a.data), resize, size, margin, int(hp.get("views", 1)))
    tr, va = np.load(tr_path), np.load(va_path)
    tr_x = tr["x"][:, 0] if tr["x"].ndim == 5 else tr["x"]  # view 0 = the plain crops
    rng = np.random.default_rng(0)
    calib = normalised(tr_x[rng.choice(len(tr_x), 256, replace=False)])
    check = normalised(va["x"][rng.choice(len(va["x"]), 64, replace=False)])
    with torch.no_grad():
        ref = enc(torch.from_numpy(check)).numpy()

    # temperature scaling: logits of PBC val (fit on one half) and LISC (only measured, never fitted)
    with torch.no_grad():
        val_logits = np.concatenate([net.head(enc(torch.from_numpy(normalised(va["x"][i:i + 256])))).numpy()
                                     for i in range(0, len(va["x"]), 256)])
    policy = {"resize": resize, "size": size, "margin": margin}
    lisc_files, lisc_y = ev.list_split(ev.DATA / "lisc", ev.LISC_CLASSES)
    lisc_logits = None
    if lisc_files:
        lx = normalised(ev.prepare(lisc_files, None, policy, 2)[0])
        with torch.no_grad():
            lisc_logits = np.concatenate([net.head(enc(torch.from_numpy(lx[i:i + 256]))).numpy() for i in range(0, len(lx), 256)])
    cal = calibration_report(val_logits, va["y"], lisc_logits, lisc_y if lisc_files else None, a.threshold)
    print("calibration:", cal)
    temp = cal["temperature"]

    # The model card is written by hand from `npm run evaluate`; keep it across re-exports.
    card = (out / "MODEL_CARD.md").read_text() if (out / "MODEL_CARD.md").exists() else None
    # shift.json holds reference statistics of the *previous* encoder's embeddings: wrong for the new one, so it is
    # not carried over (the manifest written below has no shift entry); say so, with what re-makes it.
    had_shift_stats = (out / "shift.json").exists()
    with bundle.staged_bundle_dir(out, overwrite=True) as d:
        if card is not None:
            (d / "MODEL_CARD.md").write_text(card)
        fp32 = bundle.export_onnx(enc, d / "encoder.fp32.onnx", torch.from_numpy(check[:2]))
        int8 = bundle.quantize_int8(fp32, d / "encoder.int8.onnx", mode="static", per_channel=True,
                                    op_types=("Conv",), calibration=[calib[i:i + 32] for i in range(0, len(calib), 32)],
                                    input_name="pixel_values")
        v32 = bundle.verify_onnx(fp32, check, ref, max_abs_diff=1e-4, label="fp32")
        v8 = bundle.verify_onnx(int8, check, ref, min_cosine=0.99, label="int8")
        ms32 = bundle.benchmark_onnx(fp32, check[:1], runs=20, threads=1)
        ms8 = bundle.benchmark_onnx(int8, check[:1], runs=20, threads=1)
        print(f"fp32: {v32} {fp32.stat().st_size / 1e6:.2f} MB {ms32:.2f} ms/cell (native ORT, 1 thread)")
        print(f"int8: {v8} {int8.stat().st_size / 1e6:.2f} MB {ms8:.2f} ms/cell (native ORT, 1 thread)")
        inputs = f"64 val crops (seeded), {size}px, {resize}, PIL bilinear"
        head = bundle.write_head_json(d / "head.json", classes, net.head.weight.detach() / temp,
                                      net.head.bias.detach() / temp,
                                      trained_on=f"PBC train/ (jointly with the encoder); temperature {temp:.3f} folded in")
        params = sum(p.numel() for p in net.parameters())
        fields = {
            "formatVersion": 1,
            "id": a.id,
            "name": "PBC cell-centred CNN (trained on PBC, not DinoBloom)",
            "version": a.version,
            "description": ("A compact residual CNN cell encoder + linear head trained in this repository on the PBC "
                            "dataset (8 peripheral-blood classes, one scanner, healthy donors), with cell-centred "
                            "input and scale, resolution and stain augmentation so that it holds up better on other "
                            "labs' crops. It is NOT DinoBloom: load converted DinoBloom weights for the foundation "
                            "model. Demonstration and education only, not for diagnosis."),
            "testModel": False,
            "architecture": {"family": "cnn", "variant": "cellnet-compact", "depth": 2 * len(ck["widths"]) + 1,
                             "parameters": int(params), "source": "trained-here",
                             "widths": list(ck["widths"]), "stem": ck["stem"],
                             **({"rotationsAveraged": a.rotations} if a.rotations > 1 else {}),
                             **({"twinAt": ck["twin_at"]} if ck.get("twin_at") is not None else {}),
                             **({"inputNorm": ck["input_norm"]} if ck.get("input_norm", "none") != "none" else {})},
            "embeddingDim": int(net.embedding_dim),
            "input": {"name": "pixel_values", "size": size, "mean": MEAN, "std": STD, "resize": resize,
                      **({"margin": margin} if resize == cellcrop.POLICY else {})},
            "output": {"name": "embedding"},
            "unidentifiedThreshold": a.threshold,
            "licence": "Apache-2.0 (model weights and code); trained on PBC images, CC BY 4.0",
            "citation": PBC_CITATION,
            "dataCredit": "Trained on the PBC dataset by Acevedo et al. 2020 (CC BY 4.0), Mendeley Data doi:10.17632/snkd93bnjr.1",
            "metrics": {"valBalancedAccuracyTorch": round(float(ck["val"]["bal_acc"]), 4),
                        "valAccuracyTorch": round(float(ck["val"]["acc"]), 4), "bestEpoch": int(ck["epoch"]),
                        "epochs": hp["epochs"], "nativeMsPerCell": {"fp32": round(ms32, 2), "int8": round(ms8, 2)},
                        "calibration": cal},
        }
        variants = [
            {"precision": "int8", "file": int8.name, "backends": ["wasm"], "verification": {**v8, "inputs": inputs}},
            {"precision": "fp32", "file": fp32.name, "backends": ["wasm", "webgpu"], "verification": {**v32, "inputs": inputs}},
        ]
        bundle.write_manifest(d, fields, variants, head, second_view=second_view)
    print(f"bundle written to {out}")
    if had_shift_stats:
        print(f"note: {out / 'shift.json'} (the previous encoder's reference statistics for the shift checks) was not kept; "
              f"re-make it: npm run embed -- --bundle {out} --data <PBC train folder> --out train.emb && "
              f"npm run shift-stats -- --bundle {out} --embeddings train.emb")


if __name__ == "__main__":
    main()
