"""The warm start (tools/train_default/init_onnx.py): a CellNet rebuilt from a shipped bundle's fp32 ONNX and
head.json computes what onnxruntime computes on that ONNX — embeddings and head logits — on the committed
PBC crops (e2e/fixtures/pbc, whole-crop and cell-centred framings, plus flips), before and after the
BatchNorm re-parametrisation that makes train-mode BN keep the exported function."""
from __future__ import annotations

import json
import sys
from pathlib import Path

import numpy as np
import onnxruntime as ort
import pytest
import torch
from PIL import Image

ROOT = Path(__file__).resolve().parents[2]
sys.path.insert(0, str(ROOT / "tools" / "train_default"))
import cellcrop  # noqa: E402
from init_onnx import head_logits, load_bundle, reparametrise_bn  # noqa: E402

BUNDLES = sorted(p.parent for p in (ROOT / "public" / "models").glob("*/manifest.json")
                 if json.loads(p.read_text()).get("architecture", {}).get("family") == "cnn")
CROPS = sorted((ROOT / "e2e" / "fixtures" / "pbc").glob("*.jpg"))


def _inputs(manifest: dict) -> np.ndarray:
    size = int(manifest["input"]["size"])
    imgs = []
    for f in CROPS:
        rgb = np.asarray(Image.open(f).convert("RGB"))
        for a in (rgb, rgb[::-1], rgb[:, ::-1]):
            a = np.ascontiguousarray(a)
            imgs += [cellcrop.whole(a, size), cellcrop.frame(a, size, 0.5)[0]]
    x = np.stack(imgs).astype(np.float32).transpose(0, 3, 1, 2) / 255.0
    mean = np.asarray(manifest["input"]["mean"], np.float32).reshape(1, 3, 1, 1)
    std = np.asarray(manifest["input"]["std"], np.float32).reshape(1, 3, 1, 1)
    return (x - mean) / std


@pytest.mark.parametrize("bundle", BUNDLES, ids=[b.name for b in BUNDLES])
def test_rebuilt_net_matches_onnxruntime(bundle: Path) -> None:
    net, manifest = load_bundle(bundle)
    x = _inputs(manifest)
    assert len(x) >= 48
    fp32 = next(v["file"] for v in manifest["encoder"]["variants"] if v["precision"] == "fp32")
    opts = ort.SessionOptions()
    opts.intra_op_num_threads = 1
    sess = ort.InferenceSession(str(bundle / fp32), opts, providers=["CPUExecutionProvider"])
    ref = sess.run(None, {sess.get_inputs()[0].name: x})[0]
    ref_logits = head_logits(ref, bundle / "head.json")
    assert np.abs(ref).max() > 0.1  # a real embedding, not zeros

    def check() -> None:
        with torch.no_grad():
            emb = net.eval().embed(torch.from_numpy(x)).numpy()
            logits = net(torch.from_numpy(x)).numpy()
        assert np.abs(emb - ref).max() <= 1e-4
        assert np.abs(logits - ref_logits).max() <= 1e-4

    check()
    t = torch.from_numpy(x)
    reparametrise_bn(net, [t[: len(t) // 2], t[len(t) // 2:]])
    check()  # eval function unchanged by the re-parametrisation
    with torch.no_grad():  # train mode on the very batch the statistics came from: (almost) the same function
        train_emb = net.train().embed(t).numpy()
    assert np.abs(train_emb - ref).max() <= 1e-3 * np.abs(ref).max()
