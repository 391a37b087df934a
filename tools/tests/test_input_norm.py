"""The default model's optional input standardisation (model.py, `input_norm="instance"`): it lives inside the
exported graph, so the app's preprocessing does not change; these tests pin what it promises — a per-channel
gain and offset of the whole image (a lab's colour cast, stain strength, contrast) does not change the
embedding — and that the exported ONNX computes the same embedding in onnxruntime as in torch."""
from __future__ import annotations

import sys
from pathlib import Path

import numpy as np
import onnxruntime as ort
import torch

ROOT = Path(__file__).resolve().parents[2]
sys.path.insert(0, str(ROOT))
sys.path.insert(0, str(ROOT / "tools" / "train_default"))
from model import CellNet, EmbeddingOnly, build_model  # noqa: E402
from tools.dinobloom import bundle  # noqa: E402
from tiny_cellnet import random_images as _images, tiny_cellnet  # noqa: E402


def _net(input_norm: str) -> CellNet:
    return tiny_cellnet(input_norm, trained_bn=True).eval()


def test_instance_norm_ignores_channel_gain_and_offset() -> None:
    x = _images()
    gain = torch.tensor([0.6, 1.3, 0.9]).view(1, 3, 1, 1)
    offset = torch.tensor([0.2, -0.1, 0.35]).view(1, 3, 1, 1)
    with torch.no_grad():
        net = _net("instance")
        a, b = net.embed(x), net.embed(x * gain + offset)
        assert a.abs().max() > 0.01  # a real embedding
        moved = (a - b).abs().max()
        assert moved <= 1e-4 * a.abs().max() + 1e-5
        plain = _net("none")  # without it, the same change moves the embedding, by far more
        assert (plain.embed(x) - plain.embed(x * gain + offset)).abs().max() > 100 * moved + 1e-3


def test_checkpoint_records_input_norm() -> None:
    ck = {"widths": (8, 16), "stem": 8, "classes": list("abcdefgh"), "input_norm": "instance"}
    assert build_model(ck).input_norm == "instance"
    assert build_model({k: v for k, v in ck.items() if k != "input_norm"}).input_norm == "none"  # older checkpoints


def test_exported_graph_matches_torch(tmp_path: Path) -> None:
    net = _net("instance")
    x = _images()
    path = bundle.export_onnx(EmbeddingOnly(net), tmp_path / "enc.onnx", x[:2])
    sess = ort.InferenceSession(str(path), providers=["CPUExecutionProvider"])
    got = sess.run(None, {"pixel_values": x.numpy()})[0]
    with torch.no_grad():
        want = net.embed(x).numpy()
    assert np.abs(got - want).max() <= 1e-4
